// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"
#include "zeromqaddress.h"

#include <QTimer>
#include <QVector>

class ZeroMqSocket;

// The fan-out mode's sender: an XPUB bound to the address, which every receiver's XSUB
// connects to. ZeroMQ's PUB/SUB has a slow joiner: a subscriber that connects after a frame
// was published never sees it. So the sender counts subscriptions (ZMQ_XPUB_VERBOSER reports
// each join and leave) and says Connected only once one receiver subscribed and then no new
// one came for SettleMs, the time a receiver started beforehand needs to (re)connect; it fails
// when none subscribes within the handshake timeout. A receiver that joins later misses the
// frames before it and counts them as lost (the sequence numbers show the gap). Frames go to
// every subscriber without waiting for anyone: a subscriber whose queue is full (the
// high-water mark) loses frames, which it counts. Receivers' answers (acks, pongs) travel up
// the same connections and arrive here as peer 0.
class ZeroMqPubSender : public TransportEndpoint
{
    Q_OBJECT
public:
    static constexpr int SettleMs = 300;

    explicit ZeroMqPubSender(const QString &address);
    ~ZeroMqPubSender() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; } // libzmq takes or drops every frame at once

private:
    void start();
    void readMessages();

    ZeroMqAddress m_address;
    ZeroMqSocket *m_socket = nullptr;
    int m_subscribers = 0;
    // Subscriptions carry no identity: each join gets a number of its own for peerConnected, and
    // a leave ends the latest, so the count a ReceiverTally keeps is right, if not the names.
    QVector<quint64> m_subscriberIds;
    quint64 m_lastSubscriberId = 0;
    QTimer m_settle;
    QTimer m_deadline;
};
