// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QByteArrayList>

// An endpoint the test drives by hand: what the session sends is kept in `sent`, and the test
// delivers frames (in any order, twice, or never) with deliver().
class ManualEndpoint final : public TransportEndpoint
{
public:
    using TransportEndpoint::TransportEndpoint;

    void open() override { setState(role() == EndpointRole::Receiver ? State::Listening : State::Connected); }
    void close() override { setState(State::Closed); }
    void sendFrame(const QByteArray &frame, PeerId peer) override
    {
        sent.append(frame);
        sentTo.append(peer);
    }
    qint64 queuedBytes() const override { return 0; }

    void deliver(const QByteArray &frame, PeerId peer = 0) { emit frameReceived(frame, peer); }
    void disconnectPeer(PeerId peer, const QString &reason) { emit peerDisconnected(peer, reason); }
    void connectPeer(PeerId peer, const QString &description) { emit peerConnected(peer, description); }
    void refusePeer(PeerId peer, const QString &reason) { emit streamRefused(peer, reason); }
    void refuseMessage(PeerId peer, const QString &reason) { emit messageRefused(peer, reason); }

    QByteArrayList sent;
    QVector<PeerId> sentTo;
};
