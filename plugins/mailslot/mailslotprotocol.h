// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The platform-free half of a mailslot channel, shared by both backends: what each datagram
// means (Hello, Fragment, Leave, Wake), the receiver's table of senders with a reassembly each,
// the sender's reassembly of the replies, cutting frames into fragments, and the sentences for
// senders and receivers that come and go. A backend (mailslot_posix.cpp, mailslot_win32.cpp)
// derives from it and supplies only the OS part through the hooks: opening a sender's reply
// path, watching its process, locking the table. Plain C++17 without OS calls and without
// std::mutex (mingw-w64's win32 thread model has none), so the Wine test driver compiles it
// with the Win32 backend.

#include "mailslotreassembly.h"
#include "native/channel.h"
#include "native/receivedframes.h"
#include "native/receivelimits.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipcw::mailslot {

class Protocol
{
public:
    // One sending channel as the receiver knows it; a backend derives from it to add its handles.
    struct Peer
    {
        virtual ~Peer() = default;
        std::uint32_t pid = 0;
        std::uint32_t slot = 0;
        std::atomic<bool> banned{false}; // broke the protocol: its datagrams are dropped until a new Hello
        Reassembly reassembly;           // receive thread only
        ipcw::native::PendingBudget::Share pending; // what its unfinished frame holds of the budget
        std::chrono::steady_clock::time_point lastProgress; // its last fragment that was taken
    };

    Protocol() = default;
    Protocol(const Protocol &) = delete;
    Protocol &operator=(const Protocol &) = delete;
    virtual ~Protocol() = default;

protected:
    // Receive thread: acts on one datagram as read from the OS object.
    void handleDatagram(const std::uint8_t *data, std::size_t size);
    // Receive thread: the oldest event the datagrams produced, if any.
    bool takeEvent(ipcw::native::Event *event);
    bool hasEvents() const { return !m_pending.empty(); }
    // Frames are put together in `store`'s buffers and returned through it (FrameStoreUser).
    void setFrameStore(ipcw::native::FrameStore *store);

    // Receiver, before open(): the budget, time limit and number of senders to enforce.
    void applyLimits(const ipcw::native::ReceiveLimits &limits);
    // Receiver, receive thread: drops the partial frames of senders stopped in the middle of one
    // for longer than the time limit (the senders stay); then `waitMs` (-1: no limit) shortened
    // to when the next one's time runs out, for the OS wait.
    int expireStalledFrames(int waitMs);

    // Receiver: the senders whose process has ended (peerExited()), and the sentences for them
    // once everything they sent has been read.
    std::vector<std::uint64_t> exitedPeers();
    void reportExitedPeers(const std::vector<std::uint64_t> &ids);
    // Receiver, writer thread: where a reply to `id` goes; null for a banned or unknown sender.
    std::shared_ptr<Peer> replyTarget(std::uint64_t id);
    // Receiver, close(): empties the table and hands over what was in it.
    std::map<std::uint64_t, std::shared_ptr<Peer>> takePeers();
    template <typename Visit>
    void forEachPeer(Visit visit)
    {
        PeersLock lock(this);
        for (const auto &entry : m_peers)
            visit(*entry.second);
    }

    // Sender: the receiver's process ended without a Leave.
    void receiverExited(std::uint64_t pid);

    // Cuts a frame into datagrams of at most `datagramBytes` and hands each to `put(data, size,
    // &error)`, which puts it on the OS object and returns false to stop (with `error` set, or
    // empty when interrupted). Returns "" or a sentence. Writer thread.
    template <typename Put>
    std::string sendFragments(std::uint32_t pid, std::uint32_t slot, std::size_t datagramBytes,
                              const std::uint8_t *data, std::size_t size, Put put)
    {
        if (std::string error = checkFrameSize(size); !error.empty())
            return error;
        DatagramHeader h;
        h.pid = pid;
        h.slot = slot;
        h.frameNumber = ++m_sendFrameNumber;
        std::string error;
        std::size_t offset = 0;
        ipcw::native::putFragments(DatagramMagic, h, datagramBytes, data, size, &offset, m_sendBuffer,
                                   [&](const std::uint8_t *datagram, std::size_t bytes) { return put(datagram, bytes, &error); });
        return error;
    }
    // Channel::trySend()'s part: a frame that fits one datagram goes to `tryPut(data, size)`,
    // which returns "" (sent), a sentence (failed) or nothing (it would have to wait: then
    // nothing was sent and the frame number is not used up). False, with nothing sent, for that
    // and for a frame of several datagrams, which only send() may cut. Writer or caller's thread.
    template <typename TryPut>
    bool sendWhole(std::uint32_t pid, std::uint32_t slot, std::size_t datagramBytes, const std::uint8_t *data,
                   std::size_t size, TryPut tryPut, std::string *error)
    {
        if (size == 0 || size > datagramBytes - ipcw::native::DatagramHeaderBytes)
            return false;
        if (*error = checkFrameSize(size); !error->empty())
            return true;
        DatagramHeader h;
        h.pid = pid;
        h.slot = slot;
        h.frameNumber = m_sendFrameNumber + 1;
        std::optional<std::string> result;
        std::size_t offset = 0;
        ipcw::native::putFragments(DatagramMagic, h, datagramBytes, data, size, &offset, m_sendBuffer,
                                   [&](const std::uint8_t *datagram, std::size_t bytes) {
                                       result = tryPut(datagram, bytes);
                                       return result.has_value();
                                   });
        if (!result)
            return false;
        ++m_sendFrameNumber;
        *error = *result;
        return true;
    }
    // A Hello, Leave or Wake datagram with `text` (at most MaxControlTextBytes of it) as payload.
    static std::vector<std::uint8_t> controlDatagram(DatagramKind kind, std::uint32_t pid, std::uint32_t slot,
                                                     const std::string &text);

    // Forgets the frames and the receiver's state for the next open(); the table is emptied by
    // takePeers().
    void resetProtocol();

    // The backend's part; all but lockPeers()/unlockPeers() run on the receive thread.
    // A new Peer of the backend's type for `pid`, its process watched so its death is noticed.
    virtual std::shared_ptr<Peer> watchPeer(std::uint32_t pid) = 0;
    // Opens the way back to a sender that said hello; returns nothing, or what goes wrong as the
    // end of its description (", but ... nothing can be sent back to it").
    virtual std::string openReply(Peer &peer) = 0;
    // Called with the table locked.
    virtual bool peerExited(const Peer &peer) = 0;
    // `peer` was taken out of the table (`exited`: its process ended).
    virtual void peerForgotten(Peer &peer, bool exited) { (void)peer, (void)exited; }
    // Sender: the receiver answered our Hello with its own.
    virtual void receiverSaidHello(std::uint32_t pid) { (void)pid; }
    // Receiver: tells a sender turned away at its Hello why, as a Leave datagram whose payload
    // is `reason`, on that sender's reply path and without waiting. Nothing if the path cannot
    // be opened at once or is full: the sender then only learns that nobody answers.
    virtual void turnAway(std::uint32_t pid, std::uint32_t slot, const std::string &reason)
    {
        (void)pid, (void)slot, (void)reason;
    }
    // A Wake datagram arrived.
    virtual void wakeReceived() {}
    virtual void lockPeers() = 0;
    virtual void unlockPeers() = 0;

    ipcw::native::Role m_role = ipcw::native::Role::Receiver;
    std::string m_name;
    std::string m_place; // where stray datagrams arrive, for the sentence about them
    std::atomic<bool> m_receiverGone{false}; // sender: read by the writer thread too

private:
    struct PeersLock
    {
        explicit PeersLock(Protocol *protocol) : m_protocol(protocol) { m_protocol->lockPeers(); }
        ~PeersLock() { m_protocol->unlockPeers(); }
        PeersLock(const PeersLock &) = delete;
        PeersLock &operator=(const PeersLock &) = delete;
        Protocol *m_protocol;
    };

    static std::string checkFrameSize(std::size_t size);
    void handleReceiverDatagram(const DatagramHeader &h, const std::uint8_t *payload, std::size_t size);
    void handleSenderDatagram(const DatagramHeader &h, const std::uint8_t *payload, std::size_t size);
    std::shared_ptr<Peer> findPeer(std::uint64_t id);
    // Entries in the table: senders served and strangers remembered, what --max-peers caps.
    std::size_t peerCount();
    void forgetPeer(std::uint64_t id, const std::string &reason, bool exited);
    // Forgets a sender that closed (Leave) or whose process ended, saying whether it left a frame
    // half-sent.
    void forgetLeavingPeer(std::uint64_t id, const Peer &peer, const std::string &who, bool exited);
    void pushEvent(ipcw::native::Event::Kind kind, std::uint64_t peer, std::string text);

    // Refuses a frame that begins when the budget has no room for it; false if it was refused.
    bool reserveFrame(std::uint64_t id, Peer &peer, const DatagramHeader &h);

    ipcw::native::ReceiveLimits m_limits;
    ipcw::native::PendingBudget m_budget; // before m_peers: their frames give their share back to it
    ipcw::native::EventQueue m_pending;        // receive thread
    ipcw::native::FrameStore *m_frameStore = nullptr; // setFrameStore()
    Reassembly m_fromReceiver;                 // sender
    std::vector<std::uint8_t> m_sendBuffer;    // the sending thread (and open/close)
    std::uint32_t m_sendFrameNumber = 0;
    // Receiver: the receive thread adds and removes peers, the writer thread looks them up.
    std::map<std::uint64_t, std::shared_ptr<Peer>> m_peers;
};

} // namespace ipcw::mailslot
