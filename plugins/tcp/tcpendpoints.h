// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connectionsecurity.h"
#include "transportendpoint.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

class DeviceFramer;
class StreamHandshake;
class StreamPeers;

// Both ends use Qt's asynchronous sockets in the endpoint's thread: no worker thread needed,
// nothing blocks. Each reads ConnectionSecurity::current() when created: a receiver beyond
// loopback requires an access token, and TLS (QSslServer, QSslSocket) is used only when asked,
// so plain TCP keeps Qt's unbuffered socket.

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
