// SPDX-License-Identifier: GPL-3.0-or-later
#include "udpsenderendpoint.h"

#include "connectionsecurity.h"
#include "udpdatagram.h"
#include "udpsockets.h"

#include <QCoreApplication>
#include <QVariant>

#include <algorithm>
#include <atomic>

using ipcw::native::DatagramHeader;
using ipcw::native::DatagramKind;
using ipcw::native::FragmentReassembly;

namespace {
constexpr int HelloRepeatMs = 300;
// A multicast sender's roll call: its Hello again, so receivers that joined since answer; one
// that misses this many in a row is taken as gone (killed receivers say no Leave).
constexpr int RollCallMs = 2000;
constexpr int MissedRollCalls = 3;
// Receivers a sender keeps count of; more are not announced (the count only informs).
constexpr std::size_t MaxReceivers = 1024;
// Sources of replies a multicast sender puts together at once; more are dropped (acks only
// feed its statistics).
constexpr std::size_t MaxReplySources = 64;

std::atomic<quint32> nextSlot{0};
} // namespace

UdpSenderEndpoint::UdpSenderEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address),
      m_socket(new QUdpSocket(this)),
      m_pid(quint32(QCoreApplication::applicationPid())),
      m_slot(nextSlot++),
      m_helloTimeoutMs(ConnectionSecurity::current().handshakeTimeoutMs)
{
    m_helloTimer.setInterval(HelloRepeatMs);
    connect(&m_helloTimer, &QTimer::timeout, this, &UdpSenderEndpoint::sayHello);
    m_paceTimer.setSingleShot(true);
    m_paceTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_paceTimer, &QTimer::timeout, this, &UdpSenderEndpoint::pump);
    connect(m_socket, &QUdpSocket::readyRead, this, &UdpSenderEndpoint::readDatagrams);
    connect(m_socket, &QUdpSocket::errorOccurred, this, &UdpSenderEndpoint::onSocketError);
    connect(m_socket, &QUdpSocket::connected, this, [this] {
        m_helloClock.start();
        sayHello();
        m_helloTimer.start();
    });
}

QString UdpSenderEndpoint::destination() const
{
    return m_address.multicast ? QStringLiteral("the multicast group %1 port %2").arg(m_address.host.toString()).arg(m_address.port)
                               : QStringLiteral("%1:%2").arg(m_address.host.toString()).arg(m_address.port);
}

void UdpSenderEndpoint::open()
{
    if (const QString error = UdpAddress::parse(address(), &m_address); !error.isEmpty()) {
        fail(error);
        return;
    }
    if (m_address.host == QHostAddress(QHostAddress::AnyIPv4))
        m_address.host = QHostAddress(QHostAddress::LocalHost);
    m_readBuffer.resize(UdpAddress::MaxDatagramBytes + 1);
    m_paceClock.start();
    m_lastRefillNs = 0;
    m_allowance = burstBytes();
    setState(State::Opening);
    QTimer::singleShot(0, this, &UdpSenderEndpoint::start);
}

void UdpSenderEndpoint::start()
{
    if (state() != State::Opening)
        return;
    if (!m_address.multicast) {
        // Connected: only the receiver's datagrams are read, and a closed port is reported.
        m_socket->connectToHost(m_address.host, m_address.port);
        return;
    }
    QString error;
    const QNetworkInterface iface = UdpSockets::multicastInterface(m_address, &error);
    if (!error.isEmpty()) {
        fail(error);
        return;
    }
    if (!m_socket->bind(QHostAddress::AnyIPv4, 0)) {
        fail(QStringLiteral("Cannot open a udp socket to send to %1: %2.").arg(destination(), m_socket->errorString()));
        return;
    }
    m_socket->setMulticastInterface(iface);
    m_socket->setSocketOption(QAbstractSocket::MulticastTtlOption, QVariant(m_address.ttl));
    m_socket->setSocketOption(QAbstractSocket::MulticastLoopbackOption, QVariant(1));
    UdpSockets::enlargeReceiveBuffer(m_socket); // replies from every receiver
    m_helloClock.start();
    sayHello();
    m_helloTimer.setInterval(RollCallMs);
    m_helloTimer.start();
    setState(State::Connected); // one to many: nobody has to answer
}

void UdpSenderEndpoint::sayHello()
{
    if (state() == State::Opening && !m_address.multicast && m_helloClock.elapsed() >= m_helloTimeoutMs) {
        m_helloTimer.stop();
        m_socket->abort();
        fail(QStringLiteral("No udp receiver answered at %1 within %2 s: start a receiver there first (or use a "
                            "multicast address, whose sender needs no answer).")
                 .arg(destination()).arg(m_helloTimeoutMs / 1000.0));
        return;
    }
    if (m_address.multicast)
        forgetReceivers(qint64(RollCallMs) * MissedRollCalls,
                        QStringLiteral("it answered none of the last %1 roll calls").arg(MissedRollCalls));
    const std::vector<std::uint8_t> hello = ipcw::native::controlDatagram(
        ipcw::udp::DatagramMagic, DatagramKind::Hello, m_pid, m_slot, "ipcworkshop udp sender " + std::to_string(m_pid));
    writeDatagram(hello.data(), hello.size());
}

void UdpSenderEndpoint::noteReceiver(const QHostAddress &from, quint16 fromPort, quint32 pid)
{
    const auto key = std::make_tuple(from.toIPv4Address(), fromPort, pid);
    const auto it = m_receivers.find(key);
    if (it != m_receivers.end()) {
        it->second.lastHeardMs = m_helloClock.elapsed();
        return;
    }
    if (m_receivers.size() >= MaxReceivers)
        return;
    const Receiver receiver{m_nextReceiverId++, m_helloClock.elapsed()};
    m_receivers.emplace(key, receiver);
    emit peerConnected(receiver.id, QStringLiteral("udp receiver pid %1 at %2:%3").arg(pid).arg(from.toString()).arg(fromPort));
}

// Every receiver silent for `silentForMs` or longer (0: all of them).
void UdpSenderEndpoint::forgetReceivers(qint64 silentForMs, const QString &reason)
{
    const qint64 now = m_helloClock.elapsed();
    for (auto it = m_receivers.begin(); it != m_receivers.end();) {
        if (now - it->second.lastHeardMs < silentForMs) {
            ++it;
            continue;
        }
        const PeerId id = it->second.id;
        it = m_receivers.erase(it);
        emit peerDisconnected(id, reason);
    }
}

bool UdpSenderEndpoint::writeDatagram(const std::uint8_t *data, std::size_t size)
{
    const char *bytes = reinterpret_cast<const char *>(data);
    if (m_address.multicast)
        return m_socket->writeDatagram(bytes, qint64(size), m_address.host, m_address.port) >= 0;
    return m_socket->write(bytes, qint64(size)) >= 0;
}

void UdpSenderEndpoint::readDatagrams()
{
    UdpSockets::readPending(m_socket, m_readBuffer, [this](const QHostAddress &from, quint16 fromPort, const std::uint8_t *data,
                                                           std::size_t size) { return handleDatagram(from, fromPort, data, size); });
}

bool UdpSenderEndpoint::handleDatagram(const QHostAddress &from, quint16 fromPort, const std::uint8_t *data, std::size_t size)
{
    DatagramHeader h;
    // What is not a receiver's datagram is dropped: a sender's only errors are ones that end it.
    if (!ipcw::native::readDatagramHeader(data, size, ipcw::udp::DatagramMagic, &h) || h.pid == 0)
        return true;
    switch (h.kind) {
    case DatagramKind::Hello:
        noteReceiver(from, fromPort, h.pid);
        if (state() == State::Opening) {
            m_helloTimer.stop();
            setState(State::Connected);
        }
        return true;
    case DatagramKind::Leave:
        if (!m_address.multicast && state() == State::Connected) {
            m_socket->abort();
            fail(QStringLiteral("The udp receiver at %1 closed: start it again and reconnect.").arg(destination()));
            return false;
        }
        if (const auto it = m_receivers.find(std::make_tuple(from.toIPv4Address(), fromPort, h.pid)); it != m_receivers.end()) {
            const PeerId id = it->second.id;
            m_receivers.erase(it);
            emit peerDisconnected(id, QStringLiteral("it closed"));
        }
        return true;
    case DatagramKind::Fragment: {
        noteReceiver(from, fromPort, h.pid);
        const std::pair<quint32, quint16> source{from.toIPv4Address(), fromPort};
        auto it = m_replies.find(source);
        if (it == m_replies.end()) {
            if (m_replies.size() >= MaxReplySources)
                return true;
            it = m_replies.emplace(source, FragmentReassembly(ipcw::udp::MaxFrameBytes, "a udp frame")).first;
        }
        std::string ignored; // a broken reply is a lost one, as far as a lossy sender cares
        if (it->second.add(h, data + ipcw::native::DatagramHeaderBytes, size - ipcw::native::DatagramHeaderBytes, &ignored)
            == FragmentReassembly::Result::Complete) {
            const std::vector<std::uint8_t> frame = it->second.takeFrame();
            emit frameReceived(QByteArray(reinterpret_cast<const char *>(frame.data()), qsizetype(frame.size())), 0);
        }
        return true;
    }
    case DatagramKind::Wake:
        return true;
    }
    return true;
}

void UdpSenderEndpoint::onSocketError(QAbstractSocket::SocketError error)
{
    if (state() == State::Closed || state() == State::Failed)
        return;
    if (error == QAbstractSocket::ConnectionRefusedError) {
        // The kernel's "port unreachable" for an earlier datagram: nobody is bound there.
        m_helloTimer.stop();
        m_socket->abort();
        fail(state() == State::Opening
                 ? QStringLiteral("Nobody is receiving on udp %1: start a receiver there first.").arg(destination())
                 : QStringLiteral("The udp receiver at %1 went away (its port is closed).").arg(destination()));
        return;
    }
    if (error == QAbstractSocket::TemporaryError)
        return; // a full socket buffer: pump() retries
    m_helloTimer.stop();
    m_socket->abort();
    fail(QStringLiteral("Sending udp datagrams to %1 failed: %2.").arg(destination(), m_socket->errorString()));
}

void UdpSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() != State::Connected)
        return;
    if (frame.isEmpty() || quint64(frame.size()) > ipcw::udp::MaxFrameBytes) {
        emit errorOccurred(QStringLiteral("The frame of %1 bytes cannot go over udp, whose frames hold 1 to %2 bytes: send "
                                          "fewer records at once.")
                               .arg(frame.size()).arg(ipcw::udp::MaxFrameBytes));
        return;
    }
    m_queue.push_back(frame);
    m_queuedBytes += frame.size();
    // No bytesWritten() from in here: the caller is still sending and counts on its own.
    if (!m_paceTimer.isActive())
        sendQueued();
}

void UdpSenderEndpoint::pump()
{
    const qint64 before = m_queuedBytes;
    sendQueued();
    if (m_queuedBytes < before && state() == State::Connected)
        emit bytesWritten();
}

void UdpSenderEndpoint::sendQueued()
{
    if (state() != State::Connected)
        return;
    const double rate = double(m_address.rateMiBPerSecond) * 1024 * 1024; // bytes per second
    const double burst = burstBytes();
    if (rate > 0) {
        const qint64 now = m_paceClock.nsecsElapsed();
        m_allowance = std::min(burst, m_allowance + double(now - m_lastRefillNs) * rate / 1e9);
        m_lastRefillNs = now;
    }
    bool blocked = false;
    double wanted = 0;
    while (!m_queue.empty() && !blocked) {
        const QByteArray &frame = m_queue.front();
        if (m_sentOfFront == 0)
            ++m_frameNumber;
        DatagramHeader h;
        h.pid = m_pid;
        h.slot = m_slot;
        h.frameNumber = m_frameNumber;
        const std::size_t start = m_sentOfFront;
        const bool done = ipcw::native::putFragments(
            ipcw::udp::DatagramMagic, h, std::size_t(m_address.datagramBytes),
            reinterpret_cast<const std::uint8_t *>(frame.constData()), std::size_t(frame.size()), &m_sentOfFront, m_datagram,
            [&](const std::uint8_t *data, std::size_t size) {
                if (rate > 0 && m_allowance < double(size)) {
                    wanted = double(size) - m_allowance;
                    return false;
                }
                if (!writeDatagram(data, size)) {
                    wanted = -1; // the kernel is full (or reported an error): try again shortly
                    return false;
                }
                m_allowance -= rate > 0 ? double(size) : 0;
                return true;
            });
        m_queuedBytes -= qint64(m_sentOfFront - start);
        if (done) {
            m_queue.pop_front();
            m_sentOfFront = 0;
        } else {
            blocked = true;
        }
    }
    if (state() != State::Connected)
        return; // a write failed the endpoint
    if (blocked) {
        const int waitMs = wanted > 0 ? std::max(1, int(wanted * 1000.0 / rate + 0.5)) : 1;
        m_paceTimer.start(waitMs);
    }
}

double UdpSenderEndpoint::burstBytes() const
{
    return std::max(256.0 * 1024, double(m_address.datagramBytes));
}

void UdpSenderEndpoint::close()
{
    m_helloTimer.stop();
    m_paceTimer.stop();
    if (m_socket->state() != QAbstractSocket::UnconnectedState && (state() == State::Connected || state() == State::Opening)) {
        const std::vector<std::uint8_t> leave =
            ipcw::native::controlDatagram(ipcw::udp::DatagramMagic, DatagramKind::Leave, m_pid, m_slot, {});
        writeDatagram(leave.data(), leave.size());
    }
    m_socket->abort();
    m_queue.clear();
    m_sentOfFront = 0;
    m_queuedBytes = 0;
    m_replies.clear();
    forgetReceivers(0, QString()); // closed by this sender: not news
    setState(State::Closed);
}
