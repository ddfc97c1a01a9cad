// SPDX-License-Identifier: GPL-3.0-or-later
#include "mailslotprotocol.h"

namespace ipcw::mailslot {

using ipcw::native::Event;
using ipcw::native::Role;

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
    if (m_pending.empty())
        return false;
    *event = std::move(m_pending.front());
    m_pending.pop_front();
    return true;
}

void Protocol::handleReceiverDatagram(const DatagramHeader &h, const std::uint8_t *payload, std::size_t size)
{
    const std::uint64_t id = peerIdFor(h.pid, h.slot);
    const std::shared_ptr<Peer> peer = findPeer(id);
    const std::string who = "The sender pid " + std::to_string(h.pid)
        + (h.slot ? " (channel " + std::to_string(h.slot) + ")" : std::string());

    switch (h.kind) {
    case DatagramKind::Hello: {
        if (peer)
            forgetPeer(id, who + " said hello again; its earlier connection is closed.", false);
        std::shared_ptr<Peer> fresh = watchPeer(h.pid);
        fresh->pid = h.pid;
        fresh->slot = h.slot;
        // A quick sender may be done and gone before its Hello is read: its frames still count,
        // even when its reply path cannot be opened any more.
        const std::string replyNote = openReply(*fresh);
        {
            PeersLock lock(this);
            m_peers[id] = fresh;
        }
        const std::string description(reinterpret_cast<const char *>(payload), std::min<std::size_t>(size, 200));
        pushEvent(Event::Kind::PeerConnected, id, description + " connected" + replyNote);
        return;
    }
    case DatagramKind::Fragment: {
        if (!peer) {
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
                      who + " sent fragments without saying hello first; they are dropped until it does.");
            return;
        }
        if (peer->banned)
            return;
        std::string error;
        const Reassembly::Result result = peer->reassembly.add(h, payload, size, &error);
        // Refused, or an earlier frame abandoned: that frame is lost, the sender stays.
        if (!error.empty())
            pushEvent(Event::Kind::Refused, id, who + " " + error);
        if (result == Reassembly::Result::Complete)
            pushEvent(Event::Kind::Frame, id, {}, peer->reassembly.takeFrame());
        return;
    }
    case DatagramKind::Wake:
        return;
    case DatagramKind::Leave:
        if (peer)
            forgetLeavingPeer(id, *peer, who, false);
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
            pushEvent(Event::Kind::Frame, 0, {}, m_fromReceiver.takeFrame());
            return;
        case Reassembly::Result::Refused:
            m_receiverGone = true;
            pushEvent(Event::Kind::Error, 0, "The receiver on the mailslot \"" + m_name + "\" " + error);
            return;
        }
        return;
    }
    case DatagramKind::Leave:
        if (m_receiverGone.exchange(true))
            return;
        pushEvent(Event::Kind::PeerGone, 0,
                  "The receiver closed the mailslot \"" + m_name + "\": start it again and reconnect.");
        return;
    }
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
    const std::size_t textBytes = std::min<std::size_t>(text.size(), 200);
    std::vector<std::uint8_t> datagram(DatagramHeaderBytes + textBytes);
    DatagramHeader h;
    h.kind = kind;
    h.pid = pid;
    h.slot = slot;
    writeDatagramHeader(datagram.data(), h);
    std::memcpy(datagram.data() + DatagramHeaderBytes, text.data(), textBytes);
    return datagram;
}

void Protocol::resetProtocol()
{
    m_receiverGone = false;
    m_fromReceiver.reset();
    m_pending.clear();
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

void Protocol::pushEvent(Event::Kind kind, std::uint64_t peer, std::string text, std::vector<std::uint8_t> frame)
{
    Event event;
    event.kind = kind;
    event.peer = peer;
    event.text = std::move(text);
    event.frame = std::move(frame);
    m_pending.push_back(std::move(event));
}

} // namespace ipcw::mailslot
