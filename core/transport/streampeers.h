// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "framestreamreader.h"
#include "receiverlimits.h"
#include "transportendpoint.h"

#include <QHash>
#include <QObject>

#include <memory>

class QIODevice;

// The receiver side of every connection-oriented stream plugin (TCP, local sockets): gives each
// accepted connection a peer id, emits the frames read from it as the endpoint's
// frameReceived(frame, peer), and routes replies (acks) back to that connection. The plugin only
// accepts connections and says when one closed, with a reason in its own words.
//
// It also enforces the endpoint's ReceiverLimits (read from ReceiverLimits::current() when
// created): a budget for unfinished frames of all peers together, a time limit for a peer
// stopped in the middle of a frame, a number of peers, and a cap on each peer's unsent answers
// (beyond it the peer is not read until they drain, so a sender that never reads is held back
// by the kernel's buffers). Every refusal is emitted as the endpoint's streamRefused(peer,
// sentence) before the peer is dropped.
//
// It speaks first on every connection: the receiver's Hello (docs/wire-format.md, "Handshake"),
// so a sender knows it reached a receiver. When an access token is required (one was set in
// ConnectionSecurity when it was created), a peer is announced
// (peerConnected) and its frames passed on only once it proved it knows the token; a peer
// that proves nothing, a wrong proof or none within the peer timeout, is refused. Sockets must be
// QAbstractSocket, QLocalSocket or DescriptorSocket: their read buffer is limited so that a peer
// that is not read cannot grow it.
class IPCWCORE_EXPORT StreamPeers : public QObject
{
    Q_OBJECT
public:
    using PeerId = TransportEndpoint::PeerId;

    // Signals are emitted as `endpoint`'s own; the endpoint must outlive this object.
    explicit StreamPeers(TransportEndpoint *endpoint);
    ~StreamPeers() override;

    // Takes ownership of a connected socket (QTcpSocket, QLocalSocket, DescriptorSocket); emits
    // peerConnected. Over ReceiverLimits::maxPeers the socket is closed at once and only
    // streamRefused is emitted for its id. A DescriptorSocket's end is noticed here; for Qt's
    // sockets the plugin calls closed().
    PeerId add(QIODevice *socket, const QString &description);
    // The connection ended: emits peerDisconnected with `reason` plus a note on any unfinished
    // frame, and releases the socket.
    void closed(PeerId peer, const QString &reason);
    // Ends every connection (the endpoint is closing).
    void dropAll();

    void send(const QByteArray &frame, PeerId peer);
    qint64 queuedBytes() const;
    int count() const { return int(m_peers.size()); }

    // Refuses a connection that never became a peer (a failed TLS handshake): emits only
    // streamRefused, with a fresh id, as for one peer too many.
    void refuseConnection(const QString &sentence);

    // Whether every peer must prove it knows an access token (one was set when it was created).
    bool tokenRequired() const;
    // The SHA-256 of this receiver's TLS certificate: a token proof is bound to it.
    void setCertificateSha256(const QByteArray &sha256);

    const ReceiverLimits &limits() const;
    // Applies from the next byte read; peers already connected are kept even over a new cap.
    void setLimits(const ReceiverLimits &limits);
    // Memory committed to unfinished frames, all peers together (what maxPendingBytes bounds).
    qint64 pendingBytes() const;

private:
    struct Peer
    {
        QIODevice *socket = nullptr;
        FrameStreamReader reader;
        qint64 lastProgressMs = 0;      // on the monotonic clock: when bytes last came in
        bool waitingForRoom = false;    // its frame needs more of the budget than is free
        quint64 waitTicket = 0;         // waiting peers get room in the order they began to wait
        bool answersBacklogged = false; // too many answers unsent: not read until they drain
        bool announced = false;         // peerConnected emitted: authenticated, or no token needed
        qint64 connectedMs = 0;         // on the monotonic clock: its deadline to prove the token
        QByteArray nonce;               // the challenge it was greeted with
        QString description;
    };
    struct State;

    void readPeer(PeerId peer);
    // The first frame of a peer that owes a token proof: true if the peer is now announced.
    bool authenticate(PeerId peer, const QByteArray &frame);
    // Reads `peer` from the event loop, and tells Qt to read its socket again.
    void readLater(PeerId peer);
    // Room in the budget freed: the peers waiting for it may go on, longest waiting first.
    void readWaitingPeers();
    void onBytesWritten(PeerId peer);
    void refuse(PeerId peer, const QString &sentence);
    void drop(PeerId peer, const QString &reason);
    // Drops the peers stopped mid-frame for too long; arms the timer for the next deadline.
    void checkDeadlines();

    TransportEndpoint *m_endpoint;
    QHash<PeerId, Peer> m_peers;
    std::unique_ptr<State> m_state; // keeps the object's size as before (plugins allocate it)
};
