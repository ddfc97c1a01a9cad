// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "futexwaiter.h"
#include "shmsession.h"

#include "native/channel.h"

#include <array>
#include <memory>
#include <mutex>
#include <sys/types.h>

// The filemapping Channel on POSIX: a shm_open segment (mode 0600, named with the user's uid)
// mapped by the receiver and its senders, futex wake-ups, and an flock'ed lock file in the
// private runtime folder that only a running receiver holds. The kernel drops that lock when
// the receiver dies, however it dies, so "is a receiver alive?" has an exact answer: a segment
// found while we hold the lock is a crashed receiver's and is replaced; a lock we cannot get
// means a live receiver, whose segment is never touched. A receiver also sweeps away segments
// that crashed receivers left under other names, and removes its own lock file when it closes.
//
// Doorbells: a futex cannot be watched by an event loop, so each end makes a FIFO beside the
// segment in /dev/shm (its doorbell) and is Watchable: the owner's event loop watches the
// doorbell, and writers write it one byte after a commit while the ring says the reader watches
// it (ReaderOnDoorbell). A record is then taken on the thread that handles it, with no reader
// thread to hand it over. With spin, the event loop polls again at once while a peer may send
// (nextDeadlineMs() 0) and the doorbell only wakes a receiver's first sender; with spinblock it
// does so for 50 µs after each record taken or frame sent, then sleeps on the doorbell as block
// does. An end whose doorbell cannot be made keeps a reader thread that sleeps on the futex
// (receive(-1)). A FIFO, not a socket: a pipe's write and read cost less than half a datagram's
// sendto and recvmmsg, and ringing and emptying a doorbell is on every round trip.
class FileMappingChannelPosix final : public ipcw::native::Channel,
                                      public ipcw::native::Watchable,
                                      public ipcw::native::FrameStoreUser
{
public:
    ~FileMappingChannelPosix() override;

    std::string open(ipcw::native::Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error) override;
    ipcw::native::Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;

    // The doorbell, or -1 (none could be made): then a reader thread waits in receive().
    int readinessDescriptor() const override { return m_bellFd; }
    int nextDeadlineMs() const override { return m_session ? m_session->nextPollMs() : -1; }
    // Received frames are copied out of the ring once, into the store's buffer.
    void setFrameStore(ipcw::native::FrameStore *store) override;

    // The path of the doorbell of the data ring's reader (the receiver), or of the reader of
    // `slot`'s reply ring while it holds `generation`.
    std::string doorbellPath() const;
    std::string doorbellPath(std::uint32_t slot, std::uint32_t generation) const;

    // How many receive(0) calls of a spinning end, which never arms its doorbell, may leave a
    // late ring (see receive()) in it.
    static constexpr unsigned StaleRingReadEverySpinning = 4096;

    // The shm_open name for an address ("" when the address is not valid).
    static std::string objectName(const std::string &address);
    // The open session (tests reach into the ring through it).
    ipcw::native::shm::ShmSession *session() const { return m_session.get(); }
    ipcw::native::shm::ShmWaiter &waiter() { return m_waiter; }

private:
    std::string openReceiver(const std::string &name, std::uint64_t dataCapacity);
    std::string openSender();
    std::string failOpen(const std::string &sentence);
    static int lockName(const std::string &path, bool *busy, std::string *error);
    static void removeStaleSegments(const std::string &dir, const std::string &ownName);
    // This end's doorbell, where it waits with block or spin and the FIFO can be made.
    void makeDoorbell(ipcw::native::Role role);
    // Removes this end's doorbell, if the path still holds the FIFO it made.
    void removeOwnDoorbell();
    // Reads every ring out of this end's doorbell.
    void emptyDoorbell();
    // Removes the doorbells that readers of this address which are gone left behind: every one
    // of the address (a receiver, holding its lock), or every one of `slot` (a sender that has
    // just claimed it, before it makes its own).
    static void removeStaleDoorbells(const std::string &objectName, int slot = -1);
    void ringDoorbell(const std::atomic<std::uint32_t> &word);

    // A doorbell this end rings, opened on its first ring and kept.
    struct Ringer
    {
        std::uint32_t generation = 0; // of the reply ring's slot, for the receiver's ringers
        int fd = -1;
    };
    // Rings the receiver's doorbell (`slot` -1) or that of the sender holding `slot` in `generation`.
    void ring(Ringer &ringer, int slot, std::uint32_t generation);

    ipcw::native::shm::FutexWaiter m_waiter;
    ipcw::native::FrameStore *m_frameStore = nullptr;
    std::unique_ptr<ipcw::native::shm::ShmSession> m_session;
    std::string m_address;
    std::string m_objectName;
    std::string m_lockPath;
    bool m_owner = false;
    int m_fd = -1;
    int m_lockFd = -1;
    int m_bellFd = -1; // our doorbell: readable once a writer rang it
    std::string m_bellPath; // the FIFO behind m_bellFd, removed on close
    ino_t m_bellInode = 0;
    unsigned m_receivesSinceRingsRead = 0; // receive(0) calls that left the doorbell unread
    std::mutex m_ringersMutex; // guards the Ringers
    Ringer m_dataRinger; // a sender's: the receiver's doorbell
    std::array<Ringer, ipcw::native::shm::ShmSession::MaxSenders> m_replyRingers; // a receiver's: its senders'
    void *m_base = nullptr;
    std::size_t m_bytes = 0;
};
