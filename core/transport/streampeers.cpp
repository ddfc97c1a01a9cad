// SPDX-License-Identifier: GPL-3.0-or-later
#include "streampeers.h"

#include "connectionsecurity.h"
#include "descriptorsocket.h"
#include "deviceframer.h"
#include "handshake.h"
#include "socketwrite.h"

#include <QAbstractSocket>
#include <QElapsedTimer>
#include <QLocalSocket>
#include <QTimer>

#include <algorithm>
#include <utility>

namespace {

// What Qt may buffer for one peer that is not being read (held back, or waiting for room):
// without a limit Qt would go on reading the kernel's buffers into its own, and the peer
// would not be held back at all.
constexpr qint64 PeerReadBufferBytes = 1024 * 1024;

// Dropping a peer must not wait for its unsent bytes: abort where the device can.
void abortSocket(QIODevice *socket)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->abort();
    else if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->abort();
    else
        socket->close(); // a DescriptorSocket's close() is its abort()
}

// Hands what is queued (the last acknowledgements, typically) to the kernel without waiting.
void flushSocket(QIODevice *socket)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->flush();
    else if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->flush();
#ifdef Q_OS_UNIX
    else if (auto *descriptor = qobject_cast<DescriptorSocket *>(socket))
        descriptor->flush();
#endif
}

// Qt's supported way to stop reading a socket: once its read buffer holds this much, Qt
// stops reading the kernel (which then stops the sender) until the buffer has room again.
void setReadBufferSize(QIODevice *socket, qint64 bytes)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->setReadBufferSize(bytes);
    else if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->setReadBufferSize(bytes);
#ifdef Q_OS_UNIX
    else if (auto *descriptor = qobject_cast<DescriptorSocket *>(socket))
        descriptor->setReadBufferSize(bytes);
#endif
}

QString mebibytes(qint64 bytes)
{
    return QString::number(double(bytes) / double(ReceiverLimits::MiB), 'f', 1);
}

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'f', 1);
}

// "1 sender", "3 senders"
QString servedText(int senders)
{
    return QString::fromStdString(ipcw::native::sendersText(std::size_t(std::max(senders, 0))));
}

} // namespace

struct StreamPeers::State
{
    ReceiverLimits limits = ReceiverLimits::current();
    QByteArray token = ConnectionSecurity::current().token;
    QByteArray certificateSha256;
    PeerId nextPeer = 1;
    qint64 pendingBytes = 0; // the sum of every peer's reader.committedBytes()
    quint64 nextWaitTicket = 1;
    QElapsedTimer clock;
    QTimer deadlines;        // runs while some peer is in the middle of a frame
};

StreamPeers::StreamPeers(TransportEndpoint *endpoint)
    : QObject(endpoint), m_endpoint(endpoint), m_state(std::make_unique<State>())
{
    m_state->clock.start();
    m_state->deadlines.setSingleShot(true);
    connect(&m_state->deadlines, &QTimer::timeout, this, &StreamPeers::checkDeadlines);
}

StreamPeers::~StreamPeers()
{
    for (const Peer &p : std::as_const(m_peers)) {
        p.socket->disconnect();
        abortSocket(p.socket);
        delete p.socket;
    }
}

const ReceiverLimits &StreamPeers::limits() const
{
    return m_state->limits;
}

void StreamPeers::setLimits(const ReceiverLimits &limits)
{
    m_state->limits = limits;
    readWaitingPeers();
}

qint64 StreamPeers::pendingBytes() const
{
    return m_state->pendingBytes;
}

bool StreamPeers::tokenRequired() const
{
    return !m_state->token.isEmpty();
}

void StreamPeers::setCertificateSha256(const QByteArray &sha256)
{
    m_state->certificateSha256 = sha256;
}

void StreamPeers::refuseConnection(const QString &sentence)
{
    emit m_endpoint->streamRefused(m_state->nextPeer++, sentence);
}

StreamPeers::PeerId StreamPeers::add(QIODevice *socket, const QString &description)
{
    const PeerId peer = m_state->nextPeer++;
    socket->setParent(this);
    if (count() >= m_state->limits.maxPeers) {
        abortSocket(socket);
        socket->deleteLater();
        emit m_endpoint->streamRefused(peer, QStringLiteral("This receiver already serves %1, its limit "
                                                            "(--max-peers); the connection from %2 was closed at once.")
                                                 .arg(servedText(m_state->limits.maxPeers), description));
        return peer;
    }
    setReadBufferSize(socket, PeerReadBufferBytes);
    Peer p;
    p.socket = socket;
    p.lastProgressMs = p.connectedMs = m_state->clock.elapsed();
    p.description = description;
    p.announced = !tokenRequired();
    Handshake::ReceiverHello greeting;
    greeting.tokenRequired = tokenRequired();
    if (greeting.tokenRequired)
        p.nonce = greeting.nonce = Handshake::newNonce();
    greeting.description = QStringLiteral("IPC Workshop receiver");
    m_peers.insert(peer, p);
    connect(socket, &QIODevice::readyRead, this, [this, peer] { readPeer(peer); });
    connect(socket, &QIODevice::bytesWritten, m_endpoint, &TransportEndpoint::bytesWritten);
    connect(socket, &QIODevice::bytesWritten, this, [this, peer] { onBytesWritten(peer); });
#ifdef Q_OS_UNIX
    if (auto *descriptor = qobject_cast<DescriptorSocket *>(socket))
        connect(descriptor, &DescriptorSocket::disconnected, this, [this, peer, descriptor] {
            closed(peer, descriptor->endReason().isEmpty() ? QStringLiteral("the connection was closed")
                                                           : descriptor->endReason());
        });
#endif
    // Spoken first, so that a sender can tell a receiver from any program that accepts connections.
    socket->write(Handshake::encodeReceiverHello(greeting));
    if (p.announced)
        emit m_endpoint->peerConnected(peer, description);
    else if (!m_state->deadlines.isActive())
        m_state->deadlines.start(m_state->limits.peerTimeoutMs); // it has that long to prove the token
    return peer;
}

bool StreamPeers::authenticate(PeerId id, const QByteArray &frame)
{
    const auto it = m_peers.find(id);
    if (it == m_peers.end())
        return false;
    const QByteArray proof = Handshake::proofIn(frame);
    const bool right = !proof.isEmpty()
        && Handshake::sameProof(proof, Handshake::proofFor(m_state->token, it->nonce, m_state->certificateSha256));
    Handshake::ReceiverHello verdict;
    verdict.tokenRequired = true;
    verdict.step = right ? Handshake::Step::Accepted : Handshake::Step::Refused;
    verdict.refusal = right ? Handshake::Refusal::None : proof.isEmpty() ? Handshake::Refusal::NoProof : Handshake::Refusal::WrongProof;
    it->socket->write(Handshake::encodeReceiverHello(verdict));
    if (!right) {
        flushSocket(it->socket); // the sender learns why before the connection closes
        refuse(id, proof.isEmpty()
                       ? QStringLiteral("Its first frame was not a proof of the access token this receiver requires.")
                       : QStringLiteral("Its proof of the access token was wrong: it does not know this receiver's token."));
        return false;
    }
    it->announced = true;
    emit m_endpoint->peerConnected(id, it->description);
    readLater(id); // what followed the proof was left unread under the proof's small limit
    return true;
}

void StreamPeers::readPeer(PeerId id)
{
    const auto it = m_peers.find(id);
    if (it == m_peers.end() || it->answersBacklogged)
        return;
    Peer &p = *it;
    const ReceiverLimits &limits = m_state->limits;
    // The budget is shared: this peer may commit what the others leave free. A peer whose frame
    // does not fit is not read until room frees, rather than dropped at once: senders of large
    // frames that merely arrive together wait for each other instead of losing their
    // connections, and a good sender waits out an attacker that fills the budget. No one waits
    // for ever: a peer that holds part of the budget keeps its inactivity timeout while it
    // waits, so holders that cannot go on are dropped in their turn (checkDeadlines).
    const qint64 committedBefore = p.reader.committedBytes();
    qint64 freeForPeer = limits.maxPendingBytes - (m_state->pendingBytes - committedBefore);
    // Until it proved the token, a peer may hold no more of the budget than a proof takes.
    const bool owesProof = !p.announced;
    if (owesProof)
        freeForPeer = qMin<qint64>(freeForPeer, Handshake::ProofFrameBytes);
    const qint64 availableBefore = p.socket->bytesAvailable();
    const QByteArrayList frames = p.reader.readFrom(p.socket, qsizetype(qMax<qint64>(0, freeForPeer)));
    const qint64 committedAfter = p.reader.committedBytes();
    m_state->pendingBytes += committedAfter - committedBefore;
    if (p.socket->bytesAvailable() < availableBefore)
        p.lastProgressMs = m_state->clock.elapsed();
    const DecodeError error = p.reader.error();
    const qsizetype frameBytes = p.reader.frameBytes();
    const bool midFrame = p.reader.pendingBytes() > 0;
    const bool waiting = !p.reader.failed() && p.socket->bytesAvailable() > 0 && p.reader.nextCommitBytes() > 0;
    if (waiting && !p.waitingForRoom)
        p.waitTicket = m_state->nextWaitTicket++;
    p.waitingForRoom = waiting;

    // `p` may be gone from here: whoever receives a frame may close the endpoint.
    for (qsizetype i = 0; i < frames.size(); ++i) {
        if (i == 0 && owesProof) {
            if (!authenticate(id, frames.first()))
                return;
            continue; // the proof is the handshake's, not the session's
        }
        emit m_endpoint->frameReceived(frames.at(i), id);
    }
    if (error != DecodeError::None)
        refuse(id, DeviceFramer::outOfStepSentence(error));
    else if (owesProof && frames.isEmpty() && frameBytes > Handshake::ProofFrameBytes)
        refuse(id, QStringLiteral("Its first frame announced %1 bytes, where a proof of the access token this "
                                  "receiver requires takes %2.").arg(frameBytes).arg(Handshake::ProofFrameBytes));
    else if (frameBytes > limits.maxPendingBytes)
        refuse(id, QStringLiteral("It announced a frame of %1 bytes, more than this receiver's whole budget for "
                                  "unfinished frames (%2 MiB, --max-pending-mib); the connection was closed.")
                       .arg(frameBytes).arg(mebibytes(limits.maxPendingBytes)));
    if (committedAfter < committedBefore) // a frame was finished: its room may let others go on
        readWaitingPeers();
    if (midFrame && !m_state->deadlines.isActive())
        m_state->deadlines.start(limits.peerTimeoutMs);
}

void StreamPeers::readLater(PeerId peer)
{
    QMetaObject::invokeMethod(this, [this, peer] {
        if (!m_peers.contains(peer))
            return;
        readPeer(peer);
        // Qt stopped reading this socket when its buffer filled; setting the size again is how
        // it is told to look at the kernel once more (reading alone is not documented to).
        if (const auto it = m_peers.constFind(peer); it != m_peers.cend() && !it->answersBacklogged) {
            setReadBufferSize(it->socket, 0);
            setReadBufferSize(it->socket, PeerReadBufferBytes);
        }
    }, Qt::QueuedConnection);
}

void StreamPeers::readWaitingPeers()
{
    QList<std::pair<quint64, PeerId>> waiting;
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it)
        if (it->waitingForRoom)
            waiting.append({it->waitTicket, it.key()});
    std::sort(waiting.begin(), waiting.end());
    for (const auto &[ticket, peer] : std::as_const(waiting))
        readLater(peer); // queued calls run in order: the first takes the room
}

void StreamPeers::onBytesWritten(PeerId peer)
{
    const auto it = m_peers.find(peer);
    if (it == m_peers.end() || !it->answersBacklogged)
        return;
    // Half the cap, so that a peer reading slowly is not switched on and off for every ack.
    if (it->socket->bytesToWrite() > m_state->limits.maxUnsentBytes / 2)
        return;
    it->answersBacklogged = false;
    readLater(peer);
}

void StreamPeers::checkDeadlines()
{
    const qint64 now = m_state->clock.elapsed();
    const ReceiverLimits &limits = m_state->limits;
    qint64 next = -1;
    QList<std::pair<PeerId, QString>> expired;
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        const Peer &p = *it;
        if (!p.announced) {
            const qint64 proofDeadline = p.connectedMs + limits.peerTimeoutMs;
            if (proofDeadline > now) {
                next = next < 0 ? proofDeadline : qMin(next, proofDeadline);
                continue;
            }
            expired.append({it.key(), QStringLiteral("It did not prove that it knows this receiver's access token "
                                                     "within %1 s (--peer-timeout).").arg(seconds(limits.peerTimeoutMs))});
            continue;
        }
        if (p.reader.pendingBytes() == 0)
            continue; // between frames a sender may stay idle as long as it likes
        if (p.waitingForRoom && p.reader.committedBytes() == 0)
            continue; // waits for others and holds nothing: it cannot be what blocks them
        const qint64 deadline = p.lastProgressMs + limits.peerTimeoutMs;
        if (deadline > now) {
            next = next < 0 ? deadline : qMin(next, deadline);
            continue;
        }
        const QString progress = p.reader.frameBytes() > 0
            ? QStringLiteral("%1 of the %2 bytes of its frame had arrived").arg(p.reader.pendingBytes()).arg(p.reader.frameBytes())
            : QStringLiteral("%1 of the %2 bytes of a frame header had arrived").arg(p.reader.pendingBytes()).arg(Wire::HeaderSize);
        const QString idle = seconds(now - p.lastProgressMs);
        QString sentence;
        if (p.answersBacklogged)
            sentence = QStringLiteral("It stopped reading its answers in the middle of a frame: %1 bytes of answers "
                                      "wait for it (the limit is %2 MiB, --max-unsent-mib), %3, and it was held back "
                                      "for %4 s (the limit is %5 s, --peer-timeout).")
                           .arg(p.socket->bytesToWrite()).arg(mebibytes(limits.maxUnsentBytes), progress, idle,
                                                             seconds(limits.peerTimeoutMs));
        else if (p.waitingForRoom)
            sentence = QStringLiteral("Its frame waited %1 s for room (the limit is %2 s, --peer-timeout): %3, and "
                                      "unfinished frames held %4 MiB of this receiver's %5 MiB budget "
                                      "(--max-pending-mib).")
                           .arg(idle, seconds(limits.peerTimeoutMs), progress, mebibytes(m_state->pendingBytes),
                                mebibytes(limits.maxPendingBytes));
        else
            sentence = QStringLiteral("It stopped in the middle of a frame: %1, then nothing came for %2 s "
                                      "(the limit is %3 s, --peer-timeout).")
                           .arg(progress, idle, seconds(limits.peerTimeoutMs));
        expired.append({it.key(), sentence + QStringLiteral(" The partial frame was discarded.")});
    }
    for (const auto &[peer, sentence] : std::as_const(expired))
        refuse(peer, sentence);
    if (next >= 0)
        m_state->deadlines.start(int(next - now));
}

void StreamPeers::refuse(PeerId peer, const QString &sentence)
{
    const auto it = m_peers.constFind(peer);
    if (it == m_peers.cend())
        return;
    // A peer not yet announced has no name the session knows: the sentence gives its address.
    emit m_endpoint->streamRefused(peer, it->announced ? sentence
                                                       : sentence + QStringLiteral(" The connection came from %1.").arg(it->description));
    drop(peer, QStringLiteral("this receiver refused it"));
}

void StreamPeers::closed(PeerId peer, const QString &reason)
{
    const Peer p = m_peers.value(peer);
    if (!p.socket)
        return;
    if (!p.announced) { // a sender without the token gives up on its own: still a refused attempt
        refuse(peer, QStringLiteral("It closed the connection without proving that it knows this receiver's access "
                                    "token (%1).").arg(reason));
        return;
    }
    QString full = reason;
    if (const QString note = DeviceFramer::incompleteFrameNote(p.reader.pendingBytes()); !note.isEmpty())
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
    m_state->deadlines.stop();
}

void StreamPeers::drop(PeerId peer, const QString &reason)
{
    const Peer p = m_peers.take(peer);
    if (!p.socket)
        return;
    m_state->pendingBytes -= p.reader.committedBytes();
    p.socket->disconnect(this);
    p.socket->disconnect(m_endpoint);
    abortSocket(p.socket);
    p.socket->deleteLater();
    if (p.announced) // one refused before it proved the token was never a peer
        emit m_endpoint->peerDisconnected(peer, reason);
    if (p.reader.committedBytes() > 0)
        readWaitingPeers();
}

void StreamPeers::send(const QByteArray &frame, PeerId peer)
{
    const auto it = m_peers.find(peer);
    if (it == m_peers.end())
        return;
    writeFrameToSocket(it->socket, frame);
    // Past the cap the peer is not read (readPeer) until its answers drain (onBytesWritten):
    // a sender that never reads is then held back by the kernel's buffers, not by our memory.
    if (it->socket->bytesToWrite() > m_state->limits.maxUnsentBytes)
        it->answersBacklogged = true;
}

qint64 StreamPeers::queuedBytes() const
{
    qint64 total = 0;
    for (const Peer &p : m_peers)
        total += p.socket->bytesToWrite();
    return total;
}
