// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QLocalServer>
#include <QLocalSocket>

class DeviceFramer;
class StreamHandshake;
class StreamPeers;

// Both ends use Qt's asynchronous local sockets in the endpoint's thread: no worker thread
// needed, nothing blocks (except the receiver's short probe of a leftover socket file).

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

    QLocalServer m_server;
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
    void onSocketError(QLocalSocket::LocalSocketError error);
    // Closes the socket at once and fails with `sentence`.
    void abandon(const QString &sentence);

    QLocalSocket m_socket;
    DeviceFramer *m_framer;
    StreamHandshake *m_handshake;
    QString m_serverName;
    bool m_closing = false;
};
