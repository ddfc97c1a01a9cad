// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "futexwaiter.h"
#include "shmsession.h"

#include "native/channel.h"

#include <memory>

// The filemapping Channel on POSIX: a shm_open segment (mode 0600, named with the user's uid)
// mapped by the receiver and its senders, futex wake-ups, and an flock'ed lock file in the
// private runtime folder that only a running receiver holds. The kernel drops that lock when
// the receiver dies, however it dies, so "is a receiver alive?" has an exact answer: a segment
// found while we hold the lock is a crashed receiver's and is replaced; a lock we cannot get
// means a live receiver, whose segment is never touched. A receiver also sweeps away segments
// that crashed receivers left under other names, and removes its own lock file when it closes.
//
// Doorbells: a futex cannot be watched by an event loop, so each end that waits with block or
// spin binds a datagram socket in the abstract namespace (its doorbell) and is Watchable: the
// owner's event loop watches the doorbell, and writers ring it (one byte) after a commit while
// the ring says the reader watches it (ReaderOnDoorbell). A record is then taken on the thread
// that handles it, with no reader thread to hand it over. With spin, the event loop polls
// again at once while a peer may send (nextDeadlineMs() 0) and the doorbell only wakes a
// receiver's first sender. spinblock, and an end whose doorbell name is taken, keep a reader
// thread that sleeps on the futex (receive(-1)).
class FileMappingChannelPosix final : public ipcw::native::Channel,
                                      public ipcw::native::Watchable,
                                      public ipcw::native::Drainable,
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

    // The doorbell, or -1 (spinblock, or no doorbell): then a reader thread waits in receive().
    int readinessDescriptor() const override { return m_bellFd; }
    int nextDeadlineMs() const override { return m_session ? m_session->nextPollMs() : -1; }
    bool drained() const override { return m_session && m_session->drained(); }
    // Received frames are copied out of the ring once, into the store's buffer.
    void setFrameStore(ipcw::native::FrameStore *store) override;

    // The abstract socket name ("\0" not included) of the doorbell of the data ring's reader
    // (the receiver), or of the reader of `slot`'s reply ring while it holds `generation`.
    std::string doorbellName() const;
    std::string doorbellName(std::uint32_t slot, std::uint32_t generation) const;

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
    // This end's doorbell, where it waits with block or spin and the name fits and is free.
    void bindDoorbell(ipcw::native::Role role);
    void ringDoorbell(const std::atomic<std::uint32_t> &word);

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
    static constexpr unsigned StaleRingReadEvery = 64;
    unsigned m_receivesSinceRingsRead = 0; // receive(0) calls that left the doorbell unread
    int m_ringFd = -1; // an unbound datagram socket that rings the peers' doorbells
    void *m_base = nullptr;
    std::size_t m_bytes = 0;
};
