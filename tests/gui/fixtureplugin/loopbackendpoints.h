// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QHash>
#include <QPointer>

class LoopbackSender;

// Receivers register under their address in a process-wide table; senders find them there.
// Frames travel as queued calls, so delivery is asynchronous like a real mechanism's.
class LoopbackReceiver : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit LoopbackReceiver(const QString &address);
    ~LoopbackReceiver() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; }

    PeerId addSender(LoopbackSender *sender);
    void removeSender(PeerId peer);

private:
    QHash<PeerId, QPointer<LoopbackSender>> m_senders;
    PeerId m_nextPeer = 1;
};

class LoopbackSender : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit LoopbackSender(const QString &address);
    ~LoopbackSender() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; }

    void receiverGone();

private:
    QPointer<LoopbackReceiver> m_receiver;
    PeerId m_peer = 0;
};
