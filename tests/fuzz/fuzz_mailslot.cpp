// SPDX-License-Identifier: GPL-3.0-or-later
// Mailslot reassembly: the datagrams a hostile client can put on a receiver's queue (or a hostile
// receiver on a sender's reply queue), through the protocol both backends share.
//
// Input: one byte whose low bit picks the side (0: receiver, 1: sender), then datagrams, each a
// little-endian u16 length followed by that many bytes.
#include "fuzzharness.h"

#include "mailslotprotocol.h"

#include <map>
#include <vector>

namespace {

using Fuzz::require;
using ipcw::mailslot::DatagramHeader;
using ipcw::mailslot::DatagramHeaderBytes;
using ipcw::mailslot::DatagramKind;
using ipcw::native::Event;

// The protocol with the OS part left out: no process to watch, no reply path, no lock (one
// thread).
class OfflineProtocol final : public ipcw::mailslot::Protocol
{
public:
    explicit OfflineProtocol(ipcw::native::Role role)
    {
        m_role = role;
        m_name = "fuzz";
        m_place = "the mailslot \"fuzz\"";
        // With the default 256 MiB, only a score of senders could run out of budget. No input
        // finishes a frame of more than a few KiB anyway, so 64 KiB loses no path and lets a
        // single frame announced larger reach the refusal.
        ipcw::native::ReceiveLimits limits;
        limits.maxPendingBytes = 64 * 1024;
        applyLimits(limits);
    }
    void receive(const std::uint8_t *data, std::size_t size) { handleDatagram(data, size); }
    bool next(Event *event) { return takeEvent(event); }

protected:
    std::shared_ptr<Peer> watchPeer(std::uint32_t) override { return std::make_shared<Peer>(); }
    std::string openReply(Peer &) override { return ", and replies go nowhere (fuzzing)"; }
    bool peerExited(const Peer &) override { return false; }
    void lockPeers() override {}
    void unlockPeers() override {}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Fuzz::InputReader input(data, size);
    const bool senderSide = input.u8() & 1;
    OfflineProtocol protocol(senderSide ? ipcw::native::Role::Sender : ipcw::native::Role::Receiver);

    // What the fragments of each peer's current frame carried, in order: a delivered frame must
    // be exactly that, never bytes from elsewhere or out of order.
    std::map<std::uint64_t, std::vector<std::uint8_t>> sent;
    while (!input.atEnd()) {
        std::size_t length = 0;
        const std::uint8_t *datagram = input.take(input.u16(), &length);
        DatagramHeader h;
        const bool ours = ipcw::mailslot::readDatagramHeader(datagram, length, &h) && h.pid != 0;
        const std::uint64_t peer = senderSide ? 0 : ipcw::mailslot::peerIdFor(h.pid, h.slot);
        if (ours && h.kind == DatagramKind::Fragment) {
            std::vector<std::uint8_t> &frame = sent[peer];
            if (h.offset == 0)
                frame.clear();
            frame.insert(frame.end(), datagram + DatagramHeaderBytes, datagram + length);
        }

        protocol.receive(datagram, length);
        int events = 0;
        int refused = 0;
        for (Event event; protocol.next(&event); ++events) {
            if (event.kind == Event::Kind::Frame) {
                require(ours && h.kind == DatagramKind::Fragment, "only a fragment completes a frame");
                require(event.peer == peer, "a frame is delivered for the peer that sent it");
                require(event.frame.size() == h.total && event.frame.size() <= ipcw::mailslot::MaxFrameBytes,
                        "a delivered frame has the announced size, within the limit");
                require(event.frame == sent[peer], "a delivered frame is its fragments' bytes, in order");
            } else {
                require(!event.text.empty(), "every refusal and every change of peers has a sentence");
                refused += event.kind == Event::Kind::Refused;
            }
        }
        require(events <= 2, "one datagram never makes more than two events");
        if (!ours && !senderSide)
            require(refused == 1 && events == 1, "a datagram that is not ours is refused and counted once");
    }
    return 0;
}
