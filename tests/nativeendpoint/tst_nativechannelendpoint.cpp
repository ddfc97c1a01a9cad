// SPDX-License-Identifier: GPL-3.0-or-later
// The glue every message mechanism shares: a blocking, Qt-free Channel on a reader and a
// writer thread, seen from the owner's thread as an ordinary TransportEndpoint.

#include "nativechannelendpoint.h"
#include "receiverlimits.h"
#if defined(__linux__)
#include "native/readinessset.h"
#endif

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using ipcw::native::Event;

namespace {

Event frameEvent(const QByteArray &bytes, std::uint64_t peer)
{
    Event e;
    e.kind = Event::Kind::Frame;
    e.frame.assign(bytes.begin(), bytes.end());
    e.peer = peer;
    return e;
}

// A channel whose "OS" is two queues the test fills and drains; receive() and send() block
// like real ones, and interrupt() is sticky as the contract says. With `pollable` (set before
// open()) it has a readiness descriptor (Watchable), as the POSIX named pipe has: a pipe that holds a byte
// while pushed events wait, and receive(0) never blocks. With `drainable` too, it says when it
// holds nothing more (Drainable), as the POSIX named pipe does. Frames pushed with pushStored()
// are written into the store the endpoint lends (FrameStoreUser) as receive() returns them, as
// the filemapping channel does.
class ScriptedChannel final : public ipcw::native::Channel,
                              public ipcw::native::Watchable,
                              public ipcw::native::Drainable,
                              public ipcw::native::FrameStoreUser
{
public:
    ScriptedChannel()
    {
        if (pipe2(m_ready, O_NONBLOCK | O_CLOEXEC) != 0)
            qFatal("pipe2 failed");
    }
    ~ScriptedChannel() override
    {
        ::close(m_ready[0]);
        ::close(m_ready[1]);
    }

    std::string openError;
    std::atomic<int> opens{0};
    std::atomic<int> closes{0};

    std::string open(ipcw::native::Role, const std::string &address) override
    {
        ++opens;
        openedAddress = address;
        limitsAtOpen = receiveLimits();
        return openError;
    }
    // With directSends, an unblocked channel takes a frame at once from whichever thread asks.
    bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error) override
    {
        std::unique_lock lock(m_mutex);
        if (!directSends || m_sendBlocked)
            return false;
        sent.emplace_back(std::vector<std::uint8_t>(data, data + size), peer);
        senders.push_back(std::this_thread::get_id());
        *error = directError;
        return true;
    }
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override
    {
        std::unique_lock lock(m_mutex);
        senders.push_back(std::this_thread::get_id());
        m_changed.wait(lock, [&] { return !m_sendBlocked || m_interrupted; });
        sent.emplace_back(std::vector<std::uint8_t>(data, data + size), peer);
        m_changed.notify_all();
        return {};
    }
    int readinessDescriptor() const override { return pollable ? m_ready[0] : -1; }
    int nextDeadlineMs() const override { return deadlineMs; }
    bool drained() const override
    {
        std::unique_lock lock(m_mutex);
        return drainable && m_incoming.empty();
    }
    Event receive(int timeoutMs) override
    {
        std::unique_lock lock(m_mutex);
        receivers.push_back(std::this_thread::get_id());
        if (pollable) {
            // The byte only says "look"; what is left inside after a read is for the caller to
            // come back for, as with a real pipe's second frame in one read.
            char byte;
            while (::read(m_ready[0], &byte, 1) == 1) {
            }
            if (timeoutMs != 0)
                qFatal("a pollable channel was asked to wait in receive()");
            if (m_incoming.empty())
                return Event{};
        }
        m_changed.wait(lock, [&] { return !m_incoming.empty() || m_interrupted; });
        if (m_interrupted) {
            Event e;
            e.kind = Event::Kind::Interrupted;
            return e;
        }
        Incoming next = std::move(m_incoming.front());
        m_incoming.pop_front();
        if (next.viaStore)
            putInStore(next.event);
        return next.event;
    }
    void setFrameStore(ipcw::native::FrameStore *lent) override { store = lent; }
    void interrupt() override
    {
        std::unique_lock lock(m_mutex);
        m_interrupted = true;
        m_changed.notify_all();
    }
    void close() override
    {
        ++closes;
        std::unique_lock lock(m_mutex);
        m_interrupted = false; // sticky until close(), as the contract says
    }

    void push(Event e) { pushAll({std::move(e)}); }
    // Events that arrive together, behind one readiness byte.
    void pushAll(std::vector<Event> events, bool signalReadiness = true)
    {
        std::unique_lock lock(m_mutex);
        for (Event &e : events)
            m_incoming.push_back({std::move(e), false});
        if (signalReadiness && pollable)
            (void)!::write(m_ready[1], "x", 1);
        m_changed.notify_all();
    }
    void pushStored(const QByteArray &frame, std::uint64_t peer)
    {
        std::unique_lock lock(m_mutex);
        m_incoming.push_back({frameEvent(frame, peer), true});
        if (pollable)
            (void)!::write(m_ready[1], "x", 1);
        m_changed.notify_all();
    }
    size_t receiveCount()
    {
        std::unique_lock lock(m_mutex);
        return receivers.size();
    }
    std::vector<std::thread::id> receiveThreads()
    {
        std::unique_lock lock(m_mutex);
        return receivers;
    }
    void blockSends(bool blocked)
    {
        std::unique_lock lock(m_mutex);
        m_sendBlocked = blocked;
        m_changed.notify_all();
    }
    size_t sentCount()
    {
        std::unique_lock lock(m_mutex);
        return sent.size();
    }

    std::string openedAddress;
    ipcw::native::ReceiveLimits limitsAtOpen;
    std::vector<std::pair<std::vector<std::uint8_t>, std::uint64_t>> sent;
    std::vector<std::thread::id> senders; // the thread of each send, in order
    bool directSends = false;             // set before open()
    std::string directError;
    bool pollable = false;                // set before open()
    bool drainable = false;               // set before open()
    std::atomic<int> deadlineMs{-1};
    ipcw::native::FrameStore *store = nullptr;
    std::vector<const void *> storedAt; // where each frame pushStored() was written

private:
    struct Incoming
    {
        Event event;
        bool viaStore = false;
    };
    // The frame of `e` into a buffer of the lent store, delivered; `e` keeps an empty frame.
    void putInStore(Event &e)
    {
        std::unique_ptr<ipcw::native::FrameBuffer> buffer = store->create(e.frame.size());
        std::uint8_t *at = buffer->extend(e.frame.size());
        std::memcpy(at, e.frame.data(), e.frame.size());
        storedAt.push_back(at);
        store->deliver(std::move(buffer));
        e.frame.clear();
    }

    std::vector<std::thread::id> receivers; // the thread of each receive(), in order

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Incoming> m_incoming;
    bool m_interrupted = false;
    bool m_sendBlocked = false;
    int m_ready[2] = {-1, -1};
};

// The two ways an endpoint reads a channel: a thread blocked in receive(), or its own event
// loop watching the channel's readiness descriptor.
void addReadModes()
{
    QTest::addColumn<bool>("pollable");
    QTest::newRow("reader thread") << false;
    QTest::newRow("event loop") << true;
}

// A channel to be read the way the current row of addReadModes() says.
ScriptedChannel *channelForThisRow()
{
    QFETCH(bool, pollable);
    auto *channel = new ScriptedChannel;
    channel->pollable = pollable;
    return channel;
}

} // namespace

class TestNativeChannelEndpoint final : public QObject
{
    Q_OBJECT

private slots:
    void opensOnTheReaderThreadAndListens()
    {
        auto *channel = new ScriptedChannel;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("addr"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy states(&endpoint, &TransportEndpoint::stateChanged);
        endpoint.open();
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Opening);
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        QCOMPARE(channel->openedAddress, std::string("addr"));
        endpoint.close();
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Closed);
        QCOMPARE(channel->closes.load(), 1);
    }

    void failedOpenIsASentence()
    {
        auto *channel = new ScriptedChannel;
        channel->openError = "Nobody is receiving on x: start a receiver first.";
        NativeChannelEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy errors(&endpoint, &TransportEndpoint::errorOccurred);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Failed);
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).toString(), QStringLiteral("Nobody is receiving on x: start a receiver first."));
    }

    void framesAndPeersArriveInTheOwnersThread_data() { addReadModes(); }
    void framesAndPeersArriveInTheOwnersThread()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QList<Qt::HANDLE> threads;
        QByteArrayList frames;
        connect(&endpoint, &TransportEndpoint::frameReceived, this, [&](const QByteArray &frame, quint64 peer) {
            threads << QThread::currentThreadId();
            frames << frame;
            QCOMPARE(peer, 7u);
        });
        QSignalSpy connected(&endpoint, &TransportEndpoint::peerConnected);
        QSignalSpy gone(&endpoint, &TransportEndpoint::peerDisconnected);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);

        Event hello;
        hello.kind = Event::Kind::PeerConnected;
        hello.peer = 7;
        hello.text = "process 42";
        channel->push(hello);
        for (int i = 0; i < 100; ++i)
            channel->push(frameEvent(QByteArray::number(i), 7));
        Event bye;
        bye.kind = Event::Kind::PeerGone;
        bye.peer = 7;
        bye.text = "it finished";
        channel->push(bye);

        QTRY_COMPARE(gone.count(), 1);
        QCOMPARE(connected.count(), 1);
        QCOMPARE(connected.at(0).at(1).toString(), QStringLiteral("process 42"));
        QCOMPARE(frames.size(), 100);
        for (int i = 0; i < 100; ++i)
            QCOMPARE(frames.at(i), QByteArray::number(i)); // in order
        for (Qt::HANDLE t : std::as_const(threads))
            QCOMPARE(t, QThread::currentThreadId());
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Listening); // a receiver outlives its peers
        for (const std::thread::id &id : channel->receiveThreads())
            QCOMPARE(id == std::this_thread::get_id(), channel->pollable);
    }

    // A frame the channel writes into the lent store reaches the session in that very buffer
    // (no copy), on either read path; a frame in Event::frame between two of them is copied as
    // before and not mistaken for one of theirs.
    void storedFramesReachTheSessionUncopied_data() { addReadModes(); }
    void storedFramesReachTheSessionUncopied()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QVERIFY(channel->store); // lent before open()
        QByteArrayList frames;
        connect(&endpoint, &TransportEndpoint::frameReceived, this,
                [&](const QByteArray &frame, quint64) { frames << frame; });
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);

        const QByteArray large(64 * 1024 + 40, 'L');
        channel->pushStored(large, 1);
        channel->push(frameEvent("plain", 1));
        channel->pushStored("small", 1);
        QTRY_COMPARE(frames.size(), 3);
        QCOMPARE(frames.at(0), large);
        QCOMPARE(frames.at(1), QByteArray("plain"));
        QCOMPARE(frames.at(2), QByteArray("small"));
        QCOMPARE(channel->storedAt.size(), std::size_t(2));
        QCOMPARE(static_cast<const void *>(frames.at(0).constData()), channel->storedAt.at(0));
        QCOMPARE(static_cast<const void *>(frames.at(2).constData()), channel->storedAt.at(1));
    }

    // Read by the event loop, every receive() runs on the owner's thread, and a batch larger
    // than one turn of the loop takes, announced by a single readiness byte, arrives whole and
    // in order.
    void pollableChannelIsReadOnTheOwnersThread()
    {
        auto *channel = new ScriptedChannel;
        channel->pollable = true;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QByteArrayList frames;
        connect(&endpoint, &TransportEndpoint::frameReceived, this,
                [&](const QByteArray &frame, quint64) { frames << frame; });
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        std::vector<Event> batch;
        for (int i = 0; i < 1000; ++i)
            batch.push_back(frameEvent(QByteArray::number(i), 7));
        channel->pushAll(std::move(batch));
        QTRY_COMPARE(frames.size(), 1000);
        for (int i = 0; i < 1000; ++i)
            QCOMPARE(frames.at(i), QByteArray::number(i));
        const std::vector<std::thread::id> threads = channel->receiveThreads();
        QVERIFY(!threads.empty());
        for (const std::thread::id &id : threads)
            QVERIFY(id == std::this_thread::get_id());
    }

    // A time limit inside the channel (a peer stopped mid-frame) is judged though its
    // descriptor stays quiet: the endpoint calls receive(0) again when nextDeadlineMs() says.
    void pollableChannelIsAskedAgainAtItsDeadline()
    {
        auto *channel = new ScriptedChannel;
        channel->pollable = true;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy refused(&endpoint, &TransportEndpoint::messageRefused);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        Event e;
        e.kind = Event::Kind::Refused;
        e.text = "A partial frame ran out of time.";
        // Without a deadline, an event the descriptor does not announce waits: nobody looks.
        channel->pushAll({e}, false);
        QTest::qWait(200);
        QCOMPARE(refused.count(), 0);
        // With one, the next receive() (here after an announced event) arms the timer.
        channel->deadlineMs = 20;
        channel->push(e);
        QTRY_COMPARE(refused.count(), 2);
        channel->pushAll({e}, false);
        QTRY_COMPARE(refused.count(), 3);
    }

    // After an event, a Drainable channel that holds nothing more is not called again only to
    // say Timeout: the loop waits for its descriptor. One that holds more is still emptied,
    // and its deadline still calls it back.
    void drainedChannelIsNotAskedAgain_data()
    {
        QTest::addColumn<bool>("drainable");
        QTest::addColumn<int>("receivesPerFrame");
        QTest::newRow("drainable") << true << 1;
        QTest::newRow("not drainable") << false << 2;
    }
    void drainedChannelIsNotAskedAgain()
    {
        QFETCH(bool, drainable);
        QFETCH(int, receivesPerFrame);
        auto *channel = new ScriptedChannel;
        channel->pollable = true;
        channel->drainable = drainable;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QByteArrayList frames;
        connect(&endpoint, &TransportEndpoint::frameReceived, this,
                [&](const QByteArray &frame, quint64) { frames << frame; });
        QSignalSpy refused(&endpoint, &TransportEndpoint::messageRefused);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        QTRY_VERIFY(channel->receiveCount() >= 1); // the look at what came while it opened
        QTest::qWait(50);

        const size_t before = channel->receiveCount();
        channel->push(frameEvent("one", 7));
        QTRY_COMPARE(frames.size(), 1);
        QTest::qWait(50);
        QCOMPARE(channel->receiveCount(), before + size_t(receivesPerFrame));

        channel->pushAll({frameEvent("two", 7), frameEvent("three", 7)});
        QTRY_COMPARE(frames.size(), 3);
        QCOMPARE(frames, QByteArrayList({"one", "two", "three"}));

        channel->deadlineMs = 20;
        channel->push(frameEvent("four", 7));
        QTRY_COMPARE(frames.size(), 4);
        Event e;
        e.kind = Event::Kind::Refused;
        e.text = "A partial frame ran out of time.";
        channel->pushAll({e}, false);
        QTRY_COMPARE(refused.count(), 1);
    }

    // The epoll set a Linux channel hands to the loop: readable while a member is, and a
    // descriptor the kernel will not take (here a regular file, EPERM) turns into polling.
    void readinessSetPollsWhatItCannotWatch()
    {
#if defined(__linux__)
        using ipcw::native::ReadinessSet;
        ReadinessSet set;
        QCOMPARE(QString::fromStdString(set.open("test")), QString());
        int pipeFds[2];
        QCOMPARE(pipe(pipeFds), 0);
        QVERIFY(set.add(pipeFds[0]));
        QVERIFY(!set.add(-1)); // nothing to watch is not a miss
        QCOMPARE(set.deadlineMs(-1), -1);
        pollfd ready{set.descriptor(), POLLIN, 0};
        QCOMPARE(poll(&ready, 1, 0), 0);
        QCOMPARE(write(pipeFds[1], "x", 1), ssize_t(1));
        QCOMPARE(poll(&ready, 1, 1000), 1);
        set.remove(pipeFds[0]);
        QCOMPARE(poll(&ready, 1, 0), 0);

        QTemporaryFile file;
        QVERIFY(file.open());
        QVERIFY(!set.add(file.handle()));
        QCOMPARE(set.deadlineMs(-1), ReadinessSet::FallbackPollMs);
        QCOMPARE(set.deadlineMs(5), 5);
        QCOMPARE(set.deadlineMs(60000), ReadinessSet::FallbackPollMs);
        QCOMPARE(QString::fromStdString(set.open("test")), QString()); // a new set starts clean
        QCOMPARE(set.deadlineMs(-1), -1);
        ::close(pipeFds[0]);
        ::close(pipeFds[1]);
#else
        QSKIP("ReadinessSet is an epoll set, Linux only");
#endif
    }

    // A channel's fatal error fails the endpoint, read either way.
    void channelErrorFailsTheEndpoint_data() { addReadModes(); }
    void channelErrorFailsTheEndpoint()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Sender, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy errors(&endpoint, &TransportEndpoint::errorOccurred);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Connected);
        Event e;
        e.kind = Event::Kind::Error;
        e.text = "Waiting on the named pipe failed.";
        channel->pushAll({e, frameEvent("after the error", 0)});
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Failed);
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).toString(), QStringLiteral("Waiting on the named pipe failed."));
        endpoint.close();
        QCOMPARE(channel->closes.load(), 1);
    }

    // A slot may close the endpoint in the middle of a batch: nothing more is delivered from a
    // closed endpoint, whichever way it was read.
    void closeFromASlotStopsDelivery_data() { addReadModes(); }
    void closeFromASlotStopsDelivery()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        int frames = 0;
        connect(&endpoint, &TransportEndpoint::frameReceived, this, [&] {
            ++frames;
            endpoint.close();
        });
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        std::vector<Event> batch;
        for (int i = 0; i < 10; ++i)
            batch.push_back(frameEvent(QByteArray::number(i), 7));
        channel->pushAll(std::move(batch));
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Closed);
        QTest::qWait(50);
        QCOMPARE(frames, 1);
        QCOMPARE(channel->closes.load(), 1);
    }

    void sendsGoThroughTheWriterAndCountAsQueued()
    {
        auto *channel = new ScriptedChannel;
        NativeChannelEndpoint endpoint(EndpointRole::Sender, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy written(&endpoint, &TransportEndpoint::bytesWritten);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Connected);

        channel->blockSends(true); // the OS object is full: backpressure
        for (int i = 0; i < 10; ++i)
            endpoint.sendFrame(QByteArray(100, char('a' + i)), 0);
        QTest::qWait(50);
        QCOMPARE(endpoint.queuedBytes(), 1000);
        QCOMPARE(channel->sentCount(), size_t(0));

        channel->blockSends(false);
        QTRY_COMPARE(endpoint.queuedBytes(), 0);
        QCOMPARE(channel->sentCount(), size_t(10));
        QTRY_COMPARE(written.count(), 10);
        QCOMPARE(channel->sent.at(9).first, std::vector<std::uint8_t>(100, 'j'));
    }

    // With nothing queued, a frame goes out on the caller's thread: no hop, nothing counted
    // as queued, no bytesWritten to wait for.
    void idleChannelSendsOnTheCallersThread()
    {
        auto *channel = new ScriptedChannel;
        channel->directSends = true;
        NativeChannelEndpoint endpoint(EndpointRole::Sender, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy written(&endpoint, &TransportEndpoint::bytesWritten);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Connected);
        for (int i = 0; i < 3; ++i) {
            endpoint.sendFrame(QByteArray(10, char('a' + i)), 0);
            QCOMPARE(channel->sentCount(), size_t(i + 1)); // before sendFrame() returned
            QCOMPARE(endpoint.queuedBytes(), 0);
        }
        for (const std::thread::id &id : channel->senders)
            QVERIFY(id == std::this_thread::get_id());
        QTest::qWait(20);
        QCOMPARE(written.count(), 0);
    }

    // A frame that would wait goes to the writer thread, and every later one queues behind it:
    // the order holds across the two paths.
    void framesThatWouldWaitQueueAndKeepTheirOrder()
    {
        auto *channel = new ScriptedChannel;
        channel->directSends = true;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        endpoint.sendFrame(QByteArray("A"), 7);
        channel->blockSends(true);
        endpoint.sendFrame(QByteArray("B"), 7);
        endpoint.sendFrame(QByteArray("C"), 7);
        QCOMPARE(endpoint.queuedBytes(), 2);
        channel->blockSends(false);
        endpoint.sendFrame(QByteArray("D"), 7); // behind B and C, whichever path it takes
        QTRY_COMPARE(channel->sentCount(), size_t(4));
        QTRY_COMPARE(endpoint.queuedBytes(), 0);
        std::string order;
        for (const auto &frame : channel->sent)
            order += std::string(frame.first.begin(), frame.first.end());
        QCOMPARE(order, std::string("ABCD"));
        QVERIFY(channel->senders.at(0) == std::this_thread::get_id());
        QVERIFY(channel->senders.at(1) != std::this_thread::get_id()); // B waited: the writer sent it
    }

    // A direct send that fails is reported from the event loop, never inside sendFrame().
    void failedDirectSendIsReportedLater()
    {
        auto *channel = new ScriptedChannel;
        channel->directSends = true;
        channel->directError = "The receiver left.";
        NativeChannelEndpoint endpoint(EndpointRole::Sender, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy errors(&endpoint, &TransportEndpoint::errorOccurred);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Connected);
        endpoint.sendFrame(QByteArray("x"), 0);
        QCOMPARE(errors.count(), 0);
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Connected);
        QTRY_COMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).toString(), QStringLiteral("The receiver left."));
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Failed);
    }

    // A receiver that closes right after answering (the headless one at --expect) still sends
    // its last answers: close() lets the writer finish what was queued.
    void closeSendsWhatWasQueued()
    {
        auto *channel = new ScriptedChannel;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        channel->blockSends(true); // the peer's side is full for a moment
        for (int i = 0; i < 10; ++i)
            endpoint.sendFrame(QByteArray(100, char('a' + i)), 3);
        std::thread reader([channel] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            channel->blockSends(false);
        });
        endpoint.close();
        reader.join();
        QCOMPARE(channel->sentCount(), size_t(10));
        QCOMPARE(channel->sent.at(9).first, std::vector<std::uint8_t>(100, 'j'));
    }

    // ...but a peer that never makes room delays close() by half a second at most.
    void closeDoesNotWaitForAPeerThatNeverReads()
    {
        auto *channel = new ScriptedChannel;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        channel->blockSends(true);
        for (int i = 0; i < 10; ++i)
            endpoint.sendFrame(QByteArray(100, 'x'), 3);
        QElapsedTimer took;
        took.start();
        endpoint.close();
        qInfo("close() with a peer that never reads took %lld ms", took.elapsed());
        QVERIFY2(took.elapsed() < 3000, qPrintable(QString::number(took.elapsed())));
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Closed);
        QVERIFY(channel->sentCount() <= 1); // the one interrupted in send(), at most
    }

    void senderFailsWhenTheReceiverGoes_data() { addReadModes(); }
    void senderFailsWhenTheReceiverGoes()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Sender, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy errors(&endpoint, &TransportEndpoint::errorOccurred);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Connected);
        Event gone;
        gone.kind = Event::Kind::PeerGone;
        gone.text = "The receiver closed: start it again.";
        channel->push(gone);
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Failed);
        QCOMPARE(errors.at(0).at(0).toString(), QStringLiteral("The receiver closed: start it again."));
    }

    // --max-pending-mib, --peer-timeout and --max-peers reach the channel before it opens.
    void channelGetsTheReceiverLimitsBeforeOpening()
    {
        const ReceiverLimits saved = ReceiverLimits::current();
        ReceiverLimits limits;
        limits.maxPendingBytes = 32 * ReceiverLimits::MiB;
        limits.peerTimeoutMs = 1500;
        limits.maxPeers = 3;
        ReceiverLimits::setCurrent(limits);
        auto *channel = new ScriptedChannel;
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        endpoint.open();
        ReceiverLimits::setCurrent(saved);
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        QCOMPARE(channel->limitsAtOpen.maxPendingBytes, std::uint64_t(32 * ReceiverLimits::MiB));
        QCOMPARE(channel->limitsAtOpen.peerTimeoutMs, 1500);
        QCOMPARE(channel->limitsAtOpen.maxPeers, 3);
    }

    // A peer the channel refused and dropped is reported as on the stream transports: refused
    // (the session counts a bad frame), then disconnected.
    void refusedPeerIsRefusedThenDisconnected_data() { addReadModes(); }
    void refusedPeerIsRefusedThenDisconnected()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        QSignalSpy refused(&endpoint, &TransportEndpoint::streamRefused);
        QSignalSpy gone(&endpoint, &TransportEndpoint::peerDisconnected);
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        Event e;
        e.kind = Event::Kind::PeerRefused;
        e.peer = 4;
        e.text = "Sender 4 stopped in the middle of a frame.";
        channel->push(e);
        QTRY_COMPARE(gone.count(), 1);
        QCOMPARE(refused.count(), 1);
        QCOMPARE(refused.at(0).at(0).toULongLong(), 4u);
        QCOMPARE(refused.at(0).at(1).toString(), QStringLiteral("Sender 4 stopped in the middle of a frame."));
        QCOMPARE(gone.at(0).at(0).toULongLong(), 4u);
    }

    void closeWhileOpeningLeavesItClosed_data() { addReadModes(); }
    void closeWhileOpeningLeavesItClosed()
    {
        auto *channel = channelForThisRow();
        NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
        endpoint.open();
        endpoint.close(); // before the queued "opened" news is delivered
        QTest::qWait(50);
        QCOMPARE(endpoint.state(), TransportEndpoint::State::Closed);
        // And it opens again afterwards.
        endpoint.open();
        QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
        QCOMPARE(channel->opens.load(), 2);
    }

    void destroyingAnOpenEndpointStopsItsThreads_data() { addReadModes(); }
    void destroyingAnOpenEndpointStopsItsThreads()
    {
        auto *channel = channelForThisRow();
        {
            NativeChannelEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("a"), std::unique_ptr<ScriptedChannel>(channel));
            endpoint.open();
            QTRY_COMPARE(endpoint.state(), TransportEndpoint::State::Listening);
            endpoint.sendFrame(QByteArray("x"), 1);
        } // the destructor interrupts the blocked receive() and joins both threads
        QTest::qWait(20);
    }
};

QTEST_GUILESS_MAIN(TestNativeChannelEndpoint)
#include "tst_nativechannelendpoint.moc"
