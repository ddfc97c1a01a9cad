// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile peers against a real `ipcworkshop --headless` receiver over the native mechanisms
// (named pipe, mailslot, filemapping), attacked from this process through the real OS objects:
// raw bytes into the receiver's FIFOs, raw datagrams into its POSIX message queue, raw records
// into its shared-memory ring. What the receiver's limits must hold (docs/wire-format.md, "What
// a receiver refuses"): the budget for unfinished frames bounds its memory, a peer stopped
// mid-frame loses that frame after --peer-timeout, --max-peers turns the next sender away, and
// a good sender gets through meanwhile and afterwards.
#include "appprocess.h"
#include "filemapping_posix.h"
#include "framecodec.h"
#include "mailslotdatagram.h"
#include "native/posixpaths.h"
#include "wireformat.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTest>
#include <QtEndian>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <mqueue.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using AppProcess::both;
using AppProcess::errLinesWith;
using AppProcess::linesWith;
using AppProcess::spinUntil;

constexpr std::size_t MiB = 1024 * 1024;
using Bytes = std::vector<std::uint8_t>;

QString uniqueAddress(const char *what)
{
    static int serial = 0;
    return QStringLiteral("hn-%1-%2-%3").arg(QString::fromLatin1(what)).arg(getpid()).arg(++serial);
}

// A valid frame header (a Ping) announcing `payloadBytes`, of which the caller sends what it likes.
Bytes headerAnnouncing(std::uint32_t payloadBytes)
{
    QByteArray header = FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 0xBADC0DE);
    qToLittleEndian<quint32>(payloadBytes, header.data() + Wire::Offset::PayloadLength);
    return Bytes(header.begin(), header.end());
}

// A whole, valid frame: what a well-behaved peer sends after its stall.
Bytes goodFrame()
{
    const QByteArray frame = FrameCodec::encodeControl(Wire::FrameType::Hello, 0, 0x600D, "back again");
    return Bytes(frame.begin(), frame.end());
}

// --- named pipe: the FIFO handshake of namedpipe_posix.h, by hand -------------------------------

class PipeIntruder
{
public:
    enum class Answer { Welcome, Full, Nothing };

    PipeIntruder(const QString &name, int serial)
    {
        std::string why;
        const std::string prefix = ipcw::native::userRuntimeDir(&why) + "/namedpipe-" + name.toStdString();
        const std::string token = std::to_string(getpid()) + "-" + std::to_string(1000 + serial);
        m_up = prefix + "." + token + ".up";
        m_down = prefix + "." + token + ".down";
        mkfifo(m_up.c_str(), 0600);
        mkfifo(m_down.c_str(), 0600);
        m_downFd = ::open(m_down.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        const int connectFd = ::open((prefix + ".connect").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        const std::string hello = "hello " + std::to_string(getpid()) + " " + token + "\n";
        if (connectFd >= 0)
            (void)!::write(connectFd, hello.data(), hello.size());
        ::close(connectFd);
    }
    ~PipeIntruder()
    {
        close();
        ::unlink(m_up.c_str());
        ::unlink(m_down.c_str());
    }

    // The receiver's one-byte answer to the hello.
    Answer answer()
    {
        pollfd fd{m_downFd, POLLIN, 0};
        char byte = 0;
        if (poll(&fd, 1, 5000) != 1 || ::read(m_downFd, &byte, 1) != 1)
            return Answer::Nothing;
        if (byte == 'W')
            m_upFd = ::open(m_up.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        return byte == 'W' ? Answer::Welcome : byte == 'F' ? Answer::Full : Answer::Nothing;
    }

    // Writes all of `bytes` as the receiver reads them; false once the receiver dropped us.
    bool write(const Bytes &bytes)
    {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(m_upFd, bytes.data() + done, bytes.size() - done);
            if (n > 0) {
                done += std::size_t(n);
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                pollfd fd{m_upFd, POLLOUT, 0};
                if (poll(&fd, 1, 5000) != 1 || (fd.revents & (POLLERR | POLLHUP)))
                    return false;
                continue;
            }
            return false;
        }
        return true;
    }

    // The receiver closed its end of our reply FIFO: it dropped us.
    bool dropped()
    {
        pollfd fd{m_downFd, POLLIN, 0};
        char byte = 0;
        return poll(&fd, 1, 0) == 1 && ::read(m_downFd, &byte, 1) == 0;
    }

    void close()
    {
        for (int *fd : {&m_upFd, &m_downFd})
            if (*fd >= 0) {
                ::close(*fd);
                *fd = -1;
            }
    }

private:
    std::string m_up, m_down;
    int m_upFd = -1;
    int m_downFd = -1;
};

// --- mailslot: raw datagrams into the receiver's POSIX message queue ----------------------------

class SlotIntruder
{
public:
    explicit SlotIntruder(const QString &name)
    {
        m_queue = mq_open(ipcw::native::userScopedObjectName(name.toStdString()).c_str(), O_WRONLY | O_CLOEXEC);
        mq_attr attr{};
        if (m_queue != mqd_t(-1) && mq_getattr(m_queue, &attr) == 0)
            m_datagramBytes = std::size_t(attr.mq_msgsize);
    }
    ~SlotIntruder()
    {
        if (m_queue != mqd_t(-1))
            mq_close(m_queue);
    }
    bool valid() const { return m_queue != mqd_t(-1) && m_datagramBytes > ipcw::mailslot::DatagramHeaderBytes; }

    // Channel `slot` of this process says hello (or leaves).
    bool hello(std::uint32_t slot) { return control(ipcw::mailslot::DatagramKind::Hello, slot); }
    bool leave(std::uint32_t slot) { return control(ipcw::mailslot::DatagramKind::Leave, slot); }

    // The bytes [0, sent) of frame `number` of `frame.size()` bytes... or of `total` announced bytes.
    bool fragments(std::uint32_t slot, std::uint32_t number, const Bytes &frame, std::uint32_t total, std::size_t sent)
    {
        ipcw::mailslot::DatagramHeader h;
        h.kind = ipcw::mailslot::DatagramKind::Fragment;
        h.pid = std::uint32_t(getpid());
        h.slot = slot;
        h.frameNumber = number;
        h.total = total;
        const std::size_t chunk = m_datagramBytes - ipcw::mailslot::DatagramHeaderBytes;
        Bytes datagram(m_datagramBytes);
        for (std::size_t offset = 0; offset < sent;) {
            const std::size_t piece = std::min(chunk, sent - offset);
            h.offset = std::uint32_t(offset);
            ipcw::mailslot::writeDatagramHeader(datagram.data(), h);
            if (offset < frame.size())
                std::memcpy(datagram.data() + ipcw::mailslot::DatagramHeaderBytes, frame.data() + offset,
                            std::min(piece, frame.size() - offset));
            if (!put(datagram.data(), ipcw::mailslot::DatagramHeaderBytes + piece))
                return false;
            offset += piece;
        }
        return true;
    }

private:
    bool control(ipcw::mailslot::DatagramKind kind, std::uint32_t slot)
    {
        Bytes datagram(ipcw::mailslot::DatagramHeaderBytes);
        ipcw::mailslot::DatagramHeader h;
        h.kind = kind;
        h.pid = std::uint32_t(getpid());
        h.slot = slot;
        ipcw::mailslot::writeDatagramHeader(datagram.data(), h);
        return put(datagram.data(), datagram.size());
    }
    bool put(const std::uint8_t *data, std::size_t size)
    {
        const timespec until{time(nullptr) + 10, 0};
        return mq_timedsend(m_queue, reinterpret_cast<const char *>(data), size, 0, &until) == 0;
    }

    mqd_t m_queue = mqd_t(-1);
    std::size_t m_datagramBytes = 0;
};

// --- filemapping: a real sender slot, then raw chunk records into the ring ----------------------

class RingIntruder
{
public:
    explicit RingIntruder(const QString &address) { m_error = m_channel.open(ipcw::native::Role::Sender, address.toStdString()); }
    bool valid() const { return m_error.empty(); }
    std::string error() const { return m_error; }

    // The first `sent` bytes of a frame announced as `total` bytes, never finished.
    bool startFrame(std::uint32_t total, std::size_t sent)
    {
        using namespace ipcw::native::shm;
        ShmSession &session = *m_channel.session();
        ShmRing ring = session.dataRing();
        const Bytes filler(ring.maxChunkBytes(), 'x');
        for (std::size_t offset = 0; offset < sent;) {
            RecordMeta meta;
            meta.slot = std::uint32_t(session.slot());
            meta.generation = session.generation();
            meta.kind = RecordKind::Chunk;
            meta.frameBytes = total;
            meta.chunkBytes = std::uint32_t(std::min<std::size_t>(filler.size(), sent - offset));
            meta.flags = offset == 0 ? FirstChunk : 0;
            std::string why;
            if (ring.write(meta, filler.data(), m_channel.waiter(), [] { return std::string(); }, &why) != ShmRing::Status::Ok)
                return false;
            offset += meta.chunkBytes;
        }
        return true;
    }
    bool sendFrame(const Bytes &frame) { return m_channel.send(frame.data(), frame.size(), 0).empty(); }
    void close() { m_channel.close(); }

private:
    FileMappingChannelPosix m_channel;
    std::string m_error;
};

// --- the receiver and good senders --------------------------------------------------------------

struct Target
{
    QString transport;
    QString address;
    QStringList arguments() const { return {QStringLiteral("--transport"), transport, QStringLiteral("--address"), address}; }
};

std::unique_ptr<QProcess> startReceiver(const Target &t, const QStringList &options, qint64 records)
{
    return AppProcess::startReceiver(t.arguments() + options
                                     + QStringList{QStringLiteral("--expect"), QString::number(records), QStringLiteral("--discard"),
                                                   QStringLiteral("--report-memory"), QStringLiteral("--timeout"), QStringLiteral("60")});
}

AppProcess::Result runSender(const Target &t, qint64 records)
{
    return AppProcess::runSender(t.arguments() + QStringList{QStringLiteral("--generate"), QString::number(records),
                                                             QStringLiteral("--timeout"), QStringLiteral("60")},
                                 70000);
}

// Waits for the receiver's end and checks its summary; the caller returns if the test failed.
AppProcess::Result finishReceiver(QProcess &receiver, qint64 records, qint64 bad)
{
    const AppProcess::Result r = AppProcess::finish(receiver, 30000);
    [&] {
        QVERIFY2(r.exitCode == 0, qPrintable(both(r)));
        QCOMPARE(AppProcess::summaryNumber(r.out, QStringLiteral("Received (\\d+) records")), records);
        QCOMPARE(AppProcess::summaryNumber(r.out, QStringLiteral("(\\d+) bad frames")), bad);
    }();
    return r;
}

// The receiver's resident memory (--report-memory): when it started listening, and its peak.
void verifyPeakGrowth(const AppProcess::Result &r, const QString &what, qint64 boundMiB)
{
    static const QRegularExpression line(QStringLiteral("^Memory: VmRSS (\\d+) kB, VmHWM (\\d+) kB$"),
                                         QRegularExpression::MultilineOption);
    qint64 startKiB = -1, peakKiB = -1;
    for (auto it = line.globalMatch(r.out); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        if (startKiB < 0)
            startKiB = match.captured(1).toLongLong();
        peakKiB = match.captured(2).toLongLong();
    }
    QVERIFY2(startKiB > 0, qPrintable(r.out));
    const qint64 growthMiB = (peakKiB - startKiB) / 1024;
    qInfo("%s: receiver RSS %lld MiB when listening, peak %lld MiB, growth %lld MiB (bound %lld MiB)", qPrintable(what),
          startKiB / 1024, peakKiB / 1024, growthMiB, boundMiB);
    QVERIFY2(growthMiB < boundMiB, qPrintable(QString::number(growthMiB)));
}

// A line of /proc/<pid>/status ("VmRSS", "VmHWM") in KiB; -1 if it cannot be read.
qint64 statusKiB(QProcess &process, const char *field)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(process.processId()));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const QRegularExpression line(QStringLiteral("^%1:\\s+(\\d+) kB$").arg(QLatin1String(field)),
                                  QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = line.match(QString::fromLatin1(status.readAll()));
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

// CPU time (ms, user + system) the process has used so far; -1 if it cannot be read.
qint64 cpuMs(QProcess &process)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(process.processId()));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 12 ? (fields[11].toLongLong() + fields[12].toLongLong()) * 1000 / sysconf(_SC_CLK_TCK) : -1;
}

// The receiver's peak resident memory once an attack has been read, against what it held before:
// measured from outside, so that a receiver without limits shows its figures too.
void verifyAttackGrowth(QProcess &receiver, qint64 startKiB, const QString &what, qint64 boundMiB)
{
    QTest::qWait(500); // what is still in the OS object is read meanwhile
    const qint64 peakKiB = statusKiB(receiver, "VmHWM");
    QVERIFY(startKiB > 0 && peakKiB > 0);
    const qint64 growthMiB = (peakKiB - startKiB) / 1024;
    qInfo("%s: during the attack the receiver's RSS went from %lld MiB to a peak of %lld MiB: growth %lld MiB "
          "(bound %lld MiB)", qPrintable(what), startKiB / 1024, peakKiB / 1024, growthMiB, boundMiB);
    QVERIFY2(growthMiB < boundMiB, qPrintable(QString::number(growthMiB)));
}

const QStringList BudgetOptions{QStringLiteral("--max-pending-mib"), QStringLiteral("32"), QStringLiteral("--peer-timeout"),
                                QStringLiteral("1")};
constexpr qint64 BudgetBoundMiB = 32 + 64;

// The end of every budget test: a good sender still gets through, the receiver counted `bad`
// refusals, at least one of them for the budget, and its memory stayed within the bound.
AppProcess::Result budgetHeldAndSenderServed(QProcess &receiver, const Target &t, qint64 bad, const QString &what)
{
    const AppProcess::Result after = runSender(t, 2000);
    if (after.exitCode != 0) {
        QTest::qFail(qPrintable(QStringLiteral("The good sender failed: ") + both(after)), __FILE__, __LINE__);
        return after;
    }
    const AppProcess::Result r = finishReceiver(receiver, 2000, bad);
    if (QTest::currentTestFailed())
        return r;
    const QStringList overBudget = linesWith(r.err, QStringLiteral("budget (--max-pending-mib)"));
    if (overBudget.isEmpty()) {
        QTest::qFail(qPrintable(QStringLiteral("No refusal named the budget: ") + r.err), __FILE__, __LINE__);
        return r;
    }
    qInfo("%s", qPrintable(overBudget.first()));
    verifyPeakGrowth(r, what, BudgetBoundMiB);
    return r;
}

// The end of every cap test (--max-peers 4, ten peers, the four served ones gone): a good
// sender gets through and each of the six turned away got the cap's sentence.
void sixRefusedAndSenderServed(QProcess &receiver, const Target &t)
{
    const AppProcess::Result sender = runSender(t, 1000);
    QVERIFY2(sender.exitCode == 0, qPrintable(both(sender)));
    const AppProcess::Result r = finishReceiver(receiver, 1000, 6);
    if (QTest::currentTestFailed())
        return;
    const QStringList refusals = linesWith(r.err, QStringLiteral("already serves 4 senders, its limit (--max-peers)"));
    QVERIFY2(refusals.size() == 6, qPrintable(r.err));
    qInfo("%s", qPrintable(refusals.first()));
}

} // namespace

class TestHostileNative final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void namedPipeBudget();
    void namedPipeStall();
    void namedPipeCap();
    void mailslotBudget();
    void mailslotStall();
    void mailslotCap();
    void fileMappingBudget();
    void fileMappingStall();
    void fileMappingCap();

private:
    // A stalled peer (started by `stall`) is cut off after the receiver's 2 s --peer-timeout; a
    // good sender gets through while it stalls and afterwards; `resume` (if set) then sends a
    // whole frame from the stalled peer, which must go through. `dropped` says whether the
    // receiver let the peer go (the named pipe) or only its frame.
    void stallIsCutOff(const Target &t, const std::function<bool()> &stall, const std::function<bool()> &dropped,
                       const std::function<bool()> &resume, const QString &sentence);

    QTemporaryDir m_runtime;
};

void TestHostileNative::initTestCase()
{
    QVERIFY(m_runtime.isValid());
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path())); // the receivers inherit it
    signal(SIGPIPE, SIG_IGN); // a dropped intruder's writes fail with EPIPE instead
}

void TestHostileNative::stallIsCutOff(const Target &t, const std::function<bool()> &stall,
                                      const std::function<bool()> &dropped, const std::function<bool()> &resume,
                                      const QString &sentence)
{
    const auto receiver = startReceiver(t, {QStringLiteral("--peer-timeout"), QStringLiteral("2")}, 4000);
    QVERIFY(receiver);
    QVERIFY(stall());
    QElapsedTimer silence;
    silence.start();

    const AppProcess::Result during = runSender(t, 2000);
    QVERIFY2(during.exitCode == 0, qPrintable(both(during)));
    qInfo("%s: the good sender finished %lld ms into the stall", qPrintable(t.transport), silence.elapsed());

    // Waiting for the stalled frame's time to run out, the receiver sleeps: no busy polling.
    const qint64 cpuBefore = cpuMs(*receiver), waitStartMs = silence.elapsed();
    QVERIFY(spinUntil([&] { return errLinesWith(*receiver, sentence) == 1 && (!dropped || dropped()); }, 10000));
    const qint64 cutAfterMs = silence.elapsed(), cpuUsed = cpuMs(*receiver) - cpuBefore;
    qInfo("%s: the receiver used %lld ms of CPU in the %lld ms it waited for the stalled frame's time to run out",
          qPrintable(t.transport), cpuUsed, cutAfterMs - waitStartMs);
    QVERIFY2(cpuUsed * 4 < cutAfterMs - waitStartMs + 100, qPrintable(QString::number(cpuUsed)));
    QVERIFY2(cutAfterMs >= 1800, qPrintable(QString::number(cutAfterMs)));
    if (resume)
        QVERIFY(resume());

    const AppProcess::Result after = runSender(t, 2000);
    QVERIFY2(after.exitCode == 0, qPrintable(both(after)));
    const AppProcess::Result r = finishReceiver(*receiver, 4000, 1);
    if (QTest::currentTestFailed())
        return;
    const QStringList cut = linesWith(r.err, sentence);
    QVERIFY2(cut.size() == 1 && cut.first().contains(QLatin1String("--peer-timeout")), qPrintable(r.err));
    qInfo("%s", qPrintable(cut.first()));
}

// Six peers announce a 24 MiB frame each and send 20 MiB of it. Without a budget the receiver
// would hold 144 MiB (it used to allocate each announced frame whole); with 32 MiB, the peers
// that do not fit are refused, the one that fitted is cut off after the 1 s timeout.
void TestHostileNative::namedPipeBudget()
{
    const Target t{QStringLiteral("namedpipe"), uniqueAddress("pipe-budget")};
    const auto receiver = startReceiver(t, BudgetOptions, 2000);
    QVERIFY(receiver);
    const qint64 startKiB = statusKiB(*receiver, "VmRSS");
    std::vector<std::unique_ptr<PipeIntruder>> intruders;
    Bytes frame = headerAnnouncing(24 * MiB);
    frame.resize(frame.size() + 20 * MiB, 'x');
    for (int i = 0; i < 6; ++i) {
        intruders.push_back(std::make_unique<PipeIntruder>(t.address, i));
        QCOMPARE(intruders.back()->answer(), PipeIntruder::Answer::Welcome);
        intruders.back()->write(frame); // fails half way for those refused
    }
    verifyAttackGrowth(*receiver, startKiB, QStringLiteral("namedpipe budget"), BudgetBoundMiB);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(spinUntil([&] {
        for (const auto &intruder : intruders)
            if (!intruder->dropped())
                return false;
        return true;
    }, 15000));
    intruders.clear();

    const AppProcess::Result r = budgetHeldAndSenderServed(*receiver, t, 6, QStringLiteral("namedpipe budget"));
    if (QTest::currentTestFailed())
        return;
    const QStringList refused = linesWith(r.err, QStringLiteral("was refused and disconnected."));
    QVERIFY2(refused.size() == 6, qPrintable(r.err));
    qInfo("%s", qPrintable(refused.first()));
}

void TestHostileNative::namedPipeStall()
{
    const Target t{QStringLiteral("namedpipe"), uniqueAddress("pipe-stall")};
    PipeIntruder *intruder = nullptr;
    std::unique_ptr<PipeIntruder> owner;
    stallIsCutOff(
        t,
        [&] {
            owner = std::make_unique<PipeIntruder>(t.address, 0);
            intruder = owner.get();
            Bytes partial = headerAnnouncing(MiB);
            partial.resize(partial.size() + 64 * 1024, 'x');
            return intruder->answer() == PipeIntruder::Answer::Welcome && intruder->write(partial);
        },
        [&] { return intruder->dropped(); }, {}, QStringLiteral("stopped in the middle of a frame"));
}

// Ten peers say hello to a receiver with --max-peers 4: six are turned away at once, with a
// sentence and a bad frame each; once the four served ones leave, a good sender gets through.
void TestHostileNative::namedPipeCap()
{
    const Target t{QStringLiteral("namedpipe"), uniqueAddress("pipe-cap")};
    const auto receiver = startReceiver(t, {QStringLiteral("--max-peers"), QStringLiteral("4")}, 1000);
    QVERIFY(receiver);
    std::vector<std::unique_ptr<PipeIntruder>> intruders;
    int welcomed = 0, full = 0;
    for (int i = 0; i < 10; ++i) {
        intruders.push_back(std::make_unique<PipeIntruder>(t.address, i));
        const PipeIntruder::Answer answer = intruders.back()->answer();
        welcomed += answer == PipeIntruder::Answer::Welcome;
        full += answer == PipeIntruder::Answer::Full;
        if (answer == PipeIntruder::Answer::Welcome)
            QVERIFY(intruders.back()->write(goodFrame()));
    }
    QCOMPARE(welcomed, 4);
    QCOMPARE(full, 6);
    intruders.clear(); // the served ones leave; the receiver must have seen it before the next comes
    QVERIFY(spinUntil([&] { return errLinesWith(*receiver, QStringLiteral("went away")) == 4; }, 10000));

    sixRefusedAndSenderServed(*receiver, t);
}

// Twelve channels of one process each begin a 16 MiB frame and send 15 MiB of it (180 MiB in
// all). With a 32 MiB budget two frames fit; the other ten are refused at their first fragment,
// and the two are dropped after the 1 s timeout: twelve sentences, the senders stay.
void TestHostileNative::mailslotBudget()
{
    const Target t{QStringLiteral("mailslot"), uniqueAddress("slot-budget")};
    const auto receiver = startReceiver(t, BudgetOptions, 2000);
    QVERIFY(receiver);
    const qint64 startKiB = statusKiB(*receiver, "VmRSS");
    SlotIntruder intruder(t.address);
    QVERIFY(intruder.valid());
    for (std::uint32_t slot = 1; slot <= 12; ++slot) {
        QVERIFY(intruder.hello(slot));
        QVERIFY(intruder.fragments(slot, 1, {}, 16 * MiB, 15 * MiB));
    }
    verifyAttackGrowth(*receiver, startKiB, QStringLiteral("mailslot budget"), BudgetBoundMiB);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(spinUntil([&] { return errLinesWith(*receiver, QStringLiteral("Dropped input from")) == 12; }, 15000));
    budgetHeldAndSenderServed(*receiver, t, 12, QStringLiteral("mailslot budget"));
}

void TestHostileNative::mailslotStall()
{
    const Target t{QStringLiteral("mailslot"), uniqueAddress("slot-stall")};
    std::unique_ptr<SlotIntruder> intruder;
    stallIsCutOff(
        t,
        [&] {
            intruder = std::make_unique<SlotIntruder>(t.address);
            return intruder->valid() && intruder->hello(7) && intruder->fragments(7, 1, {}, MiB, 64 * 1024);
        },
        {},
        [&] { // its next frame goes through
            const Bytes frame = goodFrame();
            return intruder->fragments(7, 2, frame, std::uint32_t(frame.size()), frame.size());
        },
        QStringLiteral("stopped in the middle of frame 1"));
}

void TestHostileNative::mailslotCap()
{
    const Target t{QStringLiteral("mailslot"), uniqueAddress("slot-cap")};
    const auto receiver = startReceiver(t, {QStringLiteral("--max-peers"), QStringLiteral("4")}, 1000);
    QVERIFY(receiver);
    SlotIntruder intruder(t.address);
    QVERIFY(intruder.valid());
    for (std::uint32_t slot = 1; slot <= 10; ++slot)
        QVERIFY(intruder.hello(slot));
    for (std::uint32_t slot = 1; slot <= 4; ++slot) // the served ones leave, before the good sender's hello
        QVERIFY(intruder.leave(slot));

    sixRefusedAndSenderServed(*receiver, t);
}

// Twelve senders of this process each begin a 16 MiB frame in the ring and write 15 MiB of it.
void TestHostileNative::fileMappingBudget()
{
    const Target t{QStringLiteral("filemapping"), uniqueAddress("ring-budget")};
    const auto receiver = startReceiver(t, BudgetOptions, 2000);
    QVERIFY(receiver);
    const qint64 startKiB = statusKiB(*receiver, "VmRSS");
    std::vector<std::unique_ptr<RingIntruder>> intruders;
    for (int i = 0; i < 12; ++i) {
        intruders.push_back(std::make_unique<RingIntruder>(t.address));
        QVERIFY2(intruders.back()->valid(), intruders.back()->error().c_str());
        QVERIFY(intruders.back()->startFrame(16 * MiB, 15 * MiB));
    }
    verifyAttackGrowth(*receiver, startKiB, QStringLiteral("filemapping budget"), BudgetBoundMiB);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(spinUntil([&] { return errLinesWith(*receiver, QStringLiteral("Dropped input from")) == 12; }, 15000));
    budgetHeldAndSenderServed(*receiver, t, 12, QStringLiteral("filemapping budget"));
}

void TestHostileNative::fileMappingStall()
{
    const Target t{QStringLiteral("filemapping"), uniqueAddress("ring-stall")};
    std::unique_ptr<RingIntruder> intruder;
    stallIsCutOff(
        t,
        [&] {
            intruder = std::make_unique<RingIntruder>(t.address);
            return intruder->valid() && intruder->startFrame(4 * MiB, MiB);
        },
        {}, [&] { return intruder->sendFrame(goodFrame()); }, QStringLiteral("stopped in the middle of a frame"));
}

void TestHostileNative::fileMappingCap()
{
    const Target t{QStringLiteral("filemapping"), uniqueAddress("ring-cap")};
    const auto receiver = startReceiver(t, {QStringLiteral("--max-peers"), QStringLiteral("4")}, 1000);
    QVERIFY(receiver);
    std::vector<std::unique_ptr<RingIntruder>> intruders;
    for (int i = 0; i < 10; ++i) {
        intruders.push_back(std::make_unique<RingIntruder>(t.address));
        QVERIFY2(intruders.back()->valid(), intruders.back()->error().c_str());
    }
    for (int i = 0; i < 4; ++i) // the served ones leave, before the good sender's Connect
        intruders[std::size_t(i)]->close();

    sixRefusedAndSenderServed(*receiver, t);
}

QTEST_GUILESS_MAIN(TestHostileNative)
#include "tst_hostilenative.moc"
