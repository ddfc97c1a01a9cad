// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The sending end: connects to the receiver's socket file for an address and carries frames
// both ways over that one connection (frames out, acks and pongs back). Nothing blocks: the
// connect of a Unix socket finishes at once, or is retried from a timer while the receiver's
// backlog is full.

#include "transportendpoint.h"

#include <QTimer>

class SeqPacketConnection;

class SeqPacketSenderEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit SeqPacketSenderEndpoint(const QString &address);
    ~SeqPacketSenderEndpoint() override;

    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    void connectNow();
    void release();

    QString m_socketPath;
    int m_connectingFd = -1;
    int m_connectAttempts = 0;
    QTimer m_retryTimer;
    SeqPacketConnection *m_connection = nullptr;
};
