// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The shared-memory ring behind the filemapping transport, in plain C++17 with no OS calls, so
// the POSIX backend (shm_open + futex) and the Win32 backend (CreateFileMapping + named events)
// run the very same layout and algorithm. The platform lends a ShmWaiter: sleep on / wake a
// 32-bit word in the mapping, and "is this process still alive?".
//
// A ring is a byte stream of records, each a 32-byte RecordHeader plus payload, padded to 32
// bytes so a header never straddles the end of the ring (payloads may wrap). Positions are
// 64-bit byte counters that only grow (head: reserved so far, tail: consumed so far), so
// "full" and "empty" are never ambiguous.
//
// Writers (several processes) reserve under a tiny lock whose word holds the holder's pid:
// inside it a writer writes the record header with state Reserved and only then publishes the
// new head. So every record below head has a readable header (its length and its writer's
// pid), and a writer that dies inside the lock leaves nothing visible; the next writer sees a
// dead holder and takes the lock over. The payload is copied outside the lock and the state
// flipped to Committed, then the header sealed last (release): the reader never sees a torn or
// half-written record. A writer killed between reserve and commit leaves a Reserved record
// whose pid is dead; the reader notices when it has waited on that record, skips it and
// reclaims its bytes. A full ring makes writers sleep on spaceSeq (backpressure), never
// overwrite.
//
// The seal lets a reader find the next record without looking at head, whose cache line the
// writers own: a header at position p is complete when its seal word holds p / 32 + 1. A
// reserving writer puts a non-seal into the header slot just past its records, so the slot a
// reader looks at next never shows an old seal (a payload's bytes, last time round); and
// writers keep their last look at tail beside head, reading the reader's line only when that
// look says the ring is full. So while records flow, each side's own words stay in its own
// cache and only the records' lines travel between processors.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ipcw::native {
class FrameBytes;
}

namespace ipcw::native::shm {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
              "the ring keeps atomics in memory shared between processes: they must be lock-free");

// How a reader waits for the next record (the filemapping address's ?wait=). Spinning polls the
// ring without telling writers it waits, so a commit costs them no wake-up call and the reader
// no trip through the scheduler: lower latency, bought with a busy core.
enum class WaitStrategy {
    Block,         // sleep in the kernel at once (futex / event): no CPU while idle
    SpinThenBlock, // poll for SpinBeforeBlock, then sleep
    Spin,          // poll until the wait's time is up, yielding the core now and then
};
constexpr std::chrono::microseconds SpinBeforeBlock{50};

// What the platform supplies. One ShmWaiter per channel; its wait() is called by the channel's
// reader and writer threads, interrupt() from anywhere.
class ShmWaiter
{
public:
    enum class Wait { Changed, TimedOut, Interrupted };
    virtual ~ShmWaiter() = default;
    // Sleeps while `word` still holds `expected`, at most timeoutMs (-1: no limit). Spurious
    // early returns are allowed; callers re-check.
    virtual Wait wait(std::atomic<std::uint32_t> &word, std::uint32_t expected, int timeoutMs) = 0;
    // Wakes whoever sleeps on `word`, in any process.
    virtual void wake(std::atomic<std::uint32_t> &word) = 0;
    // Rings the doorbell of the reader that watches for the ring whose dataSeq is `word` from
    // an event loop instead of sleeping on it (readerWaiting == ReaderOnDoorbell). Platforms
    // without doorbells (Windows) never have such readers.
    virtual void ring(std::atomic<std::uint32_t> &word) { (void)word; }
    virtual bool isAlive(std::uint32_t pid) = 0;
    virtual std::uint32_t selfPid() = 0;
    virtual void yield() = 0;
    virtual void sleepMs(int ms) = 0;
    virtual bool interrupted() const = 0;
};

// Control block of one ring, in the mapping. Writer-side and reader-side words sit on separate
// cache lines so the two processes do not bounce one line on every record.
struct alignas(64) RingControl
{
    std::atomic<std::uint64_t> head;            // bytes reserved since creation
    std::atomic<std::uint32_t> lock;            // pid of the writer reserving right now, 0 free
    std::atomic<std::uint32_t> dataSeq;         // the reader sleeps on it; bumped by a commit that wakes it
    std::atomic<std::uint32_t> readerWaiting;   // how the reader waits for a commit: ReaderWaiting
    std::uint32_t zero;                         // padding, 0
    std::atomic<std::uint64_t> tailSeen;        // tail as a writer last read it (under the lock); never above tail
    alignas(64) std::atomic<std::uint64_t> tail; // bytes consumed since creation
    std::atomic<std::uint32_t> spaceSeq;        // bumped when bytes are freed while writers wait
    std::atomic<std::uint32_t> spaceWaiters;    // writers (about to be) asleep on spaceSeq
};
static_assert(sizeof(RingControl) == 128, "RingControl is part of the shared layout");

// RingControl::readerWaiting: what a writer does after a commit. Any other nonzero value is
// taken as ReaderOnWord.
enum ReaderWaiting : std::uint32_t {
    ReaderBusy = 0,       // nothing: the reader will look at the ring again by itself
    ReaderOnWord = 1,     // the reader is (about to be) asleep on dataSeq: wake it (futex, event)
    ReaderOnDoorbell = 2, // the reader watches its doorbell from an event loop: ring it (Linux)
};

// Refusal: the receiver's answer, in the reply ring, to a sender it turns away (--max-peers);
// the payload is a sentence for that sender (UTF-8, at most RefusalTextBytes).
enum class RecordKind : std::uint16_t { Chunk = 1, Connect = 2, Disconnect = 3, Refusal = 4 };
constexpr std::uint32_t RefusalTextBytes = 400;
enum RecordFlag : std::uint16_t { FirstChunk = 1, LastChunk = 2 };

// Who wrote a record and what it is; everything but the state word of a RecordHeader.
struct RecordMeta
{
    std::uint32_t slot = 0;       // sender slot the record comes from or goes to
    std::uint32_t generation = 0; // that slot's generation: tells successive senders apart
    RecordKind kind = RecordKind::Chunk;
    std::uint16_t flags = 0;
    std::uint32_t frameBytes = 0; // size of the whole frame this chunk belongs to
    std::uint32_t chunkBytes = 0; // payload bytes in this record
    std::uint32_t writerPid = 0;
};

struct RecordHeader
{
    std::atomic<std::uint32_t> state; // RecordState
    std::uint32_t writerPid;
    std::uint32_t slot;
    std::uint32_t generation;
    std::uint16_t kind;
    std::uint16_t flags;
    std::uint32_t chunkBytes;
    std::uint32_t frameBytes;
    std::atomic<std::uint32_t> seal; // ShmRing::sealAt(position) once committed; written last
};
static_assert(sizeof(RecordHeader) == 32, "RecordHeader is part of the shared layout");

class ShmRing
{
public:
    static constexpr std::uint32_t HeaderBytes = sizeof(RecordHeader);
    static constexpr std::uint32_t Reserved = 0x52455356; // "RESV" as a number; in memory (little-endian) "VSER"
    static constexpr std::uint32_t Committed = 0x434f4d54; // "COMT" as a number; in memory "TMOC"

    enum class Status {
        Ok,          // done (read: `meta` and payload delivered)
        Empty,       // read: nothing reserved
        Pending,     // read: the front record is reserved and its writer still writing
        Abandoned,   // read: the front record's writer died before committing; it was skipped
        Interrupted, // the waiter was interrupted
        PeerGone,    // write: the other side left while we waited for room
        Corrupt,     // the ring's counters or headers make no sense
    };

    ShmRing() = default;
    // `capacity` must be a multiple of 32; `data` and `control` live in the mapping.
    ShmRing(RingControl *control, std::uint8_t *data, std::uint64_t capacity);

    // Lays out an empty ring: counters zero, and no seal where the first record goes.
    void initialize();
    // The seal of a committed record at `position`; the header slot past a reservation holds
    // its complement until a record is written there.
    static std::uint32_t sealAt(std::uint64_t position);
    std::uint64_t capacity() const { return m_capacity; }
    // The largest payload of one record: a quarter of the ring, so writers of big frames
    // interleave and a chunk always fits once the reader catches up.
    std::uint32_t maxChunkBytes() const;
    static std::uint64_t recordBytes(std::uint32_t chunkBytes);

    // --- writer side (any number of threads and processes) ---
    // Reserves one record without waiting: false when the ring has no room (or interrupted
    // while taking the lock). The reservation must be filled and committed promptly.
    struct Reservation
    {
        std::uint64_t position = 0;
        std::uint32_t chunkBytes = 0;
    };
    bool tryReserve(const RecordMeta &meta, ShmWaiter &waiter, Reservation *out);
    // The records of a whole frame at once, back to back, all or none: false when the ring has
    // no room for every one of them now. For a ring with a single writer (a reply ring), which
    // need not leave room for others between a frame's records.
    bool tryReserveAll(const RecordMeta *metas, std::size_t count, ShmWaiter &waiter, Reservation *out);
    void fill(const Reservation &r, std::uint32_t offset, const std::uint8_t *data, std::uint32_t bytes);
    void commit(const Reservation &r, ShmWaiter &waiter);
    // Commit without waking the reader: for the records of one frame but the last, so that a
    // reader on the doorbell is rung once per frame (one system call, not one per record). The
    // writer calls commit() for the last record, or wakeReader() after its last publish().
    void publish(const Reservation &r);
    // Reserve + fill + commit, sleeping while the ring is full. `peerGone` is asked once per
    // second of waiting and returns a sentence when the reader has left. With `mayWait` false
    // a full ring returns PeerGone with an empty sentence instead of waiting.
    Status write(const RecordMeta &meta, const std::uint8_t *data, ShmWaiter &waiter,
                 const std::function<std::string()> &peerGone, std::string *why, bool mayWait = true);

    // --- reader side (one thread) ---
    // Looks at the front record without consuming it. A sealed record is Ok without a look at
    // head; otherwise head tells Empty from Pending (and from Corrupt). With `lookAtHead`
    // false, a front record that is not sealed is Empty without that look: for a spinning
    // reader, whose every read of head's line would take it from a writer in mid-record.
    Status peek(RecordMeta *meta, bool lookAtHead = true) const;
    // Consumes the front record peek() just returned Ok for, appending its payload to `out`
    // (or dropping it when `out` is null). `meta` is what peek() returned: its checked size is
    // used, never the header again, which another process may have rewritten since.
    void consume(const RecordMeta &meta, std::vector<std::uint8_t> *out, ShmWaiter &waiter);
    // The same, appending the payload to `out` (in a frame store's buffer, when it has one).
    void consumeInto(const RecordMeta &meta, ipcw::native::FrameBytes &out, ShmWaiter &waiter);
    // After peek() said Pending for a while: skips the front record if its writer is dead.
    Status skipIfAbandoned(RecordMeta *meta, ShmWaiter &waiter);
    // Waits until a commit may have happened (or timeout/interrupt), as `strategy` says.
    ShmWaiter::Wait waitForData(ShmWaiter &waiter, int timeoutMs, WaitStrategy strategy = WaitStrategy::Block);
    // For a reader that returns to its event loop instead of waiting: asks writers to ring its
    // doorbell from now on. False if a record came in meanwhile (read it; the request stands
    // until disarmDoorbell()).
    bool armDoorbell();
    void disarmDoorbell();
    // After a commit, or when the ring's writer side goes away: wakes or rings the reader if
    // it waits, as readerWaiting says.
    void wakeReader(ShmWaiter &waiter);
    // Skips everything currently reserved (a new reader of a per-sender reply ring).
    void discardAll();

    std::uint64_t head() const;
    std::uint64_t tail() const;
    RingControl *control() const { return m_control; }

private:
    // tryReserve(), also telling "no room" from counters another process broke (`*broken`).
    bool reserve(const RecordMeta *metas, std::size_t count, ShmWaiter &waiter, Reservation *out, bool *broken);
    // waitForData()'s polling: Changed, Interrupted, or TimedOut when its time is up; a
    // SpinThenBlock whose SpinBeforeBlock passed gives TimedOut too, and then blocks.
    ShmWaiter::Wait spinForData(ShmWaiter &waiter, int timeoutMs, WaitStrategy strategy);
    RecordHeader *headerAt(std::uint64_t position) const;
    bool lock(ShmWaiter &waiter);
    void unlock();
    void advanceTail(std::uint64_t newTail, ShmWaiter &waiter);
    void copyIn(std::uint64_t position, const std::uint8_t *src, std::size_t bytes);
    // Appends the `bytes` at `position` (wrapping around the end) to `out`.
    void appendOut(std::uint64_t position, std::size_t bytes, std::vector<std::uint8_t> *out) const;

    RingControl *m_control = nullptr;
    std::uint8_t *m_data = nullptr;
    std::uint64_t m_capacity = 0;
};

} // namespace ipcw::native::shm
