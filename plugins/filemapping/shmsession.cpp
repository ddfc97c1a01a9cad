// SPDX-License-Identifier: GPL-3.0-or-later
#include "shmsession.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace ipcw::native::shm {

namespace {
constexpr std::uint64_t DataControlOffset = 128;
constexpr std::uint64_t SlotsOffset = 256;
constexpr std::uint64_t DataOffset = 8192;
constexpr int InitialisationWaitMs = 1000;
static_assert(sizeof(SegmentHeader) <= DataControlOffset, "the header outgrew its place");
static_assert(SlotsOffset + ShmSession::MaxSenders * sizeof(SenderSlot) <= DataOffset, "the slots outgrew their place");

std::string pidText(std::uint32_t pid)
{
    return "process " + std::to_string(pid);
}
} // namespace

namespace {
// "size=16M" -> the data ring's capacity, or a sentence.
std::string parseSize(const std::string &option, std::uint64_t *dataCapacity)
{
    const std::string sizeError = "\"" + option + "\" is not a ring size: write size=<number> with K, M or G, "
                                  "between 64K and 1G, for example ?size=16M.";
    std::uint64_t value = 0;
    std::size_t i = 5;
    for (; i < option.size() && option[i] >= '0' && option[i] <= '9'; ++i) {
        value = value * 10 + std::uint64_t(option[i] - '0');
        if (value > ShmSession::MaxDataCapacity)
            return sizeError;
    }
    if (i == 5)
        return sizeError;
    const std::string unit = option.substr(i);
    if (unit == "K" || unit == "k")
        value <<= 10;
    else if (unit == "M" || unit == "m")
        value <<= 20;
    else if (unit == "G" || unit == "g")
        value <<= 30;
    else if (!unit.empty())
        return sizeError;
    if (value < ShmSession::MinDataCapacity || value > ShmSession::MaxDataCapacity)
        return sizeError;
    *dataCapacity = (value + 4095) & ~std::uint64_t(4095);
    return {};
}

// "wait=spin" -> the strategy, or a sentence.
std::string parseWait(const std::string &option, WaitStrategy *wait)
{
    const std::string value = option.substr(5);
    if (value == "block")
        *wait = WaitStrategy::Block;
    else if (value == "spinblock")
        *wait = WaitStrategy::SpinThenBlock;
    else if (value == "spin")
        *wait = WaitStrategy::Spin;
    else
        return "\"" + option + "\" is not a way to wait: write wait=block (sleep, the default), wait=spinblock "
               "(poll 50 us, then sleep) or wait=spin (poll, using a core).";
    return {};
}
} // namespace

std::string ShmSession::parseAddress(const std::string &address, std::string *name, std::uint64_t *dataCapacity,
                                     WaitStrategy *wait)
{
    const std::size_t query = address.find('?');
    *name = address.substr(0, query);
    *dataCapacity = DefaultDataCapacity;
    WaitStrategy strategy = WaitStrategy::Block;
    const bool nameOk = !name->empty() && name->size() <= 100
                        && std::all_of(name->begin(), name->end(), [](char c) {
                               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                                      || c == '-' || c == '_' || c == '.';
                           });
    if (!nameOk)
        return "\"" + address + "\" is not a filemapping address: use a name of letters, digits, '-', '_' and '.' "
               "(up to 100), optionally followed by ?size=8M, ?wait=spin or both (?size=8M&wait=spin).";
    if (query != std::string::npos) {
        // Options joined by '&', each at most once.
        bool sized = false, waited = false;
        std::size_t from = query + 1;
        for (;;) {
            const std::size_t end = address.find('&', from);
            const std::string option = address.substr(from, end == std::string::npos ? std::string::npos : end - from);
            std::string error;
            if (option.compare(0, 5, "size=") == 0 && !sized) {
                error = parseSize(option, dataCapacity);
                sized = true;
            } else if (option.compare(0, 5, "wait=") == 0 && !waited) {
                error = parseWait(option, &strategy);
                waited = true;
            } else {
                error = "\"" + option + "\" is not a filemapping option: use size=<ring size> (for example size=16M) "
                        "and wait=block, spinblock or spin, each at most once, joined by '&'.";
            }
            if (!error.empty())
                return error;
            if (end == std::string::npos)
                break;
            from = end + 1;
        }
    }
    if (wait)
        *wait = strategy;
    return {};
}

std::uint64_t ShmSession::segmentBytes(std::uint64_t dataCapacity)
{
    return DataOffset + dataCapacity + std::uint64_t(MaxSenders) * ReplyCapacity;
}

ShmSession::Existing ShmSession::inspect(const void *base, std::uint64_t bytes, ShmWaiter &waiter)
{
    if (bytes < DataOffset)
        return Existing::Initializing;
    const auto *header = static_cast<const SegmentHeader *>(base);
    const std::uint32_t magic = header->magic.load(std::memory_order_acquire);
    if (magic == 0)
        return Existing::Initializing;
    if (magic != Magic || header->version != LayoutVersion || header->closed.load())
        return Existing::Stale;
    const std::uint32_t owner = header->ownerPid.load();
    return owner != 0 && waiter.isAlive(owner) ? Existing::Live : Existing::Stale;
}

ShmSession::ShmSession(ShmWaiter &waiter, std::string address, const ReceiveLimits &limits)
    : m_waiter(waiter), m_address(std::move(address)), m_limits(limits)
{
    m_budget.setLimit(limits.maxPendingBytes);
    std::string name;
    std::uint64_t capacity = 0;
    parseAddress(m_address, &name, &capacity, &m_waitStrategy); // the channel has checked it
}

std::uint64_t ShmSession::peerId(std::uint32_t slot, std::uint32_t generation)
{
    return (std::uint64_t(generation) << 32) | (slot + 1);
}

void ShmSession::bind(void *base)
{
    m_base = static_cast<std::uint8_t *>(base);
    m_header = reinterpret_cast<SegmentHeader *>(m_base);
    m_slots = reinterpret_cast<SenderSlot *>(m_base + SlotsOffset);
    m_data = ShmRing(reinterpret_cast<RingControl *>(m_base + DataControlOffset), m_base + DataOffset,
                     m_header->dataCapacity);
    m_replyData = m_base + DataOffset + m_header->dataCapacity;
}

ShmRing ShmSession::replyRing(std::uint32_t slot) const
{
    return ShmRing(&m_slots[slot].reply, m_replyData + std::uint64_t(slot) * ReplyCapacity, ReplyCapacity);
}

void ShmSession::create(void *base, std::uint64_t dataCapacity)
{
    m_role = Role::Receiver;
    auto *header = static_cast<SegmentHeader *>(base);
    const std::uint32_t previousEpoch = header->epoch.load();
    header->magic.store(0, std::memory_order_release);
    // Only the control areas are cleared: ring bytes are never read before a header is written.
    std::memset(base, 0, DataOffset);
    new (header) SegmentHeader();
    header->version = LayoutVersion;
    header->segmentBytes = segmentBytes(dataCapacity);
    header->dataCapacity = dataCapacity;
    header->replyCapacity = ReplyCapacity;
    header->maxSenders = MaxSenders;
    header->closed.store(0);
    header->epoch.store(previousEpoch + 1);
    header->ownerPid.store(m_waiter.selfPid());
    bind(base);
    m_data.initialize();
    for (std::uint32_t i = 0; i < MaxSenders; ++i) {
        new (&m_slots[i]) SenderSlot();
        m_slots[i].pid.store(0);
        m_slots[i].generation.store(0);
        replyRing(i).initialize();
    }
    m_peers = {};
    m_stallCheckAt = std::chrono::steady_clock::time_point::max();
    m_lastScan = std::chrono::steady_clock::now();
    header->magic.store(Magic, std::memory_order_release);
}

std::string ShmSession::attach(void *base, std::uint64_t bytes)
{
    m_role = Role::Sender;
    const std::string nobody = "Nobody is receiving on filemapping address " + m_address + ": start a receiver first.";
    if (bytes < DataOffset)
        return nobody;
    auto *header = static_cast<SegmentHeader *>(base);
    for (int waited = 0; header->magic.load(std::memory_order_acquire) == 0; waited += 10) {
        if (waited >= InitialisationWaitMs)
            return nobody;
        m_waiter.sleepMs(10);
    }
    const std::uint64_t capacity = header->dataCapacity;
    if (header->magic.load() != Magic || header->version != LayoutVersion || header->maxSenders != MaxSenders
        || header->replyCapacity != ReplyCapacity || capacity < MinDataCapacity || capacity > MaxDataCapacity
        || capacity % 4096 != 0 || header->segmentBytes != segmentBytes(capacity) || bytes < segmentBytes(capacity))
        return "The shared memory at filemapping address " + m_address
               + " does not have the layout this program expects (another version?): start a receiver of this "
                 "version on it, or pick another address.";
    bind(base);
    m_ownerPid = header->ownerPid.load();
    m_epoch = header->epoch.load();
    if (!receiverGone().empty())
        return nobody;
    return {};
}

std::string ShmSession::receiverGone() const
{
    if (m_header->closed.load())
        return "The receiver on filemapping address " + m_address + " closed.";
    if (m_header->ownerPid.load() != m_ownerPid || m_header->epoch.load() != m_epoch || !m_waiter.isAlive(m_ownerPid))
        return "The receiver on filemapping address " + m_address + " (" + pidText(m_ownerPid)
               + ") has gone away: start it again and reconnect.";
    return {};
}

std::string ShmSession::claimSlot()
{
    const std::uint32_t self = m_waiter.selfPid();
    for (std::uint32_t i = 0; i < MaxSenders; ++i) {
        std::uint32_t pid = m_slots[i].pid.load();
        // A slot whose sender died is free too; the receiver notices the generation change.
        if (pid != 0 && (pid == self || m_waiter.isAlive(pid)))
            continue;
        if (!m_slots[i].pid.compare_exchange_strong(pid, self))
            continue;
        m_slot = int(i);
        m_generation = m_slots[i].generation.fetch_add(1) + 1;
        // Replies still queued for the previous sender of this slot are not ours.
        replyRing(i).discardAll();
        return {};
    }
    return "All " + std::to_string(MaxSenders) + " sender places on filemapping address " + m_address
           + " are taken: close a sender first.";
}

std::string ShmSession::announce()
{
    const std::string self = pidText(m_waiter.selfPid());
    RecordMeta meta;
    meta.slot = std::uint32_t(m_slot);
    meta.generation = m_generation;
    meta.kind = RecordKind::Connect;
    meta.flags = FirstChunk | LastChunk;
    meta.frameBytes = meta.chunkBytes = std::uint32_t(self.size());
    std::string why;
    switch (m_data.write(meta, reinterpret_cast<const std::uint8_t *>(self.data()), m_waiter,
                         [this] { return receiverGone(); }, &why)) {
    case ShmRing::Status::Ok:
        return {};
    case ShmRing::Status::Interrupted:
        return "Connecting to filemapping address " + m_address + " was cancelled.";
    default:
        return why;
    }
}

bool ShmSession::slotInUse(std::uint32_t slot) const
{
    return slot < MaxSenders && m_slots[slot].pid.load() != 0;
}

ShmSession::Word ShmSession::classify(const std::atomic<std::uint32_t> *word, std::uint32_t *slot) const
{
    std::uint32_t unused = 0;
    if (!slot)
        slot = &unused;
    const RingControl *data = m_data.control();
    if (word == &data->dataSeq)
        return Word::DataReady;
    if (word == &data->spaceSeq)
        return Word::DataSpace;
    for (std::uint32_t i = 0; i < MaxSenders; ++i) {
        *slot = i;
        if (word == &m_slots[i].reply.dataSeq)
            return Word::ReplyReady;
        if (word == &m_slots[i].reply.spaceSeq)
            return Word::ReplySpace;
    }
    return Word::Unknown;
}

namespace {
// The record that carries a frame's bytes from `offset` on: as many as one record takes.
RecordMeta chunkAt(std::uint32_t slot, std::uint32_t generation, std::size_t size, std::size_t offset,
                   std::uint32_t maxChunk)
{
    RecordMeta meta;
    meta.slot = slot;
    meta.generation = generation;
    meta.kind = RecordKind::Chunk;
    meta.chunkBytes = std::uint32_t(std::min<std::size_t>(maxChunk, size - offset));
    meta.frameBytes = std::uint32_t(size);
    meta.flags = std::uint16_t((offset == 0 ? FirstChunk : 0) | (offset + meta.chunkBytes == size ? LastChunk : 0));
    return meta;
}
} // namespace

std::string ShmSession::sendChunks(ShmRing &ring, std::uint32_t slot, std::uint32_t generation,
                                   const std::uint8_t *data, std::size_t size,
                                   const std::function<std::string()> &peerGone)
{
    const std::uint32_t maxChunk = ring.maxChunkBytes();
    std::size_t offset = 0;
    do {
        const RecordMeta meta = chunkAt(slot, generation, size, offset, maxChunk);
        std::string why;
        switch (ring.write(meta, data + offset, m_waiter, peerGone, &why)) {
        case ShmRing::Status::Ok:
            break;
        case ShmRing::Status::Interrupted:
            return {};
        default:
            return why;
        }
        offset += meta.chunkBytes;
    } while (offset < size);
    return {};
}

// Where a frame to `peer` goes: the data ring for a sender, the peer's reply ring for the
// receiver. False with `*error` set, or with "" when the peer left and the frame has nobody to go to.
bool ShmSession::sendTarget(std::size_t size, std::uint64_t peer, SendTarget *target, std::string *error)
{
    spinAfterActivity(); // its answer may come within the spin
    if (size > MaxFrameBytes) {
        *error = "A frame of " + std::to_string(size) + " bytes is larger than the " + std::to_string(MaxFrameBytes)
                 + " bytes the filemapping transport carries: send smaller batches.";
        return false;
    }
    if (m_role == Role::Sender) {
        if (m_header->closed.load()) {
            *error = receiverGone();
            return false;
        }
        *target = {m_data, std::uint32_t(m_slot), m_generation, [this] { return receiverGone(); }};
        return true;
    }
    const std::uint32_t slot = std::uint32_t(peer & 0xffffffffu) - 1;
    const std::uint32_t generation = std::uint32_t(peer >> 32);
    if (slot >= MaxSenders) {
        *error = "There is no filemapping sender with id " + std::to_string(peer) + ".";
        return false;
    }
    SenderSlot &s = m_slots[slot];
    auto departed = [&s, generation] { return s.generation.load() != generation || s.pid.load() == 0; };
    if (departed())
        return false; // it left: a reply has nobody to go to
    *target = {replyRing(slot), slot, generation, [this, &s, departed, peer] {
                   if (departed() || !m_waiter.isAlive(s.pid.load()))
                       return "Sender " + std::to_string(peer) + " on filemapping address " + m_address
                              + " left before its reply could be delivered.";
                   return std::string();
               }};
    return true;
}

std::string ShmSession::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    SendTarget target;
    std::string error;
    if (!sendTarget(size, peer, &target, &error))
        return error;
    return sendChunks(target.ring, target.slot, target.generation, data, size, target.peerGone);
}

bool ShmSession::trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error)
{
    SendTarget target;
    error->clear();
    if (!sendTarget(size, peer, &target, error))
        return true;
    if (size > target.ring.maxChunkBytes())
        return m_role == Role::Receiver && tryWriteWhole(target, data, size);
    const RecordMeta meta = chunkAt(target.slot, target.generation, size, 0, target.ring.maxChunkBytes());
    std::string why;
    switch (target.ring.write(meta, data, m_waiter, target.peerGone, &why, false)) {
    case ShmRing::Status::Ok:
    case ShmRing::Status::Interrupted:
        return true;
    case ShmRing::Status::PeerGone:
        if (why.empty())
            return false; // the ring is full for now: the writer thread waits for room
        *error = why;
        return true;
    default:
        *error = why;
        return true;
    }
}

// A reply ring has one writer, this receiver, so a frame of several records may take them all
// at once: it goes now if every one fits now. Otherwise (or when the counters are broken, which
// the writer thread then reports) nothing is written. The reader is woken once, after the last
// record: it cannot use the frame before then, and each wake-up is a system call.
bool ShmSession::tryWriteWhole(const SendTarget &target, const std::uint8_t *data, std::size_t size)
{
    ShmRing ring = target.ring;
    const std::uint32_t maxChunk = ring.maxChunkBytes();
    std::vector<RecordMeta> metas;
    for (std::size_t offset = 0; offset < size; offset += metas.back().chunkBytes)
        metas.push_back(chunkAt(target.slot, target.generation, size, offset, maxChunk));
    std::vector<ShmRing::Reservation> reservations(metas.size());
    if (!ring.tryReserveAll(metas.data(), metas.size(), m_waiter, reservations.data()))
        return false;
    std::size_t offset = 0;
    for (const ShmRing::Reservation &r : reservations) {
        ring.fill(r, 0, data + offset, r.chunkBytes);
        ring.publish(r);
        offset += r.chunkBytes;
    }
    ring.wakeReader(m_waiter);
    return true;
}

bool ShmSession::assemble(ShmRing &ring, const RecordMeta &meta, Assembly &a, PendingBudget *budget,
                          std::string *refusal)
{
    if (meta.flags & FirstChunk) {
        // A first chunk while another frame is unfinished: that sender was interrupted mid-frame.
        a = Assembly();
        // No sender writes a frame over the limit or a chunk larger than its frame.
        if (meta.frameBytes > MaxFrameBytes || meta.chunkBytes > meta.frameBytes) {
            if (refusal)
                *refusal = "wrote a chunk of " + std::to_string(meta.chunkBytes) + " bytes for a frame of "
                           + std::to_string(meta.frameBytes) + " bytes, which no sender writes (the limit is "
                           + std::to_string(MaxFrameBytes) + " bytes): it was dropped, the sender stays.";
            ring.consume(meta, nullptr, m_waiter);
            return false;
        }
        // The whole frame draws from the budget at once: refused before anything is held, and
        // never cut short half way for want of room. A sender that announces much and sends
        // little is bounded by the time limit and the slots.
        if (budget && !a.share.resize(*budget, meta.frameBytes)) {
            *refusal = "began a frame of " + std::to_string(meta.frameBytes) + " bytes, but "
                       + (meta.frameBytes > budget->limit()
                              ? "that is more than this receiver's whole budget for unfinished frames ("
                                    + mebibytesText(budget->limit()) + " MiB, --max-pending-mib)"
                              : budget->describe())
                       + ": the frame was refused, the sender stays.";
            ring.consume(meta, nullptr, m_waiter);
            return false;
        }
        a.frameBytes = meta.frameBytes;
        a.active = true;
        // Memory follows the bytes that arrived, not the header's word, as on every mechanism:
        // a hostile writer announcing 64 MiB frames and writing one chunk each holds little.
        a.bytes.start(m_frameStore, meta.frameBytes);
    } else if (!a.active || meta.frameBytes != a.frameBytes || a.bytes.size() + meta.chunkBytes > a.frameBytes) {
        a = Assembly();
        ring.consume(meta, nullptr, m_waiter);
        return false;
    }
    ring.consumeInto(meta, a.bytes, m_waiter); // with a store, straight into the session's frame
    if (!(meta.flags & LastChunk))
        return false;
    const bool whole = a.bytes.size() == a.frameBytes;
    a.active = false;
    if (!whole)
        a = Assembly();
    return whole;
}

void ShmSession::takeRecord(const RecordMeta &meta)
{
    if (meta.slot >= MaxSenders) {
        m_data.consume(meta, nullptr, m_waiter);
        pushEvent(Event::Kind::Refused, 0,
                  "A record for sender slot " + std::to_string(meta.slot) + " (there are " + std::to_string(MaxSenders)
                      + ") was found in the data ring of filemapping address " + m_address
                      + " and dropped: a process other than an IPC Workshop sender wrote it.");
        return;
    }
    Peer &p = m_peers[meta.slot];
    const std::uint64_t peer = peerId(meta.slot, meta.generation);
    switch (meta.kind) {
    case RecordKind::Connect: {
        if (p.known && p.generation != meta.generation)
            forgetPeer(meta.slot, "left, and a new sender took its place");
        std::vector<std::uint8_t> text;
        m_data.consume(meta, &text, m_waiter);
        admitPeer(meta.slot, meta, std::string(text.begin(), text.end()));
        return;
    }
    case RecordKind::Disconnect:
        m_data.consume(meta, nullptr, m_waiter);
        if (p.known && p.generation == meta.generation)
            forgetPeer(meta.slot, "closed the connection");
        return;
    case RecordKind::Chunk: {
        if (!p.known || p.generation != meta.generation) {
            // Its Connect record was lost (it left or died just after claiming); keep its frames.
            if (p.known)
                forgetPeer(meta.slot, "left, and a new sender took its place");
            admitPeer(meta.slot, meta, {});
        }
        if (p.refused) {
            m_data.consume(meta, nullptr, m_waiter);
            return;
        }
        std::string refusal;
        const bool whole = assemble(m_data, meta, p.assembly, &m_budget, &refusal);
        p.lastProgress = std::chrono::steady_clock::now();
        if (p.assembly.active) // its time limit runs from now at the latest
            m_stallCheckAt = std::min(m_stallCheckAt, p.lastProgress + std::chrono::milliseconds(m_limits.peerTimeoutMs));
        if (!refusal.empty())
            pushEvent(Event::Kind::Refused, peer, "Sender " + pidText(p.pid) + " " + refusal);
        if (whole)
            queueFrame(peer, p.assembly);
        return;
    }
    case RecordKind::Refusal: // only the receiver writes one, into a reply ring
        break;
    }
    m_data.consume(meta, nullptr, m_waiter);
    pushEvent(Event::Kind::Refused, p.known && p.generation == meta.generation ? peer : 0,
              "A record of kind " + std::to_string(unsigned(meta.kind)) + ", which senders never write, was found in "
                  + "the data ring of filemapping address " + m_address + " (from slot " + std::to_string(meta.slot)
                  + ", " + pidText(meta.writerPid) + ") and dropped.");
}

void ShmSession::admitPeer(std::uint32_t slot, const RecordMeta &meta, const std::string &description)
{
    const auto served = std::size_t(std::count_if(m_peers.begin(), m_peers.end(),
                                                  [](const Peer &other) { return other.known && !other.refused; }));
    Peer &p = m_peers[slot];
    p = Peer();
    p.known = true;
    p.generation = meta.generation;
    p.pid = meta.writerPid;
    if (served >= std::size_t(std::max(m_limits.maxPeers, 0))) {
        p.refused = true;
        const std::string servedText = ipcw::native::sendersText(served);
        pushEvent(Event::Kind::Refused, peerId(slot, meta.generation),
                  "Sender " + pidText(p.pid) + " was turned away: this receiver already serves " + servedText
                      + ", its limit (--max-peers). What it sends is dropped.");
        tellRefused(slot, meta.generation,
                    "it already serves " + servedText + ", its limit (--max-peers). Try again once one has finished.");
        return;
    }
    if (meta.kind == RecordKind::Connect)
        pushEvent(Event::Kind::PeerConnected, peerId(slot, meta.generation), description);
}

void ShmSession::tellRefused(std::uint32_t slot, std::uint32_t generation, const std::string &why)
{
    // Without waiting: a sender that has just connected has nothing in its reply ring yet, and
    // one that does not read it gets no more of this receiver's time.
    RecordMeta meta;
    meta.slot = slot;
    meta.generation = generation;
    meta.kind = RecordKind::Refusal;
    meta.flags = FirstChunk | LastChunk;
    meta.chunkBytes = meta.frameBytes = std::uint32_t(std::min<std::size_t>(why.size(), RefusalTextBytes));
    ShmRing ring = replyRing(slot);
    ring.write(meta, reinterpret_cast<const std::uint8_t *>(why.data()), m_waiter, {}, nullptr, false);
}

int ShmSession::expireStalledFrames(int waitMs)
{
    const auto now = std::chrono::steady_clock::now();
    const int timeoutMs = m_limits.peerTimeoutMs;
    StallWatch stalls;
    for (std::uint32_t i = 0; i < MaxSenders; ++i) {
        Peer &p = m_peers[i];
        if (!p.known || !p.assembly.active)
            continue;
        if (now - p.lastProgress < std::chrono::milliseconds(timeoutMs)) {
            stalls.note(p.lastProgress, timeoutMs);
            continue;
        }
        const long long idleMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - p.lastProgress).count();
        pushEvent(Event::Kind::Refused, peerId(i, p.generation),
                  "Sender " + pidText(p.pid) + " stopped in the middle of a frame: "
                      + std::to_string(p.assembly.bytes.size()) + " of its " + std::to_string(p.assembly.frameBytes)
                      + " bytes had arrived, then nothing came for " + secondsText(idleMs) + " s (the limit is "
                      + secondsText(timeoutMs) + " s, --peer-timeout): the partial frame was dropped, the sender stays.");
        p.assembly = Assembly(); // the rest of that frame is dropped quietly as it comes
    }
    return stalls.shorten(waitMs);
}

void ShmSession::pushEvent(Event::Kind kind, std::uint64_t peer, std::string text)
{
    Event e;
    e.kind = kind;
    e.peer = peer;
    e.text = std::move(text);
    m_events.push(std::move(e));
}

void ShmSession::queueFrame(std::uint64_t peer, Assembly &a)
{
    m_events.pushFrame(peer, a.bytes);
    a = Assembly();
}

void ShmSession::forgetPeer(std::uint32_t slot, const std::string &how)
{
    Peer &p = m_peers[slot];
    if (p.refused) { // never announced: nothing to say
        p = Peer();
        return;
    }
    Event e;
    e.kind = Event::Kind::PeerGone;
    e.peer = peerId(slot, p.generation);
    e.text = "Sender " + pidText(p.pid) + " " + how + "."
             + (p.assembly.active || p.droppedUnfinished ? " Its unfinished frame was dropped." : "");
    m_events.push(std::move(e));
    p = Peer();
}

void ShmSession::scanSenders(bool force, std::chrono::steady_clock::time_point now)
{
    if (!force && now - m_lastScan < std::chrono::milliseconds(LivenessCheckMs))
        return;
    m_lastScan = now;
    for (std::uint32_t i = 0; i < MaxSenders; ++i) {
        SenderSlot &s = m_slots[i];
        std::uint32_t pid = s.pid.load();
        const bool slotDead = pid != 0 && !m_waiter.isAlive(pid);
        Peer &p = m_peers[i];
        if (p.known && !p.leaving
            && (s.generation.load() != p.generation || pid == 0 || slotDead || !m_waiter.isAlive(p.pid))) {
            // Whatever it wrote lies below the head we see now; report it once that is read.
            p.leaving = true;
            p.goneAt = m_data.head();
            m_someoneLeaving = true;
        }
        if (slotDead)
            s.pid.compare_exchange_strong(pid, 0);
    }
}

void ShmSession::releaseDepartedSenders()
{
    if (!m_someoneLeaving)
        return;
    m_someoneLeaving = false;
    const std::uint64_t tail = m_data.tail();
    for (std::uint32_t i = 0; i < MaxSenders; ++i) {
        Peer &p = m_peers[i];
        if (!p.known || !p.leaving)
            continue;
        if (tail >= p.goneAt)
            forgetPeer(i, m_waiter.isAlive(p.pid) ? "closed the connection"
                                                  : "ended without closing the connection, so it was probably killed");
        else
            m_someoneLeaving = true; // its last records are still to be read
    }
}

void ShmSession::takeReply(ShmRing &ring, const RecordMeta &meta)
{
    if (meta.kind == RecordKind::Refusal && meta.generation == m_generation && !m_reportedGone) {
        // Another process's bytes: at most RefusalTextBytes of them, control characters shown as '?'.
        std::vector<std::uint8_t> text;
        if (meta.chunkBytes <= RefusalTextBytes)
            ring.consume(meta, &text, m_waiter);
        else
            ring.consume(meta, nullptr, m_waiter);
        const std::string why = ipcw::native::printableText(std::string(text.begin(), text.end()));
        m_reportedGone = true;
        Event e;
        e.kind = Event::Kind::PeerGone;
        e.text = "The receiver on filemapping address " + m_address + " turned this sender away"
                 + (why.empty() ? std::string(".") : ": " + why);
        m_events.push(std::move(e));
        return;
    }
    if (meta.kind != RecordKind::Chunk || meta.generation != m_generation) {
        ring.consume(meta, nullptr, m_waiter);
        return;
    }
    if (assemble(ring, meta, m_reply))
        queueFrame(0, m_reply);
}

Event ShmSession::receive(int timeoutMs)
{
    using Clock = std::chrono::steady_clock;
    // A poll (timeoutMs 0) has no deadline to compute, and each turn of the loop reads the clock
    // once: a spinning end polls millions of times a second, and the clock was most of its time.
    const Clock::time_point deadline = timeoutMs > 0 ? Clock::now() + std::chrono::milliseconds(timeoutMs) : Clock::time_point();
    ShmRing ring = m_role == Role::Receiver ? m_data : replyRing(std::uint32_t(m_slot));
    disarmDoorbell(ring); // while we read, writers need not ring
    // A spinning poll reads only the ring's records: head's line is the writers', and taking it
    // from one in mid-record makes both wait. The checks below look at it now and then.
    const bool spinningPoll = timeoutMs == 0 && spinning();
    for (;;) {
        Event event;
        int stallWaitMs = -1;
        if (m_waiter.interrupted()) {
            event.kind = Event::Kind::Interrupted;
            return event;
        }
        const Clock::time_point now = Clock::now();
        if (m_role == Role::Receiver) {
            scanSenders(false, now);
            releaseDepartedSenders();
        }
        if (m_role == Role::Receiver && m_events.empty()) {
            // Judged when a partial frame's time may have run out, not for every record.
            if (now >= m_stallCheckAt) {
                const int next = expireStalledFrames(-1);
                m_stallCheckAt = next < 0 ? Clock::time_point::max() : now + std::chrono::milliseconds(next);
            }
            if (m_stallCheckAt != Clock::time_point::max())
                stallWaitMs = int(std::max<long long>(
                    1, std::chrono::duration_cast<std::chrono::milliseconds>(m_stallCheckAt - now).count()));
        }
        if (m_events.take(&event, m_frameStore))
            return event;
        RecordMeta meta;
        ShmRing::Status status = ring.peek(&meta, !spinningPoll);
        if (status == ShmRing::Status::Ok) {
            if (m_role == Role::Receiver)
                takeRecord(meta);
            else
                takeReply(ring, meta);
            spinAfterActivity();
            continue;
        }
        if (status == ShmRing::Status::Corrupt) {
            event.kind = Event::Kind::Error;
            event.text = "The shared memory ring of filemapping address " + m_address
                         + " is corrupt (a process wrote outside the protocol): restart the receiver.";
            return event;
        }
        int waitMs = -1;
        if (timeoutMs >= 0) {
            const auto left = timeoutMs == 0 ? 0 : std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
            if (left <= 0) {
                // A caller that polls never waits, so it makes here the checks a wait that timed
                // out would make, as often as such a wait would time out; and at once when the
                // receiver has closed (it says so in the header, and rings).
                const bool receiverClosed = m_role == Role::Sender && !m_reportedGone && m_header->closed.load();
                // Not having looked at head, a spinning poll cannot tell a pending record from
                // none: it checks as often as for a pending one.
                const ShmRing::Status seen = spinningPoll ? ShmRing::Status::Pending : status;
                if (timeoutMs == 0 && (receiverClosed || pollCheckDue(seen, now))) {
                    if (spinningPoll)
                        status = ring.peek(&meta);
                    if (checkQuietRing(ring, status, meta, &event))
                        return event;
                    continue;
                }
                if (timeoutMs == 0 && m_doorbell && !spinning() && !armDoorbell(ring)) {
                    disarmDoorbell(ring);
                    continue; // a record came in while we armed it
                }
                event.kind = Event::Kind::Timeout;
                return event;
            }
            waitMs = int(left);
        }
        const bool watching = mayBeSentTo();
        const int checkMs = status == ShmRing::Status::Pending ? PendingCheckMs : watching ? LivenessCheckMs : -1;
        if (checkMs >= 0 && (waitMs < 0 || checkMs < waitMs))
            waitMs = checkMs;
        if (stallWaitMs >= 0 && (waitMs < 0 || stallWaitMs < waitMs))
            waitMs = stallWaitMs; // a partial frame's time runs out then
        // Spinning only while someone may send: a receiver without senders sleeps whatever the
        // address asks, and its first sender's Connect wakes it.
        m_doorbellArmed = false; // waitForData() leaves readerWaiting at ReaderBusy
        const ShmWaiter::Wait result = ring.waitForData(m_waiter, waitMs, watching ? m_waitStrategy : WaitStrategy::Block);
        if (result == ShmWaiter::Wait::Interrupted)
            continue;
        if (result != ShmWaiter::Wait::TimedOut)
            continue;
        if (checkQuietRing(ring, status, meta, &event))
            return event;
    }
}

bool ShmSession::armDoorbell(ShmRing &ring)
{
    // Rings that came while it was armed (or late, from a writer that saw it armed just before
    // it was disarmed) go now; one that comes after the arming stays and wakes the caller.
    if (m_emptyDoorbell)
        m_emptyDoorbell();
    m_doorbellArmed = true;
    return ring.armDoorbell();
}

void ShmSession::disarmDoorbell(ShmRing &ring)
{
    // Only this end arms its ring's doorbell, so it knows without reading the shared word, which
    // lies on the writers' cache line: a spinning end disarms on every poll.
    if (!m_doorbellArmed)
        return;
    ring.disarmDoorbell();
    m_doorbellArmed = false;
}

bool ShmSession::spinning() const
{
    if (m_waitStrategy == WaitStrategy::SpinThenBlock) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        return m_doorbell && now < m_spinUntil.load(std::memory_order_relaxed) && mayBeSentTo();
    }
    return m_waitStrategy == WaitStrategy::Spin && mayBeSentTo();
}

void ShmSession::spinAfterActivity()
{
    if (m_waitStrategy == WaitStrategy::SpinThenBlock && m_doorbell)
        m_spinUntil.store((std::chrono::steady_clock::now() + SpinBeforeBlock).time_since_epoch().count(),
                          std::memory_order_relaxed);
}

bool ShmSession::mayBeSentTo() const
{
    if (m_role == Role::Receiver)
        return std::any_of(m_peers.begin(), m_peers.end(), [](const Peer &p) { return p.known; });
    return !m_reportedGone;
}

bool ShmSession::pollCheckDue(ShmRing::Status status, std::chrono::steady_clock::time_point now)
{
    const auto every = std::chrono::milliseconds(status == ShmRing::Status::Pending ? PendingCheckMs : LivenessCheckMs);
    if (now < m_lastPollCheck + every)
        return false;
    m_lastPollCheck = now;
    return true;
}

bool ShmSession::checkQuietRing(ShmRing &ring, ShmRing::Status status, RecordMeta &meta, Event *event)
{
    if (status == ShmRing::Status::Pending && ring.skipIfAbandoned(&meta, m_waiter) == ShmRing::Status::Abandoned) {
        // Its writer died mid-record: whatever it had of that frame is gone.
        if (m_role == Role::Receiver && meta.slot < MaxSenders && m_peers[meta.slot].generation == meta.generation) {
            m_peers[meta.slot].assembly = Assembly();
            m_peers[meta.slot].droppedUnfinished = true;
        }
        return false;
    }
    if (m_role == Role::Receiver) {
        scanSenders(true, std::chrono::steady_clock::now());
        return false;
    }
    if (m_reportedGone)
        return false;
    const std::string gone = receiverGone();
    if (gone.empty())
        return false;
    m_reportedGone = true;
    event->kind = Event::Kind::PeerGone;
    event->text = gone;
    return true;
}

int ShmSession::nextPollMs() const
{
    if (m_role == Role::Sender && m_reportedGone)
        return -1; // nothing more can come
    if (spinning())
        return 0;
    const bool peer = mayBeSentTo();
    const auto earlier = [](int a, int b) { return a < 0 ? b : b < 0 ? a : std::min(a, b); };
    int ms = peer ? LivenessCheckMs : -1;
    RecordMeta meta;
    const ShmRing ring = m_role == Role::Receiver ? m_data : replyRing(std::uint32_t(m_slot));
    if (ring.peek(&meta) == ShmRing::Status::Pending)
        ms = earlier(ms, PendingCheckMs); // its writer may have died: nobody would ring
    if (m_role == Role::Receiver && m_stallCheckAt != std::chrono::steady_clock::time_point::max()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_stallCheckAt - std::chrono::steady_clock::now());
        ms = earlier(ms, int(std::max<long long>(1, left.count()))); // a partial frame's time runs out
    }
    return ms;
}

std::uint32_t ShmSession::slotGeneration(std::uint32_t slot) const
{
    return slot < MaxSenders && m_slots ? m_slots[slot].generation.load() : 0;
}

void ShmSession::leave()
{
    if (!m_header)
        return;
    if (m_role == Role::Receiver) {
        m_header->closed.store(1, std::memory_order_seq_cst);
        // Wake every sender: those waiting for room and those waiting for replies.
        m_data.control()->spaceSeq.fetch_add(1);
        m_waiter.wake(m_data.control()->spaceSeq);
        for (std::uint32_t i = 0; i < MaxSenders; ++i) {
            m_slots[i].reply.dataSeq.fetch_add(1);
            m_waiter.wake(m_slots[i].reply.dataSeq);
            if (m_slots[i].pid.load() != 0 && m_slots[i].reply.readerWaiting.load() == ReaderOnDoorbell)
                m_waiter.ring(m_slots[i].reply.dataSeq);
        }
        return;
    }
    if (m_slot < 0)
        return;
    RecordMeta meta;
    meta.slot = std::uint32_t(m_slot);
    meta.generation = m_generation;
    meta.kind = RecordKind::Disconnect;
    meta.flags = FirstChunk | LastChunk;
    // No waiting here: with a full ring the receiver learns from the freed slot instead.
    ShmRing::Reservation r;
    if (m_data.tryReserve(meta, m_waiter, &r))
        m_data.commit(r, m_waiter);
    std::uint32_t self = m_waiter.selfPid();
    m_slots[m_slot].pid.compare_exchange_strong(self, 0);
    m_slot = -1;
}

} // namespace ipcw::native::shm
