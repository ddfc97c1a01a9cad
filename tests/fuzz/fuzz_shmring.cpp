// SPDX-License-Identifier: GPL-3.0-or-later
// The shared-memory ring's consumer. Any process of the same user can map the segment and write
// anything into the control blocks, the record headers and the data, at any moment; the reader
// must stay inside the mapping, end every call, and hold no more than the limits allow.
//
// Input: one byte whose low bit picks the target, then operations, each an opcode byte and its
// operands (see ringOperation and sessionOperation):
//  - the ring alone (ShmRing on ordinary memory of 128..4096 bytes), where a hostile write may
//    land between peek() and consume(), as it can between two instructions of the reader;
//  - the whole session (ShmSession, the receiver of the filemapping plugin) with an honest
//    sender beside the hostile writes.
#include "fuzzharness.h"

#include "shmring.h"
#include "shmsession.h"

#include <deque>
#include <memory>
#include <vector>

namespace {

using Fuzz::require;
using namespace ipcw::native::shm;
using ipcw::native::Event;

constexpr std::uint32_t ReceiverPid = 100;
constexpr std::uint32_t SenderPid = 200;

// The platform part without a platform: nobody ever sleeps, and a wait that would last forever
// (a lock held by a live process, a full ring) ends as if the user cancelled.
class NoWaiter final : public ShmWaiter
{
public:
    explicit NoWaiter(std::uint32_t pid) : m_pid(pid) {}
    // A wait weighs as much as a lock's whole spell of yields: a sender facing a full ring
    // gives up after a few dozen rounds, while a lock held by a dead pid is still taken over
    // (after 1,024 yields). Counting both alike made a full ring cost 2,048 rounds per send.
    Wait wait(std::atomic<std::uint32_t> &, std::uint32_t, int) override
    {
        m_waits += 64;
        return Wait::TimedOut;
    }
    void wake(std::atomic<std::uint32_t> &) override {}
    // Our two processes live; of the pids a hostile writer makes up, the odd ones do.
    bool isAlive(std::uint32_t pid) override { return pid == ReceiverPid || pid == SenderPid || pid % 2 == 1; }
    std::uint32_t selfPid() override { return m_pid; }
    void yield() override { ++m_waits; }
    void sleepMs(int) override { ++m_waits; }
    // Just past the 64 spins and 1,024 yields after which ShmRing::lock() takes a dead holder's
    // lock over: a live holder costs no more rounds than that check needs.
    bool interrupted() const override { return m_waits > 1100; }
    void startCall() { m_waits = 0; }

private:
    std::uint32_t m_pid;
    int m_waits = 0;
};

void hostileWrite(Fuzz::InputReader &input, std::uint8_t *base, std::size_t bytes)
{
    const std::size_t offset = input.u32() % bytes;
    std::size_t length = 0;
    const std::uint8_t *from = input.take(std::min<std::size_t>(input.u8() % 33, bytes - offset), &length);
    std::memcpy(base + offset, from, length);
}

// --- the ring alone ----------------------------------------------------------------------------

struct RingUnderAttack
{
    explicit RingUnderAttack(std::uint64_t capacity)
        : control(std::make_unique<RingControl>()), data(capacity), ring(control.get(), data.data(), capacity)
    {
        ring.initialize();
    }
    std::unique_ptr<RingControl> control;
    std::vector<std::uint8_t> data; // exactly the ring: a byte outside it is a heap overflow
    ShmRing ring;
    NoWaiter reader{ReceiverPid};
    NoWaiter writer{SenderPid};
    std::deque<std::vector<std::uint8_t>> honest; // written by the writer, not yet read
    bool tampered = false;                        // after a hostile write nothing is promised about content

    void attack(Fuzz::InputReader &input)
    {
        if (input.u8() & 1)
            hostileWrite(input, reinterpret_cast<std::uint8_t *>(control.get()), sizeof(RingControl));
        else
            hostileWrite(input, data.data(), data.size());
        tampered = true;
    }
};

void checkPeeked(const RingUnderAttack &r, const RecordMeta &meta)
{
    require(meta.chunkBytes <= r.ring.maxChunkBytes(), "a record the reader takes fits the chunk limit");
}

void ringOperation(Fuzz::InputReader &input, RingUnderAttack &r)
{
    r.reader.startCall();
    r.writer.startCall();
    RecordMeta meta;
    switch (input.u8() % 6) {
    case 0:
        r.attack(input);
        return;
    case 1: { // an honest writer
        meta.chunkBytes = input.u16() % (r.ring.maxChunkBytes() + 1);
        meta.frameBytes = meta.chunkBytes;
        meta.flags = FirstChunk | LastChunk;
        std::vector<std::uint8_t> payload(meta.chunkBytes, input.u8());
        std::string why;
        if (r.ring.write(meta, payload.data(), r.writer, {}, &why, false) == ShmRing::Status::Ok)
            r.honest.push_back(std::move(payload));
        return;
    }
    case 2:
    case 3: { // the reader, with a hostile write between its look and its take on opcode 3
        const bool between = input.u8() % 4 == 3;
        if (r.ring.peek(&meta) != ShmRing::Status::Ok)
            return;
        checkPeeked(r, meta);
        if (between)
            r.attack(input);
        // The tail lives in the mapping too: a rewrite moves it, and the reader carries on from there.
        const std::uint64_t tail = r.ring.tail();
        std::vector<std::uint8_t> out(3, 0xEE);
        r.ring.consume(meta, &out, r.reader);
        require(out.size() == 3 + meta.chunkBytes, "consume takes the record peek() checked, whatever changed since");
        require(r.ring.tail() == tail + ShmRing::recordBytes(meta.chunkBytes), "consume moves the tail past that record");
        if (!r.tampered) {
            require(!r.honest.empty() && std::equal(out.begin() + 3, out.end(), r.honest.front().begin(),
                                                    r.honest.front().end()),
                    "untouched, the ring delivers what was written, in order");
            r.honest.pop_front();
        }
        return;
    }
    case 4: {
        const ShmRing::Status status = r.ring.skipIfAbandoned(&meta, r.reader);
        if (status == ShmRing::Status::Ok || status == ShmRing::Status::Pending || status == ShmRing::Status::Abandoned)
            checkPeeked(r, meta);
        return;
    }
    case 5:
        r.ring.discardAll();
        r.honest.clear();
        return;
    }
}

void attackRing(Fuzz::InputReader &input)
{
    RingUnderAttack r(128 * (1 + input.u8() % 32));
    while (!input.atEnd())
        ringOperation(input, r);
}

// --- the whole session ---------------------------------------------------------------------

// One segment for every run, its receiver-visible part reset each time: the reply rings behind
// it belong to senders and are not read by the receiver. Exactly the mapping's size, so a read
// past its end is a heap overflow.
std::uint8_t *segment(std::size_t *visible)
{
    static const std::uint64_t bytes = ShmSession::segmentBytes(ShmSession::MinDataCapacity);
    static const std::unique_ptr<std::uint8_t, decltype(&std::free)> memory(
        static_cast<std::uint8_t *>(std::aligned_alloc(4096, bytes)), &std::free);
    *visible = std::size_t(bytes - std::uint64_t(ShmSession::MaxSenders) * ShmSession::ReplyCapacity);
    std::memset(memory.get(), 0, *visible);
    return memory.get();
}

void attackSession(Fuzz::InputReader &input)
{
    std::size_t visible = 0;
    std::uint8_t *base = segment(&visible);
    NoWaiter receiverWaiter(ReceiverPid);
    NoWaiter senderWaiter(SenderPid);
    ShmSession receiver(receiverWaiter, "fuzz");
    receiver.create(base, ShmSession::MinDataCapacity);
    ShmSession sender(senderWaiter, "fuzz");
    const bool senderReady = sender.attach(base, ShmSession::segmentBytes(ShmSession::MinDataCapacity)).empty()
                             && sender.claimSlot().empty() && sender.announce().empty();
    require(senderReady, "an honest sender connects to a fresh segment");

    std::deque<std::vector<std::uint8_t>> honest;
    bool tampered = false;
    while (!input.atEnd()) {
        receiverWaiter.startCall();
        senderWaiter.startCall();
        switch (input.u8() % 3) {
        case 0:
            hostileWrite(input, base, visible);
            tampered = true;
            break;
        case 1: {
            std::vector<std::uint8_t> frame(1 + input.u16() % 40000, input.u8());
            // A send the waiter cut short (a full ring nobody empties) returns no error either,
            // but only its first chunks went: that frame is never delivered.
            if (sender.send(frame.data(), frame.size(), 0).empty() && !senderWaiter.interrupted())
                honest.push_back(std::move(frame));
            break;
        }
        case 2:
            for (int calls = 0; calls < 64; ++calls) {
                receiverWaiter.startCall();
                const Event event = receiver.receive(0);
                if (event.kind == Event::Kind::Timeout || event.kind == Event::Kind::Interrupted)
                    break;
                if (event.kind == Event::Kind::Frame) {
                    // Empty frames are carried like any other (tst_shmring); the endpoint judges them.
                    require(event.frame.size() <= ShmSession::MaxFrameBytes, "a delivered frame is within the limit");
                    if (!tampered) {
                        require(!honest.empty() && event.frame == honest.front(),
                                "untouched, the session delivers what was sent, in order");
                        honest.pop_front();
                    }
                } else if (event.kind != Event::Kind::PeerConnected) {
                    require(!event.text.empty(), "every error and departure has a sentence");
                }
                if (event.kind == Event::Kind::Error)
                    return; // the receiver reports a corrupt ring and stops
            }
            break;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Fuzz::InputReader input(data, size);
    if (input.u8() & 1)
        attackSession(input);
    else
        attackRing(input);
    return 0;
}
