// SPDX-License-Identifier: GPL-3.0-or-later
#include "shmring.h"

#include "native/receivedframes.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace ipcw::native::shm {

namespace {
// How long a full ring, or a lock held by someone else, is waited on before asking whether the
// other side is still there.
constexpr int PeerCheckMs = 1000;
constexpr int LockSpinsBeforeYield = 64;
constexpr int LockYieldsBeforeLivenessCheck = 1024;
// How often a spinning reader reads the clock (and, spinning for good, yields): rarely enough
// that polling stays cheap, often enough to keep SpinBeforeBlock to a few microseconds.
constexpr std::uint32_t SpinRoundsPerClockRead = 16;
// Room a reservation leaves free: the header slot past it, which takes a non-seal.
constexpr std::uint64_t NextSlotBytes = ShmRing::HeaderBytes;

// Tells the core this is a polling loop: it saves power and lets a sibling hyperthread run.
void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}
} // namespace

ShmRing::ShmRing(RingControl *control, std::uint8_t *data, std::uint64_t capacity)
    : m_control(control), m_data(data), m_capacity(capacity)
{
}

void ShmRing::initialize()
{
    RingControl *control = new (m_control) RingControl();
    control->head.store(0);
    control->lock.store(0);
    control->dataSeq.store(0);
    control->readerWaiting.store(0);
    control->zero = 0;
    control->tailSeen.store(0);
    control->tail.store(0);
    control->spaceSeq.store(0);
    control->spaceWaiters.store(0);
    // The ring's bytes may be a former ring's (a stale segment reused in place): the first
    // record's slot must not show a seal.
    headerAt(0)->seal.store(~sealAt(0), std::memory_order_relaxed);
}

std::uint32_t ShmRing::sealAt(std::uint64_t position)
{
    // Never 0 at position 0, so even fresh zeroed memory shows no seal there.
    return std::uint32_t(position / HeaderBytes + 1);
}

std::uint32_t ShmRing::maxChunkBytes() const
{
    return std::uint32_t((m_capacity / 4) & ~std::uint64_t(31)) - HeaderBytes;
}

std::uint64_t ShmRing::recordBytes(std::uint32_t chunkBytes)
{
    return (std::uint64_t(HeaderBytes) + chunkBytes + 31) & ~std::uint64_t(31);
}

std::uint64_t ShmRing::head() const
{
    return m_control->head.load(std::memory_order_acquire);
}

std::uint64_t ShmRing::tail() const
{
    return m_control->tail.load(std::memory_order_acquire);
}

RecordHeader *ShmRing::headerAt(std::uint64_t position) const
{
    return reinterpret_cast<RecordHeader *>(m_data + position % m_capacity);
}

void ShmRing::copyIn(std::uint64_t position, const std::uint8_t *src, std::size_t bytes)
{
    const std::size_t offset = std::size_t(position % m_capacity);
    const std::size_t first = std::min<std::size_t>(bytes, std::size_t(m_capacity) - offset);
    std::memcpy(m_data + offset, src, first);
    std::memcpy(m_data, src + first, bytes - first);
}

void ShmRing::appendOut(std::uint64_t position, std::size_t bytes, std::vector<std::uint8_t> *out) const
{
    // insert(), not resize() and a copy: resize() would first zero what the copy overwrites.
    const std::size_t offset = std::size_t(position % m_capacity);
    const std::size_t first = std::min<std::size_t>(bytes, std::size_t(m_capacity) - offset);
    out->insert(out->end(), m_data + offset, m_data + offset + first);
    out->insert(out->end(), m_data, m_data + (bytes - first));
}

bool ShmRing::lock(ShmWaiter &waiter)
{
    const std::uint32_t self = waiter.selfPid();
    for (int attempt = 0;; ++attempt) {
        std::uint32_t holder = 0;
        if (m_control->lock.compare_exchange_weak(holder, self, std::memory_order_acquire))
            return true;
        if (attempt < LockSpinsBeforeYield)
            continue;
        if (waiter.interrupted())
            return false;
        waiter.yield();
        // The lock guards a handful of stores, so a holder seen for this long is most likely
        // dead. Taking its lock over is safe: it published nothing until its final head store.
        if (holder != 0 && attempt % LockYieldsBeforeLivenessCheck == 0 && !waiter.isAlive(holder)
            && m_control->lock.compare_exchange_strong(holder, self, std::memory_order_acquire))
            return true;
    }
}

void ShmRing::unlock()
{
    m_control->lock.store(0, std::memory_order_release);
}

bool ShmRing::tryReserve(const RecordMeta &meta, ShmWaiter &waiter, Reservation *out)
{
    bool broken = false;
    return reserve(&meta, 1, waiter, out, &broken);
}

bool ShmRing::tryReserveAll(const RecordMeta *metas, std::size_t count, ShmWaiter &waiter, Reservation *out)
{
    bool broken = false;
    return reserve(metas, count, waiter, out, &broken);
}

bool ShmRing::reserve(const RecordMeta *metas, std::size_t count, ShmWaiter &waiter, Reservation *out, bool *broken)
{
    std::uint64_t need = 0;
    for (std::size_t i = 0; i < count; ++i)
        need += recordBytes(metas[i].chunkBytes);
    need += NextSlotBytes;
    if (!lock(waiter))
        return false;
    const std::uint64_t head = m_control->head.load(std::memory_order_relaxed);
    // Tail as last seen is a lower bound (tail only grows): enough to know there is room, and
    // it spares the reader's cache line. Only when it says no room is tail itself read.
    std::uint64_t tail = m_control->tailSeen.load(std::memory_order_relaxed);
    if (head - tail > m_capacity || m_capacity - (head - tail) < need) {
        tail = m_control->tail.load(std::memory_order_seq_cst);
        m_control->tailSeen.store(tail, std::memory_order_relaxed);
    }
    // Counters another process broke would put the header across the ring's end. Checked under
    // the lock, where head cannot move and tail never passes it, so an honest ring never fails.
    *broken = head % 32 != 0 || head - tail > m_capacity;
    if (*broken || m_capacity - (head - tail) < need) {
        unlock();
        return false;
    }
    std::uint64_t position = head;
    for (std::size_t i = 0; i < count; ++i) {
        const RecordMeta &meta = metas[i];
        RecordHeader *h = headerAt(position);
        h->state.store(Reserved, std::memory_order_relaxed);
        h->writerPid = waiter.selfPid();
        h->slot = meta.slot;
        h->generation = meta.generation;
        h->kind = std::uint16_t(meta.kind);
        h->flags = meta.flags;
        h->chunkBytes = meta.chunkBytes;
        h->frameBytes = meta.frameBytes;
        h->seal.store(~sealAt(position), std::memory_order_relaxed);
        out[i].position = position;
        out[i].chunkBytes = meta.chunkBytes;
        position += recordBytes(meta.chunkBytes);
    }
    // Whatever the next slot held (a payload's bytes, last time round), a reader that gets
    // there finds no seal until a writer puts one.
    headerAt(position)->seal.store(~sealAt(position), std::memory_order_relaxed);
    m_control->head.store(position, std::memory_order_release);
    unlock();
    return true;
}

void ShmRing::fill(const Reservation &r, std::uint32_t offset, const std::uint8_t *data, std::uint32_t bytes)
{
    copyIn(r.position + HeaderBytes + offset, data, bytes);
}

void ShmRing::commit(const Reservation &r, ShmWaiter &waiter)
{
    publish(r);
    wakeReader(waiter);
}

void ShmRing::publish(const Reservation &r)
{
    RecordHeader *h = headerAt(r.position);
    h->state.store(Committed, std::memory_order_relaxed);
    // The seal last, releasing the payload and the state with it. seq_cst on both sides (here
    // and in waitForData) so that either the reader sees the commit or the wakeReader() after
    // it sees the reader waiting: no lost wake-up.
    h->seal.store(sealAt(r.position), std::memory_order_seq_cst);
}

void ShmRing::wakeReader(ShmWaiter &waiter)
{
    const std::uint32_t waiting = m_control->readerWaiting.load(std::memory_order_seq_cst);
    if (waiting == ReaderOnDoorbell) {
        waiter.ring(m_control->dataSeq);
    } else if (waiting != ReaderBusy) {
        // Bumped only for a reader asleep on it: an add on the line a busy reader polls cost
        // every commit one more cache-line transfer, and a doorbell's reader never sleeps on it.
        m_control->dataSeq.fetch_add(1, std::memory_order_seq_cst);
        waiter.wake(m_control->dataSeq);
    }
}

bool ShmRing::armDoorbell()
{
    // As in waitForData: announced first (seq_cst), then looked again, so a commit in between
    // is either seen here or rings.
    m_control->readerWaiting.store(ReaderOnDoorbell, std::memory_order_seq_cst);
    RecordMeta meta;
    const Status status = peek(&meta);
    return status == Status::Empty || status == Status::Pending;
}

void ShmRing::disarmDoorbell()
{
    // Read first: a store, even of the value already there, takes the cache line from the
    // writers, and a spinning reader disarms on every poll.
    if (m_control->readerWaiting.load(std::memory_order_relaxed) != ReaderBusy)
        m_control->readerWaiting.store(ReaderBusy, std::memory_order_relaxed);
}

ShmRing::Status ShmRing::write(const RecordMeta &meta, const std::uint8_t *data, ShmWaiter &waiter,
                               const std::function<std::string()> &peerGone, std::string *why, bool mayWait)
{
    Reservation r;
    for (;;) {
        if (waiter.interrupted())
            return Status::Interrupted;
        bool broken = false;
        if (reserve(&meta, 1, waiter, &r, &broken))
            break;
        if (broken) {
            // Waiting would never make room: say so instead of spinning.
            if (why)
                *why = "The shared memory ring was written outside the protocol by another process: "
                       "nothing more can be sent on it.";
            return Status::Corrupt;
        }
        if (!mayWait)
            return Status::PeerGone;
        m_control->spaceWaiters.fetch_add(1, std::memory_order_seq_cst);
        const std::uint32_t seen = m_control->spaceSeq.load(std::memory_order_seq_cst);
        const std::uint64_t used = m_control->head.load(std::memory_order_seq_cst)
                                   - m_control->tail.load(std::memory_order_seq_cst);
        ShmWaiter::Wait result = ShmWaiter::Wait::Changed;
        if (m_capacity - used < recordBytes(meta.chunkBytes) + NextSlotBytes)
            result = waiter.wait(m_control->spaceSeq, seen, PeerCheckMs);
        m_control->spaceWaiters.fetch_sub(1, std::memory_order_seq_cst);
        if (result == ShmWaiter::Wait::Interrupted)
            return Status::Interrupted;
        if (result == ShmWaiter::Wait::TimedOut) {
            const std::string gone = peerGone ? peerGone() : std::string();
            if (!gone.empty()) {
                *why = gone;
                return Status::PeerGone;
            }
        }
    }
    if (meta.chunkBytes)
        fill(r, 0, data, meta.chunkBytes);
    commit(r, waiter);
    return Status::Ok;
}

ShmRing::Status ShmRing::peek(RecordMeta *meta, bool lookAtHead) const
{
    const std::uint64_t tail = m_control->tail.load(std::memory_order_relaxed);
    if (tail % 32 != 0)
        return Status::Corrupt;
    const RecordHeader *h = headerAt(tail);
    // A seal is put after head moved past the record (release), so a sealed record needs no
    // look at head: its size is checked against the ring instead. A writer lying in a sealed
    // header can only make the reader read ring bytes and pass head, which the next look at
    // the counters reports as corrupt.
    const bool sealed = h->seal.load(std::memory_order_acquire) == sealAt(tail);
    std::uint64_t inUse = m_capacity;
    if (!sealed) {
        if (!lookAtHead)
            return Status::Empty;
        const std::uint64_t head = m_control->head.load(std::memory_order_acquire);
        if (tail == head)
            return Status::Empty;
        if (head - tail > m_capacity)
            return Status::Corrupt;
        inUse = head - tail;
    }
    const std::uint32_t state = h->state.load(std::memory_order_acquire);
    // Each field is read once: a hostile process may rewrite the header while we look, and a
    // size checked here must be the size used.
    RecordMeta seen;
    seen.slot = h->slot;
    seen.generation = h->generation;
    seen.kind = RecordKind(h->kind);
    seen.flags = h->flags;
    seen.frameBytes = h->frameBytes;
    seen.chunkBytes = *static_cast<const volatile std::uint32_t *>(&h->chunkBytes);
    seen.writerPid = h->writerPid;
    if (seen.chunkBytes > maxChunkBytes() || recordBytes(seen.chunkBytes) > inUse)
        return Status::Corrupt;
    *meta = seen;
    if (!sealed && (state == Reserved || state == Committed))
        return Status::Pending; // Committed but not yet sealed: the seal is the next store
    if (state != Committed)
        return Status::Corrupt;
    return Status::Ok;
}

void ShmRing::consume(const RecordMeta &meta, std::vector<std::uint8_t> *out, ShmWaiter &waiter)
{
    const std::uint64_t tail = m_control->tail.load(std::memory_order_relaxed);
    const std::uint32_t bytes = meta.chunkBytes;
    if (out && bytes)
        appendOut(tail + HeaderBytes, bytes, out);
    advanceTail(tail + recordBytes(bytes), waiter);
}

void ShmRing::consumeInto(const RecordMeta &meta, ipcw::native::FrameBytes &out, ShmWaiter &waiter)
{
    const std::uint64_t tail = m_control->tail.load(std::memory_order_relaxed);
    const std::size_t offset = std::size_t((tail + HeaderBytes) % m_capacity);
    const std::size_t first = std::min<std::size_t>(meta.chunkBytes, std::size_t(m_capacity) - offset);
    out.append(m_data + offset, first); // a payload may wrap around the ring's end
    out.append(m_data, meta.chunkBytes - first);
    advanceTail(tail + recordBytes(meta.chunkBytes), waiter);
}

ShmRing::Status ShmRing::skipIfAbandoned(RecordMeta *meta, ShmWaiter &waiter)
{
    const Status status = peek(meta);
    if (status != Status::Pending)
        return status;
    if (waiter.isAlive(meta->writerPid))
        return Status::Pending;
    // Its writer cannot come back to commit, and no one else writes inside a reservation.
    advanceTail(m_control->tail.load(std::memory_order_relaxed) + recordBytes(meta->chunkBytes), waiter);
    return Status::Abandoned;
}

void ShmRing::advanceTail(std::uint64_t newTail, ShmWaiter &waiter)
{
    m_control->tail.store(newTail, std::memory_order_seq_cst);
    if (m_control->spaceWaiters.load(std::memory_order_seq_cst)) {
        m_control->spaceSeq.fetch_add(1, std::memory_order_seq_cst);
        waiter.wake(m_control->spaceSeq);
    }
}

ShmWaiter::Wait ShmRing::waitForData(ShmWaiter &waiter, int timeoutMs, WaitStrategy strategy)
{
    if (strategy != WaitStrategy::Block) {
        const ShmWaiter::Wait spun = spinForData(waiter, timeoutMs, strategy);
        if (spun != ShmWaiter::Wait::TimedOut || strategy == WaitStrategy::Spin)
            return spun;
    }
    m_control->readerWaiting.store(ReaderOnWord, std::memory_order_seq_cst);
    const std::uint32_t seen = m_control->dataSeq.load(std::memory_order_seq_cst);
    RecordMeta meta;
    ShmWaiter::Wait result = ShmWaiter::Wait::Changed;
    // Re-check after announcing ourselves: a commit that landed in between is not slept through.
    if (peek(&meta) != Status::Ok)
        result = waiter.wait(m_control->dataSeq, seen, timeoutMs);
    m_control->readerWaiting.store(ReaderBusy, std::memory_order_relaxed);
    return result;
}

ShmWaiter::Wait ShmRing::spinForData(ShmWaiter &waiter, int timeoutMs, WaitStrategy strategy)
{
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    Clock::duration limit = Clock::duration::max();
    if (strategy == WaitStrategy::SpinThenBlock)
        limit = SpinBeforeBlock;
    if (timeoutMs >= 0)
        limit = std::min<Clock::duration>(limit, std::chrono::milliseconds(timeoutMs));
    for (std::uint32_t round = 1;; ++round) {
        RecordMeta meta;
        // head's line only now and then (it tells a corrupt ring from an empty one): each read
        // of it takes it from a writer that may be reserving.
        const Status status = peek(&meta, round % SpinRoundsPerClockRead == 0);
        // A record still being written (Pending) is worth polling for; anything else is news.
        if (status != Status::Empty && status != Status::Pending)
            return ShmWaiter::Wait::Changed;
        if (waiter.interrupted())
            return ShmWaiter::Wait::Interrupted;
        cpuRelax();
        if (round % SpinRoundsPerClockRead != 0)
            continue;
        if (Clock::now() - start >= limit)
            return ShmWaiter::Wait::TimedOut;
        // A spinner that never leaves the core would starve the writer it waits for when
        // both share one.
        if (strategy == WaitStrategy::Spin)
            waiter.yield();
    }
}

void ShmRing::discardAll()
{
    // The slot at head holds a non-seal: the last reservation (or initialize()) put it there.
    m_control->tail.store(m_control->head.load(std::memory_order_acquire), std::memory_order_seq_cst);
}

} // namespace ipcw::native::shm
