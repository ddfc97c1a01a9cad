// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The filemapping protocol over one mapped segment, shared by the POSIX and Win32 backends
// (plain C++17, no OS calls: the platform maps the memory and lends a ShmWaiter).
//
// Segment layout (only the reply rings move with the data ring's capacity; docs/filemapping-format.md):
//   SegmentHeader | RingControl of the data ring | MaxSenders SenderSlots | data ring bytes |
//   MaxSenders reply rings of ReplyCapacity bytes
// Senders share the data ring (several writers, one reader: the receiver). Each sender claims
// a slot (pid, generation) and reads its own reply ring, so acks reach the sender they are for.
// Peer ids are (generation << 32) | (slot + 1): a slot reused by a later sender gives a new id.
// Frames larger than a ring's chunk limit travel as several chunk records (first/last flags)
// and are put back together per slot by the reader.
//
// Limits (receivelimits.h): the slots bound the senders to MaxSenders, and --max-peers below
// that turns the next ones away at their Connect record, or their first chunk if that was lost
// (their records are then dropped; a Refusal record in the sender's reply ring tells it why,
// and its receive() says PeerGone). A
// frame draws its whole length from the budget for unfinished frames with its first chunk; a
// frame that does not fit, or whose sender stops in the middle of it for longer than the time
// limit, is dropped with a sentence, and the sender's next frame goes through.
//
// Liveness: the receiver checks its senders' pids once a second while it has any (and not at
// all when it has none, so an idle receiver without senders sleeps indefinitely); a sender
// checks the receiver's pid while it waits. A departed sender's PeerGone is reported only
// after every record it wrote before leaving was delivered.

#include "shmring.h"

#include "native/channel.h"
#include "native/receivedframes.h"
#include "native/receivelimits.h"

#include <array>
#include <atomic>
#include <chrono>

namespace ipcw::native::shm {

struct SegmentHeader
{
    std::atomic<std::uint32_t> magic; // written last by the creator: the segment is ready
    std::uint32_t version;
    std::uint64_t segmentBytes;
    std::uint64_t dataCapacity;
    std::uint32_t replyCapacity;
    std::uint32_t maxSenders;
    std::atomic<std::uint32_t> ownerPid; // the receiver
    std::atomic<std::uint32_t> closed;   // the receiver left cleanly
    std::atomic<std::uint32_t> epoch;    // bumped when a receiver takes over a stale segment
};

struct alignas(64) SenderSlot
{
    std::atomic<std::uint32_t> pid; // 0: free
    std::atomic<std::uint32_t> generation;
    RingControl reply;
};

class ShmSession
{
public:
    static constexpr std::uint32_t Magic = 0x46435049; // "IPCF"
    // 2: readers may wait on a doorbell (ReaderOnDoorbell); 3: doorbells are FIFOs, not sockets;
    // 4: records are sealed and writers keep tailSeen (a reader of 4 would never take a record
    // of a writer of 3, which does not seal).
    static constexpr std::uint32_t LayoutVersion = 4;
    static constexpr std::uint32_t MaxSenders = 32;
    static constexpr std::uint64_t DefaultDataCapacity = 8u << 20;
    static constexpr std::uint64_t MinDataCapacity = 64u << 10;
    static constexpr std::uint64_t MaxDataCapacity = 1u << 30;
    static constexpr std::uint32_t ReplyCapacity = 128u << 10;
    static constexpr std::uint64_t MaxFrameBytes = (64u << 20) + 40; // the wire format's largest frame
    static constexpr int LivenessCheckMs = 1000;
    static constexpr int PendingCheckMs = 100;

    enum class Existing { Live, Stale, Initializing };
    enum class Word { DataReady, DataSpace, ReplyReady, ReplySpace, Unknown };

    // "name", "name?size=16M", "name?wait=spin" or "name?size=16M&wait=spin" -> the name, the
    // data ring's capacity and how this end waits for records (`wait` may be null), or a sentence.
    static std::string parseAddress(const std::string &address, std::string *name, std::uint64_t *dataCapacity,
                                    WaitStrategy *wait = nullptr);
    static std::uint64_t segmentBytes(std::uint64_t dataCapacity);
    // What a receiver finds at its name: a live receiver's segment, a stale one, or one whose
    // creator is still laying it out.
    static Existing inspect(const void *base, std::uint64_t bytes, ShmWaiter &waiter);

    ShmSession(ShmWaiter &waiter, std::string address, const ReceiveLimits &limits = {});

    // Receiver: lays out a fresh segment (or resets a stale one) and becomes its owner.
    void create(void *base, std::uint64_t dataCapacity);
    // Sender: checks the layout and that a receiver is there; then claimSlot() and announce().
    std::string attach(void *base, std::uint64_t bytes);
    std::string claimSlot();
    std::string announce();
    int slot() const { return m_slot; }
    std::uint32_t generation() const { return m_generation; }
    ShmRing dataRing() const { return m_data; }

    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer);
    // Channel::trySend(): a frame that fits one record, written only if the ring has room now;
    // on the receiver (a reply ring has no other writer) a frame of several records too, if all
    // of them fit now.
    bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error);
    // timeoutMs 0 polls: never waits, and makes the checks on peers a wait would make when it
    // timed out (a dead peer, a record its writer abandoned) as often as such a wait times out.
    Event receive(int timeoutMs);
    // Frames are put together in `store`'s buffers from the next frame on (FrameStoreUser), and
    // returned through it; nullptr: in Event::frame.
    void setFrameStore(FrameStore *store) { m_frameStore = store; }
    // A caller that polls receive(0) from an event loop, watching a doorbell that writers ring
    // (ShmWaiter::ring) while receive(0) has nothing: receive(0) arms it before it says Timeout.
    // With ?wait=spin it is armed only while no peer may send (there is nothing to spin for).
    // `empty`, if given, empties the doorbell: receive(0) calls it just before it arms the
    // doorbell, when it has nothing more to return. So the system call comes after this end has
    // answered what woke it, not between the ring and the answer, and a ring that comes after
    // the arming is never emptied unseen.
    void setDoorbell(bool watched, std::function<void()> empty = {})
    {
        m_doorbell = watched;
        m_emptyDoorbell = std::move(empty);
    }
    // For that caller: in how many milliseconds receive(0) must run even if the doorbell stays
    // quiet (a peer's liveness, a pending record, a partial frame's time limit), -1 if never.
    // 0 while spinning().
    int nextPollMs() const;
    // While a peer may send, with ?wait=spin always, with ?wait=spinblock for SpinBeforeBlock
    // after this end last took a record or sent a frame (the answer to it comes soon, or the
    // talk has paused): the caller polls receive(0) without pause and the doorbell stays
    // unarmed. A spinblock end without a doorbell spins in waitForData() instead.
    bool spinning() const;
    WaitStrategy waitStrategy() const { return m_waitStrategy; }
    // The generation a sender slot holds now.
    std::uint32_t slotGeneration(std::uint32_t slot) const;
    // Sender: says goodbye and frees its slot. Receiver: marks the segment closed and wakes
    // every sender so they notice at once. Never waits.
    void leave();

    // Which wake-up a word in this segment stands for (the Win32 backend keeps one event each);
    // `slot` (may be null) receives the sender slot of a reply word.
    Word classify(const std::atomic<std::uint32_t> *word, std::uint32_t *slot) const;
    bool slotInUse(std::uint32_t slot) const;
    std::string receiverGone() const;

private:
    struct Assembly
    {
        FrameBytes bytes; // the frame so far
        std::uint32_t frameBytes = 0;
        bool active = false;
        PendingBudget::Share share; // the receiver's: what this frame holds of its budget
    };
    struct Peer
    {
        bool known = false;
        std::uint32_t generation = 0;
        std::uint32_t pid = 0;
        bool leaving = false;
        std::uint64_t goneAt = 0; // reported once the data ring's tail has passed this
        bool droppedUnfinished = false; // it died in the middle of writing a frame
        bool refused = false;           // turned away (--max-peers): its records are dropped
        std::chrono::steady_clock::time_point lastProgress; // its last chunk taken
        Assembly assembly;
    };

    struct SendTarget
    {
        ShmRing ring;
        std::uint32_t slot = 0;
        std::uint32_t generation = 0;
        std::function<std::string()> peerGone;
    };
    bool sendTarget(std::size_t size, std::uint64_t peer, SendTarget *target, std::string *error);
    bool tryWriteWhole(const SendTarget &target, const std::uint8_t *data, std::size_t size);
    void bind(void *base);
    ShmRing replyRing(std::uint32_t slot) const;
    static std::uint64_t peerId(std::uint32_t slot, std::uint32_t generation);
    std::string sendChunks(ShmRing &ring, std::uint32_t slot, std::uint32_t generation, const std::uint8_t *data,
                           std::size_t size, const std::function<std::string()> &peerGone);
    // Appends the front record to `a`; true when it completed a frame. With a `budget`, a frame
    // that does not fit it is dropped and `refusal` says why (the end of a sentence).
    bool assemble(ShmRing &ring, const RecordMeta &meta, Assembly &a, PendingBudget *budget = nullptr,
                  std::string *refusal = nullptr);
    // A sender new in `slot` (its Connect, or its first chunk when that was lost): served, or
    // turned away when --max-peers are served already.
    void admitPeer(std::uint32_t slot, const RecordMeta &meta, const std::string &description);
    // Puts a Refusal record with `why` (the end of a sentence) in the sender's reply ring.
    void tellRefused(std::uint32_t slot, std::uint32_t generation, const std::string &why);
    // Drops the partial frames of senders stopped mid-frame past the time limit; returns
    // `waitMs` shortened to when the next one's time runs out.
    int expireStalledFrames(int waitMs);
    void pushEvent(Event::Kind kind, std::uint64_t peer, std::string text);
    // The frame `a` has completed, from `peer`; `a` is empty again.
    void queueFrame(std::uint64_t peer, Assembly &a);
    void takeRecord(const RecordMeta &meta);
    void takeReply(ShmRing &ring, const RecordMeta &meta);
    void scanSenders(bool force, std::chrono::steady_clock::time_point now);
    // Receiver: some sender is connected. Sender: the receiver has not gone.
    bool mayBeSentTo() const;
    // A record was taken or a frame sent: a spinblock end polled from an event loop spins again.
    void spinAfterActivity();
    // Arming and disarming this end's doorbell, keeping m_doorbellArmed.
    bool armDoorbell(ShmRing &ring);
    void disarmDoorbell(ShmRing &ring);
    // receive(0): whether the checks of a quiet ring are due again.
    bool pollCheckDue(ShmRing::Status status, std::chrono::steady_clock::time_point now);
    // After a wait that timed out: skips a record its writer abandoned, looks for dead senders
    // (receiver) or a receiver that has gone (sender, then true with `event` to return).
    bool checkQuietRing(ShmRing &ring, ShmRing::Status status, RecordMeta &meta, Event *event);
    void releaseDepartedSenders();
    void forgetPeer(std::uint32_t slot, const std::string &how);

    ShmWaiter &m_waiter;
    const std::string m_address;
    WaitStrategy m_waitStrategy = WaitStrategy::Block; // the address's ?wait=, for this end's reads
    bool m_doorbell = false; // setDoorbell()
    bool m_doorbellArmed = false; // this end asked writers to ring (readerWaiting, which only it sets)
    std::function<void()> m_emptyDoorbell; // setDoorbell()
    std::chrono::steady_clock::time_point m_lastPollCheck; // receive(0)'s last checks of a quiet ring
    // spinblock with a doorbell: spinning() until then (steady_clock's count). Atomic: a blocked
    // send() runs on NativeChannelEndpoint's writer thread while the owner polls receive(0).
    std::atomic<std::chrono::steady_clock::rep> m_spinUntil {0};
    Role m_role = Role::Receiver;
    std::uint8_t *m_base = nullptr;
    SegmentHeader *m_header = nullptr;
    SenderSlot *m_slots = nullptr;
    ShmRing m_data;
    std::uint8_t *m_replyData = nullptr;
    EventQueue m_events;
    FrameStore *m_frameStore = nullptr; // setFrameStore()

    // receiver
    ReceiveLimits m_limits;
    PendingBudget m_budget; // before m_peers: their frames give their share back to it
    std::array<Peer, MaxSenders> m_peers;
    // Whether a peer may be marked leaving: releaseDepartedSenders() runs for every record read
    // and need not look at all MaxSenders peers when none is.
    bool m_someoneLeaving = false;
    std::chrono::steady_clock::time_point m_lastScan;
    // When the earliest partial frame's time may run out (max: no frame is partial).
    std::chrono::steady_clock::time_point m_stallCheckAt = std::chrono::steady_clock::time_point::max();

    // sender
    int m_slot = -1;
    std::uint32_t m_generation = 0;
    std::uint32_t m_ownerPid = 0;
    std::uint32_t m_epoch = 0;
    bool m_reportedGone = false;
    Assembly m_reply;
};

} // namespace ipcw::native::shm
