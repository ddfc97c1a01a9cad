// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

class DeviceFramer;
class StreamPeers;

// Both ends use Qt's asynchronous sockets in the endpoint's thread: no worker thread needed,
// nothing blocks.

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

    QTcpServer m_server;
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

    QTcpSocket m_socket;
    DeviceFramer *m_framer;
    bool m_closing = false;
};
