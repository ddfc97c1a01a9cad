// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connectionsecurity.h"
#include "receiverlimits.h"
#include "transportendpoint.h"
#include "zeromqaddress.h"

#include <QHash>
#include <QTimer>

#include <deque>
#include <vector>

class ZeroMqSocket;

// The acknowledged mode's receiver: a ROUTER bound to the address. Every sender is a DEALER
// known by the routing id libzmq gives its connection. A sender's first message must be its
// Hello; the receiver answers with its own Hello (docs/wire-format.md, "Handshake"), with a
// challenge when an access token is required, and only then passes the sender's frames on.
// What is not a whole frame is refused with a sentence and the sender kept. Answers that
// libzmq cannot take now (the sender's queue is at its high-water mark) wait here, up to
// ReceiverLimits::maxUnsentBytes per sender; beyond that the sender is refused. The socket
// monitor tells when a sender's connection closed; the sender is forgotten only once the
// messages its connection left (its Bye) have been read.
class ZeroMqRouterReceiver : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit ZeroMqRouterReceiver(const QString &address);
    ~ZeroMqRouterReceiver() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    struct Peer
    {
        PeerId id = 0;
        QByteArray routingId;
        int fd = -1;
        QString name;        // "the zeromq sender pid 123 (…)"
        QByteArray nonce;    // the token challenge it was greeted with
        bool announced = false;
        std::deque<QByteArray> unsent;
        qint64 unsentBytes = 0;
    };

    void listenNow();
    void readMessages();
    void admit(const QByteArray &routingId, const QByteArray &hello, int fd, const QString &peerAddress);
    void authenticate(Peer &peer, const QByteArray &frame);
    // Sends what waits, peer by peer; refuses a peer whose answers passed the limit.
    void flushAnswers();
    bool deliver(Peer &peer, const QByteArray &frame);
    void forget(const QByteArray &routingId, const QString &reason, bool refused);
    void onPeerEvent(int event, int fd);
    void forgetClosedConnections();

    ZeroMqAddress m_address;
    ReceiverLimits m_limits;
    ConnectionSecurity m_security;
    ZeroMqSocket *m_socket = nullptr;
    QHash<QByteArray, Peer> m_peers; // by routing id
    PeerId m_nextPeerId = 1;
    qint64 m_frameLimit = 0;
    QTimer m_retry; // only while answers wait: libzmq's edge may not say a full queue drained
    bool m_reading = false;
    std::vector<QByteArray> m_closedConnections; // routing ids, forgotten when the queue is read
};
