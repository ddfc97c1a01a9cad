// SPDX-License-Identifier: GPL-3.0-or-later
// The POSIX mailslot backend with real message queues: fragmentation, lying fragment headers,
// backpressure, reply routing, stale and live queues, mode bits, used-up queue memory,
// interrupt, and a sender killed mid-frame. Child processes are this binary run with --child.

#include "countingframestore.h"
#include "framecodec.h"
#include "mailslot_posix.h"
#include "mailslotdatagram.h"
#include "native/posixpaths.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

#include <atomic>
#include <csignal>
#include <cstring>
#include <future>
#include <iostream>
#include <thread>

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using ipcw::native::Event;
using ipcw::native::Role;

namespace {

using Bytes = std::vector<std::uint8_t>;

QString uniqueName(const char *what)
{
    return QStringLiteral("tst-%1-%2-%3").arg(QLatin1String(what)).arg(getpid()).arg(QRandomGenerator::global()->generate());
}

Bytes toBytes(const QByteArray &a)
{
    return Bytes(a.begin(), a.end());
}

// Receives until an event other than a timeout arrives, or `ms` pass.
Event nextEvent(MailslotChannelPosix &channel, int ms = 5000)
{
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        Event e = channel.receive(200);
        if (e.kind != Event::Kind::Timeout || clock.elapsed() > ms)
            return e;
    }
}

std::string send(MailslotChannelPosix &channel, const Bytes &frame, std::uint64_t peer = 0)
{
    return channel.send(frame.data(), frame.size(), peer);
}

// --child receiver NAME: listen, say "ready", wait to be killed.
// --child sender NAME BYTES: connect, say "ready", send one frame of BYTES (blocks when full).
int childMain(int argc, char **argv)
{
    const std::string mode = argv[2], name = argv[3];
    MailslotChannelPosix channel;
    const Role role = mode == "receiver" ? Role::Receiver : Role::Sender;
    if (const std::string error = channel.open(role, name); !error.empty()) {
        std::cout << "error " << error << std::endl;
        return 1;
    }
    std::cout << "ready" << std::endl;
    if (role == Role::Receiver) {
        for (;;)
            pause();
    }
    const Bytes frame(std::size_t(std::atol(argc > 4 ? argv[4] : "1")), 0x5a);
    channel.send(frame.data(), frame.size(), 0);
    std::cout << "sent" << std::endl;
    for (;;)
        pause();
}

struct Child
{
    std::unique_ptr<QProcess> process = std::make_unique<QProcess>();

    bool start(const QStringList &arguments)
    {
        process->start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--child")} + arguments);
        if (!process->waitForStarted(5000))
            return false;
        QByteArray out;
        while (!out.contains("ready") && process->waitForReadyRead(5000))
            out += process->readAllStandardOutput();
        return out.contains("ready");
    }
    void killHard()
    {
        ::kill(pid_t(process->processId()), SIGKILL);
        process->waitForFinished(5000);
    }
    ~Child()
    {
        if (process->state() != QProcess::NotRunning)
            killHard();
    }
};

} // namespace

class TestMailslot final : public QObject
{
    Q_OBJECT

private slots:
    void senderWithoutReceiverIsToldToStartOne();
    void modeBitsAre0600();
    void usedUpQueueMemoryIsASentence();
    void framesOfEverySizeArriveWhole_data();
    void framesOfEverySizeArriveWhole();
    void lyingTotalIsRefusedBeforeAllocating();
    void fragmentOutOfStepIsRefused();
    void abandonedFrameDoesNotBlockTheNext();
    void fullQueueBlocksThenDrainsWithNothingLost();
    void trySendPutsOnlyWhatNeedsNoWaiting();
    void conversationReadsStopAtTheFirstFrame();
    void framesGoStraightIntoALentStore();
    void senderGoneBeforeItsHelloIsReadStillCounts();
    void repliesReachTheRightSender();
    void senderTurnedAwayIsToldWhy();
    void staleQueueOfCrashedReceiverIsReplaced();
    void liveQueueIsNotStolen();
    void interruptWakesReceiveAndSend();
    void senderKilledMidFrameIsReportedAndDropped();
    void senderNoticesReceiverDeath();
    void readinessQuietsOnceTheReceiverIsGone();
    void readinessQuietsOnceASenderIsForgotten();
};

void TestMailslot::senderWithoutReceiverIsToldToStartOne()
{
    MailslotChannelPosix sender;
    const std::string error = sender.open(Role::Sender, uniqueName("nobody").toStdString());
    QVERIFY2(error.find("start a receiver first") != std::string::npos, error.c_str());
    const std::string bad = sender.open(Role::Sender, "has/slash");
    QVERIFY2(bad.find("may contain only") != std::string::npos, bad.c_str());
    const std::string option = sender.open(Role::Sender, "x?colour=blue");
    QVERIFY2(option.find("fragment=") != std::string::npos, option.c_str());
}

// The user's message-queue memory (RLIMIT_MSGQUEUE, 800 KiB by default) used up by other
// programs: a receiver cannot create its queue, nor a sender its reply queue, even at the
// smallest size createQueue() falls back to. Each says which limit and what to do, the
// receiver already listening sees no half-connected sender, and once there is memory again the
// same names work: the refusals left nothing behind.
void TestMailslot::usedUpQueueMemoryIsASentence()
{
    const std::string name = uniqueName("rlimit").toStdString();
    MailslotChannelPosix listening;
    QCOMPARE(listening.open(Role::Receiver, name), std::string());

    rlimit saved {};
    QCOMPARE(getrlimit(RLIMIT_MSGQUEUE, &saved), 0);
    std::string receiverError, senderError;
    {
        rlimit none = saved;
        none.rlim_cur = 0; // lowering the soft limit, and raising it back, needs no privilege
        QCOMPARE(setrlimit(RLIMIT_MSGQUEUE, &none), 0);
        MailslotChannelPosix receiver, sender;
        receiverError = receiver.open(Role::Receiver, name + "-second");
        senderError = sender.open(Role::Sender, name);
        QCOMPARE(setrlimit(RLIMIT_MSGQUEUE, &saved), 0);
    }
    for (const std::string &error : {receiverError, senderError})
        QVERIFY2(error.find("Cannot create the message queue") != std::string::npos
                     && error.find("RLIMIT_MSGQUEUE, see ulimit -q") != std::string::npos
                     && error.find("raise the limit") != std::string::npos,
                 error.c_str());
    QVERIFY2(senderError.find(name + "-reply-" + std::to_string(getpid())) != std::string::npos, senderError.c_str());
    QCOMPARE(listening.receive(100).kind, Event::Kind::Timeout);

    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name + "-second"), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(listening).kind, Event::Kind::PeerConnected);
}

void TestMailslot::modeBitsAre0600()
{
    const std::string name = uniqueName("mode").toStdString();
    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    const Event hello = nextEvent(receiver);
    QCOMPARE(hello.kind, Event::Kind::PeerConnected);

    // /dev/mqueue is often not mounted: fstat() on a descriptor of the queue tells the same.
    const std::string queues[] = {ipcw::native::userScopedObjectName(name),
                                  ipcw::native::userScopedObjectName(ipcw::mailslot::replyName(
                                      name, std::uint32_t(hello.peer >> 32), std::uint32_t(hello.peer)))};
    for (const std::string &queue : queues) {
        const mqd_t q = mq_open(queue.c_str(), O_WRONLY);
        QVERIFY2(q != mqd_t(-1), queue.c_str());
        struct stat st {};
        QCOMPARE(fstat(q, &st), 0);
        mq_close(q);
        QCOMPARE(int(st.st_mode & 0777), 0600);
        QCOMPARE(st.st_uid, getuid());
    }
    std::string error;
    const std::string lock = ipcw::native::userRuntimeDir(&error) + "/mailslot-" + name + ".lock";
    struct stat st {};
    QCOMPARE(stat(lock.c_str(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    sender.close();
    receiver.close();
    QCOMPARE(mq_open(queues[0].c_str(), O_WRONLY), mqd_t(-1)); // removed on a clean close
    QCOMPARE(errno, ENOENT);
}

void TestMailslot::framesOfEverySizeArriveWhole_data()
{
    QTest::addColumn<int>("payloadBytes"); // -1: a raw 1-byte datagram, not a codec frame
    QTest::addColumn<QString>("option");
    QTest::newRow("1 B raw") << -1 << QString();
    QTest::newRow("header only") << 0 << QString();
    QTest::newRow("one full message") << int(8192 - 32 - 40) << QString();
    QTest::newRow("one byte over") << int(8192 - 32 - 40 + 1) << QString();
    QTest::newRow("64 KiB") << 64 * 1024 << QString();
    QTest::newRow("1 MiB") << 1024 * 1024 << QString();
    QTest::newRow("16 MiB") << 16 * 1024 * 1024 << QString();
    QTest::newRow("100 KiB in 424 B fragments") << 100 * 1024 << QStringLiteral("?fragment=424");
}

void TestMailslot::framesOfEverySizeArriveWhole()
{
    QFETCH(int, payloadBytes);
    QFETCH(QString, option);
    const std::string name = uniqueName("size").toStdString();
    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name + option.toStdString()), std::string());
    QVERIFY(receiver.queueMessageBytes() > 0);
    QCOMPARE(sender.open(Role::Sender, name + option.toStdString()), std::string());
    const Event hello = nextEvent(receiver);
    QCOMPARE(hello.kind, Event::Kind::PeerConnected);

    Bytes frame{0x42};
    if (payloadBytes >= 0) {
        QByteArray payload(payloadBytes, Qt::Uninitialized);
        for (int i = 0; i < payload.size(); ++i)
            payload[i] = char(i * 7 + (i >> 8));
        frame = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 9, 77, payload));
    }
    // Twice, so that a second frame is reassembled after a first one.
    auto sent = std::async(std::launch::async, [&] { return send(sender, frame) + send(sender, frame); });
    for (int i = 0; i < 2; ++i) {
        const Event e = nextEvent(receiver, 30000);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QCOMPARE(e.peer, hello.peer);
        QCOMPARE(e.frame.size(), frame.size());
        QVERIFY(e.frame == frame);
        if (payloadBytes >= 0) {
            DecodedFrame decoded;
            const QByteArray bytes(reinterpret_cast<const char *>(e.frame.data()), qsizetype(e.frame.size()));
            QCOMPARE(FrameCodec::decode(bytes, &decoded), DecodeError::None);
            QCOMPARE(decoded.payload().size(), payloadBytes);
        }
    }
    QCOMPARE(sent.get(), std::string());

    // And back: the reply path fragments too.
    auto replied = std::async(std::launch::async, [&] { return send(receiver, frame, hello.peer); });
    const Event back = nextEvent(sender, 30000);
    QCOMPARE(back.kind, Event::Kind::Frame);
    QVERIFY(back.frame == frame);
    QCOMPARE(replied.get(), std::string());

    sender.close();
    const Event gone = nextEvent(receiver);
    QCOMPARE(gone.kind, Event::Kind::PeerGone);
    QVERIFY2(gone.text.find("cleanly") != std::string::npos, gone.text.c_str());
}

namespace {

// A hand-made sender: a reply queue and raw datagrams, to say what a real sender never would.
struct ForgedSender
{
    std::string replyQueue;
    mqd_t queue = mqd_t(-1);
    std::uint32_t slot = 4000000000u;

    explicit ForgedSender(const std::string &name)
    {
        replyQueue = ipcw::native::userScopedObjectName(ipcw::mailslot::replyName(name, getpid(), slot));
        mq_attr attr {};
        attr.mq_maxmsg = 2;
        attr.mq_msgsize = 128;
        mq_close(mq_open(replyQueue.c_str(), O_RDONLY | O_CREAT, 0600, &attr));
        queue = mq_open(ipcw::native::userScopedObjectName(name).c_str(), O_WRONLY);
    }
    ~ForgedSender()
    {
        mq_close(queue);
        mq_unlink(replyQueue.c_str());
    }
    bool send(ipcw::mailslot::DatagramKind kind, std::uint32_t offset, std::uint32_t total, std::size_t bytes,
              std::uint32_t frameNumber = 1)
    {
        ipcw::mailslot::DatagramHeader h;
        h.kind = kind;
        h.pid = std::uint32_t(getpid());
        h.slot = slot;
        h.frameNumber = frameNumber;
        h.offset = offset;
        h.total = total;
        Bytes datagram(ipcw::mailslot::DatagramHeaderBytes + bytes, 0x11);
        ipcw::mailslot::writeDatagramHeader(datagram.data(), h);
        return mq_send(queue, reinterpret_cast<const char *>(datagram.data()), datagram.size(), 0) == 0;
    }
};

} // namespace

void TestMailslot::lyingTotalIsRefusedBeforeAllocating()
{
    const std::string name = uniqueName("liar").toStdString();
    MailslotChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    {
        ForgedSender liar(name);
        QVERIFY(liar.queue != mqd_t(-1));
        QVERIFY(liar.send(ipcw::mailslot::DatagramKind::Hello, 0, 0, 4));
        QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
        // Claims a 4 GiB frame in its first fragment: refused from the header alone.
        QVERIFY(liar.send(ipcw::mailslot::DatagramKind::Fragment, 0, 0xfffffff0u, 100));
        const Event refused = nextEvent(receiver);
        QCOMPARE(refused.kind, Event::Kind::Refused);
        QVERIFY2(refused.text.find("4294967280 bytes") != std::string::npos, refused.text.c_str());
        QVERIFY2(refused.text.find("refused") != std::string::npos, refused.text.c_str());
        // The rest of that frame is dropped without another word.
        QVERIFY(liar.send(ipcw::mailslot::DatagramKind::Fragment, 100, 0xfffffff0u, 100));
        QCOMPARE(receiver.receive(300).kind, Event::Kind::Timeout);
        // The direct check of the rule, on the reassembly alone: nothing was reserved.
        ipcw::mailslot::Reassembly reassembly;
        ipcw::mailslot::DatagramHeader h;
        h.total = ipcw::mailslot::MaxFrameBytes + 1;
        std::string error;
        const std::uint8_t byte = 0;
        QCOMPARE(reassembly.add(h, &byte, 1, &error), ipcw::mailslot::Reassembly::Result::Refused);
        QVERIFY(!reassembly.partial());
        QCOMPARE(reassembly.receivedBytes(), std::size_t(0));
    }
    // The receiver goes on serving honest senders.
    MailslotChannelPosix sender;
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    const Bytes frame = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 1, QByteArray(20000, 'x')));
    QCOMPARE(send(sender, frame), std::string());
    const Event e = nextEvent(receiver);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QVERIFY(e.frame == frame);
}

void TestMailslot::fragmentOutOfStepIsRefused()
{
    const std::string name = uniqueName("step").toStdString();
    MailslotChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    ForgedSender forger(name);
    QVERIFY(forger.send(ipcw::mailslot::DatagramKind::Hello, 0, 0, 0));
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    QVERIFY(forger.send(ipcw::mailslot::DatagramKind::Fragment, 0, 1000, 100));
    QVERIFY(forger.send(ipcw::mailslot::DatagramKind::Fragment, 300, 1000, 100)); // skips 200 bytes
    const Event e = nextEvent(receiver);
    QCOMPARE(e.kind, Event::Kind::Refused);
    QVERIFY2(e.text.find("does not follow on") != std::string::npos, e.text.c_str());
    // A datagram that is not ours at all.
    const mqd_t q = mq_open(ipcw::native::userScopedObjectName(name).c_str(), O_WRONLY);
    QVERIFY(mq_send(q, "hello", 5, 0) == 0);
    mq_close(q);
    const Event foreign = nextEvent(receiver);
    QCOMPARE(foreign.kind, Event::Kind::Refused);
    QVERIFY2(foreign.text.find("dropped") != std::string::npos, foreign.text.c_str());
}

// A frame left unfinished or refused costs that frame only: the same sender's next frames
// arrive, and each loss is said once.
void TestMailslot::abandonedFrameDoesNotBlockTheNext()
{
    using ipcw::mailslot::DatagramKind;
    const std::string name = uniqueName("abandon").toStdString();
    MailslotChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    ForgedSender forger(name);
    QVERIFY(forger.send(DatagramKind::Hello, 0, 0, 0));
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);

    QVERIFY(forger.send(DatagramKind::Fragment, 0, 1000, 90, 1)); // frame 1, never finished
    QVERIFY(forger.send(DatagramKind::Fragment, 0, 50, 50, 2));   // frame 2, whole
    const Event abandoned = nextEvent(receiver);
    QCOMPARE(abandoned.kind, Event::Kind::Refused);
    QVERIFY2(abandoned.text.find("left frame 1 unfinished (90 of 1000 bytes)") != std::string::npos, abandoned.text.c_str());
    const Event second = nextEvent(receiver);
    QCOMPARE(second.kind, Event::Kind::Frame);
    QCOMPARE(second.frame.size(), std::size_t(50));

    QVERIFY(forger.send(DatagramKind::Fragment, 0, 1000, 90, 3));
    QVERIFY(forger.send(DatagramKind::Fragment, 300, 1000, 90, 3)); // out of step
    QVERIFY(forger.send(DatagramKind::Fragment, 390, 1000, 90, 3)); // the rest of frame 3: quiet
    QVERIFY(forger.send(DatagramKind::Fragment, 0, 60, 60, 4));
    const Event outOfStep = nextEvent(receiver);
    QCOMPARE(outOfStep.kind, Event::Kind::Refused);
    QVERIFY2(outOfStep.text.find("does not follow on") != std::string::npos, outOfStep.text.c_str());
    const Event fourth = nextEvent(receiver);
    QCOMPARE(fourth.kind, Event::Kind::Frame);
    QCOMPARE(fourth.frame.size(), std::size_t(60));
    QCOMPARE(receiver.receive(300).kind, Event::Kind::Timeout);
}

void TestMailslot::fullQueueBlocksThenDrainsWithNothingLost()
{
    const std::string name = uniqueName("full").toStdString();
    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);

    // 40 frames of 100 KiB are far more than a queue holds (10 x 8 KiB by default).
    constexpr int Frames = 40;
    std::vector<Bytes> frames;
    for (int i = 0; i < Frames; ++i)
        frames.push_back(toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, quint64(i), 5,
                                                           QByteArray(100 * 1024, char('a' + i % 26)))));
    std::atomic<int> done{0};
    auto writer = std::async(std::launch::async, [&] {
        std::string errors;
        for (const Bytes &f : frames) {
            errors += send(sender, f);
            ++done;
        }
        return errors;
    });
    QTest::qWait(400);
    QVERIFY2(done.load() < 2, "the sender should be blocked on the full queue");
    QCOMPARE(writer.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
    for (int i = 0; i < Frames; ++i) {
        const Event e = nextEvent(receiver, 10000);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY2(e.frame == frames[std::size_t(i)], qPrintable(QStringLiteral("frame %1 differs").arg(i)));
    }
    QCOMPARE(writer.get(), std::string());
    QCOMPARE(done.load(), Frames);
    QCOMPARE(receiver.receive(100).kind, Event::Kind::Timeout);
}

// trySend(), the caller's-thread path: a frame of one datagram goes if the queue has room; a
// sender's frame of several, or one facing a full queue, is left to send() with nothing put and
// no frame number used up, so the receiver sees no gap and refuses nothing.
namespace {
// Read as NativeChannelEndpoint reads a Watchable channel: wait for the readiness descriptor,
// then take events until receive(0) has none or drained() says the descriptor tells the rest.
// Appends the frames to `frames`; false if the descriptor stayed quiet for 5 s.
bool readOneTurn(MailslotChannelPosix &channel, std::vector<Bytes> *frames)
{
    pollfd ready{channel.readinessDescriptor(), POLLIN, 0};
    if (poll(&ready, 1, 5000) != 1)
        return false;
    for (;;) {
        const Event e = channel.receive(0);
        if (e.kind == Event::Kind::Frame)
            frames->push_back(e.frame);
        if (e.kind == Event::Kind::Timeout || channel.drained())
            return true;
    }
}
} // namespace

// After a few lone frames (a conversation: the peer waits for each answer), a read stops at
// its frame instead of asking the queue once more only to hear EAGAIN, and says it is drained:
// what else waits keeps the descriptor readable. A burst that follows still arrives whole and
// in order, and ends the conversation.
// With a FrameStore lent (as NativeChannelEndpoint lends one), the fragments of a frame from
// FrameBytes::StoredFromBytes on are copied out of the messages once, into the store's buffer,
// and the frame returned through deliver() with an empty Event::frame: frames of one fragment
// and of many, both ways. Smaller frames, and every frame once the store is taken back, come in
// Event::frame.
void TestMailslot::framesGoStraightIntoALentStore()
{
    const std::string name = uniqueName("store").toStdString();
    CountingFrameStore receiverStore, senderStore;
    MailslotChannelPosix receiver, sender;
    receiver.setFrameStore(&receiverStore);
    sender.setFrameStore(&senderStore);
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    auto frame = [](int seq, int payloadBytes) {
        return toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, quint64(seq), 1, QByteArray(payloadBytes, 'p'), 1));
    };

    constexpr std::size_t Threshold = ipcw::native::FrameBytes::StoredFromBytes;
    const int payloads[] = {0, 87, 64 * 1024, 300000};
    int seq = 0;
    bool stored = false;
    for (const int payloadBytes : payloads) {
        // Sent from another thread: a frame of many fragments fills the queue while it is read.
        const Bytes ping = frame(seq++, payloadBytes);
        auto sent = std::async(std::launch::async, [&] { return send(sender, ping); });
        Event e = nextEvent(receiver);
        QCOMPARE(sent.get(), std::string());
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY(receiverStore.frameOf(e, &stored) == ping);
        QCOMPARE(stored, ping.size() >= Threshold);

        const Bytes pong = frame(seq, payloadBytes);
        auto replied = std::async(std::launch::async, [&, peer = e.peer] { return send(receiver, pong, peer); });
        e = nextEvent(sender);
        QCOMPARE(replied.get(), std::string());
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY(senderStore.frameOf(e, &stored) == pong);
        QCOMPARE(stored, pong.size() >= Threshold);
    }
    QCOMPARE(receiverStore.delivered.size(), std::size_t(2));
    QCOMPARE(receiverStore.live, 0);
    QCOMPARE(senderStore.live, 0);

    receiver.setFrameStore(nullptr);
    const Bytes ping = frame(seq, 300000);
    auto sent = std::async(std::launch::async, [&] { return send(sender, ping); });
    const Event e = nextEvent(receiver);
    QCOMPARE(sent.get(), std::string());
    QCOMPARE(e.kind, Event::Kind::Frame);
    QVERIFY(receiverStore.frameOf(e, &stored) == ping);
    QVERIFY(!stored);
}

void TestMailslot::conversationReadsStopAtTheFirstFrame()
{
    const std::string name = uniqueName("conversation").toStdString();
    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    // A fixed time stamp: the frames are compared with what arrives.
    auto frame = [](int i) { return toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, quint64(i), 1, "ping", 1)); };
    std::vector<Bytes> got;
    for (int i = 0; i < 6; ++i) {
        QCOMPARE(send(sender, frame(i)), std::string());
        QVERIFY(readOneTurn(receiver, &got));
    }
    QCOMPARE(got.size(), std::size_t(6));

    QCOMPARE(send(sender, frame(6)), std::string());
    QCOMPARE(send(sender, frame(7)), std::string());
    const Event first = receiver.receive(0);
    QCOMPARE(first.kind, Event::Kind::Frame);
    QVERIFY(first.frame == frame(6));
    QVERIFY(receiver.drained()); // frame 7 is still in the queue...
    pollfd ready{receiver.readinessDescriptor(), POLLIN, 0};
    QCOMPARE(poll(&ready, 1, 0), 1); // ...where the descriptor shows it
    const Event second = receiver.receive(0);
    QCOMPARE(second.kind, Event::Kind::Frame);
    QVERIFY(second.frame == frame(7));

    constexpr int Burst = 200; // more than the queue holds: the sender waits for room
    auto burst = std::async(std::launch::async, [&] {
        for (int i = 0; i < Burst; ++i)
            if (std::string error = send(sender, frame(100 + i)); !error.empty())
                return error;
        return std::string();
    });
    got.clear();
    while (got.size() < std::size_t(Burst))
        QVERIFY2(readOneTurn(receiver, &got), "the descriptor stayed quiet while frames were due");
    QCOMPARE(burst.get(), std::string());
    QCOMPARE(got.size(), std::size_t(Burst));
    for (int i = 0; i < Burst; ++i)
        QVERIFY2(got[std::size_t(i)] == frame(100 + i), qPrintable(QString::number(i)));
}

void TestMailslot::trySendPutsOnlyWhatNeedsNoWaiting()
{
    const std::string name = uniqueName("try").toStdString();
    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    const Event hello = nextEvent(receiver);
    QCOMPARE(hello.kind, Event::Kind::PeerConnected);

    std::string error = "not cleared";
    const Bytes small = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 5, "one datagram"));
    const Bytes large = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 2, 5, QByteArray(20000, 'l')));
    QVERIFY(sender.trySend(small.data(), small.size(), 0, &error));
    QCOMPARE(error, std::string());
    QVERIFY(!sender.trySend(large.data(), large.size(), 0, &error));
    int sent = 1;
    while (sender.trySend(small.data(), small.size(), 0, &error)) {
        QCOMPARE(error, std::string());
        QVERIFY(++sent < 10000);
    }
    QVERIFY(sent >= 2); // the queue holds a few; then it is full
    auto writer = std::async(std::launch::async, [&] { return send(sender, large); }); // waits for room
    for (int i = 0; i < sent; ++i) {
        const Event e = nextEvent(receiver);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY(e.frame == small);
    }
    const Event last = nextEvent(receiver);
    QCOMPARE(last.kind, Event::Kind::Frame);
    QVERIFY(last.frame == large);
    QCOMPARE(writer.get(), std::string());
    QCOMPARE(receiver.receive(100).kind, Event::Kind::Timeout); // nothing refused

    const Bytes ack = toBytes(FrameCodec::encodeAck(1, 5, 1, 0));
    QVERIFY(receiver.trySend(ack.data(), ack.size(), hello.peer, &error));
    QCOMPARE(error, std::string());
    const Event reply = nextEvent(sender);
    QCOMPARE(reply.kind, Event::Kind::Frame);
    QVERIFY(reply.frame == ack);

    // A reply of several datagrams goes whole when its queue, which only this receiver writes,
    // has room for all of them; with a full one nothing of it is put, and it is left to send().
    const Bytes largeReply = toBytes(FrameCodec::encodeControl(Wire::FrameType::Pong, 2, 5, QByteArray(20000, 'r')));
    QVERIFY(receiver.trySend(largeReply.data(), largeReply.size(), hello.peer, &error));
    QCOMPARE(error, std::string());
    const Event whole = nextEvent(sender);
    QCOMPARE(whole.kind, Event::Kind::Frame);
    QVERIFY(whole.frame == largeReply);
    int acks = 0;
    while (receiver.trySend(ack.data(), ack.size(), hello.peer, &error)) {
        QCOMPARE(error, std::string());
        QVERIFY(++acks < 10000);
    }
    QVERIFY(!receiver.trySend(largeReply.data(), largeReply.size(), hello.peer, &error));
    for (int i = 0; i < acks; ++i) {
        const Event e = nextEvent(sender);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QVERIFY(e.frame == ack);
    }
    QCOMPARE(sender.receive(100).kind, Event::Kind::Timeout); // no piece of the reply left behind
}

void TestMailslot::senderGoneBeforeItsHelloIsReadStillCounts()
{
    const std::string name = uniqueName("quick").toStdString();
    MailslotChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    const Bytes frame = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 1, QByteArray(20000, 'q')));
    {
        MailslotChannelPosix sender;
        QCOMPARE(sender.open(Role::Sender, name), std::string());
        QCOMPARE(send(sender, frame), std::string());
    } // closed, reply queue removed, before the receiver read a thing
    const Event hello = nextEvent(receiver);
    QCOMPARE(hello.kind, Event::Kind::PeerConnected);
    QVERIFY2(hello.text.find("nothing can be sent back") != std::string::npos, hello.text.c_str());
    const Event e = nextEvent(receiver);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QVERIFY(e.frame == frame);
    QCOMPARE(send(receiver, frame, hello.peer), std::string()); // an ack with nowhere to go is dropped
    const Event gone = nextEvent(receiver);
    QCOMPARE(gone.kind, Event::Kind::PeerGone);
    QVERIFY2(gone.text.find("cleanly") != std::string::npos, gone.text.c_str());
}

void TestMailslot::repliesReachTheRightSender()
{
    const std::string name = uniqueName("reply").toStdString();
    MailslotChannelPosix receiver, alice, bob;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(alice.open(Role::Sender, name), std::string());
    const Event aliceHello = nextEvent(receiver);
    QCOMPARE(bob.open(Role::Sender, name), std::string());
    const Event bobHello = nextEvent(receiver);
    QCOMPARE(aliceHello.kind, Event::Kind::PeerConnected);
    QCOMPARE(bobHello.kind, Event::Kind::PeerConnected);
    QVERIFY(aliceHello.peer != bobHello.peer);
    QCOMPARE(std::uint32_t(aliceHello.peer >> 32), std::uint32_t(getpid())); // peer ids per sender pid

    const Bytes fromAlice = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 1, "alice"));
    const Bytes fromBob = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 2, QByteArray(30000, 'b')));
    // Interleaved: Bob's frame is several fragments, Alice's one.
    auto bobSends = std::async(std::launch::async, [&] { return send(bob, fromBob); });
    QCOMPARE(send(alice, fromAlice), std::string());
    QCOMPARE(bobSends.get(), std::string());
    std::map<std::uint64_t, Bytes> got;
    for (int i = 0; i < 2; ++i) {
        const Event e = nextEvent(receiver);
        QCOMPARE(e.kind, Event::Kind::Frame);
        got[e.peer] = e.frame;
    }
    QVERIFY(got[aliceHello.peer] == fromAlice);
    QVERIFY(got[bobHello.peer] == fromBob);

    const Bytes ackAlice = toBytes(FrameCodec::encodeAck(1, 1, 1, 0));
    const Bytes ackBob = toBytes(FrameCodec::encodeAck(1, 2, 1, 0));
    QCOMPARE(send(receiver, ackBob, bobHello.peer), std::string());
    QCOMPARE(send(receiver, ackAlice, aliceHello.peer), std::string());
    const Event toAlice = nextEvent(alice);
    const Event toBob = nextEvent(bob);
    QCOMPARE(toAlice.kind, Event::Kind::Frame);
    QCOMPARE(toBob.kind, Event::Kind::Frame);
    QVERIFY(toAlice.frame == ackAlice);
    QVERIFY(toBob.frame == ackBob);
    QCOMPARE(alice.receive(100).kind, Event::Kind::Timeout);
    QCOMPARE(bob.receive(100).kind, Event::Kind::Timeout);

    // The receiver closing tells both senders.
    receiver.close();
    QCOMPARE(nextEvent(alice).kind, Event::Kind::PeerGone);
    QCOMPARE(nextEvent(bob).kind, Event::Kind::PeerGone);
}

// Beyond --max-peers a sender is turned away at its Hello: the receiver counts and reports it,
// and the sender hears why on its reply queue (a Leave with the reason) instead of waiting for
// answers that never come.
void TestMailslot::senderTurnedAwayIsToldWhy()
{
    const std::string name = uniqueName("cap").toStdString();
    MailslotChannelPosix receiver, served, turnedAway;
    ipcw::native::ReceiveLimits limits;
    limits.maxPeers = 1;
    receiver.setReceiveLimits(limits);
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(served.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    QCOMPARE(turnedAway.open(Role::Sender, name), std::string());
    const Event refused = nextEvent(receiver);
    QCOMPARE(refused.kind, Event::Kind::Refused);
    QVERIFY2(refused.text.find("already serves 1 sender, its limit (--max-peers)") != std::string::npos, refused.text.c_str());

    const Event told = nextEvent(turnedAway);
    QCOMPARE(told.kind, Event::Kind::PeerGone);
    QCOMPARE(told.text, "The receiver on the mailslot \"" + name + "\" turned this sender away: it already serves 1 sender, "
                        "its limit (--max-peers). Try again once one has finished.");
    QCOMPARE(served.receive(100).kind, Event::Kind::Timeout); // the served one hears nothing of it
    QVERIFY(!send(turnedAway, toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 1, "x"))).empty());
}

void TestMailslot::staleQueueOfCrashedReceiverIsReplaced()
{
    const std::string name = uniqueName("stale").toStdString();
    {
        Child crashed;
        QVERIFY(crashed.start({QStringLiteral("receiver"), QString::fromStdString(name)}));
        crashed.killHard();
    }
    // Its queue is still there, its lock is not held: a sender is told nobody receives.
    const std::string queue = ipcw::native::userScopedObjectName(name);
    const mqd_t leftover = mq_open(queue.c_str(), O_WRONLY | O_NONBLOCK);
    QVERIFY(leftover != mqd_t(-1));
    QCOMPARE(mq_send(leftover, "junk", 4, 0), 0);
    mq_close(leftover);
    MailslotChannelPosix early;
    const std::string error = early.open(Role::Sender, name);
    QVERIFY2(error.find("start a receiver first") != std::string::npos, error.c_str());
    // Opening swept the dead receiver's queue away, so it no longer eats queue memory.
    QCOMPARE(mq_open(queue.c_str(), O_WRONLY), mqd_t(-1));
    QCOMPARE(errno, ENOENT);

    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    // The junk went with the old queue: the first thing here is the new sender.
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    const Bytes frame{1, 2, 3};
    QCOMPARE(send(sender, frame), std::string());
    const Event e = nextEvent(receiver);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QVERIFY(e.frame == frame);
}

void TestMailslot::liveQueueIsNotStolen()
{
    const std::string name = uniqueName("live").toStdString();
    Child owner;
    QVERIFY(owner.start({QStringLiteral("receiver"), QString::fromStdString(name)}));
    MailslotChannelPosix thief;
    const std::string error = thief.open(Role::Receiver, name);
    QVERIFY2(error.find("already in use by a running receiver (pid " + std::to_string(owner.process->processId()))
                 != std::string::npos,
             error.c_str());
    thief.close();
    // The owner's queue and lock are untouched: a sender still reaches it.
    MailslotChannelPosix sender;
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    owner.killHard();
    MailslotChannelPosix again;
    QCOMPARE(again.open(Role::Receiver, name), std::string());
}

void TestMailslot::interruptWakesReceiveAndSend()
{
    const std::string name = uniqueName("wake").toStdString();
    MailslotChannelPosix receiver, sender;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);

    auto blocked = std::async(std::launch::async, [&] { return receiver.receive(-1).kind; });
    QCOMPARE(blocked.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
    QElapsedTimer clock;
    clock.start();
    receiver.interrupt();
    QCOMPARE(blocked.wait_for(std::chrono::seconds(2)), std::future_status::ready);
    QCOMPARE(blocked.get(), Event::Kind::Interrupted);
    QVERIFY(clock.elapsed() < 1000);
    QCOMPARE(receiver.receive(-1).kind, Event::Kind::Interrupted); // sticky until close()

    // A send blocked on the full queue wakes too.
    const Bytes big(4 * 1024 * 1024, 0x33);
    auto sending = std::async(std::launch::async, [&] { return send(sender, big); });
    QCOMPARE(sending.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
    sender.interrupt();
    QCOMPARE(sending.wait_for(std::chrono::seconds(2)), std::future_status::ready);
    QCOMPARE(sending.get(), std::string());
}

void TestMailslot::senderKilledMidFrameIsReportedAndDropped()
{
    const std::string name = uniqueName("kill").toStdString();
    MailslotChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    Child child;
    // 1 MiB: the child fills the queue with the first fragments and blocks mid-frame.
    QVERIFY(child.start({QStringLiteral("sender"), QString::fromStdString(name), QStringLiteral("1048576")}));
    const Event hello = nextEvent(receiver);
    QCOMPARE(hello.kind, Event::Kind::PeerConnected);
    QCOMPARE(qint64(hello.peer >> 32), child.process->processId());
    QTest::qWait(300);
    child.killHard();

    const Event gone = nextEvent(receiver);
    QCOMPARE(gone.kind, Event::Kind::PeerGone);
    QCOMPARE(gone.peer, hello.peer);
    QVERIFY2(gone.text.find("died in the middle of frame") != std::string::npos, gone.text.c_str());
    QVERIFY2(gone.text.find("of 1048576 bytes arrived") != std::string::npos, gone.text.c_str());
    // Its reply queue was removed for it.
    const std::string reply = ipcw::native::userScopedObjectName(
        ipcw::mailslot::replyName(name, std::uint32_t(hello.peer >> 32), std::uint32_t(hello.peer)));
    QCOMPARE(mq_open(reply.c_str(), O_WRONLY), mqd_t(-1));

    // The receiver keeps running and accepts a new sender.
    MailslotChannelPosix sender;
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    QCOMPARE(nextEvent(receiver).kind, Event::Kind::PeerConnected);
    const Bytes frame = toBytes(FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 1, QByteArray(50000, 'n')));
    QCOMPARE(send(sender, frame), std::string());
    const Event e = nextEvent(receiver);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QVERIFY(e.frame == frame);
}

void TestMailslot::senderNoticesReceiverDeath()
{
    const std::string name = uniqueName("rdeath").toStdString();
    Child receiver;
    QVERIFY(receiver.start({QStringLiteral("receiver"), QString::fromStdString(name)}));
    MailslotChannelPosix sender;
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    auto waiting = std::async(std::launch::async, [&] { return sender.receive(-1); });
    QCOMPARE(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    receiver.killHard();
    QCOMPARE(waiting.wait_for(std::chrono::seconds(3)), std::future_status::ready);
    const Event e = waiting.get();
    QCOMPARE(e.kind, Event::Kind::PeerGone);
    QVERIFY2(e.text.find("exited") != std::string::npos, e.text.c_str());
    const std::string error = send(sender, Bytes{1});
    QVERIFY2(error.find("start it again") != std::string::npos, error.c_str());
}

namespace {

// Whether `fd` polls readable within `ms`.
bool readableWithin(int fd, int ms)
{
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

// Takes what receive(0) has until it has nothing, as the endpoint's event loop does.
std::vector<Event> takeReady(MailslotChannelPosix &channel)
{
    std::vector<Event> events;
    for (Event e = channel.receive(0); e.kind != Event::Kind::Timeout; e = channel.receive(0))
        events.push_back(std::move(e));
    return events;
}

} // namespace

// Read by an event loop (Watchable), a sender's descriptor wakes it when the receiver dies, and
// is quiet again once that was reported: the dead receiver's pidfd stays readable for ever, and
// still watched it would wake the loop for nothing, over and over.
void TestMailslot::readinessQuietsOnceTheReceiverIsGone()
{
    const std::string name = uniqueName("rquiet").toStdString();
    Child receiver;
    QVERIFY(receiver.start({QStringLiteral("receiver"), QString::fromStdString(name)}));
    MailslotChannelPosix sender;
    QCOMPARE(sender.open(Role::Sender, name), std::string());
    const int fd = sender.readinessDescriptor();
    QVERIFY(fd >= 0);
    QVERIFY(!readableWithin(fd, 100));
    receiver.killHard();
    QVERIFY(readableWithin(fd, 3000));
    const std::vector<Event> events = takeReady(sender);
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].kind, Event::Kind::PeerGone);
    QVERIFY(!readableWithin(fd, 300));
    QCOMPARE(sender.nextDeadlineMs(), -1);
}

// The same on a receiver: a sender that died is reported once, and its pidfd leaves the set.
void TestMailslot::readinessQuietsOnceASenderIsForgotten()
{
    const std::string name = uniqueName("squiet").toStdString();
    MailslotChannelPosix receiver;
    QCOMPARE(receiver.open(Role::Receiver, name), std::string());
    const int fd = receiver.readinessDescriptor();
    QVERIFY(fd >= 0);
    Child sender;
    QVERIFY(sender.start({QStringLiteral("sender"), QString::fromStdString(name), QStringLiteral("100")}));
    QVERIFY(readableWithin(fd, 3000));
    std::vector<Event> events;
    QElapsedTimer clock;
    clock.start();
    while (events.size() < 2 && clock.elapsed() < 5000 && readableWithin(fd, 1000))
        for (Event &e : takeReady(receiver))
            events.push_back(std::move(e));
    QCOMPARE(events.size(), std::size_t(2));
    QCOMPARE(events[0].kind, Event::Kind::PeerConnected);
    QCOMPARE(events[1].kind, Event::Kind::Frame);
    QVERIFY(!readableWithin(fd, 100));
    sender.killHard();
    QVERIFY(readableWithin(fd, 3000));
    events = takeReady(receiver);
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].kind, Event::Kind::PeerGone);
    QVERIFY(!readableWithin(fd, 300));
}

int main(int argc, char **argv)
{
    if (argc >= 4 && std::strcmp(argv[1], "--child") == 0)
        return childMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestMailslot test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_mailslot.moc"
