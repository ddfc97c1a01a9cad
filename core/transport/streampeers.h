// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QHash>
#include <QObject>

class DeviceFramer;
class QIODevice;

// The receiver side of every connection-oriented stream plugin (TCP, local sockets): gives each
// accepted connection a peer id, emits the frames read from it as the endpoint's
// frameReceived(frame, peer), and routes replies (acks) back to that connection. The plugin only
// accepts connections and says when one closed, with a reason in its own words.
class IPCWCORE_EXPORT StreamPeers : public QObject
{
    Q_OBJECT
public:
    using PeerId = TransportEndpoint::PeerId;

    // Signals are emitted as `endpoint`'s own; the endpoint must outlive this object.
    explicit StreamPeers(TransportEndpoint *endpoint);
    ~StreamPeers() override;

    // Takes ownership of a connected socket (QTcpSocket, QLocalSocket); emits peerConnected.
    PeerId add(QIODevice *socket, const QString &description);
    // The connection ended: emits peerDisconnected with `reason` plus a note on any unfinished
    // frame, and releases the socket.
    void closed(PeerId peer, const QString &reason);
    // Ends every connection (the endpoint is closing).
    void dropAll();

    void send(const QByteArray &frame, PeerId peer);
    qint64 queuedBytes() const;
    int count() const { return int(m_peers.size()); }

private:
    struct Peer
    {
        QIODevice *socket = nullptr;
        DeviceFramer *framer = nullptr;
    };

    void drop(PeerId peer, const QString &reason);

    TransportEndpoint *m_endpoint;
    QHash<PeerId, Peer> m_peers;
    PeerId m_nextPeer = 1;
};
