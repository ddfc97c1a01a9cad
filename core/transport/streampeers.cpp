// SPDX-License-Identifier: GPL-3.0-or-later
#include "streampeers.h"

#include "deviceframer.h"

#include <QAbstractSocket>
#include <QLocalSocket>

namespace {

// Dropping a peer must not wait for its unsent bytes: abort where the device can.
void abortSocket(QIODevice *socket)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->abort();
    else if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->abort();
    else
        socket->close();
}

// Hands what is queued (the last acknowledgements, typically) to the kernel without waiting.
void flushSocket(QIODevice *socket)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->flush();
    else if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->flush();
}

} // namespace

StreamPeers::StreamPeers(TransportEndpoint *endpoint) : QObject(endpoint), m_endpoint(endpoint)
{
}

StreamPeers::~StreamPeers()
{
    for (const Peer &p : std::as_const(m_peers)) {
        p.socket->disconnect();
        abortSocket(p.socket);
        delete p.socket;
    }
}

StreamPeers::PeerId StreamPeers::add(QIODevice *socket, const QString &description)
{
    const PeerId peer = m_nextPeer++;
    socket->setParent(this);
    auto *framer = new DeviceFramer(socket, socket);
    m_peers.insert(peer, Peer{socket, framer});
    connect(framer, &DeviceFramer::frameReady, m_endpoint, [this, peer](const QByteArray &frame) {
        emit m_endpoint->frameReceived(frame, peer);
    });
    connect(framer, &DeviceFramer::streamCorrupt, this, [this, peer](const QString &sentence) { drop(peer, sentence); });
    connect(socket, &QIODevice::bytesWritten, m_endpoint, &TransportEndpoint::bytesWritten);
    emit m_endpoint->peerConnected(peer, description);
    return peer;
}

void StreamPeers::closed(PeerId peer, const QString &reason)
{
    const Peer p = m_peers.value(peer);
    if (!p.socket)
        return;
    QString full = reason;
    if (const QString note = p.framer->incompleteFrameNote(); !note.isEmpty())
        full += QStringLiteral("; ") + note;
    drop(peer, full);
}

void StreamPeers::dropAll()
{
    // Closing our own end: write() only queues until the event loop runs again, and a receiver
    // that closes right after acknowledging its last frame must still send that ack.
    for (const Peer &p : std::as_const(m_peers))
        flushSocket(p.socket);
    const auto peers = m_peers.keys();
    for (PeerId peer : peers)
        drop(peer, QString());
}

void StreamPeers::drop(PeerId peer, const QString &reason)
{
    const Peer p = m_peers.take(peer);
    if (!p.socket)
        return;
    p.socket->disconnect(this);
    p.socket->disconnect(m_endpoint);
    p.framer->disconnect(this);
    p.framer->disconnect(m_endpoint);
    abortSocket(p.socket);
    p.socket->deleteLater();
    emit m_endpoint->peerDisconnected(peer, reason);
}

void StreamPeers::send(const QByteArray &frame, PeerId peer)
{
    if (QIODevice *socket = m_peers.value(peer).socket)
        socket->write(frame);
}

qint64 StreamPeers::queuedBytes() const
{
    qint64 total = 0;
    for (const Peer &p : m_peers)
        total += p.socket->bytesToWrite();
    return total;
}
