// SPDX-License-Identifier: GPL-3.0-or-later
// The POSIX filemapping channel with real segments and real processes: mode bits, removal on
// close, stale segments replaced, live ones never stolen, interrupt(), an idle receiver that
// sleeps, several sender processes at once, and senders killed with SIGKILL mid-write.
// The other processes are ipcw_filemapping_helper (see filemappinghelper.cpp).

#include "countingframestore.h"
#include "filemapping_posix.h"
#include "native/posixpaths.h"
#include "testframes.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTest>
#include <QThread>

#include <csignal>
#include <map>
#include <memory>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

using ipcw::native::Event;
using ipcw::native::Role;

namespace {

std::string uniqueAddress(const char *what, const char *options = "")
{
    static int counter = 0;
    return "tst-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + what + options;
}

std::string segmentPath(const std::string &address)
{
    return "/dev/shm" + FileMappingChannelPosix::objectName(address);
}

std::string lockPath(const std::string &name)
{
    std::string error;
    return ipcw::native::userRuntimeDir(&error) + "/filemapping-" + name + ".lock";
}

bool exists(const std::string &path, ino_t *inode = nullptr)
{
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return false;
    if (inode)
        *inode = st.st_ino;
    return true;
}

// Starts the helper and waits for its ready line; null (with a warning) if it never came.
std::unique_ptr<QProcess> startHelper(const QStringList &arguments, const QByteArray &readyLine = {})
{
    auto process = std::make_unique<QProcess>();
    process->setProgram(QStringLiteral(IPCW_BIN_DIR "/ipcw_filemapping_helper"));
    process->setArguments(arguments);
    process->setProcessChannelMode(QProcess::SeparateChannels);
    process->start();
    if (!process->waitForStarted(5000))
        return nullptr;
    if (readyLine.isEmpty())
        return process;
    QByteArray seen;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 10000 && process->state() == QProcess::Running) {
        process->waitForReadyRead(100);
        seen += process->readAllStandardOutput();
        if (seen.contains(readyLine))
            return process;
    }
    qWarning("helper %s never said %s: %s", qPrintable(arguments.join(' ')), readyLine.constData(),
             process->readAllStandardError().constData());
    process->kill();
    process->waitForFinished();
    return nullptr;
}

void killHard(QProcess &process)
{
    ::kill(pid_t(process.processId()), SIGKILL);
    process.waitForFinished(5000); // reaps it, like any parent would
}

bool finishedCleanly(QProcess &process, int timeoutMs = 60000)
{
    if (!process.waitForFinished(timeoutMs) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        qWarning("helper failed (exit %d): %s", process.exitCode(), process.readAllStandardError().constData());
        return false;
    }
    return true;
}

// CPU time (ticks) a thread of this process has used so far.
long threadCpuTicks(long tid)
{
    QFile stat(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 12 ? fields[11].toLong() + fields[12].toLong() : -1;
}

// The next event within timeoutMs (Timeout if none) the way the program gets it: waiting in
// receive() on a reader thread, or `polled` as its event loop does, receive(0) between waits
// for the doorbell (or a moment, without one) as long as nextDeadlineMs() allows.
Event nextEvent(FileMappingChannelPosix &channel, bool polled, int timeoutMs)
{
    if (!polled)
        return channel.receive(timeoutMs);
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        Event e = channel.receive(0);
        const int left = timeoutMs - int(clock.elapsed());
        if (e.kind != Event::Kind::Timeout || left <= 0)
            return e;
        const int deadline = channel.nextDeadlineMs();
        pollfd bell{channel.readinessDescriptor(), POLLIN, 0};
        if (bell.fd < 0)
            usleep(1000);
        else
            poll(&bell, 1, deadline < 0 ? left : std::min(deadline, left));
    }
}

// Whether the channel's doorbell rings (polls readable) within timeoutMs.
bool rings(const FileMappingChannelPosix &channel, int timeoutMs)
{
    pollfd bell{channel.readinessDescriptor(), POLLIN, 0};
    return poll(&bell, 1, timeoutMs) == 1;
}

bool isFifo(const std::string &path)
{
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

// "/dev/shm/ipcworkshop-<uid>-<address>@bell": where the receiver of `address` keeps its doorbell.
std::string receiverDoorbell(const std::string &address)
{
    return "/dev/shm" + ipcw::native::userScopedObjectName(address) + "@bell";
}

// Reads frames from several senders, checks each, and answers each with a small frame
// carrying its tag; returns false at the first torn or out-of-order frame.
struct Collector
{
    explicit Collector(FileMappingChannelPosix &receiver) : channel(receiver) {}
    FileMappingChannelPosix &channel;
    std::map<std::uint32_t, std::uint32_t> nextIndex; // per tag
    std::map<std::uint32_t, std::uint64_t> peerOfTag;
    int frames = 0;
    int gone = 0;
    std::string failure;

    bool take(const Event &e, bool reply)
    {
        if (e.kind == Event::Kind::PeerGone)
            ++gone;
        if (e.kind == Event::Kind::Error)
            failure = e.text;
        if (e.kind != Event::Kind::Frame)
            return failure.empty();
        std::uint32_t tag = 0, index = 0;
        if (!TestFrames::check(e.frame.data(), e.frame.size(), &tag, &index))
            failure = "a torn frame of " + std::to_string(e.frame.size()) + " bytes";
        else if (index != nextIndex[tag])
            failure = "tag " + std::to_string(tag) + ": frame " + std::to_string(index) + " instead of "
                      + std::to_string(nextIndex[tag]);
        else if (peerOfTag.count(tag) && peerOfTag[tag] != e.peer)
            failure = "tag " + std::to_string(tag) + " came from two peers";
        if (!failure.empty())
            return false;
        peerOfTag[tag] = e.peer;
        ++nextIndex[tag];
        ++frames;
        if (reply) {
            const std::vector<std::uint8_t> answer = TestFrames::make(tag, index, 16);
            if (std::string error = channel.send(answer.data(), answer.size(), e.peer); !error.empty())
                failure = error;
        }
        return failure.empty();
    }
};

// A helper process sends `frames` frames (tag `tag`, up to `largest` bytes) to `address` and
// waits for a reply to each (`mode` "send": all at once; "pingpong": in lock step): `receiver`
// must get them all in order, and the helper its replies.
void expectFramesFromHelper(FileMappingChannelPosix &receiver, const std::string &address, int frames,
                            std::size_t largest, int tag, bool polled = false, const char *mode = "send")
{
    std::unique_ptr<QProcess> helper = startHelper({mode, QString::fromStdString(address), QString::number(frames),
                                                    QString::number(largest), QString::number(tag)});
    QVERIFY(helper);
    Collector c(receiver);
    QElapsedTimer clock;
    clock.start();
    while (c.frames < frames && clock.elapsed() < 60000)
        QVERIFY2(c.take(nextEvent(receiver, polled, 1000), true), c.failure.c_str());
    QCOMPARE(c.frames, frames);
    QVERIFY(finishedCleanly(*helper)); // it got all its replies
}

} // namespace

class TestFileMapping final : public QObject
{
    Q_OBJECT
private slots:
    void segmentIsPrivateAndRemovedOnClose();
    void senderWithoutReceiverIsToldToStartOne();
    void liveReceiverIsNotStolen();
    void staleSegmentIsReplaced();
    void staleSegmentsOfOtherNamesAreSwept();
    void interruptWakesBlockedReceive();
    void interruptWakesBlockedSend();
    void idleReceiverSleeps();
    void receiverWithoutSendersSleepsEvenIfToldToSpin();
    void everyWaitCarriesFramesBothWays_data();
    void everyWaitCarriesFramesBothWays();
    void severalSenderProcessesAtOnce();
    void senderKilledMidWriteLeavesRingUsable_data();
    void senderKilledMidWriteLeavesRingUsable();
    void senderKilledWhileFloodingLosesNoWholeFrame();
    void senderLearnsTheReceiverLeft_data();
    void senderLearnsTheReceiverLeft();
    void waitingEndsWatchADoorbell_data();
    void waitingEndsWatchADoorbell();
    void spinblockSpinsAfterEachFrameThenSleeps();
    void aDoorbellThatCannotBeMadeFallsBackToTheFutex();
    void doorbellsLeaveNoFilesBehind();
    void lateRingIsReadAndTheDoorbellQuiets_data();
    void lateRingIsReadAndTheDoorbellQuiets();
    void roundTripsWithAnotherProcess_data();
    void roundTripsWithAnotherProcess();
    void framesGoStraightIntoALentStore();
};

void TestFileMapping::segmentIsPrivateAndRemovedOnClose()
{
    const std::string address = uniqueAddress("mode");
    const mode_t previous = umask(0); // even with a permissive umask
    FileMappingChannelPosix receiver;
    const std::string error = receiver.open(Role::Receiver, address);
    umask(previous);
    QCOMPARE(error, std::string());
    struct stat st {};
    QCOMPARE(stat(segmentPath(address).c_str(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
    QCOMPARE(st.st_uid, getuid());
    QVERIFY(segmentPath(address).find(std::to_string(getuid())) != std::string::npos);
    QVERIFY(exists(lockPath(address)));
    receiver.close();
    QVERIFY(!exists(segmentPath(address)));
    QVERIFY(!exists(lockPath(address)));
}

void TestFileMapping::senderWithoutReceiverIsToldToStartOne()
{
    FileMappingChannelPosix sender;
    const std::string error = sender.open(Role::Sender, uniqueAddress("nobody"));
    QVERIFY2(error.find("start a receiver first") != std::string::npos, error.c_str());
}

void TestFileMapping::liveReceiverIsNotStolen()
{
    const std::string address = uniqueAddress("live");
    auto helper = startHelper({"receive", QString::fromStdString(address)}, "listening");
    QVERIFY(helper);
    ino_t before = 0, after = 0;
    QVERIFY(exists(segmentPath(address), &before));
    FileMappingChannelPosix second;
    const std::string error = second.open(Role::Receiver, address);
    QVERIFY2(error.find("already in use by a running receiver") != std::string::npos, error.c_str());
    QVERIFY(exists(segmentPath(address), &after));
    QCOMPARE(after, before);
    QCOMPARE(helper->state(), QProcess::Running);
    // Also within one process.
    FileMappingChannelPosix first, third;
    const std::string local = uniqueAddress("live-local");
    QCOMPARE(first.open(Role::Receiver, local), std::string());
    QVERIFY(third.open(Role::Receiver, local).find("already in use") != std::string::npos);
    QVERIFY(exists(segmentPath(local)));
    killHard(*helper);
    QCOMPARE(second.open(Role::Receiver, address), std::string()); // now stale: replaced, and removed on close
}

void TestFileMapping::staleSegmentIsReplaced()
{
    const std::string address = uniqueAddress("stale");
    auto crashed = startHelper({"receive", QString::fromStdString(address)}, "listening");
    QVERIFY(crashed);
    killHard(*crashed);
    ino_t stale = 0, fresh = 0;
    QVERIFY2(exists(segmentPath(address), &stale), "a receiver killed with SIGKILL leaves its segment behind");
    FileMappingChannelPosix sender;
    QVERIFY(sender.open(Role::Sender, address).find("start a receiver first") != std::string::npos);

    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QVERIFY(exists(segmentPath(address), &fresh));
    QVERIFY(fresh != stale);
    expectFramesFromHelper(receiver, address, 20, 5000, 1);
}

void TestFileMapping::staleSegmentsOfOtherNamesAreSwept()
{
    const std::string crashedName = uniqueAddress("crashed");
    const std::string liveName = uniqueAddress("alive");
    auto crashed = startHelper({"receive", QString::fromStdString(crashedName)}, "listening");
    auto alive = startHelper({"receive", QString::fromStdString(liveName)}, "listening");
    QVERIFY(crashed && alive);
    killHard(*crashed);
    QVERIFY(exists(segmentPath(crashedName)));
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, uniqueAddress("sweeper")), std::string());
    QVERIFY2(!exists(segmentPath(crashedName)) && !exists(lockPath(crashedName)), "a crashed receiver's segment stays");
    QVERIFY2(exists(segmentPath(liveName)) && exists(lockPath(liveName)), "a live receiver's segment was removed");
    killHard(*alive);
    receiver.close();
    QCOMPARE(receiver.open(Role::Receiver, liveName), std::string());
}

void TestFileMapping::interruptWakesBlockedReceive()
{
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, uniqueAddress("interrupt")), std::string());
    Event::Kind kind = Event::Kind::Error;
    std::thread reader([&] { kind = receiver.receive(-1).kind; });
    QTest::qWait(200);
    QElapsedTimer clock;
    clock.start();
    receiver.interrupt();
    reader.join();
    QVERIFY(clock.elapsed() < 1000);
    QCOMPARE(kind, Event::Kind::Interrupted);
    QCOMPARE(receiver.receive(-1).kind, Event::Kind::Interrupted); // sticky
}

void TestFileMapping::interruptWakesBlockedSend()
{
    const std::string address = uniqueAddress("interrupt-send", "?size=64K");
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QCOMPARE(sender.open(Role::Sender, address), std::string());
    std::atomic<int> sent{0};
    std::string error = "not returned";
    std::thread writer([&] {
        const std::vector<std::uint8_t> frame = TestFrames::make(1, 0, 10000);
        for (;;) {
            error = sender.send(frame.data(), frame.size(), 0);
            if (!error.empty() || sent > 1000)
                return;
            ++sent; // counts past the ring only if the ring overwrote
        }
    });
    QTest::qWait(300);
    QVERIFY2(sent < 8, "a full ring must block the sender"); // 64 KiB holds 6 such frames
    QElapsedTimer clock;
    clock.start();
    sender.interrupt();
    writer.join();
    QVERIFY(clock.elapsed() < 1000);
    QCOMPARE(error, std::string());
}

void TestFileMapping::idleReceiverSleeps()
{
    const std::string address = uniqueAddress("idle");
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QCOMPARE(sender.open(Role::Sender, address), std::string()); // a connected, silent sender
    std::atomic<long> tid{0};
    std::atomic<int> events{0};
    std::thread reader([&] {
        tid = long(syscall(SYS_gettid));
        while (receiver.receive(-1).kind != Event::Kind::Interrupted)
            ++events;
    });
    QTRY_VERIFY(tid != 0);
    QTest::qWait(100);
    const long before = threadCpuTicks(tid);
    QTest::qWait(2000);
    const long after = threadCpuTicks(tid);
    receiver.interrupt();
    reader.join();
    QVERIFY(before >= 0 && after >= 0);
    QVERIFY2(after - before <= 10, qPrintable(QStringLiteral("the idle reader used %1 ticks in 2 s").arg(after - before)));
    QCOMPARE(events.load(), 1); // the sender's arrival, nothing else
}

// ?wait=spin spins only while a sender may send: without one, nothing is coming.
void TestFileMapping::receiverWithoutSendersSleepsEvenIfToldToSpin()
{
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, uniqueAddress("idle-spin", "?wait=spin")), std::string());
    std::atomic<long> tid{0};
    std::thread reader([&] {
        tid = long(syscall(SYS_gettid));
        while (receiver.receive(-1).kind != Event::Kind::Interrupted) {
        }
    });
    QTRY_VERIFY(tid != 0);
    QTest::qWait(100);
    const long before = threadCpuTicks(tid);
    QTest::qWait(1000);
    const long after = threadCpuTicks(tid);
    receiver.interrupt();
    reader.join();
    QVERIFY(before >= 0 && after >= 0);
    QVERIFY2(after - before <= 5, qPrintable(QStringLiteral("the idle reader used %1 ticks in 1 s").arg(after - before)));
}

// Each way to wait carries frames of every size from another process and routes the replies
// back; both ends wait as the address says, the receiver on a thread or polled from its event
// loop (a polled block receiver reads only when rung: a missed ring costs it a second). A
// receiver spinning for a connected, silent sender still stops at once when interrupted.
void TestFileMapping::everyWaitCarriesFramesBothWays_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::addColumn<bool>("polled");
    QTest::newRow("block") << QByteArray("?wait=block") << false;
    QTest::newRow("block, polled") << QByteArray("?wait=block") << true;
    QTest::newRow("spinblock") << QByteArray("?wait=spinblock") << false;
    QTest::newRow("spinblock, polled") << QByteArray("?wait=spinblock") << true;
    QTest::newRow("spin") << QByteArray("?size=1M&wait=spin") << false;
    QTest::newRow("spin, polled") << QByteArray("?size=1M&wait=spin") << true;
}

void TestFileMapping::everyWaitCarriesFramesBothWays()
{
    QFETCH(QByteArray, options);
    QFETCH(bool, polled);
    const std::string address = uniqueAddress("wait", options.constData());
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    expectFramesFromHelper(receiver, address, 300, 300000, 7, polled);
    if (QTest::currentTestFailed() || polled)
        return; // interrupt() is for a thread waiting in receive(); an event loop just stops polling

    FileMappingChannelPosix silent;
    QCOMPARE(silent.open(Role::Sender, address), std::string());
    Event::Kind kind = Event::Kind::Error;
    std::thread reader([&] {
        while ((kind = receiver.receive(-1).kind) != Event::Kind::Interrupted && kind != Event::Kind::Error) {
        }
    });
    QTest::qWait(200);
    QElapsedTimer clock;
    clock.start();
    receiver.interrupt();
    reader.join();
    QVERIFY(clock.elapsed() < 1000);
    QCOMPARE(kind, Event::Kind::Interrupted);
}

void TestFileMapping::severalSenderProcessesAtOnce()
{
    // A 1 MiB ring: frames of 1.5 MiB are larger than the ring and go in chunks.
    const std::string address = uniqueAddress("several", "?size=1M");
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    constexpr int Senders = 4;
    constexpr int PerSender = 150;
    std::vector<std::unique_ptr<QProcess>> helpers;
    for (int i = 0; i < Senders; ++i) {
        helpers.push_back(startHelper({"send", QString::fromStdString(address), QString::number(PerSender), "1500000",
                                       QString::number(100 + i)}));
        QVERIFY(helpers.back());
    }
    Collector c(receiver);
    QElapsedTimer clock;
    clock.start();
    bool paused = false;
    while (c.frames < Senders * PerSender && clock.elapsed() < 60000) {
        QVERIFY2(c.take(receiver.receive(1000), true), c.failure.c_str());
        if (!paused && c.frames == 20) {
            QTest::qWait(300); // the ring fills; senders must wait, not overwrite
            paused = true;
        }
    }
    QCOMPARE(c.frames, Senders * PerSender);
    QCOMPARE(int(c.peerOfTag.size()), Senders);
    for (auto &helper : helpers)
        QVERIFY(finishedCleanly(*helper)); // each got exactly its own replies
}

// Waiting or polled (receive(0) makes the checks a wait that timed out would), an end learns
// that its peer was killed.
void TestFileMapping::senderKilledMidWriteLeavesRingUsable_data()
{
    QTest::addColumn<bool>("polled");
    QTest::newRow("waiting") << false;
    QTest::newRow("polled") << true;
}

void TestFileMapping::senderKilledMidWriteLeavesRingUsable()
{
    QFETCH(bool, polled);
    const std::string address = uniqueAddress("killed");
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    auto hung = startHelper({"hang", QString::fromStdString(address)}, "reserved");
    QVERIFY(hung);
    Collector c(receiver);
    QElapsedTimer clock;
    clock.start();
    while (c.frames < 3 && clock.elapsed() < 5000)
        QVERIFY2(c.take(nextEvent(receiver, polled, 200), false), c.failure.c_str());
    QCOMPARE(c.frames, 3);
    QCOMPARE(nextEvent(receiver, polled, 300).kind, Event::Kind::Timeout); // the half-written frame is not read
    killHard(*hung);

    Event e;
    clock.restart();
    do
        e = nextEvent(receiver, polled, 500);
    while (e.kind == Event::Kind::Timeout && clock.elapsed() < 5000);
    QCOMPARE(e.kind, Event::Kind::PeerGone);
    QVERIFY2(e.text.find("killed") != std::string::npos && e.text.find("unfinished frame") != std::string::npos, e.text.c_str());

    auto next = startHelper({"send", QString::fromStdString(address), "10", "100000", "2"});
    QVERIFY(next);
    clock.restart();
    while (c.frames < 13 && clock.elapsed() < 20000)
        QVERIFY2(c.take(nextEvent(receiver, polled, 1000), true), c.failure.c_str());
    QCOMPARE(c.nextIndex[77], 3u);
    QCOMPARE(c.nextIndex[2], 10u);
    QVERIFY(finishedCleanly(*next));
}

void TestFileMapping::senderKilledWhileFloodingLosesNoWholeFrame()
{
    const std::string address = uniqueAddress("flood", "?size=256K");
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    Collector c(receiver);
    for (int round = 0; round < 3; ++round) {
        const std::uint32_t tag = 10 + std::uint32_t(round);
        auto flood = startHelper({"flood", QString::fromStdString(address), "700000", QString::number(tag)}, "sending");
        QVERIFY(flood);
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 200 + 70 * round)
            QVERIFY2(c.take(receiver.receive(100), false), c.failure.c_str());
        killHard(*flood);
        const int goneBefore = c.gone;
        clock.restart();
        while (c.gone == goneBefore && clock.elapsed() < 5000)
            QVERIFY2(c.take(receiver.receive(200), false), c.failure.c_str());
        QCOMPARE(c.gone, goneBefore + 1);
        QVERIFY(c.nextIndex[tag] > 0);
    }
    auto next = startHelper({"send", QString::fromStdString(address), "30", "700000", "3"});
    QVERIFY(next);
    QElapsedTimer clock;
    clock.start();
    while (c.nextIndex[3] < 30 && clock.elapsed() < 20000)
        QVERIFY2(c.take(receiver.receive(1000), true), c.failure.c_str());
    QCOMPARE(c.nextIndex[3], 30u);
    QVERIFY(finishedCleanly(*next));
}

void TestFileMapping::senderLearnsTheReceiverLeft_data()
{
    senderKilledMidWriteLeavesRingUsable_data();
}

void TestFileMapping::senderLearnsTheReceiverLeft()
{
    QFETCH(bool, polled);
    // A receiver that closes cleanly: its senders hear at once.
    const std::string address = uniqueAddress("left");
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QCOMPARE(sender.open(Role::Sender, address), std::string());
    Event e;
    std::thread reader([&] { e = nextEvent(sender, polled, 5000); });
    QTest::qWait(100);
    receiver.close();
    reader.join();
    QCOMPARE(e.kind, Event::Kind::PeerGone);
    QVERIFY2(e.text.find("closed") != std::string::npos, e.text.c_str());
    sender.close();

    // A receiver killed with SIGKILL: its senders hear within a couple of seconds.
    const std::string killedAddress = uniqueAddress("left-killed");
    auto helper = startHelper({"receive", QString::fromStdString(killedAddress)}, "listening");
    QVERIFY(helper);
    QCOMPARE(sender.open(Role::Sender, killedAddress), std::string());
    killHard(*helper);
    QElapsedTimer clock;
    clock.start();
    e = nextEvent(sender, polled, 5000);
    QCOMPARE(e.kind, Event::Kind::PeerGone);
    QVERIFY(clock.elapsed() < 3000);
    QVERIFY2(e.text.find("has gone away") != std::string::npos, e.text.c_str());
    sender.close();
    QCOMPARE(FileMappingChannelPosix().open(Role::Receiver, killedAddress), std::string()); // and it is replaced
}

// Every end is watched by its owner's event loop through a doorbell that writers ring while the
// end has nothing to read (spin: only while no peer may send, else it is polled at once again;
// spinblock: once 50 µs passed since its last record or frame, so the test lets them pass).
void TestFileMapping::waitingEndsWatchADoorbell_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::newRow("block") << QByteArray("?wait=block");
    QTest::newRow("spinblock") << QByteArray("?wait=spinblock");
    QTest::newRow("spin") << QByteArray("?wait=spin");
}

void TestFileMapping::waitingEndsWatchADoorbell()
{
    QFETCH(QByteArray, options);
    const bool spin = options.endsWith("=spin");
    const auto letSpinPass = [] { QThread::msleep(1); }; // spinblock's 50 µs after activity
    const std::string address = uniqueAddress("bell", options.constData());
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QVERIFY(receiver.readinessDescriptor() >= 0);
    QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout);
    QCOMPARE(receiver.nextDeadlineMs(), -1); // nobody to check on: it sleeps until rung
    QVERIFY(!rings(receiver, 0));

    QCOMPARE(sender.open(Role::Sender, address), std::string());
    QVERIFY(rings(receiver, 2000)); // the sender's Connect rang
    QCOMPARE(receiver.receive(0).kind, Event::Kind::PeerConnected);
    letSpinPass();
    QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout);
    QCOMPARE(receiver.nextDeadlineMs(), spin ? 0 : ipcw::native::shm::ShmSession::LivenessCheckMs);

    const std::vector<std::uint8_t> frame = TestFrames::make(5, 0, 300);
    QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());
    if (!spin)
        QVERIFY(rings(receiver, 2000));
    Event e = receiver.receive(0);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QCOMPARE(e.frame, frame);

    // Replies ring the sender's own doorbell.
    letSpinPass();
    QCOMPARE(sender.receive(0).kind, Event::Kind::Timeout);
    QVERIFY(!rings(sender, 0));
    QCOMPARE(receiver.send(frame.data(), 40, e.peer), std::string());
    if (!spin)
        QVERIFY(rings(sender, 2000));
    QCOMPARE(sender.receive(0).kind, Event::Kind::Frame);

    QCOMPARE(sender.receive(0).kind, Event::Kind::Timeout);
    receiver.close();
    if (!spin)
        QVERIFY(rings(sender, 2000));
    QCOMPARE(sender.receive(0).kind, Event::Kind::PeerGone);
    QCOMPARE(sender.nextDeadlineMs(), -1); // nothing more can come
}

// spinblock polled from an event loop: right after a frame it asks to be polled again at once
// (nextDeadlineMs() 0, its doorbell unarmed), and once SpinBeforeBlock passed it arms the
// doorbell and sleeps as block does; with no sender left it sleeps at once.
void TestFileMapping::spinblockSpinsAfterEachFrameThenSleeps()
{
    const std::string address = uniqueAddress("spinblock", "?wait=spinblock");
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QVERIFY(receiver.readinessDescriptor() >= 0);
    QCOMPARE(sender.open(Role::Sender, address), std::string());
    QCOMPARE(nextEvent(receiver, true, 2000).kind, Event::Kind::PeerConnected);
    const std::vector<std::uint8_t> frame = TestFrames::make(6, 0, 200);
    int spunAtOnce = 0; // the 50 µs can pass before the question is asked on a busy machine
    for (int round = 0; round < 100; ++round) {
        QThread::msleep(1);
        QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout); // the spin is over: it arms
        QCOMPARE(receiver.nextDeadlineMs(), ipcw::native::shm::ShmSession::LivenessCheckMs);
        QVERIFY(!rings(receiver, 0));
        QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());
        QVERIFY(rings(receiver, 2000));
        QCOMPARE(receiver.receive(0).kind, Event::Kind::Frame);
        spunAtOnce += receiver.nextDeadlineMs() == 0 ? 1 : 0;
    }
    QVERIFY2(spunAtOnce > 0, "never asked to be polled at once after a frame: it does not spin");
    qInfo("polled at once right after %d of 100 frames", spunAtOnce);
    sender.close();
    Event e = nextEvent(receiver, true, 2000);
    QCOMPARE(e.kind, Event::Kind::PeerGone);
    QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout);
    QCOMPARE(receiver.nextDeadlineMs(), -1); // nobody may send: it sleeps however recently it spun
}

// Lock-step round trips with another process: every frame finds the receiver waiting and every
// reply the sender. A polled receiver that nobody rang would wait a second for each.
void TestFileMapping::roundTripsWithAnotherProcess_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::addColumn<bool>("polled");
    QTest::newRow("block") << QByteArray("?wait=block") << false;
    QTest::newRow("block, polled") << QByteArray("?wait=block") << true;
    QTest::newRow("spinblock, polled") << QByteArray("?wait=spinblock") << true;
    QTest::newRow("spin, polled") << QByteArray("?wait=spin") << true;
}

void TestFileMapping::roundTripsWithAnotherProcess()
{
    QFETCH(QByteArray, options);
    QFETCH(bool, polled);
    const std::string address = uniqueAddress("lockstep", options.constData());
    FileMappingChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    expectFramesFromHelper(receiver, address, 200, 70000, 9, polled, "pingpong");
}

// A doorbell path held by something this end cannot replace (another user's file, in the sticky
// /dev/shm; here a folder, which unlink() leaves too) leaves that end on a reader thread and the
// futex, and frames still flow. The longest name still gets a doorbell.
void TestFileMapping::aDoorbellThatCannotBeMadeFallsBackToTheFutex()
{
    const std::string address = uniqueAddress("taken");
    const std::string bell = receiverDoorbell(address);
    QCOMPARE(mkdir(bell.c_str(), 0700), 0);
    {
        FileMappingChannelPosix receiver;
        QCOMPARE(receiver.open(Role::Receiver, address), std::string());
        QCOMPARE(receiver.readinessDescriptor(), -1);
        expectFramesFromHelper(receiver, address, 20, 5000, 4);
    }
    QVERIFY(isFifo(bell) == false && exists(bell)); // not ours to remove: left as it was
    QCOMPARE(rmdir(bell.c_str()), 0);

    FileMappingChannelPosix longName;
    QCOMPARE(longName.open(Role::Receiver, std::string(100, 'n')), std::string());
    QVERIFY(longName.readinessDescriptor() >= 0);
}

// Doorbells are files: each end removes its own when it closes, a receiver those its address's
// crashed readers left when it opens, and a sender those of its slot's earlier generations.
void TestFileMapping::doorbellsLeaveNoFilesBehind()
{
    const std::string address = uniqueAddress("bellfiles");
    const std::string bell = receiverDoorbell(address);
    const std::string crashedSender = bell + "-0-4000000000";
    QCOMPARE(mkfifo(bell.c_str(), 0600), 0); // a crashed receiver's
    QCOMPARE(mkfifo(crashedSender.c_str(), 0600), 0);
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QCOMPARE(receiver.doorbellPath(), bell);
    QVERIFY(isFifo(bell));
    QVERIFY(!exists(crashedSender));

    QCOMPARE(sender.open(Role::Sender, address), std::string());
    const int slot = sender.session()->slot();
    const std::uint32_t generation = sender.session()->generation();
    const std::string senderBell = sender.doorbellPath(std::uint32_t(slot), generation);
    QVERIFY(isFifo(senderBell));
    sender.close();
    QVERIFY(!exists(senderBell));

    const std::string crashedInSlot = bell + "-" + std::to_string(slot) + "-" + std::to_string(generation + 7);
    QCOMPARE(mkfifo(crashedInSlot.c_str(), 0600), 0);
    QCOMPARE(sender.open(Role::Sender, address), std::string());
    QCOMPARE(sender.session()->slot(), slot); // the slot it left, in a new generation
    QVERIFY(!exists(crashedInSlot));
    QVERIFY(isFifo(sender.doorbellPath(std::uint32_t(slot), sender.session()->generation())));
    sender.close();
    receiver.close();
    QVERIFY(!exists(bell));
}

// A ring can land after its reader disarmed the doorbell: the writer saw it armed just before.
// The channel reads its doorbell only while it is armed (so a spinning end, or a receive(0) right
// after an event, makes no call for it); such a late ring is read at the next arming (block), or
// within StaleRingReadEverySpinning polls (spin, which does not arm while a peer may send).
// Either way the doorbell goes quiet, and so does the event loop that watches it.
void TestFileMapping::lateRingIsReadAndTheDoorbellQuiets_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::newRow("block") << QByteArray("?wait=block");
    QTest::newRow("spin") << QByteArray("?wait=spin");
}

void TestFileMapping::lateRingIsReadAndTheDoorbellQuiets()
{
    QFETCH(QByteArray, options);
    const bool spin = options.endsWith("spin");
    const std::string address = uniqueAddress("late", options.constData());
    FileMappingChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QCOMPARE(sender.open(Role::Sender, address), std::string());
    QCOMPARE(nextEvent(receiver, true, 5000).kind, Event::Kind::PeerConnected);
    QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout);
    QVERIFY(!rings(receiver, 0));

    receiver.session()->dataRing().disarmDoorbell(); // as while it reads
    const int writer = ::open(receiver.doorbellPath().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    QVERIFY(writer >= 0);
    QCOMPARE(write(writer, "", 1), ssize_t(1));
    ::close(writer);
    QVERIFY(rings(receiver, 2000));

    QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout);
    if (spin)
        QVERIFY(rings(receiver, 0)); // a poll while spinning did not read the doorbell
    int polls = 1;
    while (rings(receiver, 0)) {
        QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout);
        QVERIFY2(++polls <= int(spin ? FileMappingChannelPosix::StaleRingReadEverySpinning : 2), qPrintable(QString::number(polls)));
    }

    const std::vector<std::uint8_t> frame = TestFrames::make(5, 1, 300);
    QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());
    const Event e = nextEvent(receiver, true, 5000);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QCOMPARE(e.frame, frame);
}

// With a FrameStore lent (as NativeChannelEndpoint lends one), each frame from
// FrameBytes::StoredFromBytes on is copied out of the ring once, into the store's buffer, and
// returned through deliver() with an empty Event::frame: frames of one record and of several,
// both ways. Smaller frames, and every frame once the store is taken back, come in Event::frame.
void TestFileMapping::framesGoStraightIntoALentStore()
{
    // A 1 MiB data ring takes records of at most 256 KiB, so a 600,000-byte frame comes in three;
    // the 128 KiB reply ring takes 32 KiB, so a 64 KiB reply comes in three too.
    const std::string address = uniqueAddress("store", "?size=1M");
    CountingFrameStore receiverStore, senderStore;
    FileMappingChannelPosix receiver, sender;
    receiver.setFrameStore(&receiverStore);
    sender.setFrameStore(&senderStore);
    QCOMPARE(receiver.open(Role::Receiver, address), std::string());
    QCOMPARE(sender.open(Role::Sender, address), std::string());
    QCOMPARE(receiver.receive(2000).kind, Event::Kind::PeerConnected);

    constexpr std::size_t Threshold = ipcw::native::FrameBytes::StoredFromBytes;
    const std::size_t sizes[] = {1, 127, Threshold - 1, Threshold, 65536 + 40, 600000};
    std::uint32_t index = 0;
    bool stored = false;
    for (const std::size_t size : sizes) {
        const std::vector<std::uint8_t> frame = TestFrames::make(3, index++, size);
        QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());
        Event e = receiver.receive(2000);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY(receiverStore.frameOf(e, &stored) == frame);
        QCOMPARE(stored, size >= Threshold);

        const std::vector<std::uint8_t> reply = TestFrames::make(4, index, std::min<std::size_t>(size, 65536 + 40));
        QCOMPARE(receiver.send(reply.data(), reply.size(), e.peer), std::string());
        e = sender.receive(2000);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY(senderStore.frameOf(e, &stored) == reply);
        QCOMPARE(stored, reply.size() >= Threshold);
    }
    QCOMPARE(receiverStore.delivered.size(), std::size_t(3));
    QCOMPARE(receiverStore.live, 0);
    QCOMPARE(senderStore.live, 0);

    receiver.setFrameStore(nullptr);
    const std::vector<std::uint8_t> frame = TestFrames::make(3, index, 600000);
    QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());
    const Event e = receiver.receive(2000);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QVERIFY(receiverStore.frameOf(e, &stored) == frame);
    QVERIFY(!stored);
}

QTEST_GUILESS_MAIN(TestFileMapping)
#include "tst_filemapping.moc"
