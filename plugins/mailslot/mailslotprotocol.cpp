// SPDX-License-Identifier: GPL-3.0-or-later
#include "mailslotprotocol.h"

namespace ipcw::mailslot {

using ipcw::native::Event;
using ipcw::native::Role;

namespace {
// How much of a control datagram's payload of `size` bytes is believed as its text.
std::size_t controlTextBytes(std::size_t size)
{
    return std::min<std::size_t>(size, ipcw::native::MaxControlTextBytes);
}

// How every sentence names a sender: "The sender pid 1234 (channel 2)".
std::string senderName(std::uint32_t pid, std::uint32_t slot)
{
    return "The sender pid " + std::to_string(pid) + (slot ? " (channel " + std::to_string(slot) + ")" : std::string());
}
} // namespace

void Protocol::handleDatagram(const std::uint8_t *data, std::size_t size)
{
    DatagramHeader h;
    if (!readDatagramHeader(data, size, &h) || h.pid == 0) {
        if (m_role == Role::Receiver)
            pushEvent(Event::Kind::Refused, 0,
                      "A datagram of " + std::to_string(size) + " bytes that no IPC Workshop sender wrote arrived on "
                          + m_place + " and was dropped.");
        return;
    }
    if (h.kind == DatagramKind::Wake) {
        wakeReceived();
        return;
    }
    const std::uint8_t *payload = data + DatagramHeaderBytes;
    const std::size_t payloadSize = size - DatagramHeaderBytes;
    if (m_role == Role::Receiver)
        handleReceiverDatagram(h, payload, payloadSize);
    else
        handleSenderDatagram(h, payload, payloadSize);
}

bool Protocol::takeEvent(Event *event)
{
    return m_pending.take(event, m_frameStore);
}

void Protocol::setFrameStore(ipcw::native::FrameStore *store)
{
    m_frameStore = store;
    m_fromReceiver.setFrameStore(store);
    PeersLock lock(this);
    for (auto &[id, peer] : m_peers)
        peer->reassembly.setFrameStore(store);
}

void Protocol::handleReceiverDatagram(const DatagramHeader &h, const std::uint8_t *payload, std::size_t size)
{
    const std::uint64_t id = peerIdFor(h.pid, h.slot);
    const std::shared_ptr<Peer> peer = findPeer(id);
    // Named only for a sentence: building the name for every datagram cost more than the rest
    // of a small frame's reassembly.
    const auto who = [&h] { return senderName(h.pid, h.slot); };

    switch (h.kind) {
    case DatagramKind::Hello: {
        if (peer)
            forgetPeer(id, who() + " said hello again; its earlier connection is closed.", false);
        if (std::size_t served = peerCount(); served >= std::size_t(std::max(m_limits.maxPeers, 0))) {
            const std::string limit = ipcw::native::sendersText(served) + ", its limit (--max-peers)";
            pushEvent(Event::Kind::Refused, id,
                      who() + " said hello, but this receiver already serves " + limit
                          + ": it was turned away, and what it sends is dropped "
                            "until it says hello again when a place is free.");
            turnAway(h.pid, h.slot,
                     "turned this sender away: it already serves " + limit + ". Try again once one has finished.");
            return;
        }
        std::shared_ptr<Peer> fresh = watchPeer(h.pid);
        fresh->pid = h.pid;
        fresh->slot = h.slot;
        fresh->reassembly.setFrameStore(m_frameStore);
        // A quick sender may be done and gone before its Hello is read: its frames still count,
        // even when its reply path cannot be opened any more.
        const std::string replyNote = openReply(*fresh);
        {
            PeersLock lock(this);
            m_peers[id] = fresh;
        }
        // The peer's name ("ipcworkshop (pid 965)"), as the Channel contract asks: the session
        // says "connected" itself. A hello without one is named by its pid.
        std::string description(reinterpret_cast<const char *>(payload), controlTextBytes(size));
        if (description.empty())
            description = "pid " + std::to_string(h.pid) + (h.slot ? " (channel " + std::to_string(h.slot) + ")" : "");
        pushEvent(Event::Kind::PeerConnected, id, description + replyNote);
        return;
    }
    case DatagramKind::Fragment: {
        if (!peer) {
            // Over the cap it cannot be remembered: a sentence for each frame it begins.
            if (peerCount() >= std::size_t(std::max(m_limits.maxPeers, 0))) {
                if (h.offset == 0)
                    pushEvent(Event::Kind::Refused, id,
                              who() + " sent fragments without saying hello first; they were dropped.");
                return;
            }
            // Remember it as banned so that the rest of its datagrams are dropped quietly.
            std::shared_ptr<Peer> stranger = watchPeer(h.pid);
            stranger->pid = h.pid;
            stranger->slot = h.slot;
            stranger->banned = true;
            {
                PeersLock lock(this);
                m_peers[id] = stranger;
            }
            pushEvent(Event::Kind::Refused, id,
                      who() + " sent fragments without saying hello first; they are dropped until it does.");
            return;
        }
        if (peer->banned)
            return;
        if (!reserveFrame(id, *peer, h))
            return;
        std::string error;
        const Reassembly::Result result = peer->reassembly.add(h, payload, size, &error);
        // Refused, or an earlier frame abandoned: that frame is lost, the sender stays.
        if (!error.empty())
            pushEvent(Event::Kind::Refused, id, who() + " " + error);
        if (result == Reassembly::Result::Complete)
            peer->reassembly.takeFrame(m_pending, id);
        if (!peer->reassembly.partial())
            peer->pending.release(); // delivered or dropped: its room is free again
        else if (result == Reassembly::Result::Incomplete)
            peer->lastProgress = std::chrono::steady_clock::now();
        return;
    }
    case DatagramKind::Wake:
        return;
    case DatagramKind::Leave:
        if (peer)
            forgetLeavingPeer(id, *peer, who(), false);
        return;
    }
}

void Protocol::handleSenderDatagram(const DatagramHeader &h, const std::uint8_t *payload, std::size_t size)
{
    switch (h.kind) {
    case DatagramKind::Hello:
        receiverSaidHello(h.pid);
        return;
    case DatagramKind::Wake:
        return;
    case DatagramKind::Fragment: {
        std::string error;
        switch (m_fromReceiver.add(h, payload, size, &error)) {
        case Reassembly::Result::Incomplete:
        case Reassembly::Result::Skipped:
            return;
        case Reassembly::Result::Complete:
            m_fromReceiver.takeFrame(m_pending, 0);
            return;
        case Reassembly::Result::Refused:
            m_receiverGone = true;
            pushEvent(Event::Kind::Error, 0, "The receiver on the mailslot \"" + m_name + "\" " + error);
            return;
        }
        return;
    }
    case DatagramKind::Leave: {
        if (m_receiverGone.exchange(true))
            return;
        // Why it ended the conversation, if it said: another process's bytes, so at most a
        // control datagram's 200 of them, control characters shown as '?'.
        const std::string why = ipcw::native::printableText(
            std::string(reinterpret_cast<const char *>(payload), controlTextBytes(size)));
        pushEvent(Event::Kind::PeerGone, 0,
                  why.empty() ? "The receiver closed the mailslot \"" + m_name + "\": start it again and reconnect."
                              : "The receiver on the mailslot \"" + m_name + "\" " + why);
        return;
    }
    }
}

// The budget is drawn on for a frame's whole announced size with its first fragment (the
// reassembly's memory then grows with the bytes that arrive): the refusal comes before anything
// is allocated, and a frame taken in is never cut short half way for want of room. What a
// sender can hold without sending the bytes is bounded by the time limit and the number of
// senders.
bool Protocol::reserveFrame(std::uint64_t id, Peer &peer, const DatagramHeader &h)
{
    const bool begins = h.offset == 0 && h.total > 0 && h.total <= MaxFrameBytes;
    if (!begins)
        return true; // Reassembly::add judges it, or it belongs to the frame under way
    peer.pending.release(); // an unfinished earlier frame is dropped as this one begins
    if (peer.pending.resize(m_budget, h.total))
        return true;
    const std::string abandoned = peer.reassembly.partial()
        ? " Its unfinished frame " + std::to_string(peer.reassembly.frameNumber()) + " was dropped too."
        : std::string();
    peer.reassembly.skip(h.frameNumber);
    const std::string room = h.total > m_budget.limit()
        ? "that is more than this receiver's whole budget for unfinished frames (" + ipcw::native::mebibytesText(m_budget.limit())
              + " MiB, --max-pending-mib)"
        : m_budget.describe();
    pushEvent(Event::Kind::Refused, id,
              senderName(h.pid, h.slot) + " began frame " + std::to_string(h.frameNumber) + " of " + std::to_string(h.total) + " bytes, but "
                  + room + ": the frame was refused, the sender stays." + abandoned);
    return false;
}

void Protocol::applyLimits(const ipcw::native::ReceiveLimits &limits)
{
    m_limits = limits;
    m_budget.setLimit(limits.maxPendingBytes);
}

int Protocol::expireStalledFrames(int waitMs)
{
    const auto now = std::chrono::steady_clock::now();
    const int timeoutMs = m_limits.peerTimeoutMs;
    ipcw::native::StallWatch stalls;
    std::vector<std::pair<std::uint64_t, std::string>> expired;
    {
        PeersLock lock(this);
        for (const auto &entry : m_peers) {
            Peer &peer = *entry.second;
            if (peer.banned || !peer.reassembly.partial())
                continue;
            if (now - peer.lastProgress < std::chrono::milliseconds(timeoutMs)) {
                stalls.note(peer.lastProgress, timeoutMs);
                continue;
            }
            const long long idleMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - peer.lastProgress).count();
            expired.emplace_back(
                entry.first, senderName(peer.pid, peer.slot) + " stopped in the middle of frame " + std::to_string(peer.reassembly.frameNumber())
                                 + ": " + std::to_string(peer.reassembly.receivedBytes()) + " of its "
                                 + std::to_string(peer.reassembly.expectedBytes()) + " bytes had arrived, then nothing came for "
                                 + ipcw::native::secondsText(idleMs) + " s (the limit is "
                                 + ipcw::native::secondsText(timeoutMs)
                                 + " s, --peer-timeout): the partial frame was dropped, the sender stays.");
            peer.reassembly.skip(peer.reassembly.frameNumber());
            peer.pending.release();
        }
    }
    for (auto &[id, sentence] : expired)
        pushEvent(Event::Kind::Refused, id, std::move(sentence));
    return stalls.shorten(waitMs);
}

std::size_t Protocol::peerCount()
{
    PeersLock lock(this);
    return m_peers.size();
}

std::vector<std::uint64_t> Protocol::exitedPeers()
{
    std::vector<std::uint64_t> exited;
    PeersLock lock(this);
    for (const auto &entry : m_peers)
        if (peerExited(*entry.second))
            exited.push_back(entry.first);
    return exited;
}

void Protocol::reportExitedPeers(const std::vector<std::uint64_t> &ids)
{
    for (std::uint64_t id : ids) {
        const std::shared_ptr<Peer> peer = findPeer(id);
        if (peer)
            forgetLeavingPeer(id, *peer, "The sender pid " + std::to_string(peer->pid), true);
    }
}

std::shared_ptr<Protocol::Peer> Protocol::replyTarget(std::uint64_t id)
{
    PeersLock lock(this);
    const auto it = m_peers.find(id);
    return it != m_peers.end() && !it->second->banned ? it->second : nullptr;
}

std::map<std::uint64_t, std::shared_ptr<Protocol::Peer>> Protocol::takePeers()
{
    std::map<std::uint64_t, std::shared_ptr<Peer>> peers;
    PeersLock lock(this);
    peers.swap(m_peers);
    return peers;
}

void Protocol::receiverExited(std::uint64_t pid)
{
    m_fromReceiver.reset();
    m_receiverGone = true;
    pushEvent(Event::Kind::PeerGone, 0,
              "The receiver on the mailslot \"" + m_name + "\" (pid " + std::to_string(pid)
                  + ") exited without closing: start it again and reconnect.");
}

std::vector<std::uint8_t> Protocol::controlDatagram(DatagramKind kind, std::uint32_t pid, std::uint32_t slot,
                                                    const std::string &text)
{
    return ipcw::native::controlDatagram(DatagramMagic, kind, pid, slot, text);
}

void Protocol::resetProtocol()
{
    m_receiverGone = false;
    m_fromReceiver.reset();
    m_pending = ipcw::native::EventQueue();
    m_sendBuffer.clear();
}

std::string Protocol::checkFrameSize(std::size_t size)
{
    if (size == 0)
        return "An empty frame cannot be sent.";
    if (size > MaxFrameBytes)
        return "The frame of " + std::to_string(size) + " bytes is larger than the " + std::to_string(MaxFrameBytes)
            + " bytes a mailslot frame may have: send fewer records at once.";
    return {};
}

std::shared_ptr<Protocol::Peer> Protocol::findPeer(std::uint64_t id)
{
    PeersLock lock(this);
    const auto it = m_peers.find(id);
    return it != m_peers.end() ? it->second : nullptr;
}

void Protocol::forgetPeer(std::uint64_t id, const std::string &reason, bool exited)
{
    std::shared_ptr<Peer> peer;
    {
        PeersLock lock(this);
        const auto it = m_peers.find(id);
        if (it == m_peers.end())
            return;
        peer = it->second;
        m_peers.erase(it);
    }
    peerForgotten(*peer, exited);
    if (!reason.empty())
        pushEvent(Event::Kind::PeerGone, id, reason);
}

void Protocol::forgetLeavingPeer(std::uint64_t id, const Peer &peer, const std::string &who, bool exited)
{
    if (peer.banned) {
        forgetPeer(id, {}, exited);
        return;
    }
    if (!peer.reassembly.partial()) {
        forgetPeer(id, who + (exited ? " exited without saying goodbye." : " closed its connection cleanly."), exited);
        return;
    }
    forgetPeer(id,
               who + (exited ? " died" : " closed") + " in the middle of frame "
                   + std::to_string(peer.reassembly.frameNumber()) + " (" + std::to_string(peer.reassembly.receivedBytes())
                   + " of " + std::to_string(peer.reassembly.expectedBytes())
                   + " bytes arrived); the partial frame was dropped"
                   + (exited ? ", every complete frame was kept." : "."),
               exited);
}

void Protocol::pushEvent(Event::Kind kind, std::uint64_t peer, std::string text)
{
    Event event;
    event.kind = kind;
    event.peer = peer;
    event.text = std::move(text);
    m_pending.push(std::move(event));
}

} // namespace ipcw::mailslot
