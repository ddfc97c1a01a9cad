// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

// An in-process receiving endpoint for the benchmark: deliver() hands a frame to whoever listens
// (a ReceiverSession) as a real transport would; what is sent back (acks) goes nowhere. It
// measures the receiver's side alone, with no mechanism in the way.
class BenchSinkEndpoint final : public TransportEndpoint
{
public:
    BenchSinkEndpoint() : TransportEndpoint(EndpointRole::Receiver, QStringLiteral("in-process")) {}
    void open() override { setState(State::Listening); }
    void close() override { setState(State::Closed); }
    void sendFrame(const QByteArray &, PeerId) override {}
    qint64 queuedBytes() const override { return 0; }
    void deliver(const QByteArray &frame) { emit frameReceived(frame, 1); }
};
