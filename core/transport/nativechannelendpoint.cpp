// SPDX-License-Identifier: GPL-3.0-or-later
#include "nativechannelendpoint.h"

#include "bytearrayframestore.h"
#include "receiverlimits.h"

#include <QDeadlineTimer>
#include <QMetaObject>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <chrono>

using ipcw::native::Event;

namespace {
// How long close() lets queued frames leave: the last Ack takes microseconds; a peer whose OS
// object is full (it stopped reading) only delays a Disconnect this long.
constexpr int DrainOnCloseMs = 500;
// Events the event loop takes from a ready channel before it lets the rest of the program run:
// enough for what one read of a busy pipe brings, few enough to keep the window responsive.
constexpr int MaxEventsPerTurn = 64;
// A channel that asks to be polled again at once (nextDeadlineMs() 0: a spinning shared-memory
// end) is polled in place this long before the event loop gets its turn: one turn of the loop
// costs more than the record it waits for.
constexpr std::chrono::microseconds PollInPlace{20};
} // namespace

NativeChannelEndpoint::NativeChannelEndpoint(EndpointRole role, const QString &address,
                                             std::unique_ptr<ipcw::native::Channel> channel, QObject *parent)
    : TransportEndpoint(role, address, parent), m_channel(std::move(channel)),
      m_watchable(dynamic_cast<ipcw::native::Watchable *>(m_channel.get())),
      m_drainable(dynamic_cast<ipcw::native::Drainable *>(m_channel.get()))
{
    if (auto *user = dynamic_cast<ipcw::native::FrameStoreUser *>(m_channel.get())) {
        m_frameStore = std::make_unique<ByteArrayFrameStore>();
        user->setFrameStore(m_frameStore.get());
    }
}

NativeChannelEndpoint::~NativeChannelEndpoint()
{
    close();
}

void NativeChannelEndpoint::open()
{
    if (m_reader)
        return;
    m_stopping = false;
    // The receiver's --max-pending-mib, --peer-timeout and --max-peers, as on the stream transports.
    const ReceiverLimits limits = ReceiverLimits::current();
    ipcw::native::ReceiveLimits native;
    native.maxPendingBytes = std::uint64_t(limits.maxPendingBytes);
    native.peerTimeoutMs = limits.peerTimeoutMs;
    native.maxPeers = limits.maxPeers;
    m_channel->setReceiveLimits(native);
    setState(State::Opening);
    m_reader = QThread::create([this] { readLoop(); });
    m_reader->setObjectName(QStringLiteral("ipcw-reader"));
    m_reader->start();
}

void NativeChannelEndpoint::readLoop()
{
    const std::string error = m_channel->open(role() == EndpointRole::Receiver ? ipcw::native::Role::Receiver
                                                                               : ipcw::native::Role::Sender,
                                              address().toStdString());
    QMetaObject::invokeMethod(this, [this, e = QString::fromStdString(error)] { onOpened(e); }, Qt::QueuedConnection);
    // A channel with a readiness descriptor is read by the event loop from now on (onOpened).
    if (!error.empty() || readByEventLoop())
        return;
    while (!m_stopping) {
        Event event = m_channel->receive(-1);
        if (event.kind == Event::Kind::Interrupted || event.kind == Event::Kind::Timeout)
            continue;
        const QByteArray frame = frameOf(event);
        QMetaObject::invokeMethod(
            this,
            [this, kind = int(event.kind), frame, peer = event.peer, text = QString::fromStdString(event.text)] {
                onEvent(kind, frame, peer, text);
            },
            Qt::QueuedConnection);
        if (event.kind == Event::Kind::Error)
            return;
    }
}

void NativeChannelEndpoint::writeLoop()
{
    for (;;) {
        Outgoing next;
        {
            QMutexLocker lock(&m_queueMutex);
            while (m_queue.isEmpty() && !m_stopping)
                m_queueNotEmpty.wait(&m_queueMutex);
            if (m_stopping)
                return;
            next = m_queue.dequeue();
            m_writing = true;
        }
        const std::string error = m_channel->send(reinterpret_cast<const std::uint8_t *>(next.frame.constData()),
                                                  std::size_t(next.frame.size()), next.peer);
        m_queuedBytes -= next.frame.size();
        {
            QMutexLocker lock(&m_queueMutex);
            m_writing = false;
            if (m_queue.isEmpty())
                m_queueDrained.wakeAll();
        }
        if (!error.empty())
            reportSendError(error);
        QMetaObject::invokeMethod(this, [this] { emit bytesWritten(); }, Qt::QueuedConnection);
    }
}

void NativeChannelEndpoint::onOpened(const QString &error)
{
    if (m_stopping || m_writer)
        return; // closed (or reopened) while the channel was opening: this news is stale
    if (!error.isEmpty()) {
        fail(error);
        return;
    }
    m_writer = QThread::create([this] { writeLoop(); });
    m_writer->setObjectName(QStringLiteral("ipcw-writer"));
    m_writer->start();
    if (readByEventLoop())
        watchReadiness();
    setState(role() == EndpointRole::Receiver ? State::Listening : State::Connected);
}

QByteArray NativeChannelEndpoint::frameOf(const Event &event)
{
    // The frame the channel put in the store as it arrived, or one copy out of its own buffer.
    if (m_frameStore)
        return m_frameStore->takeFrame(event.frame);
    return QByteArray(reinterpret_cast<const char *>(event.frame.data()), qsizetype(event.frame.size()));
}

bool NativeChannelEndpoint::readByEventLoop() const
{
    return m_watchable && m_watchable->readinessDescriptor() >= 0;
}

void NativeChannelEndpoint::watchReadiness()
{
    m_readiness = new QSocketNotifier(qintptr(m_watchable->readinessDescriptor()), QSocketNotifier::Read, this);
    connect(m_readiness, &QSocketNotifier::activated, this, &NativeChannelEndpoint::takeReadyEvents);
    m_deadline = new QTimer(this);
    m_deadline->setSingleShot(true);
    connect(m_deadline, &QTimer::timeout, this, &NativeChannelEndpoint::takeReadyEvents);
    startDeadline(0); // what arrived while the channel was opening may already be inside it
}

void NativeChannelEndpoint::takeReadyEvents()
{
    const auto pollUntil = std::chrono::steady_clock::now() + PollInPlace;
    for (int taken = 0; taken < MaxEventsPerTurn;) {
        Event event = m_channel->receive(0);
        if (event.kind == Event::Kind::Timeout || event.kind == Event::Kind::Interrupted) {
            const int wait = m_watchable->nextDeadlineMs();
            if (event.kind == Event::Kind::Timeout && pollAgainInPlace(wait, pollUntil))
                continue;
            waitForReadiness(wait);
            return;
        }
        const bool fatal = event.kind == Event::Kind::Error;
        if (fatal)
            stopWatching();
        onEvent(int(event.kind), frameOf(event), event.peer, QString::fromStdString(event.text));
        if (!m_readiness)
            return; // the channel failed, or a slot closed this endpoint
        // A lone event is most often an answer in a conversation: the next comes after a reply,
        // so the channel need not be asked again only to say Timeout. After a burst, more is
        // likely already there, and asking costs less than a turn of the loop.
        if (++taken == 1 && m_drainable && m_drainable->drained()) {
            const int wait = m_watchable->nextDeadlineMs();
            if (!pollAgainInPlace(wait, pollUntil)) {
                waitForReadiness(wait); // the descriptor tells when more comes
                return;
            }
        }
    }
    // More may wait inside the channel, where the descriptor does not show it.
    startDeadline(0);
}

bool NativeChannelEndpoint::pollAgainInPlace(int wait, std::chrono::steady_clock::time_point until)
{
    return wait == 0 && std::chrono::steady_clock::now() < until;
}

void NativeChannelEndpoint::waitForReadiness(int wait)
{
    if (wait < 0) {
        m_deadline->stop();
        return;
    }
    // A deadline already due no later is kept: restarting the timer after every event costs
    // more than the early call it may bring, which only finds nothing and sets it again.
    if (!m_deadline->isActive() || QDeadlineTimer(wait) < m_deadlineDue)
        startDeadline(wait);
}

void NativeChannelEndpoint::startDeadline(int ms)
{
    m_deadlineDue = QDeadlineTimer(ms);
    m_deadline->start(ms);
}

void NativeChannelEndpoint::stopWatching()
{
    // Deleted later, not now: this may run inside the notifier's own activation. Disabled now,
    // before the channel closes the descriptor under it.
    if (m_readiness) {
        m_readiness->setEnabled(false);
        m_readiness->deleteLater();
        m_readiness = nullptr;
    }
    if (m_deadline) {
        m_deadline->stop();
        m_deadline->deleteLater();
        m_deadline = nullptr;
    }
}

void NativeChannelEndpoint::onEvent(int kind, const QByteArray &frame, quint64 peer, const QString &text)
{
    if (m_stopping)
        return; // closed: news the reader queued before close() is stale
    switch (Event::Kind(kind)) {
    case Event::Kind::Frame:
        emit frameReceived(frame, peer);
        break;
    case Event::Kind::PeerConnected:
        emit peerConnected(peer, text);
        break;
    case Event::Kind::PeerGone:
        emit peerDisconnected(peer, text);
        if (role() == EndpointRole::Sender)
            fail(text);
        break;
    case Event::Kind::Refused:
        emit messageRefused(peer, text);
        break;
    case Event::Kind::PeerRefused:
        emit streamRefused(peer, text);
        emit peerDisconnected(peer, QStringLiteral("this receiver refused it"));
        break;
    case Event::Kind::Error:
        fail(text);
        break;
    case Event::Kind::Timeout:
    case Event::Kind::Interrupted:
        break;
    }
}

void NativeChannelEndpoint::sendFrame(const QByteArray &frame, PeerId peer)
{
    if (state() != State::Connected && state() != State::Listening)
        return;
    QMutexLocker lock(&m_queueMutex);
    if (m_writer && m_queue.isEmpty() && !m_writing) {
        // Nothing waits to go before it: try it from this thread, saving the writer thread's
        // wake-up. Holding m_writing keeps the writer off the channel meanwhile; it could only
        // take something queued, and only this thread queues.
        m_writing = true;
        lock.unlock();
        std::string error;
        const bool done = m_channel->trySend(reinterpret_cast<const std::uint8_t *>(frame.constData()),
                                             std::size_t(frame.size()), peer, &error);
        lock.relock();
        m_writing = false;
        if (done) {
            m_queueDrained.wakeAll();
            lock.unlock();
            if (!error.empty())
                reportSendError(error);
            return;
        }
    }
    m_queuedBytes += frame.size();
    m_queue.enqueue({frame, peer});
    m_queueNotEmpty.wakeOne();
}

void NativeChannelEndpoint::reportSendError(const std::string &error)
{
    // Queued like every other news from a send, so no slot runs inside sendFrame().
    QMetaObject::invokeMethod(
        this,
        [this, e = QString::fromStdString(error)] {
            emit errorOccurred(e);
            if (role() == EndpointRole::Sender)
                setState(State::Failed);
        },
        Qt::QueuedConnection);
}

void NativeChannelEndpoint::drainQueue(int ms)
{
    QMutexLocker lock(&m_queueMutex);
    const QDeadlineTimer deadline(ms);
    while (m_writer && (!m_queue.isEmpty() || m_writing))
        if (!m_queueDrained.wait(&m_queueMutex, deadline))
            return; // a peer that does not take its answers is not waited for longer
}

void NativeChannelEndpoint::stopThreads()
{
    m_stopping = true;
    {
        QMutexLocker lock(&m_queueMutex);
        m_queueNotEmpty.wakeAll();
    }
    m_channel->interrupt();
    for (QThread **thread : {&m_reader, &m_writer}) {
        if (*thread) {
            (*thread)->wait();
            delete *thread;
            *thread = nullptr;
        }
    }
}

void NativeChannelEndpoint::close()
{
    if (!m_reader && !m_writer)
        return;
    drainQueue(DrainOnCloseMs);
    stopThreads();
    stopWatching();
    m_channel->close();
    {
        QMutexLocker lock(&m_queueMutex);
        m_queue.clear();
    }
    m_queuedBytes = 0;
    setState(State::Closed);
}
