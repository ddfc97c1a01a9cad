// SPDX-License-Identifier: GPL-3.0-or-later
// The POSIX named-pipe backend against real FIFOs: round trips, several senders with their own
// replies, a sender killed mid-frame (a child process), stale and live objects, mode bits,
// interrupt, backpressure and hostile bytes. The same executable doubles as the child process
// (--child-...), so the test needs nothing but itself.

#include "countingframestore.h"
#include "namedpipe_posix.h"
#include "namedpipewire.h"
#include "native/posixpaths.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTest>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using ipcw::native::Event;
using ipcw::native::NamedPipeChannelPosix;
using ipcw::native::Role;
using Bytes = std::vector<std::uint8_t>;

namespace {

// A frame as the wire format lays it out: only the fields the backend looks at are real
// (magic, payload length); the payload is a pattern derived from `seed`.
Bytes makeFrame(std::size_t payload, std::uint32_t seed)
{
    Bytes frame(ipcw::native::namedpipe::HeaderBytes + payload);
    auto put32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i)
            frame[at + i] = std::uint8_t(v >> (8 * i));
    };
    put32(0, ipcw::native::namedpipe::FrameMagic);
    put32(8, seed);
    put32(28, std::uint32_t(payload));
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 40; i < frame.size(); ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        frame[i] = std::uint8_t(x);
    }
    return frame;
}

std::string uniqueName(const char *what)
{
    static int counter = 0;
    return std::string("tst-") + what + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

std::string runtimeDir()
{
    std::string error;
    return ipcw::native::userRuntimeDir(&error);
}

std::string pathOf(const std::string &name, const char *suffix)
{
    return runtimeDir() + "/namedpipe-" + name + suffix;
}

bool exists(const std::string &path)
{
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
}

// Waits long enough for a slow machine; a Timeout event then fails the caller's comparison.
Event nextEvent(NamedPipeChannelPosix &channel, int timeoutMs = 10000)
{
    return channel.receive(timeoutMs);
}

// Connects `sender` to `receiver` on `name`. The sender's open() waits for the receiver to take
// its hello, so it runs on a thread while this one receives. Returns what went wrong, or "".
std::string connectSender(NamedPipeChannelPosix &receiver, NamedPipeChannelPosix &sender, const std::string &name,
                          Event *hello = nullptr)
{
    std::string openError = "not run";
    std::thread connect([&] { openError = sender.open(Role::Sender, name); });
    Event event = nextEvent(receiver);
    connect.join();
    if (!openError.empty())
        return "the sender could not connect: " + openError;
    if (event.kind != Event::Kind::PeerConnected)
        return "the receiver saw event " + std::to_string(int(event.kind)) + " instead of PeerConnected: " + event.text;
    if (hello)
        *hello = std::move(event);
    return {};
}

// Sends `frame` from `from` to `peer` on a thread, as a frame larger than the FIFO blocks until it
// is read, while `to` receives it. `sendError` gets what send() returned.
Event transfer(NamedPipeChannelPosix &from, std::uint64_t peer, const Bytes &frame, NamedPipeChannelPosix &to,
               std::string *sendError)
{
    *sendError = "not run";
    std::thread writer([&] { *sendError = from.send(frame.data(), frame.size(), peer); });
    Event got = nextEvent(to);
    writer.join();
    return got;
}

// --- child processes -------------------------------------------------------------------------

// Sends one small frame, says so, then starts a 16 MiB frame the parent does not read: the
// child blocks in the middle of it until the parent kills it.
int childSenderMidFrame(const char *name)
{
    NamedPipeChannelPosix channel;
    if (!channel.open(Role::Sender, name).empty())
        return 2;
    // Made first, so that its bytes are on their way as soon as "sent" is said (making 16 MiB
    // can take longer than the parent waits on a busy machine).
    const Bytes big = makeFrame(16 * 1024 * 1024, 2);
    const Bytes small = makeFrame(100, 1);
    if (!channel.send(small.data(), small.size(), 0).empty())
        return 3;
    std::printf("sent\n");
    std::fflush(stdout);
    channel.send(big.data(), big.size(), 0);
    pause();
    return 0;
}

// A receiver that waits to be killed, leaving its FIFO and lock file behind as a crash does.
int childReceiver(const char *name)
{
    NamedPipeChannelPosix channel;
    if (!channel.open(Role::Receiver, name).empty())
        return 2;
    std::printf("listening\n");
    std::fflush(stdout);
    pause();
    return 0;
}

} // namespace

class TestNamedPipe final : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void severalSendersGetTheirOwnReplies();
    void senderKilledMidFrame();
    void crashedReceiverIsReplaced();
    void staleLeftoversAreReplaced();
    void liveReceiverIsNotStolen();
    void modeBits();
    void senderPairIsPrivateAndRemoved();
    void receiverDyingInHandshakeIsNoticedAtOnce();
    void nobodyReceiving();
    void interruptWakesReceiveAndSend();
    void backpressureLosesNothing();
    void trySendWritesOnlyWhatNeedsNoWaiting();
    void floodingSenderDoesNotHideTheOthers();
    void receiverGoneIsReportedToSender();
    void hostileBytesDisconnectOnlyThatSender();
    void senderBeyondTheCapIsTurnedAway();
    void badAddressesAreRefused();
    void frameMemoryFollowsArrivedBytes();
    void framesGoStraightIntoALentStore();
};

void TestNamedPipe::roundTrip_data()
{
    QTest::addColumn<int>("payload");
    QTest::newRow("header only") << 0;
    QTest::newRow("1 B") << 1;
    QTest::newRow("4 KiB + 1") << 4097;
    QTest::newRow("64 KiB") << 65536;
    QTest::newRow("1 MiB + 3") << (1 << 20) + 3;
    QTest::newRow("16 MiB") << (16 << 20);
}

void TestNamedPipe::roundTrip()
{
    QFETCH(int, payload);
    const std::string name = uniqueName("trip");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());

    NamedPipeChannelPosix sender;
    Event hello;
    const std::string connectError = connectSender(receiver, sender, name, &hello);
    QVERIFY2(connectError.empty(), connectError.c_str());
    QVERIFY(hello.peer != 0);

    const Bytes frame = makeFrame(std::size_t(payload), 42);
    std::string sendError;
    Event got = transfer(sender, 0, frame, receiver, &sendError);
    QCOMPARE(sendError, std::string());
    QCOMPARE(int(got.kind), int(Event::Kind::Frame));
    QCOMPARE(got.peer, hello.peer);
    QVERIFY(got.frame == frame);

    // And back: the reply path carries the same frame to that sender.
    Event echo = transfer(receiver, got.peer, got.frame, sender, &sendError);
    QCOMPARE(sendError, std::string());
    QCOMPARE(int(echo.kind), int(Event::Kind::Frame));
    QVERIFY(echo.frame == frame);

    sender.close();
    Event gone = nextEvent(receiver);
    QCOMPARE(int(gone.kind), int(Event::Kind::PeerGone));
    QVERIFY2(gone.text.find("discarded") == std::string::npos, gone.text.c_str());
    receiver.close();
    QVERIFY(!exists(pathOf(name, ".connect")));
    QVERIFY(!exists(pathOf(name, ".lock")));
}

void TestNamedPipe::severalSendersGetTheirOwnReplies()
{
    const std::string name = uniqueName("many");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());

    constexpr int Senders = 4;
    constexpr int Frames = 60;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int s = 0; s < Senders; ++s) {
        threads.emplace_back([&, s] {
            NamedPipeChannelPosix sender;
            if (!sender.open(Role::Sender, name).empty()) {
                ++failures;
                return;
            }
            std::thread replies([&] {
                // Every reply must be this sender's own frame, in order.
                for (int i = 0; i < Frames; ++i) {
                    Event e = sender.receive(20000);
                    if (e.kind != Event::Kind::Frame || e.frame != makeFrame(std::size_t(1000 + 7000 * s), s * 1000 + i))
                        ++failures;
                }
            });
            for (int i = 0; i < Frames; ++i) {
                const Bytes frame = makeFrame(std::size_t(1000 + 7000 * s), s * 1000 + i);
                if (!sender.send(frame.data(), frame.size(), 0).empty())
                    ++failures;
            }
            replies.join();
            sender.close();
        });
    }
    // The receiver echoes each frame to the peer it came from, on its own writer thread as the
    // endpoint does.
    int framesSeen = 0, gone = 0;
    std::vector<Event> toEcho;
    std::mutex echoMutex;
    std::condition_variable echoReady;
    bool done = false;
    std::thread echoer([&] {
        for (;;) {
            std::unique_lock<std::mutex> lock(echoMutex);
            echoReady.wait(lock, [&] { return done || !toEcho.empty(); });
            if (toEcho.empty())
                return;
            Event e = std::move(toEcho.front());
            toEcho.erase(toEcho.begin());
            lock.unlock();
            if (!receiver.send(e.frame.data(), e.frame.size(), e.peer).empty())
                ++failures;
        }
    });
    while (gone < Senders) {
        Event e = receiver.receive(20000);
        QVERIFY2(e.kind != Event::Kind::Timeout, "the senders stalled");
        if (e.kind == Event::Kind::Frame) {
            ++framesSeen;
            std::lock_guard<std::mutex> lock(echoMutex);
            toEcho.push_back(std::move(e));
            echoReady.notify_one();
        } else if (e.kind == Event::Kind::PeerGone) {
            ++gone;
        }
    }
    {
        std::lock_guard<std::mutex> lock(echoMutex);
        done = true;
        echoReady.notify_one();
    }
    echoer.join();
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(framesSeen, Senders * Frames);
    QCOMPARE(failures.load(), 0);
}

void TestNamedPipe::senderKilledMidFrame()
{
    const std::string name = uniqueName("kill");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());

    QProcess child;
    child.start(QCoreApplication::applicationFilePath(),
                {QStringLiteral("--child-sender-midframe"), QString::fromStdString(name)});
    QVERIFY(child.waitForStarted());
    Event hello = nextEvent(receiver);
    QCOMPARE(int(hello.kind), int(Event::Kind::PeerConnected));
    Event first = nextEvent(receiver);
    QCOMPARE(int(first.kind), int(Event::Kind::Frame));
    QVERIFY(first.frame == makeFrame(100, 1));
    QVERIFY(child.waitForReadyRead(10000));
    // Kill the child once it has filled the FIFO with the start of its 16 MiB frame (a fixed
    // wait was too short on a loaded machine). It then sleeps in the kernel waiting for room:
    // in poll() as the channel writes without blocking, or in a blocking pipe write
    // ("pipe_write", "anon_pipe_write" by kernel version). Not longer than 5 s: the receiver
    // drops a sender stopped mid-frame after 10.
    const QString wchan = QStringLiteral("/proc/%1/wchan").arg(child.processId());
    const auto waitingForRoom = [&] {
        QFile f(wchan);
        if (!f.open(QIODevice::ReadOnly))
            return false;
        const QByteArray where = f.readAll();
        return where.contains("pipe_write") || where.contains("poll");
    };
    if (!QTest::qWaitFor(waitingForRoom, 5000))
        qWarning("%s never showed the child waiting for room in the FIFO; killing it anyway", qPrintable(wchan));
    kill(pid_t(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished(10000));

    Event gone = nextEvent(receiver);
    QCOMPARE(int(gone.kind), int(Event::Kind::PeerGone));
    QCOMPARE(gone.peer, hello.peer);
    qInfo("%s", gone.text.c_str());
    QVERIFY2(gone.text.find("discarded") != std::string::npos, gone.text.c_str());
    QVERIFY2(gone.text.find("killed") != std::string::npos, gone.text.c_str());

    // The receiver carries on: a new sender connects and is heard.
    NamedPipeChannelPosix sender;
    Event next;
    const std::string connectError = connectSender(receiver, sender, name, &next);
    QVERIFY2(connectError.empty(), connectError.c_str());
    QVERIFY(next.peer != hello.peer);
    const Bytes frame = makeFrame(5000, 9);
    QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());
    Event got = nextEvent(receiver);
    QCOMPARE(int(got.kind), int(Event::Kind::Frame));
    QVERIFY(got.frame == frame);
}

void TestNamedPipe::crashedReceiverIsReplaced()
{
    const std::string name = uniqueName("crash");
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child-receiver"), QString::fromStdString(name)});
    QVERIFY(child.waitForReadyRead(10000));
    {
        NamedPipeChannelPosix thief;
        const std::string error = thief.open(Role::Receiver, name);
        QVERIFY2(error.find("already in use by a running receiver") != std::string::npos, error.c_str());
    }
    kill(pid_t(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished(10000));
    QVERIFY(exists(pathOf(name, ".connect"))); // the crash left it behind

    NamedPipeChannelPosix sender;
    const std::string noReceiver = sender.open(Role::Sender, name);
    QVERIFY2(noReceiver.find("start a receiver first") != std::string::npos, noReceiver.c_str());

    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    const std::string connectError = connectSender(receiver, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());
}

void TestNamedPipe::staleLeftoversAreReplaced()
{
    const std::string name = uniqueName("stale");
    // What a crash leaves: an unlocked lock file, a .connect with no reader, and the pair of a
    // sender whose process is gone.
    const pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    QVERIFY(dead > 0);
    QCOMPARE(waitpid(dead, nullptr, 0), dead);
    const std::string deadPair = pathOf(name, ("." + std::to_string(dead) + "-0.up").c_str());
    ::close(::open(pathOf(name, ".lock").c_str(), O_CREAT | O_RDWR, 0600));
    QCOMPARE(mkfifo(pathOf(name, ".connect").c_str(), 0600), 0);
    QCOMPARE(mkfifo(deadPair.c_str(), 0600), 0);

    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QVERIFY(!exists(deadPair));
    NamedPipeChannelPosix sender;
    const std::string connectError = connectSender(receiver, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());
}

void TestNamedPipe::liveReceiverIsNotStolen()
{
    const std::string name = uniqueName("live");
    NamedPipeChannelPosix owner;
    QCOMPARE(owner.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix thief;
    const std::string error = thief.open(Role::Receiver, name);
    QVERIFY2(error.find("already in use by a running receiver") != std::string::npos, error.c_str());
    // The failed attempt removed nothing of the owner's.
    QVERIFY(exists(pathOf(name, ".connect")));
    NamedPipeChannelPosix sender;
    const std::string connectError = connectSender(owner, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());
}

void TestNamedPipe::modeBits()
{
    const std::string name = uniqueName("mode");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    struct stat st {};
    QCOMPARE(lstat(runtimeDir().c_str(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0700));
    QCOMPARE(st.st_uid, geteuid());
    QCOMPARE(lstat(pathOf(name, ".connect").c_str(), &st), 0);
    QVERIFY(S_ISFIFO(st.st_mode));
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
    QCOMPARE(lstat(pathOf(name, ".lock").c_str(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
}

// Plays a receiver that reads the hello but never answers: the sender's pair exists while it
// waits, is private, and is gone after the handshake timed out.
void TestNamedPipe::senderPairIsPrivateAndRemoved()
{
    const std::string name = uniqueName("pair");
    const std::string connectPath = pathOf(name, ".connect");
    QCOMPARE(mkfifo(connectPath.c_str(), 0600), 0);
    const int connectFd = ::open(connectPath.c_str(), O_RDWR | O_NONBLOCK);
    QVERIFY(connectFd >= 0);

    NamedPipeChannelPosix sender;
    sender.setHandshakeTimeoutMs(1500);
    std::string openError;
    std::thread connect([&] { openError = sender.open(Role::Sender, name); });
    std::string line;
    QElapsedTimer clock;
    clock.start();
    while (line.find('\n') == std::string::npos && clock.elapsed() < 5000) {
        char buffer[256];
        const ssize_t n = ::read(connectFd, buffer, sizeof buffer);
        if (n > 0)
            line.append(buffer, std::size_t(n));
        else
            QTest::qWait(10);
    }
    QVERIFY2(line.rfind("hello ", 0) == 0, line.c_str());
    const std::string token = line.substr(line.rfind(' ') + 1, line.size() - line.rfind(' ') - 2);
    for (const char *end : {".up", ".down"}) {
        struct stat st {};
        const std::string path = pathOf(name, ("." + token + end).c_str());
        QVERIFY2(lstat(path.c_str(), &st) == 0, path.c_str());
        QVERIFY(S_ISFIFO(st.st_mode));
        QCOMPARE(st.st_mode & 07777, mode_t(0600));
    }
    connect.join();
    QVERIFY2(openError.find("did not answer") != std::string::npos, openError.c_str());
    QVERIFY(!exists(pathOf(name, ("." + token + ".up").c_str())));
    QVERIFY(!exists(pathOf(name, ("." + token + ".down").c_str())));
    ::close(connectFd);
    ::unlink(connectPath.c_str());
}

// Plays a receiver that reads the hello and dies before answering (its end of .connect
// closes): the sender says so at once instead of waiting out the handshake timeout.
void TestNamedPipe::receiverDyingInHandshakeIsNoticedAtOnce()
{
    const std::string name = uniqueName("dying");
    const std::string connectPath = pathOf(name, ".connect");
    QCOMPARE(mkfifo(connectPath.c_str(), 0600), 0);
    const int connectFd = ::open(connectPath.c_str(), O_RDONLY | O_NONBLOCK);
    QVERIFY(connectFd >= 0);

    NamedPipeChannelPosix sender;
    sender.setHandshakeTimeoutMs(8000);
    std::string openError;
    QElapsedTimer clock;
    clock.start();
    std::thread connect([&] { openError = sender.open(Role::Sender, name); });
    std::string line;
    while (line.find('\n') == std::string::npos && clock.elapsed() < 5000) {
        char buffer[256];
        const ssize_t n = ::read(connectFd, buffer, sizeof buffer);
        if (n > 0)
            line.append(buffer, std::size_t(n));
        else
            QTest::qWait(10);
    }
    ::close(connectFd); // what the kernel does for a receiver that was killed
    connect.join();
    const qint64 took = clock.elapsed();
    ::unlink(connectPath.c_str());
    QVERIFY2(line.rfind("hello ", 0) == 0, line.c_str());
    QVERIFY2(openError.find("stopped while we were connecting") != std::string::npos, openError.c_str());
    QVERIFY2(took < 4000, qPrintable(QStringLiteral("the sender took %1 ms to notice").arg(took)));
}

void TestNamedPipe::nobodyReceiving()
{
    NamedPipeChannelPosix sender;
    const std::string error = sender.open(Role::Sender, uniqueName("nobody"));
    QVERIFY2(error.find("Nobody is receiving") != std::string::npos, error.c_str());
    QVERIFY2(error.find("start a receiver first") != std::string::npos, error.c_str());
}

void TestNamedPipe::interruptWakesReceiveAndSend()
{
    const std::string name = uniqueName("intr");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix sender;
    const std::string connectError = connectSender(receiver, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());

    QElapsedTimer clock;
    std::atomic<int> kind{-1};
    std::thread waiter([&] { kind = int(receiver.receive(-1).kind); });
    QTest::qWait(300);
    QCOMPARE(kind.load(), -1); // still asleep: nothing arrived
    clock.start();
    receiver.interrupt();
    waiter.join();
    QVERIFY(clock.elapsed() < 1000);
    QCOMPARE(kind.load(), int(Event::Kind::Interrupted));
    // Sticky: a later call returns at once too.
    QCOMPARE(int(receiver.receive(-1).kind), int(Event::Kind::Interrupted));

    // A sender blocked on a full FIFO (nobody reads) is released by interrupt() too.
    const Bytes big = makeFrame(16 * 1024 * 1024, 5);
    std::atomic<bool> returned{false};
    std::string sendError = "not run";
    std::thread writer([&] {
        sendError = sender.send(big.data(), big.size(), 0);
        returned = true;
    });
    QTest::qWait(300);
    QVERIFY(!returned.load());
    sender.interrupt();
    writer.join();
    QCOMPARE(sendError, std::string());
}

void TestNamedPipe::backpressureLosesNothing()
{
    const std::string name = uniqueName("slow");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix sender;
    const std::string connectError = connectSender(receiver, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());

    constexpr int Frames = 64;
    constexpr std::size_t Payload = 256 * 1024; // 16 MiB in all, far more than the FIFO holds
    std::atomic<int> sent{0};
    std::thread writer([&] {
        for (int i = 0; i < Frames; ++i) {
            const Bytes frame = makeFrame(Payload, i);
            if (!sender.send(frame.data(), frame.size(), 0).empty())
                return;
            ++sent;
        }
    });
    QTest::qWait(500);
    const int sentWhileNotReading = sent.load();
    qInfo("frames written while the receiver was not reading: %d of %d", sentWhileNotReading, Frames);
    QVERIFY(sentWhileNotReading < Frames);
    for (int i = 0; i < Frames; ++i) {
        Event e = nextEvent(receiver);
        QCOMPARE(int(e.kind), int(Event::Kind::Frame));
        QVERIFY2(e.frame == makeFrame(Payload, i), qPrintable(QStringLiteral("frame %1 differs").arg(i)));
    }
    writer.join();
    QCOMPARE(sent.load(), Frames);
}

// trySend(), the caller's-thread path: a frame of up to PIPE_BUF bytes goes in one write if the
// FIFO has room; a longer one only into an empty FIFO that holds it whole; any other is left to
// send(), nothing written.
// receive(0), called as an event loop calls it once the descriptor is readable, reads the FIFO
// of the last frame before it polls anything. A sender that never lets its FIFO run dry must not
// keep the others out that way: a second sender still connects and is heard while it floods.
void TestNamedPipe::floodingSenderDoesNotHideTheOthers()
{
    const std::string name = uniqueName("flood");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix flooder;
    QCOMPARE(connectSender(receiver, flooder, name), std::string());
    std::atomic<bool> stop{false};
    std::thread flood([&] {
        const Bytes frame = makeFrame(100, 1);
        while (!stop)
            flooder.send(frame.data(), frame.size(), 0);
    });
    const Bytes lateFrame = makeFrame(100, 2);
    NamedPipeChannelPosix latecomer;
    std::string lateError = "not run";
    std::thread late([&] {
        lateError = latecomer.open(Role::Sender, name);
        if (lateError.empty())
            lateError = latecomer.send(lateFrame.data(), lateFrame.size(), 0);
    });

    bool heard = false;
    int floodFrames = 0;
    QElapsedTimer clock;
    clock.start();
    while (!heard && clock.elapsed() < 20000) {
        // The loop has other work too: meanwhile the flood fills the FIFO, so that reading it
        // first always finds something.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        pollfd ready{receiver.readinessDescriptor(), POLLIN, 0};
        poll(&ready, 1, 100);
        for (int i = 0; i < 64; ++i) {
            const Event e = receiver.receive(0);
            if (e.kind == Event::Kind::Timeout)
                break;
            if (e.kind == Event::Kind::Frame && e.frame == lateFrame)
                heard = true;
            else if (e.kind == Event::Kind::Frame)
                ++floodFrames;
        }
    }
    stop = true;
    flooder.interrupt();
    flood.join();
    late.join();
    QCOMPARE(lateError, std::string());
    QVERIFY2(heard, qPrintable(QStringLiteral("the second sender was not heard in 20 s, while %1 frames of the first were").arg(floodFrames)));
    QVERIFY(floodFrames > 0);
}

void TestNamedPipe::trySendWritesOnlyWhatNeedsNoWaiting()
{
    const std::string name = uniqueName("try");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix sender;
    Event hello;
    const std::string connectError = connectSender(receiver, sender, name, &hello);
    QVERIFY2(connectError.empty(), connectError.c_str());

    std::string error = "not cleared";
    const Bytes small = makeFrame(1000, 1);
    QVERIFY(sender.trySend(small.data(), small.size(), 0, &error));
    QCOMPARE(error, std::string());
    const Bytes large = makeFrame(PIPE_BUF, 2); // with its header, over PIPE_BUF
    QVERIFY(!sender.trySend(large.data(), large.size(), 0, &error)); // the small one is still in the FIFO
    Event e = nextEvent(receiver);
    QCOMPARE(int(e.kind), int(Event::Kind::Frame));
    QVERIFY(e.frame == small);
    QCOMPARE(int(receiver.receive(100).kind), int(Event::Kind::Timeout)); // the large one was not written

    // Into the empty FIFO a 64 KiB frame goes at once, whole; one larger than the FIFO never does.
    const Bytes echoSized = makeFrame(64 * 1024, 4);
    QVERIFY(sender.trySend(echoSized.data(), echoSized.size(), 0, &error));
    QCOMPARE(error, std::string());
    e = nextEvent(receiver);
    QCOMPARE(int(e.kind), int(Event::Kind::Frame));
    QVERIFY(e.frame == echoSized);
    const Bytes overFull = makeFrame(1 << 20, 5); // the FIFO asks for 1 MiB at most
    QVERIFY(!sender.trySend(overFull.data(), overFull.size(), 0, &error));
    QCOMPARE(int(receiver.receive(100).kind), int(Event::Kind::Timeout));

    // A full FIFO takes nothing more, and what was taken arrives whole and in order.
    int sent = 0;
    while (sender.trySend(small.data(), small.size(), 0, &error)) {
        QCOMPARE(error, std::string());
        QVERIFY(++sent < 100000);
    }
    QVERIFY(sent > 10);
    for (int i = 0; i < sent; ++i) {
        e = nextEvent(receiver);
        QCOMPARE(int(e.kind), int(Event::Kind::Frame));
        QVERIFY(e.frame == small);
    }

    // The receiver answers the same way, an echo of 64 KiB included, and a reply to nobody is a
    // sentence.
    const Bytes reply = makeFrame(16, 3);
    QVERIFY(receiver.trySend(reply.data(), reply.size(), hello.peer, &error));
    QCOMPARE(error, std::string());
    e = nextEvent(sender);
    QCOMPARE(int(e.kind), int(Event::Kind::Frame));
    QVERIFY(e.frame == reply);
    QVERIFY(receiver.trySend(echoSized.data(), echoSized.size(), hello.peer, &error));
    QCOMPARE(error, std::string());
    e = nextEvent(sender);
    QCOMPARE(int(e.kind), int(Event::Kind::Frame));
    QVERIFY(e.frame == echoSized);
    QVERIFY(receiver.trySend(reply.data(), reply.size(), hello.peer + 1000, &error));
    QVERIFY2(error.find("no longer connected") != std::string::npos, error.c_str());

    // A reply written after the sender closed its end, before the receiver heard of it, names
    // the sender and its process (the sentence is made only then).
    sender.close();
    const std::string gone = "Sender " + std::to_string(hello.peer) + " (process " + std::to_string(getpid())
        + ") has gone; the reply to it was dropped.";
    QVERIFY(receiver.trySend(reply.data(), reply.size(), hello.peer, &error));
    QCOMPARE(error, gone);
    QCOMPARE(receiver.send(reply.data(), reply.size(), hello.peer), gone);
}

void TestNamedPipe::receiverGoneIsReportedToSender()
{
    const std::string name = uniqueName("gone");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix sender;
    const std::string connectError = connectSender(receiver, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());
    receiver.close();

    Event gone = nextEvent(sender);
    QCOMPARE(int(gone.kind), int(Event::Kind::PeerGone));
    QVERIFY2(gone.text.find("Start it again") != std::string::npos, gone.text.c_str());
    // Writing into the dead FIFO is a sentence, not a SIGPIPE that kills the test.
    const Bytes frame = makeFrame(10, 1);
    const std::string error = sender.send(frame.data(), frame.size(), 0);
    QVERIFY2(error.find("has gone") != std::string::npos, error.c_str());
    // And an idle sender with no receiver sleeps instead of spinning on the hung-up FIFO.
    QCOMPARE(int(sender.receive(200).kind), int(Event::Kind::Timeout));
}

// A "sender" that writes garbage after a correct handshake: only it is dropped, with a
// sentence; a well-behaved sender on the same receiver is unaffected.
void TestNamedPipe::hostileBytesDisconnectOnlyThatSender()
{
    const std::string name = uniqueName("hostile");
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix good;
    Event goodHello;
    const std::string connectError = connectSender(receiver, good, name, &goodHello);
    QVERIFY2(connectError.empty(), connectError.c_str());

    const std::string up = pathOf(name, ".666-0.up"), down = pathOf(name, ".666-0.down");
    QCOMPARE(mkfifo(up.c_str(), 0600), 0);
    QCOMPARE(mkfifo(down.c_str(), 0600), 0);
    const int downFd = ::open(down.c_str(), O_RDONLY | O_NONBLOCK);
    const int connectFd = ::open(pathOf(name, ".connect").c_str(), O_WRONLY | O_NONBLOCK);
    QVERIFY(downFd >= 0 && connectFd >= 0);
    const std::string hello = "hello 666 666-0\n";
    QCOMPARE(::write(connectFd, hello.data(), hello.size()), ssize_t(hello.size()));
    ::close(connectFd);
    const Event badHello = nextEvent(receiver);
    QCOMPARE(int(badHello.kind), int(Event::Kind::PeerConnected));
    const int upFd = ::open(up.c_str(), O_WRONLY | O_NONBLOCK);
    QVERIFY(upFd >= 0);
    Bytes oversized = makeFrame(0, 1);
    oversized[28] = 0xff, oversized[29] = 0xff, oversized[30] = 0xff, oversized[31] = 0x7f;
    QCOMPARE(::write(upFd, oversized.data(), oversized.size()), ssize_t(oversized.size()));
    const Event dropped = nextEvent(receiver);
    QCOMPARE(int(dropped.kind), int(Event::Kind::PeerRefused)); // refused, so the session counts it
    QCOMPARE(dropped.peer, badHello.peer);
    QVERIFY2(dropped.text.find("more than the limit") != std::string::npos, dropped.text.c_str());
    ::close(upFd);
    ::close(downFd);
    ::unlink(up.c_str());
    ::unlink(down.c_str());

    const Bytes frame = makeFrame(300, 3);
    QCOMPARE(good.send(frame.data(), frame.size(), 0), std::string());
    const Event got = nextEvent(receiver);
    QCOMPARE(int(got.kind), int(Event::Kind::Frame));
    QCOMPARE(got.peer, goodHello.peer);

    // And a frame whose header disagrees with its size is refused before it reaches the pipe.
    Bytes lying = makeFrame(300, 4);
    lying.pop_back();
    const std::string refused = good.send(lying.data(), lying.size(), 0);
    QVERIFY2(refused.find("not sent") != std::string::npos, refused.c_str());
}

// Beyond --max-peers the next sender is turned away at its hello, and its open() says why.
void TestNamedPipe::senderBeyondTheCapIsTurnedAway()
{
    const std::string name = uniqueName("cap");
    NamedPipeChannelPosix receiver;
    ipcw::native::ReceiveLimits limits;
    limits.maxPeers = 1;
    receiver.setReceiveLimits(limits);
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    NamedPipeChannelPosix first;
    const std::string connectError = connectSender(receiver, first, name);
    QVERIFY2(connectError.empty(), connectError.c_str());

    NamedPipeChannelPosix second;
    std::string openError;
    std::thread connect([&] { openError = second.open(Role::Sender, name); });
    const Event refused = nextEvent(receiver);
    connect.join();
    QCOMPARE(int(refused.kind), int(Event::Kind::Refused));
    QVERIFY2(refused.text.find("already serves 1 sender, its limit (--max-peers)") != std::string::npos, refused.text.c_str());
    QVERIFY2(openError.find("(--max-peers)") != std::string::npos, openError.c_str());
}

void TestNamedPipe::badAddressesAreRefused()
{
    for (const char *address : {"", "../etc", ".hidden", "a/b", "name?remote=1", "name?color=red"}) {
        NamedPipeChannelPosix receiver;
        const std::string error = receiver.open(Role::Receiver, address);
        QVERIFY2(!error.empty(), address);
    }
    NamedPipeChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, uniqueName("ok") + "?remote=0"), std::string());
}

int main(int argc, char **argv)
{
    if (argc == 3 && std::string(argv[1]) == "--child-sender-midframe")
        return childSenderMidFrame(argv[2]);
    if (argc == 3 && std::string(argv[1]) == "--child-receiver")
        return childReceiver(argv[2]);
    QCoreApplication app(argc, argv);
    TestNamedPipe test;
    return QTest::qExec(&test, argc, argv);
}

// 40 bytes announcing the largest frame used to make the receiver allocate and zero 64 MiB at
// once, for every sender that sent them (found while writing fuzz_namedpipe).
void TestNamedPipe::frameMemoryFollowsArrivedBytes()
{
    using ipcw::native::namedpipe::FrameCutter;
    namespace np = ipcw::native::namedpipe;
    Bytes frame(3 * FrameCutter::InitialFrameBytes + 17, 0x5A);
    const std::uint32_t magic = np::FrameMagic;
    std::memcpy(frame.data(), &magic, 4);
    const std::uint32_t payload = std::uint32_t(frame.size() - np::HeaderBytes);
    std::memcpy(frame.data() + np::PayloadLengthOffset, &payload, 4);

    FrameCutter::Frames out;
    FrameCutter claimsTheMost;
    Bytes header(frame.begin(), frame.begin() + np::HeaderBytes);
    const std::uint32_t largest = np::MaxPayloadBytes;
    std::memcpy(header.data() + np::PayloadLengthOffset, &largest, 4);
    header.push_back(1);
    QCOMPARE(claimsTheMost.cut(header.data(), header.size(), out), std::string());
    QVERIFY2(claimsTheMost.committedBytes() <= FrameCutter::InitialFrameBytes, "a header's word alone commits little");

    // Fed in pieces, through the staging copy and straight into the frame alike, it arrives whole.
    FrameCutter cutter;
    bool direct = false;
    for (std::size_t at = 0; at < frame.size(); direct = !direct) {
        std::size_t room = 0;
        std::uint8_t *into = cutter.payloadRoom(&room);
        const std::size_t n = std::min<std::size_t>(frame.size() - at, into && direct ? room : 100000);
        if (into && direct) {
            std::memcpy(into, frame.data() + at, n);
            cutter.payloadArrived(n, out);
        } else {
            QCOMPARE(cutter.cut(frame.data() + at, n, out), std::string());
        }
        at += n;
        if (at < frame.size())
            QVERIFY(cutter.committedBytes() <= std::max(FrameCutter::InitialFrameBytes, 2 * cutter.pendingBytes()));
    }
    QCOMPARE(out.size(), std::size_t(1));
    QVERIFY(out.front().takeVector() == frame);
    QCOMPARE(cutter.pendingBytes(), std::size_t(0));
}

// With a FrameStore lent (as NativeChannelEndpoint lends one), each frame from
// FrameBytes::StoredFromBytes on is read into the store's buffer, straight from the FIFO once its
// header is in, and returned through deliver() with an empty Event::frame: both ways, frames
// below and above the first commitment of memory (InitialFrameBytes), which then grow. Smaller
// frames, and every frame once the store is taken back, come in Event::frame.
void TestNamedPipe::framesGoStraightIntoALentStore()
{
    const std::string name = uniqueName("store");
    CountingFrameStore receiverStore, senderStore;
    NamedPipeChannelPosix receiver, sender;
    receiver.setFrameStore(&receiverStore);
    sender.setFrameStore(&senderStore);
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    const std::string connectError = connectSender(receiver, sender, name);
    QVERIFY2(connectError.empty(), connectError.c_str());

    constexpr std::size_t Threshold = ipcw::native::FrameBytes::StoredFromBytes;
    const std::size_t payloads[] = {0, 87, Threshold - 41, Threshold - 40, 65536,
                                    3 * ipcw::native::InitialFrameBytes + 17};
    std::uint32_t seed = 0;
    bool stored = false;
    std::string sendError;
    for (const std::size_t payload : payloads) {
        const Bytes frame = makeFrame(payload, ++seed);
        Event e = transfer(sender, 0, frame, receiver, &sendError);
        QCOMPARE(sendError, std::string());
        QCOMPARE(int(e.kind), int(Event::Kind::Frame));
        QVERIFY(receiverStore.frameOf(e, &stored) == frame);
        QCOMPARE(stored, frame.size() >= Threshold);

        const Bytes reply = makeFrame(payload, ++seed);
        e = transfer(receiver, e.peer, reply, sender, &sendError);
        QCOMPARE(sendError, std::string());
        QCOMPARE(int(e.kind), int(Event::Kind::Frame));
        QVERIFY(senderStore.frameOf(e, &stored) == reply);
        QCOMPARE(stored, reply.size() >= Threshold);
    }
    QCOMPARE(receiverStore.delivered.size(), std::size_t(3));
    QCOMPARE(receiverStore.live, 0);
    QCOMPARE(senderStore.live, 0);

    receiver.setFrameStore(nullptr);
    const Bytes frame = makeFrame(65536, ++seed);
    const Event e = transfer(sender, 0, frame, receiver, &sendError);
    QCOMPARE(sendError, std::string());
    QCOMPARE(int(e.kind), int(Event::Kind::Frame));
    QVERIFY(receiverStore.frameOf(e, &stored) == frame);
    QVERIFY(!stored);
}

#include "tst_namedpipe.moc"
