// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqrouterreceiver.h"

#include "handshake.h"
#include "zeromqsocket.h"
#include "wireformat.h"
#include "zeromqwire.h"
#include "native/receivelimits.h"

#include <QFile>

#include <zmq.h>

#include <algorithm>
#include <utility>

namespace {
constexpr int RetryMs = 5;
} // namespace

ZeroMqRouterReceiver::ZeroMqRouterReceiver(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address),
      m_limits(ReceiverLimits::current()),
      m_security(ConnectionSecurity::current())
{
    m_frameLimit = std::min<qint64>(ZeroMqWire::maxFrameBytes(), std::max<qint64>(m_limits.maxPendingBytes, Wire::HeaderSize));
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &ZeroMqRouterReceiver::flushAnswers);
}

ZeroMqRouterReceiver::~ZeroMqRouterReceiver() = default;

void ZeroMqRouterReceiver::open()
{
    if (const QString error = ZeroMqAddress::parse(address(), QStringLiteral("zeromq"), &m_address); !error.isEmpty())
        return fail(error);
    if (m_address.leavesMachine() && m_security.token.isEmpty())
        return fail(QStringLiteral("%1 can be reached from other machines, so a receiver there needs an access token that "
                                   "senders must prove they know: give one (--token-file FILE or the IPCW_TOKEN variable, "
                                   "or the Token field), or listen on 127.0.0.1 or an ipc name.").arg(address()));
    if (m_security.tls)
        return fail(QStringLiteral("The zeromq transport has no TLS (ZeroMQ's own CURVE encryption is not used here): "
                                   "start the receiver without TLS, or use tcp."));
    setState(State::Opening);
    // Deferred: no result while the caller is still inside open().
    QTimer::singleShot(0, this, &ZeroMqRouterReceiver::listenNow);
}

void ZeroMqRouterReceiver::listenNow()
{
    if (state() != State::Opening)
        return;
    QString error;
    m_socket = new ZeroMqSocket(ZMQ_ROUTER, this, &error);
    if (!error.isEmpty())
        return fail(error);
    // libzmq refuses (closes the connection of) a message larger than any frame before it
    // allocates it; a smaller one beyond this receiver's budget is refused below, by size.
    m_socket->setOption64(ZMQ_MAXMSGSIZE, ZeroMqWire::maxFrameBytes());
    m_socket->setOption(ZMQ_ROUTER_MANDATORY, 1); // a full or vanished sender is told, not silently skipped
    m_socket->setOption(ZMQ_IPV6, 1);
    m_socket->watchPeers(ZMQ_EVENT_DISCONNECTED);
    connect(m_socket, &ZeroMqSocket::readable, this, &ZeroMqRouterReceiver::readMessages);
    connect(m_socket, &ZeroMqSocket::writable, this, &ZeroMqRouterReceiver::flushAnswers);
    connect(m_socket, &ZeroMqSocket::peerEvent, this, &ZeroMqRouterReceiver::onPeerEvent);
    if (const QString problem = m_socket->bindPrivately(m_address, QStringLiteral("zeromq receiver")); !problem.isEmpty()) {
        m_socket->deleteLater(); // not bound: close() must not remove another's socket file
        m_socket = nullptr;
        return fail(problem);
    }
    setState(State::Listening);
    m_socket->pumpLater(); // senders that came before the notifier was watched
}

void ZeroMqRouterReceiver::close()
{
    m_retry.stop();
    m_closedConnections.clear();
    std::vector<PeerId> ids;
    for (const Peer &p : std::as_const(m_peers))
        if (p.announced)
            ids.push_back(p.id);
    m_peers.clear();
    for (PeerId id : ids)
        emit peerDisconnected(id, QString()); // closed by this receiver: not news
    if (m_socket) {
        m_socket->close(0);
        m_socket->deleteLater();
        m_socket = nullptr;
        if (m_address.ipc && state() == State::Listening)
            QFile::remove(m_address.socketPath);
    }
    setState(State::Closed);
}

void ZeroMqRouterReceiver::readMessages()
{
    if (m_reading)
        return; // a slot of ours called back in: the loop below reads on anyway
    m_reading = true;
    ZeroMqSocket::Message m;
    while (m_socket && m_socket->receive(&m)) {
        const QByteArray &routingId = m.parts.front();
        const auto it = m_peers.find(routingId);
        if (m.partCount != 2) {
            emit messageRefused(it == m_peers.end() ? 0 : it->id,
                                QStringLiteral("A zeromq message of %1 parts came from %2 and was dropped: a sender sends "
                                               "each frame as a message of one part.")
                                    .arg(m.partCount - 1).arg(it == m_peers.end() ? QStringLiteral("a peer that has not said hello") : it->name));
            continue;
        }
        const QByteArray &data = m.parts[1];
        if (it == m_peers.end()) {
            admit(routingId, data, m.sourceFd, m.peerAddress);
            continue;
        }
        Peer &peer = *it;
        if (!peer.announced) {
            authenticate(peer, data);
            continue;
        }
        if (const QString problem = ZeroMqWire::frameProblem(data, m_frameLimit); !problem.isEmpty()) {
            emit messageRefused(peer.id, QStringLiteral("A message of %1 bytes from %2 is not one whole frame (%3); it was "
                                                        "dropped, the sender stays.")
                                             .arg(data.size()).arg(peer.name, problem));
            continue;
        }
        emit frameReceived(data, peer.id);
    }
    m_reading = false;
    forgetClosedConnections();
}

void ZeroMqRouterReceiver::admit(const QByteArray &routingId, const QByteArray &hello, int fd, const QString &peerAddress)
{
    const QString from = m_address.ipc || peerAddress.isEmpty() ? QStringLiteral("a ZeroMQ peer")
                                                                : QStringLiteral("a ZeroMQ peer at %1").arg(peerAddress);
    if (const QString problem = ZeroMqWire::frameProblem(hello, ZeroMqWire::MaxHelloBytes);
        !problem.isEmpty() || !ZeroMqWire::isHello(hello)) {
        // Nothing is kept of a stranger, so a flood of them costs nothing but the sentences.
        emit messageRefused(0, QStringLiteral("A message of %1 bytes from %2 that has not said hello was dropped: a sender's "
                                              "first message must be its Hello frame (%3).")
                                   .arg(hello.size()).arg(from, problem.isEmpty() ? QStringLiteral("this was another frame") : problem));
        return;
    }
    // Senders are told apart at their close by their file descriptor, which the OS hands to the
    // next connection once the last one on it closed. libzmq queues the monitor's "closed"
    // before it frees the descriptor, but a busy event loop may read this hello first: take
    // every queued close now, or the previous holder's would be taken for this sender's (and
    // the places it frees under --max-peers would be counted as taken).
    m_socket->readPeerEventsNow();
    if (!m_socket)
        return; // a slot of a departed sender's closed this receiver
    if (m_peers.size() >= std::max(m_limits.maxPeers, 0)) {
        emit streamRefused(m_nextPeerId++, QStringLiteral("This receiver already serves %1, its limit (--max-peers); "
                                                          "%2 was turned away and will not be answered.")
                                               .arg(QString::fromStdString(ipcw::native::sendersText(m_peers.size())),
                                                    from));
        return;
    }
    Peer p;
    p.id = m_nextPeerId++;
    p.routingId = routingId;
    p.fd = fd;
    p.name = ZeroMqWire::helloDescription(hello);
    if (p.name.isEmpty())
        p.name = QStringLiteral("zeromq sender");
    if (!m_address.ipc && !peerAddress.isEmpty())
        p.name += QStringLiteral(" at ") + peerAddress;
    p.announced = m_security.token.isEmpty();
    Handshake::ReceiverHello greeting;
    greeting.tokenRequired = !p.announced;
    if (greeting.tokenRequired)
        p.nonce = greeting.nonce = Handshake::newNonce();
    greeting.description = QStringLiteral("IPC Workshop zeromq receiver");
    deliver(*m_peers.insert(routingId, p), Handshake::encodeReceiverHello(greeting));
    // deliver() forgets a sender whose connection is already gone.
    if (const auto it = m_peers.constFind(routingId); it != m_peers.cend() && it->announced)
        emit peerConnected(it->id, it->name);
}

void ZeroMqRouterReceiver::authenticate(Peer &peer, const QByteArray &frame)
{
    const QByteArray proof = Handshake::proofIn(frame);
    const bool right = !proof.isEmpty() && Handshake::sameProof(proof, Handshake::proofFor(m_security.token, peer.nonce));
    Handshake::ReceiverHello verdict;
    verdict.tokenRequired = true;
    verdict.step = right ? Handshake::Step::Accepted : Handshake::Step::Refused;
    verdict.refusal = right ? Handshake::Refusal::None : proof.isEmpty() ? Handshake::Refusal::NoProof : Handshake::Refusal::WrongProof;
    const PeerId id = peer.id;
    const QString name = peer.name;
    const QByteArray routingId = peer.routingId;
    deliver(peer, Handshake::encodeReceiverHello(verdict)); // may forget `peer`: use the copies
    if (!right) {
        m_peers.remove(routingId);
        emit streamRefused(id, QStringLiteral("%1 %2").arg(name, proof.isEmpty()
                                   ? QStringLiteral("did not prove it knows the access token this receiver requires.")
                                   : QStringLiteral("gave a wrong proof of the access token: it does not know this receiver's token.")));
        return;
    }
    if (const auto it = m_peers.find(routingId); it != m_peers.end()) {
        it->announced = true;
        emit peerConnected(id, name);
    }
}

void ZeroMqRouterReceiver::sendFrame(const QByteArray &frame, PeerId peerId)
{
    if (state() != State::Listening)
        return;
    const auto it = std::find_if(m_peers.begin(), m_peers.end(), [peerId](const Peer &p) { return p.id == peerId; });
    if (it != m_peers.end() && it->announced)
        deliver(*it, frame);
}

bool ZeroMqRouterReceiver::deliver(Peer &peer, const QByteArray &frame)
{
    if (peer.unsent.empty()) {
        const int error = m_socket->send({peer.routingId, frame});
        if (error == 0)
            return true;
        if (error == EHOSTUNREACH) {
            forget(peer.routingId, QStringLiteral("its connection is gone"), false);
            return false;
        }
    }
    peer.unsent.push_back(frame);
    peer.unsentBytes += frame.size();
    if (peer.unsentBytes > m_limits.maxUnsentBytes) {
        forget(peer.routingId, QStringLiteral("%1 does not read its answers: %2 MiB of them wait unsent, more than this "
                                              "receiver's limit of %3 MiB per sender (--max-unsent-mib).")
                                   .arg(peer.name).arg(double(peer.unsentBytes) / ReceiverLimits::MiB, 0, 'f', 1)
                                   .arg(double(m_limits.maxUnsentBytes) / ReceiverLimits::MiB, 0, 'f', 1),
               true);
        return false;
    }
    if (!m_retry.isActive())
        m_retry.start(RetryMs);
    return false;
}

void ZeroMqRouterReceiver::flushAnswers()
{
    bool waiting = false;
    bool wrote = false;
    std::vector<QByteArray> gone;
    for (Peer &peer : m_peers) {
        while (!peer.unsent.empty()) {
            const int error = m_socket->send({peer.routingId, peer.unsent.front()});
            if (error == EHOSTUNREACH) {
                gone.push_back(peer.routingId);
                break;
            }
            if (error != 0) {
                waiting = true;
                break;
            }
            peer.unsentBytes -= peer.unsent.front().size();
            peer.unsent.pop_front();
            wrote = true;
        }
    }
    for (const QByteArray &routingId : gone)
        forget(routingId, QStringLiteral("its connection is gone"), false);
    if (waiting && !m_retry.isActive())
        m_retry.start(RetryMs);
    if (wrote)
        emit bytesWritten();
}

void ZeroMqRouterReceiver::forget(const QByteArray &routingId, const QString &reason, bool refused)
{
    const auto it = m_peers.find(routingId);
    if (it == m_peers.end())
        return;
    const PeerId id = it->id;
    const bool announced = it->announced;
    m_peers.erase(it);
    if (refused)
        emit streamRefused(id, reason);
    else if (announced)
        emit peerDisconnected(id, reason);
}

void ZeroMqRouterReceiver::onPeerEvent(int event, int fd)
{
    if (event != ZMQ_EVENT_DISCONNECTED)
        return;
    // libzmq's I/O thread hands a sender's last messages (its Bye) to the ROUTER before it
    // reports the close, but the report comes through the monitor, whose notifier may fire
    // first. So the sender is marked now, by routing id (the descriptor may go to the next
    // connection), and forgotten once the ROUTER's queue has been read.
    for (const Peer &p : std::as_const(m_peers))
        if (p.fd == fd)
            m_closedConnections.push_back(p.routingId);
    if (m_reading || !m_socket)
        return; // admit() took this close from inside the reading loop, which forgets it when done
    m_socket->readWaitingNow();
    forgetClosedConnections();
}

void ZeroMqRouterReceiver::forgetClosedConnections()
{
    const std::vector<QByteArray> closed = std::exchange(m_closedConnections, {});
    for (const QByteArray &routingId : closed)
        forget(routingId, QStringLiteral("its ZeroMQ connection closed"), false);
}

qint64 ZeroMqRouterReceiver::queuedBytes() const
{
    qint64 total = 0;
    for (const Peer &p : m_peers)
        total += p.unsentBytes;
    return total;
}
