// SPDX-License-Identifier: GPL-3.0-or-later
// The platform-free ring and session (shmring, shmsession) on ordinary memory in one process:
// wrap-around, backpressure, commit marks, abandoned reservations, fragmentation, routing of
// replies. The OS side is covered by tst_filemapping.

#include "futexwaiter.h"
#include "shmsession.h"
#include "testframes.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <thread>

using namespace ipcw::native;
using namespace ipcw::native::shm;

namespace {

// Futex waits on plain memory, plus a pid of our choosing and a list of "dead" pids, so one
// process can play a writer that died.
class TestWaiter final : public ShmWaiter
{
public:
    explicit TestWaiter(std::uint32_t pid = 0) : m_pid(pid ? pid : m_futex.selfPid()) {}
    Wait wait(std::atomic<std::uint32_t> &word, std::uint32_t expected, int timeoutMs) override
    {
        return m_futex.wait(word, expected, timeoutMs);
    }
    void wake(std::atomic<std::uint32_t> &word) override { m_futex.wake(word); }
    bool isAlive(std::uint32_t pid) override { return dead.count(pid) == 0 && pid != 0; }
    std::uint32_t selfPid() override { return m_pid; }
    void yield() override { std::this_thread::yield(); }
    void sleepMs(int ms) override { m_futex.sleepMs(ms); }
    bool interrupted() const override { return m_futex.interrupted(); }
    void interrupt() { m_futex.interrupt(); }

    std::set<std::uint32_t> dead;

private:
    FutexWaiter m_futex;
    std::uint32_t m_pid;
};

struct Memory
{
    explicit Memory(std::size_t bytes)
        : size((bytes + 4095) & ~std::size_t(4095)), data(static_cast<std::uint8_t *>(std::aligned_alloc(4096, size)), &std::free)
    {
        std::memset(data.get(), 0xa5, size); // never trust that shared memory starts zeroed
    }
    std::size_t size;
    std::unique_ptr<std::uint8_t, decltype(&std::free)> data;
};

// A sender joining the segment in `memory` as the channel does: "" or the first sentence.
std::string joinSegment(ShmSession &sender, const Memory &memory)
{
    if (std::string error = sender.attach(memory.data.get(), memory.size); !error.empty())
        return error;
    if (std::string error = sender.claimSlot(); !error.empty())
        return error;
    return sender.announce();
}

// A receiver on a fresh 64 KiB segment and one sender joined to it.
template <class ReceiverWaiter>
struct OneSenderWith
{
    static constexpr std::uint64_t Capacity = 64u << 10;
    Memory memory{ShmSession::segmentBytes(Capacity)};
    ReceiverWaiter receiverWaiter;
    TestWaiter senderWaiter;
    ShmSession receiver{receiverWaiter, "test"};
    ShmSession sender{senderWaiter, "test"};
    std::uint64_t peer = 0; // the sender, as the receiver names it

    // "" once the receiver has seen the sender connect, or what went wrong.
    std::string connect()
    {
        receiver.create(memory.data.get(), Capacity);
        if (std::string error = joinSegment(sender, memory); !error.empty())
            return error;
        const Event e = receiver.receive(5000);
        if (e.kind != Event::Kind::PeerConnected)
            return "the receiver saw no connect, but: " + e.text;
        peer = e.peer;
        return {};
    }
};
using OneSender = OneSenderWith<TestWaiter>;

// A ring of `capacity` bytes on the heap.
struct TestRing
{
    explicit TestRing(std::uint64_t capacity) : memory(4096 + capacity)
    {
        auto *control = reinterpret_cast<RingControl *>(memory.data.get());
        ring = ShmRing(control, memory.data.get() + 4096, capacity);
        ring.initialize();
    }
    Memory memory;
    ShmRing ring;
};

// Writes what a committed record's header at `position` looks like: old bytes a reader must not
// take for one.
void plantSealedHeader(TestRing &t, std::uint64_t position)
{
    auto *h = reinterpret_cast<RecordHeader *>(t.memory.data.get() + 4096 + position % t.ring.capacity());
    h->state.store(ShmRing::Committed);
    h->writerPid = 1;
    h->slot = 0;
    h->generation = 0;
    h->kind = std::uint16_t(RecordKind::Chunk);
    h->flags = FirstChunk | LastChunk;
    h->chunkBytes = h->frameBytes = 8;
    h->seal.store(ShmRing::sealAt(position));
}

RecordMeta chunk(std::uint32_t bytes, std::uint32_t slot = 0)
{
    RecordMeta meta;
    meta.slot = slot;
    meta.kind = RecordKind::Chunk;
    meta.flags = FirstChunk | LastChunk;
    meta.frameBytes = meta.chunkBytes = bytes;
    return meta;
}

// Reads the next committed record, waiting up to `timeoutMs`.
bool readOne(ShmRing &ring, ShmWaiter &waiter, std::vector<std::uint8_t> *out, RecordMeta *meta, int timeoutMs = 5000)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        if (ring.peek(meta) == ShmRing::Status::Ok) {
            out->clear();
            ring.consume(*meta, out, waiter);
            return true;
        }
        ring.waitForData(waiter, 50);
    }
    return false;
}

} // namespace

Q_DECLARE_METATYPE(WaitStrategy)

class TestShmRing final : public QObject
{
    Q_OBJECT
private slots:
    void recordsWrapAroundTheEnd();
    void fullRingBlocksTheWriterThenProceeds();
    void uncommittedRecordIsNeverRead();
    void headerRewrittenAfterPeekIsNotBelieved();
    void brokenCountersStopTheWriter();
    void deadWritersReservationIsSkipped();
    void deadLockHolderIsTakenOver();
    void concurrentWritersNeverTearRecords();
    void framesOfManySizesThroughTheSession_data();
    void framesOfManySizesThroughTheSession();
    void repliesReachTheirOwnSender();
    void addressesAreParsed();
    void spinningReaderCostsWritersNoWakeUp_data();
    void spinningReaderCostsWritersNoWakeUp();
    void spinEndsOnInterruptAndOnTime();
    void trySendWritesOnlyWhatNeedsNoWaiting();
    void replyOfSeveralRecordsRingsTheDoorbellOnce();
    void senderTurnedAwayIsToldWhy();
    void recordsNoSenderWritesAreReported();
    void announcedFrameHoldsOnlyWhatArrived();
    void oldBytesWhereTheNextRecordGoesAreNoRecord();
    void writersReadTailOnlyWhenTheirLastLookSaysFull();
    void receiverTakingOverASegmentReadsNoneOfItsRecords();
};

void TestShmRing::recordsWrapAroundTheEnd()
{
    TestRing t(1024);
    TestWaiter waiter;
    std::vector<std::uint8_t> got;
    RecordMeta meta;
    for (std::uint32_t i = 0; i < 2000; ++i) {
        const std::vector<std::uint8_t> frame = TestFrames::make(1, i, 12 + (i * 37) % 200);
        QCOMPARE(t.ring.write(chunk(std::uint32_t(frame.size())), frame.data(), waiter, {}, nullptr), ShmRing::Status::Ok);
        QVERIFY(readOne(t.ring, waiter, &got, &meta));
        QCOMPARE(got, frame);
    }
    QVERIFY2(t.ring.head() > 100 * t.ring.capacity(), "the counters went round the ring many times");
    QCOMPARE(t.ring.head(), t.ring.tail());
}

void TestShmRing::fullRingBlocksTheWriterThenProceeds()
{
    TestRing t(4096);
    TestWaiter waiter;
    constexpr int Count = 100;
    std::atomic<int> written{0};
    std::thread writer([&] {
        for (int i = 0; i < Count; ++i) {
            const std::vector<std::uint8_t> frame = TestFrames::make(2, std::uint32_t(i), 500);
            std::string why;
            if (t.ring.write(chunk(500), frame.data(), waiter, [] { return std::string(); }, &why) != ShmRing::Status::Ok)
                return;
            ++written;
        }
    });
    QTest::qWait(300);
    const int before = written.load();
    QVERIFY2(before > 0 && before < Count, "the writer must have filled the ring and be waiting");
    QVERIFY(t.ring.head() - t.ring.tail() <= t.ring.capacity());
    QTest::qWait(200);
    QCOMPARE(written.load(), before); // still blocked, nothing overwritten
    std::vector<std::uint8_t> got;
    RecordMeta meta;
    for (int i = 0; i < Count; ++i) {
        QVERIFY(readOne(t.ring, waiter, &got, &meta));
        QCOMPARE(got, TestFrames::make(2, std::uint32_t(i), 500));
    }
    writer.join();
    QCOMPARE(written.load(), Count);
}

void TestShmRing::uncommittedRecordIsNeverRead()
{
    TestRing t(4096);
    TestWaiter waiter;
    const std::vector<std::uint8_t> frame = TestFrames::make(3, 0, 300);
    ShmRing::Reservation r;
    QVERIFY(t.ring.tryReserve(chunk(300), waiter, &r));
    t.ring.fill(r, 0, frame.data(), 150);
    RecordMeta meta;
    QCOMPARE(t.ring.peek(&meta), ShmRing::Status::Pending);
    // A spinning reader's look, at the record alone: not sealed, nothing to take yet. Only head,
    // on the writers' cache line, tells that one is on its way.
    QCOMPARE(t.ring.peek(&meta, false), ShmRing::Status::Empty);
    QCOMPARE(t.ring.waitForData(waiter, 50), ShmWaiter::Wait::TimedOut);
    QCOMPARE(t.ring.skipIfAbandoned(&meta, waiter), ShmRing::Status::Pending); // its writer (we) is alive
    t.ring.fill(r, 150, frame.data() + 150, 150);
    t.ring.commit(r, waiter);
    QCOMPARE(t.ring.peek(&meta, false), ShmRing::Status::Ok); // sealed: found without head
    std::vector<std::uint8_t> got;
    QVERIFY(readOne(t.ring, waiter, &got, &meta));
    QCOMPARE(got, frame);
    QCOMPARE(t.ring.peek(&meta, false), ShmRing::Status::Empty);
}

// Another process can rewrite a record header between the reader's look and its take (found
// by fuzz_shmring): the take must use the size that was checked, or it reads past the ring.
void TestShmRing::headerRewrittenAfterPeekIsNotBelieved()
{
    TestRing t(1024);
    TestWaiter waiter;
    const std::vector<std::uint8_t> frame = TestFrames::make(3, 1, 100);
    QCOMPARE(t.ring.write(chunk(100), frame.data(), waiter, {}, nullptr), ShmRing::Status::Ok);
    RecordMeta meta;
    QCOMPARE(t.ring.peek(&meta), ShmRing::Status::Ok);
    auto *header = reinterpret_cast<RecordHeader *>(t.memory.data.get() + 4096);
    header->chunkBytes = 0xFFFFFF00u; // a hostile writer, after peek() checked the record
    std::vector<std::uint8_t> got;
    t.ring.consume(meta, &got, waiter);
    QCOMPARE(got, frame);
    QCOMPARE(t.ring.tail(), ShmRing::recordBytes(100));
}

// A head another process moved off the 32-byte grid made the writer put a record header across
// the ring's end, outside the ring (found by fuzz_shmring).
void TestShmRing::brokenCountersStopTheWriter()
{
    TestRing t(1024);
    TestWaiter waiter;
    t.ring.control()->head.store(1024 - 5);
    t.ring.control()->tail.store(1024 - 8); // plenty of room, by the counters' word
    ShmRing::Reservation r;
    QVERIFY(!t.ring.tryReserve(chunk(10), waiter, &r));
    t.ring.control()->head.store(1024 - 8 + 2048); // more reserved than the ring holds
    QVERIFY(!t.ring.tryReserve(chunk(10), waiter, &r));
    // A writer that would wait for room says the ring is broken instead of spinning forever.
    const std::vector<std::uint8_t> frame(10, 1);
    std::string why;
    QCOMPARE(t.ring.write(chunk(10), frame.data(), waiter, [] { return std::string(); }, &why),
             ShmRing::Status::Corrupt);
    QVERIFY(!why.empty());
    RecordMeta meta;
    QCOMPARE(t.ring.peek(&meta), ShmRing::Status::Corrupt);
}

void TestShmRing::deadWritersReservationIsSkipped()
{
    TestRing t(4096);
    constexpr std::uint32_t DeadPid = 0x7ffffff0;
    TestWaiter doomed(DeadPid);
    TestWaiter reader;
    ShmRing::Reservation r;
    QVERIFY(doomed.selfPid() == DeadPid && t.ring.tryReserve(chunk(100, 7), doomed, &r));
    const std::vector<std::uint8_t> next = TestFrames::make(4, 1, 200);
    QCOMPARE(t.ring.write(chunk(200, 3), next.data(), reader, {}, nullptr), ShmRing::Status::Ok);
    RecordMeta meta;
    QCOMPARE(t.ring.peek(&meta), ShmRing::Status::Pending);
    QCOMPARE(meta.writerPid, DeadPid);
    reader.dead.insert(DeadPid);
    QCOMPARE(t.ring.skipIfAbandoned(&meta, reader), ShmRing::Status::Abandoned);
    QCOMPARE(meta.slot, 7u);
    std::vector<std::uint8_t> got;
    QVERIFY(readOne(t.ring, reader, &got, &meta));
    QCOMPARE(got, next);
    QCOMPARE(meta.slot, 3u);
}

void TestShmRing::deadLockHolderIsTakenOver()
{
    TestRing t(4096);
    TestWaiter waiter;
    constexpr std::uint32_t DeadPid = 0x7ffffff1;
    waiter.dead.insert(DeadPid);
    t.ring.control()->lock.store(DeadPid);
    const std::vector<std::uint8_t> frame = TestFrames::make(5, 0, 64);
    QCOMPARE(t.ring.write(chunk(64), frame.data(), waiter, {}, nullptr), ShmRing::Status::Ok);
    QCOMPARE(t.ring.control()->lock.load(), 0u);
}

void TestShmRing::concurrentWritersNeverTearRecords()
{
    TestRing t(8192);
    TestWaiter waiter;
    constexpr int Writers = 4;
    constexpr std::uint32_t PerWriter = 5000;
    std::vector<std::thread> writers;
    for (int w = 0; w < Writers; ++w)
        writers.emplace_back([&, w] {
            for (std::uint32_t i = 0; i < PerWriter; ++i) {
                const std::vector<std::uint8_t> frame = TestFrames::make(std::uint32_t(w), i, 12 + (i * 61 + std::uint32_t(w)) % 700);
                t.ring.write(chunk(std::uint32_t(frame.size()), std::uint32_t(w)), frame.data(), waiter, {}, nullptr);
            }
        });
    std::vector<std::uint32_t> next(Writers, 0);
    std::vector<std::uint8_t> got;
    RecordMeta meta;
    for (std::uint32_t n = 0; n < Writers * PerWriter; ++n) {
        QVERIFY(readOne(t.ring, waiter, &got, &meta));
        std::uint32_t tag = 0, index = 0;
        QVERIFY2(TestFrames::check(got.data(), got.size(), &tag, &index), "a record was torn");
        QCOMPARE(tag, meta.slot);
        QCOMPARE(index, next[tag]++);
    }
    for (std::thread &w : writers)
        w.join();
}

void TestShmRing::framesOfManySizesThroughTheSession_data()
{
    QTest::addColumn<QByteArray>("address"); // both ends wait as it says
    QTest::newRow("block") << QByteArray("test");
    QTest::newRow("spinblock") << QByteArray("test?wait=spinblock");
    QTest::newRow("spin") << QByteArray("test?size=64K&wait=spin");
}

void TestShmRing::framesOfManySizesThroughTheSession()
{
    QFETCH(QByteArray, address);
    const std::uint64_t capacity = 64u << 10;
    Memory memory(ShmSession::segmentBytes(capacity));
    TestWaiter receiverWaiter, senderWaiter;
    ShmSession receiver(receiverWaiter, address.toStdString());
    receiver.create(memory.data.get(), capacity);
    ShmSession sender(senderWaiter, address.toStdString());
    QCOMPARE(joinSegment(sender, memory), std::string());

    // Sizes around the chunk limit (a quarter of the ring), past half the ring, past the ring.
    const std::vector<std::size_t> sizes = {0,     1,     12,         31,          32,         33,
                                            16351, 16352, 16353,      capacity / 2 + 7,       capacity + 13,
                                            3 * capacity + 5, 1u << 20, 40 + (16u << 20)};
    std::thread writer([&] {
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const std::vector<std::uint8_t> frame = TestFrames::make(9, std::uint32_t(i), sizes[i]);
            sender.send(frame.data(), sizes[i] == 0 ? 0 : frame.size(), 0);
        }
    });
    Event e = receiver.receive(5000);
    QCOMPARE(e.kind, Event::Kind::PeerConnected);
    const std::uint64_t peer = e.peer;
    QVERIFY(peer != 0);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        e = receiver.receive(10000);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QCOMPARE(e.peer, peer);
        if (sizes[i] == 0) {
            QVERIFY(e.frame.empty());
            continue;
        }
        QCOMPARE(e.frame, TestFrames::make(9, std::uint32_t(i), sizes[i]));
    }
    writer.join();
    sender.leave();
    e = receiver.receive(5000);
    QCOMPARE(e.kind, Event::Kind::PeerGone);
    QCOMPARE(e.peer, peer);
}

void TestShmRing::repliesReachTheirOwnSender()
{
    const std::uint64_t capacity = 64u << 10;
    Memory memory(ShmSession::segmentBytes(capacity));
    TestWaiter receiverWaiter;
    ShmSession receiver(receiverWaiter, "test");
    receiver.create(memory.data.get(), capacity);
    constexpr int Senders = 3;
    std::vector<std::unique_ptr<TestWaiter>> waiters;
    std::vector<std::unique_ptr<ShmSession>> senders;
    for (int i = 0; i < Senders; ++i) {
        waiters.push_back(std::make_unique<TestWaiter>());
        senders.push_back(std::make_unique<ShmSession>(*waiters.back(), "test"));
        QCOMPARE(joinSegment(*senders.back(), memory), std::string());
        const std::vector<std::uint8_t> frame = TestFrames::make(std::uint32_t(i), 0, 100);
        QCOMPARE(senders.back()->send(frame.data(), frame.size(), 0), std::string());
    }
    for (int n = 0; n < 2 * Senders; ++n) {
        const Event e = receiver.receive(5000);
        if (e.kind != Event::Kind::Frame) {
            QCOMPARE(e.kind, Event::Kind::PeerConnected);
            continue;
        }
        std::uint32_t tag = 0, index = 0;
        QVERIFY(TestFrames::check(e.frame.data(), e.frame.size(), &tag, &index));
        // Replies bigger than a reply chunk, so they travel in pieces too.
        const std::vector<std::uint8_t> reply = TestFrames::make(tag, 100, 100000);
        QCOMPARE(receiver.send(reply.data(), reply.size(), e.peer), std::string());
    }
    for (int i = 0; i < Senders; ++i) {
        const Event e = senders[std::size_t(i)]->receive(5000);
        QCOMPARE(e.kind, Event::Kind::Frame);
        QCOMPARE(e.frame, TestFrames::make(std::uint32_t(i), 100, 100000));
        QCOMPARE(senders[std::size_t(i)]->receive(0).kind, Event::Kind::Timeout);
    }
}

void TestShmRing::addressesAreParsed()
{
    std::string name;
    std::uint64_t capacity = 0;
    QCOMPARE(ShmSession::parseAddress("records", &name, &capacity), std::string());
    QCOMPARE(name, std::string("records"));
    QCOMPARE(capacity, ShmSession::DefaultDataCapacity);
    QCOMPARE(ShmSession::parseAddress("a.b-c_d?size=16M", &name, &capacity), std::string());
    QCOMPARE(capacity, std::uint64_t(16u << 20));
    QCOMPARE(ShmSession::parseAddress("x?size=100000", &name, &capacity), std::string());
    QCOMPARE(capacity, std::uint64_t(102400)); // rounded up to whole pages

    WaitStrategy wait = WaitStrategy::Spin;
    QCOMPARE(ShmSession::parseAddress("records", &name, &capacity, &wait), std::string());
    QCOMPARE(wait, WaitStrategy::Block);
    QCOMPARE(ShmSession::parseAddress("records?wait=spinblock", &name, &capacity, &wait), std::string());
    QCOMPARE(name, std::string("records"));
    QCOMPARE(wait, WaitStrategy::SpinThenBlock);
    QCOMPARE(capacity, ShmSession::DefaultDataCapacity);
    QCOMPARE(ShmSession::parseAddress("r?wait=spin&size=1M", &name, &capacity, &wait), std::string());
    QCOMPARE(wait, WaitStrategy::Spin);
    QCOMPARE(capacity, std::uint64_t(1u << 20));
    QCOMPARE(ShmSession::parseAddress("r?size=2M&wait=block", &name, &capacity, &wait), std::string());
    QCOMPARE(wait, WaitStrategy::Block);
    QCOMPARE(capacity, std::uint64_t(2u << 20));

    for (const char *bad : {"", "a/b", "../x", "x?size=", "x?size=1K", "x?size=2G", "x?size=12Q", "x?colour=red", "x?",
                            "x?wait=", "x?wait=fast", "x?wait=spin&wait=block", "x?size=1M&size=2M", "x?size=1M&",
                            "x?&wait=spin", "x?wait=spin?size=1M"})
        QVERIFY2(!ShmSession::parseAddress(bad, &name, &capacity, &wait).empty(), bad);
    QCOMPARE(ShmSession::parseAddress("x?wait=fast", &name, &capacity),
             std::string("\"wait=fast\" is not a way to wait: write wait=block (sleep, the default), wait=spinblock "
                         "(poll 50 us, then sleep) or wait=spin (poll, using a core)."));
}

namespace {
// Counts the wake-up calls a writer makes: each is a system call a sleeping reader costs it.
class WakeCountingWaiter final : public ShmWaiter
{
public:
    Wait wait(std::atomic<std::uint32_t> &word, std::uint32_t expected, int timeoutMs) override
    {
        return m_inner.wait(word, expected, timeoutMs);
    }
    void wake(std::atomic<std::uint32_t> &word) override
    {
        ++wakes;
        m_inner.wake(word);
    }
    void ring(std::atomic<std::uint32_t> &word) override
    {
        ++rings;
        m_inner.ring(word);
    }
    bool isAlive(std::uint32_t pid) override { return m_inner.isAlive(pid); }
    std::uint32_t selfPid() override { return m_inner.selfPid(); }
    void yield() override { m_inner.yield(); }
    void sleepMs(int ms) override { m_inner.sleepMs(ms); }
    bool interrupted() const override { return m_inner.interrupted(); }

    std::atomic<int> wakes{0};
    std::atomic<int> rings{0}; // doorbell rings

private:
    TestWaiter m_inner;
};
} // namespace

// The point of spinning: a reader that polls never tells writers it sleeps, so their commits
// make no wake-up call. A blocking reader, idle between records, costs one per record.
void TestShmRing::spinningReaderCostsWritersNoWakeUp_data()
{
    QTest::addColumn<WaitStrategy>("strategy");
    QTest::newRow("block") << WaitStrategy::Block;
    QTest::newRow("spin") << WaitStrategy::Spin;
}

void TestShmRing::spinningReaderCostsWritersNoWakeUp()
{
    QFETCH(WaitStrategy, strategy);
    constexpr int Records = 50;
    TestRing t(64u << 10);
    TestWaiter readerWaiter;
    WakeCountingWaiter writerWaiter;
    std::atomic<int> read{0};
    std::atomic<bool> waiting{false};
    std::thread reader([&] {
        std::vector<std::uint8_t> out;
        RecordMeta meta;
        while (read < Records) {
            if (t.ring.peek(&meta) == ShmRing::Status::Ok) {
                t.ring.consume(meta, &out, readerWaiter);
                ++read;
                continue;
            }
            waiting = true;
            if (t.ring.waitForData(readerWaiter, 10000, strategy) == ShmWaiter::Wait::TimedOut)
                return;
        }
    });
    const std::vector<std::uint8_t> payload(100, 7);
    for (int i = 0; i < Records; ++i) {
        // Each record finds the reader idle: a blocking one has announced that it sleeps (so
        // the commit must wake it), a spinning one is polling.
        QTRY_VERIFY(waiting.load());
        waiting = false;
        if (strategy == WaitStrategy::Block)
            QTRY_COMPARE(t.ring.control()->readerWaiting.load(), std::uint32_t(1));
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::string why;
        QCOMPARE(t.ring.write(chunk(100), payload.data(), writerWaiter, [] { return std::string(); }, &why),
                 ShmRing::Status::Ok);
    }
    reader.join();
    QCOMPARE(read.load(), Records);
    QCOMPARE(writerWaiter.wakes.load(), strategy == WaitStrategy::Spin ? 0 : Records);
}

void TestShmRing::spinEndsOnInterruptAndOnTime()
{
    TestRing t(64u << 10);
    QElapsedTimer clock;
    clock.start();
    TestWaiter waiter;
    QCOMPARE(t.ring.waitForData(waiter, 200, WaitStrategy::Spin), ShmWaiter::Wait::TimedOut);
    QVERIFY2(clock.elapsed() >= 190 && clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));

    ShmWaiter::Wait result = ShmWaiter::Wait::TimedOut;
    std::thread spinner([&] { result = t.ring.waitForData(waiter, -1, WaitStrategy::Spin); });
    QTest::qWait(100);
    clock.restart();
    waiter.interrupt();
    spinner.join();
    QCOMPARE(result, ShmWaiter::Wait::Interrupted);
    QVERIFY(clock.elapsed() < 1000);
}

// trySend(), the caller's-thread path: a frame of one record goes if the ring has room now; a
// frame of several records, or one facing a full ring, is left to send(), with nothing written.
// On a reply ring, which has one writer, a frame of several records goes if all of them fit.
void TestShmRing::trySendWritesOnlyWhatNeedsNoWaiting()
{
    OneSender pair;
    QCOMPARE(pair.connect(), std::string());
    ShmSession &receiver = pair.receiver, &sender = pair.sender;
    const std::uint64_t peer = pair.peer;
    Event e;

    std::string error = "not cleared";
    const std::vector<std::uint8_t> small = TestFrames::make(1, 0, 1000);
    QVERIFY(sender.trySend(small.data(), small.size(), 0, &error));
    QCOMPARE(error, std::string());
    const std::vector<std::uint8_t> large = TestFrames::make(1, 1, 40000); // over the 16 KiB chunk limit
    QVERIFY(!sender.trySend(large.data(), large.size(), 0, &error));
    e = receiver.receive(5000);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QCOMPARE(e.frame, small);
    QCOMPARE(receiver.receive(0).kind, Event::Kind::Timeout); // the large one was not written

    // Filled up, the ring takes nothing more until the receiver reads.
    int sent = 0;
    while (sender.trySend(small.data(), small.size(), 0, &error)) {
        QCOMPARE(error, std::string());
        QVERIFY(++sent < 1000);
    }
    QVERIFY(sent > 10);
    for (int i = 0; i < sent; ++i)
        QCOMPARE(receiver.receive(5000).frame, small);
    QVERIFY(sender.trySend(small.data(), small.size(), 0, &error));

    // The receiver answers on the sender's reply ring the same way.
    const std::vector<std::uint8_t> reply = TestFrames::make(2, 0, 16);
    QVERIFY(receiver.trySend(reply.data(), reply.size(), peer, &error));
    QCOMPARE(error, std::string());
    e = sender.receive(5000);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QCOMPARE(e.frame, reply);

    // A 64 KiB answer (a Pong) takes three of the 128 KiB reply ring's records: all at once.
    const std::vector<std::uint8_t> pong = TestFrames::make(3, 0, 64 * 1024);
    QVERIFY(receiver.trySend(pong.data(), pong.size(), peer, &error));
    QCOMPARE(error, std::string());
    // A second one finds no room for all three until the sender reads: nothing of it is written.
    QVERIFY(!receiver.trySend(pong.data(), pong.size(), peer, &error));
    e = sender.receive(5000);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QCOMPARE(e.frame, pong);
    QCOMPARE(sender.receive(0).kind, Event::Kind::Timeout);
    QVERIFY(receiver.trySend(pong.data(), pong.size(), peer, &error));
    QCOMPARE(sender.receive(5000).frame, pong);
}

// A sender that waits on its doorbell is rung once for a reply of several records, after the
// last one: each ring is a system call and a wake-up, and the frame is of no use before its end.
void TestShmRing::replyOfSeveralRecordsRingsTheDoorbellOnce()
{
    OneSenderWith<WakeCountingWaiter> pair;
    QCOMPARE(pair.connect(), std::string());
    pair.sender.setDoorbell(true);
    QCOMPARE(pair.sender.receive(0).kind, Event::Kind::Timeout); // its reply ring is empty: the doorbell is armed
    const std::vector<std::uint8_t> pong = TestFrames::make(3, 0, 64 * 1024); // three records of the reply ring
    std::string error;
    QVERIFY(pair.receiver.trySend(pong.data(), pong.size(), pair.peer, &error));
    QCOMPARE(error, std::string());
    QCOMPARE(pair.receiverWaiter.rings.load(), 1);
    QCOMPARE(pair.receiverWaiter.wakes.load(), 0);
    const Event e = pair.sender.receive(5000);
    QCOMPARE(e.kind, Event::Kind::Frame);
    QCOMPARE(e.frame, pong);
}

// Beyond --max-peers a sender is turned away: the receiver counts and reports it, and the
// sender learns it from a Refusal record in its reply ring, with the reason, instead of
// waiting for acknowledgements that never come.
void TestShmRing::senderTurnedAwayIsToldWhy()
{
    const std::uint64_t capacity = 64u << 10;
    Memory memory(ShmSession::segmentBytes(capacity));
    ReceiveLimits limits;
    limits.maxPeers = 1;
    TestWaiter receiverWaiter, firstWaiter, secondWaiter(4242);
    ShmSession receiver(receiverWaiter, "test", limits);
    receiver.create(memory.data.get(), capacity);
    ShmSession first(firstWaiter, "test"), second(secondWaiter, "test");
    for (ShmSession *sender : {&first, &second}) {
        QCOMPARE(joinSegment(*sender, memory), std::string());
    }
    QCOMPARE(receiver.receive(5000).kind, Event::Kind::PeerConnected);
    const Event refused = receiver.receive(5000);
    QCOMPARE(refused.kind, Event::Kind::Refused);
    QVERIFY2(refused.text.find("was turned away") != std::string::npos, refused.text.c_str());

    const Event told = second.receive(5000);
    QCOMPARE(told.kind, Event::Kind::PeerGone);
    QCOMPARE(told.text, std::string("The receiver on filemapping address test turned this sender away: it already serves 1 "
                                    "sender, its limit (--max-peers). Try again once one has finished."));
    QCOMPARE(second.receive(0).kind, Event::Kind::Timeout); // said once
    QCOMPARE(first.receive(0).kind, Event::Kind::Timeout);  // the served one hears nothing of it
}

// Another process of the same user can write any record into the data ring. One that names a
// slot that does not exist, or is of a kind senders never write, is dropped with a sentence and
// counted (a Refused event), and the sender beside it carries on.
void TestShmRing::recordsNoSenderWritesAreReported()
{
    OneSender pair;
    QCOMPARE(pair.connect(), std::string());
    ShmSession &receiver = pair.receiver, &sender = pair.sender;

    ShmRing data = sender.dataRing();
    const std::uint8_t payload[4] = {1, 2, 3, 4};
    std::string why;
    RecordMeta noSuchSlot = chunk(sizeof payload, 40);
    RecordMeta unknownKind = chunk(sizeof payload, std::uint32_t(sender.slot()));
    unknownKind.generation = sender.generation();
    unknownKind.kind = RecordKind(9);
    RecordMeta refusal = unknownKind;
    refusal.kind = RecordKind::Refusal;
    for (const RecordMeta &meta : {noSuchSlot, unknownKind, refusal})
        QCOMPARE(data.write(meta, payload, pair.senderWaiter, {}, &why), ShmRing::Status::Ok);
    const std::vector<std::uint8_t> frame = TestFrames::make(1, 0, 16);
    QCOMPARE(sender.send(frame.data(), frame.size(), 0), std::string());

    const Event slot = receiver.receive(5000);
    QCOMPARE(slot.kind, Event::Kind::Refused);
    QCOMPARE(slot.peer, std::uint64_t(0));
    QVERIFY2(slot.text.find("sender slot 40") != std::string::npos, slot.text.c_str());
    for (const char *kind : {"kind 9", "kind 4"}) {
        const Event e = receiver.receive(5000);
        QCOMPARE(e.kind, Event::Kind::Refused);
        QCOMPARE(e.peer, pair.peer);
        QVERIFY2(e.text.find(kind) != std::string::npos, e.text.c_str());
    }
    const Event delivered = receiver.receive(5000);
    QCOMPARE(delivered.kind, Event::Kind::Frame);
    QCOMPARE(delivered.frame, frame);
}

// This process's address space in KiB (VmSize), or -1.
qint64 virtualKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmSize:"))
            return line.mid(7).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// A writer that announces 64 MiB frames and writes one chunk of each used to make the receiver
// reserve the whole announced frame at once; now it holds what arrived, like every mechanism.
void TestShmRing::announcedFrameHoldsOnlyWhatArrived()
{
    OneSender pair;
    QCOMPARE(pair.connect(), std::string());
    ShmRing data = pair.sender.dataRing();
    const std::uint8_t payload[4] = {1, 2, 3, 4};
    RecordMeta first = chunk(sizeof payload, std::uint32_t(pair.sender.slot()));
    first.generation = pair.sender.generation();
    first.flags = FirstChunk;
    first.frameBytes = std::uint32_t(ShmSession::MaxFrameBytes);
    const qint64 before = virtualKiB();
    QVERIFY(before > 0);
    std::string why;
    // Each first chunk drops the unfinished frame before it: at most one is held at a time.
    for (int frame = 0; frame < 3; ++frame) {
        QCOMPARE(data.write(first, payload, pair.senderWaiter, {}, &why), ShmRing::Status::Ok);
        const Event e = pair.receiver.receive(200);
        QVERIFY2(e.kind == Event::Kind::Timeout, e.text.c_str());
        const qint64 grown = virtualKiB() - before;
        QVERIFY2(grown < 16 * 1024, qPrintable(QStringLiteral("address space grew by %1 KiB").arg(grown)));
    }
}

// A record's slot held something else last time round the ring, possibly bytes that look like a
// sealed header. The writer before it, or initialize() at position 0, marks the slot unsealed.
void TestShmRing::oldBytesWhereTheNextRecordGoesAreNoRecord()
{
    TestRing t(1024);
    TestWaiter waiter;
    RecordMeta meta;
    plantSealedHeader(t, 0);
    t.ring.initialize(); // a ring laid out again over its old bytes
    QCOMPARE(t.ring.peek(&meta, false), ShmRing::Status::Empty);
    QCOMPARE(t.ring.peek(&meta), ShmRing::Status::Empty);

    const std::uint64_t next = ShmRing::recordBytes(100);
    plantSealedHeader(t, next);
    const std::vector<std::uint8_t> frame = TestFrames::make(3, 3, 100);
    QCOMPARE(t.ring.write(chunk(100), frame.data(), waiter, {}, nullptr), ShmRing::Status::Ok);
    std::vector<std::uint8_t> got;
    QVERIFY(readOne(t.ring, waiter, &got, &meta));
    QCOMPARE(got, frame);
    QCOMPARE(t.ring.tail(), next);
    QCOMPARE(t.ring.peek(&meta, false), ShmRing::Status::Empty);
    QCOMPARE(t.ring.peek(&meta), ShmRing::Status::Empty);
}

// Writers keep their last look at tail (tailSeen, on their own cache line) and read tail, on the
// reader's, only when that look leaves too little room; the ring never overwrites either way.
void TestShmRing::writersReadTailOnlyWhenTheirLastLookSaysFull()
{
    TestRing t(4096);
    TestWaiter waiter;
    const RingControl *control = t.ring.control();
    int tailReads = 0;
    std::vector<std::uint8_t> got;
    RecordMeta meta;
    for (std::uint32_t i = 0; i < 200; ++i) {
        const std::uint64_t seen = control->tailSeen.load();
        const std::uint64_t roomByLastLook = t.ring.capacity() - (t.ring.head() - seen);
        const bool mustLook = roomByLastLook < ShmRing::recordBytes(100) + ShmRing::HeaderBytes;
        const std::uint64_t tail = t.ring.tail();
        const std::vector<std::uint8_t> frame = TestFrames::make(3, i, 100);
        QCOMPARE(t.ring.write(chunk(100), frame.data(), waiter, {}, nullptr), ShmRing::Status::Ok);
        QCOMPARE(control->tailSeen.load(), mustLook ? tail : seen);
        tailReads += mustLook;
        QVERIFY(readOne(t.ring, waiter, &got, &meta));
        QCOMPARE(got, frame);
    }
    // 200 records of 160 bytes go round a 4 KiB ring about eight times: one look at tail a lap.
    QVERIFY2(tailReads >= 7 && tailReads <= 9, qPrintable(QString::number(tailReads)));
}

// A receiver that lays out a segment again over a former one (Windows reuses a stale section in
// place, ring bytes and all) starts its rings at position 0 again: none of the old records,
// sealed for the very same positions, may come through.
void TestShmRing::receiverTakingOverASegmentReadsNoneOfItsRecords()
{
    OneSender pair;
    QCOMPARE(pair.connect(), std::string());
    for (std::uint32_t i = 0; i < 3; ++i) {
        const std::vector<std::uint8_t> frame = TestFrames::make(4, i, 300);
        QCOMPARE(pair.sender.send(frame.data(), frame.size(), 0), std::string());
    }
    TestWaiter successorWaiter;
    ShmSession successor(successorWaiter, "test");
    successor.create(pair.memory.data.get(), OneSender::Capacity);
    const Event e = successor.receive(100);
    QVERIFY2(e.kind == Event::Kind::Timeout, e.text.c_str());
}

QTEST_GUILESS_MAIN(TestShmRing)
#include "tst_shmring.moc"
