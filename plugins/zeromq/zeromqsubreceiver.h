// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "receiverlimits.h"
#include "transportendpoint.h"
#include "zeromqaddress.h"

class ZeroMqSocket;

// The fan-out mode's receiver: an XSUB that connects to the sender's XPUB and subscribes to
// everything. It is Listening at once: libzmq connects (and reconnects every 100 ms) on its
// own, so receivers may start before the sender and outlive it. Each connection to a sender is
// one peer, announced with its first message and gone when the monitor says it closed. Messages larger
// than any frame are refused by libzmq before allocation (it closes that connection and
// reconnects); smaller ones that are not one whole frame within the receiver's budget are
// refused here with a sentence. Answers go up the same connection and are dropped by libzmq
// when it is full, as a lossy mechanism may.
class ZeroMqSubReceiver : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit ZeroMqSubReceiver(const QString &address);
    ~ZeroMqSubReceiver() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; }

private:
    void start();
    void readMessages();
    void onPeerEvent(int event, int fd);
    // The peer whose connection (file descriptor, ZMQ_SRCFD) a message came from: announced
    // with its first message; a message from another connection means a new sender.
    PeerId currentPeer(int fd);
    void senderGone(const QString &reason);

    ZeroMqAddress m_address;
    ReceiverLimits m_limits;
    ZeroMqSocket *m_socket = nullptr;
    PeerId m_peer = 0; // 0: no sender connected
    int m_peerFd = -1;
    PeerId m_nextPeerId = 1;
    qint64 m_frameLimit = 0;
};
