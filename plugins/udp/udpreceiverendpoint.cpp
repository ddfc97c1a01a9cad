// SPDX-License-Identifier: GPL-3.0-or-later
#include "udpreceiverendpoint.h"

#include "udpdatagram.h"
#include "udpsockets.h"

#include <QCoreApplication>

#include <algorithm>

using ipcw::native::DatagramHeader;
using ipcw::native::DatagramKind;
using ipcw::native::FragmentReassembly;

namespace {
// A sender silent this many peer timeouts is taken as gone: UDP has no connection that breaks.
constexpr int SilentPeerTimeouts = 3;
} // namespace

UdpReceiverEndpoint::Peer::Peer() : reassembly(ipcw::udp::MaxFrameBytes, "a udp frame") {}

UdpReceiverEndpoint::UdpReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address),
      m_limits(ReceiverLimits::current()),
      m_socket(new QUdpSocket(this))
{
    m_budget.setLimit(quint64(std::max<qint64>(m_limits.maxPendingBytes, 0)));
    m_housekeeping.setSingleShot(true);
    connect(&m_housekeeping, &QTimer::timeout, this, &UdpReceiverEndpoint::housekeep);
    connect(m_socket, &QUdpSocket::readyRead, this, &UdpReceiverEndpoint::readDatagrams);
    m_clock.start();
}

UdpReceiverEndpoint::~UdpReceiverEndpoint() = default;

QString UdpReceiverEndpoint::placeName() const
{
    return m_address.multicast ? QStringLiteral("the udp multicast group %1 port %2").arg(m_address.host.toString()).arg(m_address.port)
                               : QStringLiteral("udp port %1 on %2").arg(m_address.port).arg(m_address.host.toString());
}

void UdpReceiverEndpoint::open()
{
    if (const QString error = UdpAddress::parse(address(), &m_address); !error.isEmpty()) {
        fail(error);
        return;
    }
    setState(State::Opening);
    // Deferred: no result while the caller is still inside open().
    QTimer::singleShot(0, this, [this] {
        if (state() != State::Opening)
            return;
        QString error;
        if (m_address.multicast) {
            // Shared, so that every receiver on this machine can join the group on this port.
            if (!m_socket->bind(QHostAddress::AnyIPv4, m_address.port, QAbstractSocket::ShareAddress | QAbstractSocket::ReuseAddressHint)) {
                fail(QStringLiteral("Cannot bind udp port %1 for %2: %3.").arg(m_address.port).arg(placeName(), m_socket->errorString()));
                return;
            }
            const QNetworkInterface iface = UdpSockets::multicastInterface(m_address, &error);
            if (!error.isEmpty()) {
                m_socket->close();
                fail(error);
                return;
            }
            if (!m_socket->joinMulticastGroup(m_address.host, iface)) {
                const QString why = m_socket->errorString();
                m_socket->close();
                fail(QStringLiteral("Cannot join the multicast group %1 on the interface %2: %3. Check that the interface "
                                    "has multicast, or name another with interface=<IPv4 address>.")
                         .arg(m_address.host.toString(), iface.humanReadableName(), why));
                return;
            }
        } else if (!m_socket->bind(m_address.host, m_address.port, QAbstractSocket::DontShareAddress)) {
            if (m_socket->error() == QAbstractSocket::AddressInUseError)
                fail(QStringLiteral("Port %1 on %2 is already in use: another receiver (or program) is bound there. Pick "
                                    "another port, or use a multicast group, which several receivers share.")
                         .arg(m_address.port).arg(m_address.host.toString()));
            else
                fail(QStringLiteral("Cannot bind %1: %2.").arg(placeName(), m_socket->errorString()));
            return;
        }
        UdpSockets::enlargeReceiveBuffer(m_socket);
        m_readBuffer.resize(UdpAddress::MaxDatagramBytes + 1);
        setState(State::Listening);
        readDatagrams(); // any that came before the notifier was watched
    });
}

void UdpReceiverEndpoint::close()
{
    const std::vector<std::uint8_t> leave = ipcw::native::controlDatagram(ipcw::udp::DatagramMagic, DatagramKind::Leave,
                                                                          quint32(QCoreApplication::applicationPid()), 0, {});
    std::vector<PeerId> ids;
    for (const auto &entry : m_peers) {
        sendDatagram(*entry.second, leave.data(), leave.size());
        ids.push_back(entry.second->id);
    }
    m_peers.clear();
    for (PeerId id : ids)
        emit peerDisconnected(id, QString()); // closed by this receiver: not news
    m_housekeeping.stop();
    m_socket->close(); // leaves the group too
    setState(State::Closed);
}

void UdpReceiverEndpoint::readDatagrams()
{
    UdpSockets::readPending(m_socket, m_readBuffer, [this](const QHostAddress &from, quint16 fromPort, const std::uint8_t *data,
                                                           std::size_t size) {
        handleDatagram(from, fromPort, data, size);
        return true;
    });
    // Always: a frame begun now may have a deadline earlier than the one the timer waits for.
    housekeep();
}

QString UdpReceiverEndpoint::senderName(const Peer &peer) const
{
    return QStringLiteral("The udp sender pid %1%2 at %3:%4")
        .arg(peer.pid)
        .arg(peer.slot ? QStringLiteral(" (channel %1)").arg(peer.slot) : QString())
        .arg(peer.address.toString())
        .arg(peer.port);
}

void UdpReceiverEndpoint::handleDatagram(const QHostAddress &from, quint16 fromPort, const std::uint8_t *data, std::size_t size)
{
    DatagramHeader h;
    if (!ipcw::native::readDatagramHeader(data, size, ipcw::udp::DatagramMagic, &h) || h.pid == 0
        || h.kind == DatagramKind::Wake) {
        emit messageRefused(0, QStringLiteral("A datagram of %1 bytes from %2:%3 that no IPC Workshop udp sender wrote arrived "
                                              "on %4 and was dropped.")
                                   .arg(size).arg(from.toString()).arg(fromPort).arg(placeName()));
        return;
    }
    const PeerKey key{from.toIPv4Address(), fromPort, h.pid, h.slot};
    auto it = m_peers.find(key);
    const std::uint8_t *payload = data + ipcw::native::DatagramHeaderBytes;
    const std::size_t payloadSize = size - ipcw::native::DatagramHeaderBytes;
    switch (h.kind) {
    case DatagramKind::Hello: {
        // The same address, port, pid and slot is the same socket: a repeated Hello (a unicast
        // sender's retry, a multicast sender's roll call) is answered and changes nothing else.
        Peer *peer = it != m_peers.end() ? it->second.get() : nullptr;
        if (peer) {
            peer->lastHeardMs = m_clock.elapsed();
        } else {
            const QString description = QString::fromUtf8(reinterpret_cast<const char *>(payload), qsizetype(std::min<std::size_t>(payloadSize, 200)));
            peer = admit(key, from, fromPort, h, description);
        }
        if (peer)
            announceTo(*peer);
        return;
    }
    case DatagramKind::Fragment: {
        Peer *peer = it != m_peers.end() ? it->second.get() : nullptr;
        // Its Hello may have been lost, or sent before this receiver joined: take it in anyway,
        // and tell it this receiver is there.
        if (!peer) {
            peer = admit(key, from, fromPort, h, QStringLiteral("udp sender pid %1 (its hello did not arrive)").arg(h.pid));
            if (peer)
                announceTo(*peer);
        }
        if (peer)
            handleFragment(*peer, h, payload, payloadSize);
        return;
    }
    case DatagramKind::Leave:
        if (it != m_peers.end()) {
            Peer &peer = *it->second;
            if (peer.reassembly.partial())
                emit messageRefused(peer.id, QStringLiteral("%1 closed in the middle of frame %2 (%3 of %4 bytes arrived); "
                                                            "the partial frame was dropped.")
                                                 .arg(senderName(peer)).arg(peer.reassembly.frameNumber())
                                                 .arg(peer.reassembly.receivedBytes()).arg(peer.reassembly.expectedBytes()));
            forget(key, QStringLiteral("it closed"));
        }
        return;
    case DatagramKind::Wake:
        return;
    }
}

UdpReceiverEndpoint::Peer *UdpReceiverEndpoint::admit(const PeerKey &key, const QHostAddress &from, quint16 fromPort,
                                                       const DatagramHeader &h, const QString &description)
{
    if (m_peers.size() >= std::size_t(std::max(m_limits.maxPeers, 0))) {
        // Not remembered, so each frame it begins (or each hello) gets its sentence.
        if (h.kind == DatagramKind::Hello || h.offset == 0)
            emit messageRefused(0, QStringLiteral("A udp sender (pid %1 at %2:%3) was turned away: this receiver already "
                                                  "serves %4, its limit (--max-peers). What it sends is dropped "
                                                  "until a place is free.")
                                       .arg(h.pid)
                                       .arg(from.toString())
                                       .arg(fromPort)
                                       .arg(QString::fromStdString(ipcw::native::sendersText(m_peers.size()))));
        return nullptr;
    }
    auto peer = std::make_unique<Peer>();
    peer->id = m_nextPeerId++;
    peer->address = from;
    peer->port = fromPort;
    peer->pid = h.pid;
    peer->slot = h.slot;
    peer->lastHeardMs = m_clock.elapsed();
    Peer *raw = peer.get();
    m_peers[key] = std::move(peer);
    emit peerConnected(raw->id, QStringLiteral("%1 at %2:%3").arg(description, from.toString()).arg(fromPort));
    return raw;
}

// A frame draws its whole announced total from the budget with its first fragment, as on the
// mailslot: the refusal comes before anything is reserved, and a frame taken in is never cut
// short half way for want of room.
void UdpReceiverEndpoint::handleFragment(Peer &peer, const DatagramHeader &h, const std::uint8_t *payload, std::size_t size)
{
    const qint64 now = m_clock.elapsed();
    peer.lastHeardMs = now;
    if (h.offset == 0 && h.total > 0 && h.total <= ipcw::udp::MaxFrameBytes) {
        peer.pending.release(); // an unfinished earlier frame is dropped as this one begins
        if (!peer.pending.resize(m_budget, h.total)) {
            const QString abandoned = peer.reassembly.partial()
                ? QStringLiteral(" Its unfinished frame %1 was dropped too.").arg(peer.reassembly.frameNumber())
                : QString();
            peer.reassembly.skip(h.frameNumber);
            const std::string room = h.total > m_budget.limit()
                ? "that is more than this receiver's whole budget for unfinished frames ("
                      + ipcw::native::mebibytesText(m_budget.limit()) + " MiB, --max-pending-mib)"
                : m_budget.describe();
            emit messageRefused(peer.id, QStringLiteral("%1 began frame %2 of %3 bytes, but %4: the frame was refused, the "
                                                        "sender stays.%5")
                                             .arg(senderName(peer)).arg(h.frameNumber).arg(h.total)
                                             .arg(QString::fromStdString(room), abandoned));
            return;
        }
    }
    std::string error;
    const FragmentReassembly::Result result = peer.reassembly.add(h, payload, size, &error);
    if (!error.empty())
        emit messageRefused(peer.id, senderName(peer) + QLatin1Char(' ') + QString::fromStdString(error));
    if (result == FragmentReassembly::Result::Complete) {
        const std::vector<std::uint8_t> frame = peer.reassembly.takeFrame();
        emit frameReceived(QByteArray(reinterpret_cast<const char *>(frame.data()), qsizetype(frame.size())), peer.id);
    }
    if (!peer.reassembly.partial())
        peer.pending.release(); // delivered or dropped: its room is free again
    else if (result == FragmentReassembly::Result::Incomplete)
        peer.lastProgressMs = now;
}

void UdpReceiverEndpoint::forget(const PeerKey &key, const QString &reason)
{
    const auto it = m_peers.find(key);
    if (it == m_peers.end())
        return;
    const PeerId id = it->second->id;
    m_peers.erase(it);
    emit peerDisconnected(id, reason);
}

void UdpReceiverEndpoint::housekeep()
{
    const qint64 now = m_clock.elapsed();
    const qint64 timeout = std::max(m_limits.peerTimeoutMs, 1);
    const qint64 silence = timeout * SilentPeerTimeouts;
    qint64 next = -1;
    std::vector<std::pair<PeerKey, QString>> silent;
    for (auto &[key, peer] : m_peers) {
        if (peer->reassembly.partial()) {
            if (now - peer->lastProgressMs >= timeout) {
                emit messageRefused(peer->id, QStringLiteral("%1 stopped in the middle of frame %2: %3 of its %4 bytes had "
                                                             "arrived, then nothing came for %5 s (the limit is %6 s, "
                                                             "--peer-timeout): the partial frame was dropped, the sender stays.")
                                                  .arg(senderName(*peer)).arg(peer->reassembly.frameNumber())
                                                  .arg(peer->reassembly.receivedBytes()).arg(peer->reassembly.expectedBytes())
                                                  .arg(double(now - peer->lastProgressMs) / 1000.0, 0, 'f', 1)
                                                  .arg(double(timeout) / 1000.0, 0, 'f', 1));
                peer->reassembly.skip(peer->reassembly.frameNumber());
                peer->pending.release();
            } else {
                next = next < 0 ? peer->lastProgressMs + timeout : std::min(next, peer->lastProgressMs + timeout);
            }
        }
        if (now - peer->lastHeardMs >= silence)
            silent.emplace_back(key, QStringLiteral("it sent nothing for %1 s (UDP has no connection that could break, so "
                                                    "silence is all a receiver sees of a sender that died)")
                                         .arg((now - peer->lastHeardMs) / 1000));
        else
            next = next < 0 ? peer->lastHeardMs + silence : std::min(next, peer->lastHeardMs + silence);
    }
    for (const auto &[key, reason] : silent)
        forget(key, reason);
    if (next >= 0)
        m_housekeeping.start(int(std::min<qint64>(next - now + 1, 3'600'000)));
}

// Our Hello tells a unicast sender that someone listens (its "connected") and lets a multicast
// sender count the receivers it reaches.
void UdpReceiverEndpoint::announceTo(const Peer &peer)
{
    const std::vector<std::uint8_t> hello = ipcw::native::controlDatagram(
        ipcw::udp::DatagramMagic, DatagramKind::Hello, quint32(QCoreApplication::applicationPid()), 0,
        "ipcworkshop udp receiver " + std::to_string(QCoreApplication::applicationPid()));
    sendDatagram(peer, hello.data(), hello.size());
}

void UdpReceiverEndpoint::sendDatagram(const Peer &peer, const std::uint8_t *data, std::size_t size)
{
    // Lossy by nature: a reply the kernel will not take now is dropped, like one lost on the way.
    m_socket->writeDatagram(reinterpret_cast<const char *>(data), qint64(size), peer.address, peer.port);
}

void UdpReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId peerId)
{
    if (state() != State::Listening)
        return;
    const auto it = std::find_if(m_peers.begin(), m_peers.end(), [peerId](const auto &entry) { return entry.second->id == peerId; });
    if (it == m_peers.end())
        return;
    if (frame.isEmpty() || quint64(frame.size()) > ipcw::udp::MaxFrameBytes) {
        emit errorOccurred(QStringLiteral("A reply of %1 bytes cannot go over udp, whose frames hold 1 to %2 bytes; it was not sent.")
                               .arg(frame.size()).arg(ipcw::udp::MaxFrameBytes));
        return;
    }
    const Peer &peer = *it->second;
    DatagramHeader h;
    h.pid = quint32(QCoreApplication::applicationPid());
    h.frameNumber = ++m_frameNumber;
    std::size_t offset = 0;
    ipcw::native::putFragments(ipcw::udp::DatagramMagic, h, std::size_t(m_address.datagramBytes),
                               reinterpret_cast<const std::uint8_t *>(frame.constData()), std::size_t(frame.size()), &offset,
                               m_sendBuffer, [&](const std::uint8_t *data, std::size_t size) {
                                   return m_socket->writeDatagram(reinterpret_cast<const char *>(data), qint64(size),
                                                                  peer.address, peer.port) >= 0;
                               });
}
