// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mailslotprotocol.h"
#include "native/channel.h"

#include <windows.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

// The mailslot mechanism on Windows. The receiver creates \\.\mailslot\ipcworkshop\<name>
// (readable by the current user only); each sender opens it for writing and creates its own
// reply mailslot ...\<name>-reply-<pid>[-<slot>] for the acks, which it announces in a Hello
// datagram. Frames travel as fragments of at most 60 KiB (Wine loses mailslot messages over
// 64 KiB), or 424 bytes with "name?fragment=424", the size a mailslot message may have between
// machines. Windows deletes a mailslot when its creator's last handle closes, crash or not, so
// there is never a stale one: an existing name always means a live receiver.
//
// receive() sleeps in a blocking ReadFile (Wine's mailslot handles are synchronous, Windows'
// asynchronous: an OVERLAPPED read waited for to the end serves both). To end it, the channel
// writes a Wake datagram to its own mailslot: interrupt() does, and so does a thread-pool wait
// on each peer's process handle when that process ends. The Wake comes after everything the
// dead peer wrote, so its last complete frames are delivered before it is declared gone, and
// a frame it left half-sent is dropped with a sentence. Mailslot writes never block: the OS
// queues them, so there is no backpressure here beyond the sender session's window of
// unacknowledged frames. What the datagrams mean is shared with the POSIX backend
// (mailslotprotocol.h), and so is putting frames of FrameBytes::StoredFromBytes or more together
// in a lent FrameStore; this file does the mailslots, the process watches and the waiting.
// Plain C++17 and Win32: also compiled by mingw-w64 for the Wine test driver.
class MailslotChannelWin32 final : public ipcw::native::Channel,
                                   public ipcw::native::FrameStoreUser,
                                   private ipcw::mailslot::Protocol
{
public:
    MailslotChannelWin32();
    ~MailslotChannelWin32() override;

    std::string open(ipcw::native::Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    ipcw::native::Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;
    void setFrameStore(ipcw::native::FrameStore *store) override { Protocol::setFrameStore(store); }

private:
    struct SlotPeer final : Peer
    {
        ~SlotPeer() override;
        HANDLE reply = INVALID_HANDLE_VALUE;
        HANDLE process = nullptr;
        HANDLE exitWait = nullptr; // thread-pool wait that sends us a Wake when it exits
    };

    std::string openReceiver();
    std::string openSender();
    std::string openSelfWriter(const std::wstring &path);
    std::string writeFragments(HANDLE target, std::uint32_t slot, const std::uint8_t *data, std::size_t size);
    bool writeControl(HANDLE target, ipcw::mailslot::DatagramKind kind, std::uint32_t slot, const std::string &text);
    enum class Read { Datagram, TimedOut, Failed };
    // One datagram into m_buffer[0..*size), waiting at most timeoutMs (-1: no limit).
    Read readOne(int timeoutMs, DWORD *size);
    bool growForNextMessage();
    // Ends a blocked read by writing a Wake datagram to our own mailslot.
    void wake();
    static void CALLBACK onProcessExit(void *channel, BOOLEAN timedOut);
    HANDLE watchProcess(HANDLE process);
    void reapDeadPeers();

    std::shared_ptr<Peer> watchPeer(std::uint32_t pid) override;
    std::string openReply(Peer &peer) override;
    bool peerExited(const Peer &peer) override;
    void receiverSaidHello(std::uint32_t pid) override;
    void turnAway(std::uint32_t pid, std::uint32_t slot, const std::string &reason) override;
    // A sender's reply mailslot, opened for writing.
    HANDLE openReplySlot(std::uint32_t pid, std::uint32_t slot) const;
    // Everything a peer wrote before it died came before the Wake: now it can be judged.
    void wakeReceived() override { reapDeadPeers(); }
    void lockPeers() override { AcquireSRWLockExclusive(&m_peersLock); }
    void unlockPeers() override { ReleaseSRWLockExclusive(&m_peersLock); }

    std::wstring m_path;
    std::size_t m_datagramBytes = 0;
    HANDLE m_slot = INVALID_HANDLE_VALUE;   // receiver: our mailslot; sender: our reply mailslot
    HANDLE m_target = INVALID_HANDLE_VALUE; // sender: the receiver's mailslot
    HANDLE m_readEvent = nullptr;
    DWORD m_readTimeout = MAILSLOT_WAIT_FOREVER;
    SRWLOCK m_selfLock = SRWLOCK_INIT;
    HANDLE m_selfWriter = INVALID_HANDLE_VALUE; // our own mailslot, for Wake datagrams
    std::vector<std::uint8_t> m_buffer;
    std::atomic<bool> m_interrupted{false};
    std::string m_slotError;

    // Sender
    std::uint32_t m_slotNumber = 0;
    std::wstring m_replyPath;
    DWORD m_receiverPid = 0;
    HANDLE m_receiverProcess = nullptr;
    HANDLE m_receiverWait = nullptr;

    // Receiver: guards the protocol's table of peers.
    SRWLOCK m_peersLock = SRWLOCK_INIT;
};
