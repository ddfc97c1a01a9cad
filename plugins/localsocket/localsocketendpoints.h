// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "descriptorsocket.h"
#include "transportendpoint.h"

#include <QLocalServer>
#include <QLocalSocket>

#include <functional>

class DeviceFramer;
class StreamHandshake;
class StreamPeers;

// Both ends use asynchronous local sockets in the endpoint's thread: no worker thread needed,
// nothing blocks (except the receiver's short probe of a leftover socket file). On POSIX both
// ends are DescriptorSockets: each read is one system call, not Qt's two.

// On POSIX each accepted connection's descriptor goes to `accepted`, which makes a
// DescriptorSocket of it (no QLocalSocket, and so no ioctl before each read); elsewhere
// QLocalServer makes its QLocalSockets as usual.
class DescriptorLocalServer : public QLocalServer
{
public:
    explicit DescriptorLocalServer(std::function<void(quintptr)> accepted) : m_accepted(std::move(accepted)) {}

protected:
    void incomingConnection(quintptr descriptor) override;

private:
    std::function<void(quintptr)> m_accepted;
};

class LocalSocketReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit LocalSocketReceiverEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    void listenNow();
    void acceptConnections();
    void acceptDescriptor(quintptr descriptor);

    DescriptorLocalServer m_server;
    StreamPeers *m_peers;
};

class LocalSocketSenderEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit LocalSocketSenderEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    // Closes the socket at once and fails with `sentence`.
    void abandon(const QString &sentence);
    void connectNow();
#ifdef Q_OS_UNIX
    // The connection ended: the receiver closed it, or it failed.
    void onEnded();

    DescriptorSocket m_socket; // read without Qt's ioctl before each read
#else
    void onSocketError(QLocalSocket::LocalSocketError error);

    QLocalSocket m_socket;
#endif
    DeviceFramer *m_framer;
    StreamHandshake *m_handshake;
    QString m_serverName;
    bool m_closing = false;
};
