// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connectionsecurity.h"
#include "transportendpoint.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

#include <functional>

class DeviceFramer;
class StreamHandshake;
class StreamPeers;

// Both ends use asynchronous sockets in the endpoint's thread: no worker thread needed, nothing
// blocks. The receiver reads plain TCP connections as DescriptorSockets on POSIX. Each reads ConnectionSecurity::current() when created: a receiver beyond
// loopback requires an access token, and TLS (QSslServer, QSslSocket) is used only when asked,
// so plain TCP keeps Qt's unbuffered socket.

// Plain TCP's server: on POSIX each accepted connection's descriptor goes to `accepted`, which
// makes a DescriptorSocket of it (no QTcpSocket, and so no ioctl before each read).
class DescriptorTcpServer : public QTcpServer
{
public:
    DescriptorTcpServer(std::function<void(qintptr)> accepted, QObject *parent)
        : QTcpServer(parent), m_accepted(std::move(accepted)) {}

protected:
    void incomingConnection(qintptr descriptor) override { m_accepted(descriptor); }

private:
    std::function<void(qintptr)> m_accepted;
};

class TcpReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit TcpReceiverEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    void acceptConnections();
    // A plain TCP connection, as its descriptor (POSIX).
    void acceptDescriptor(qintptr descriptor);
    // The TLS server's certificate and key; false after fail() when they cannot be had.
    bool prepareTls();

    ConnectionSecurity m_security;
    QTcpServer *m_server;
    StreamPeers *m_peers;
};

class TcpSenderEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit TcpSenderEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    void onSocketError(QAbstractSocket::SocketError error);
    // TLS is up: the receiver's certificate must be the pinned one.
    void checkPinnedCertificate();
    // Closes the socket at once and fails with `sentence`.
    void abandon(const QString &sentence);

    ConnectionSecurity m_security;
    QTcpSocket *m_socket; // a QSslSocket when a certificate is pinned
    DeviceFramer *m_framer;
    StreamHandshake *m_handshake;
    bool m_closing = false;
};
