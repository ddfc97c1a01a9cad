// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mailslotprotocol.h"
#include "native/channel.h"
#include "native/readinessset.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <mqueue.h>
#include <poll.h>
#include <sys/types.h>
#include <unistd.h>

// The mailslot mechanism on Linux: POSIX message queues (mq_open, mode 0600, uid-scoped
// names). The receiver owns "/ipcworkshop-<uid>-<name>" and holds an flock on
// "<runtime dir>/mailslot-<name>.lock" (which also stores its pid) while it lives: a queue
// whose lock nobody holds is a crashed receiver's and is replaced. Each sender creates its own
// reply queue "<name>-reply-<pid>[-<slot>]" for the acks (locked the same way), announces
// itself with a Hello datagram and gets the peer id pid<<32|slot. Opening sweeps away every
// queue of ours whose lock nobody holds: crashed processes' queues would otherwise use up the
// user's RLIMIT_MSGQUEUE (800 KiB by default). Frames larger than a queue message are cut into
// fragments (mailslotdatagram.h) and put back together per sender (mailslotprotocol.h, shared
// with the Win32 backend; this file does the queues, the locks and the waiting).
//
// Nothing spins: receive() sleeps in poll() on the queue descriptor (on Linux an mqd_t is a
// file descriptor), an eventfd for interrupt(), and a pidfd per peer, so a peer that dies is
// noticed at once, including one that dies in the middle of a frame. A full queue makes send()
// wait in poll() for room: backpressure, never a dropped datagram.
class MailslotChannelPosix final : public ipcw::native::Channel,
                                   public ipcw::native::Watchable,
                                   public ipcw::native::Drainable,
                                   public ipcw::native::FrameStoreUser,
                                   private ipcw::mailslot::Protocol
{
public:
    MailslotChannelPosix();
    ~MailslotChannelPosix() override;

    std::string open(ipcw::native::Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error) override;
    ipcw::native::Event receive(int timeoutMs) override;
    int readinessDescriptor() const override { return m_ready.descriptor(); } // Watchable
    int nextDeadlineMs() const override { return m_ready.deadlineMs(m_idleWaitMs); }
    // Drainable: its events are all taken, and the last read found the queue empty or stopped
    // at an event in a conversation (drainQueue()); what is left or comes next keeps the
    // queue's descriptor readable (level-triggered).
    bool drained() const override { return m_lastReadDrained && !hasEvents(); }
    // A frame's fragments are copied out of the messages once, into the store's buffer.
    void setFrameStore(ipcw::native::FrameStore *store) override { Protocol::setFrameStore(store); }
    void interrupt() override;
    void close() override;

    // The queue's real per-message size (after the OS limits), for tests and the log.
    long queueMessageBytes() const { return m_receiveBuffer.size(); }

private:
    // What a blocked send watches besides the queue: the process at the other end.
    struct Watch
    {
        pid_t pid = 0;
        int pidfd = -1;
        int goneFd = -1; // a peer's eventfd, written when the receiver forgets it
    };

    struct QueuePeer final : Peer
    {
        ~QueuePeer() override;
        std::string replyQueue;
        mqd_t reply = mqd_t(-1);
        std::size_t replyDatagramBytes = 0;
        int pidfd = -1;
        int goneFd = -1;
    };

    enum class Wait { Ready, Interrupted, PeerGone, TimedOut };

    std::string openReceiver();
    std::string openSender();
    Wait waitFor(int fd, short events, const Watch &watch, bool wakeable, int timeoutMs);
    std::string receiverGoneSentence() const;
    // Sends one frame as fragments; `peerGone` is set when the other end vanished meanwhile.
    // trySend() of a receiver's reply of several datagrams: sent whole if its queue has room for
    // all of them now, else nothing is sent (false).
    bool tryReplyWhole(const QueuePeer &target, const std::uint8_t *data, std::size_t size, std::string *error);
    std::string sendFrame(mqd_t queue, std::size_t datagramBytes, std::uint32_t slot, const std::uint8_t *data,
                          std::size_t size, const Watch &watch, bool *peerGone);
    bool sendControl(mqd_t queue, ipcw::mailslot::DatagramKind kind, std::uint32_t slot, const std::string &text,
                     const Watch &watch, int timeoutMs);
    // Reads what is queued without blocking: until the queue is empty, at most 256 datagrams.
    // In a conversation (m_loneReads) it stops at the first event instead: the read that would
    // only say EAGAIN costs a system call per frame on each side of a round trip.
    enum class Drain { Emptied, StoppedAtEvent, Stopped, Failed };
    Drain drainQueue(bool mayStopAtEvent = false);
    // Whether the next drainQueue() in receive() may stop at its first event.
    bool inConversation();
    // Whether a peer's liveness must be asked with kill() (no pidfd: kernels before 5.3).
    bool peerWithoutPidfd();
    // What receive() waits on when nothing is ready: the queue, interrupt(), every peer's pidfd.
    // Built only then, not after every read.
    std::vector<pollfd> waitSet(mqd_t queue);
    // Finds peers whose process has ended and, once everything they sent is read, reports them.
    void reapDeadPeers();
    // reapDeadPeers() when a pidfd was readable at the last poll (m_peerMayHaveExited).
    void reapIfSomeoneMayHaveExited();

    std::shared_ptr<Peer> watchPeer(std::uint32_t pid) override;
    std::string openReply(Peer &peer) override;
    bool peerExited(const Peer &peer) override;
    void peerForgotten(Peer &peer, bool exited) override;
    void turnAway(std::uint32_t pid, std::uint32_t slot, const std::string &reason) override;
    // A sender's reply queue, opened for writing without blocking; `name` receives its name.
    mqd_t openReplyQueue(std::uint32_t pid, std::uint32_t slot, std::string *name) const;
    void lockPeers() override { m_peersMutex.lock(); }
    void unlockPeers() override { m_peersMutex.unlock(); }

    std::string m_queueName;        // the receiver's queue, scoped
    std::size_t m_fragmentOption = 0; // "?fragment=N", 0: as large as the queue allows
    mqd_t m_queue = mqd_t(-1);      // receiver: read end; sender: write end
    std::size_t m_datagramBytes = 0; // sender: datagram size towards the receiver
    std::string m_runtimeDir;
    int m_lockFd = -1;
    std::string m_lockPath;
    int m_wakeFd = -1;
    // The queue receive() reads and the pidfds it watches, in one descriptor.
    ipcw::native::ReadinessSet m_ready;
    // When receive(0) must look again though nothing is ready (a stalled frame's time, a
    // process without a pidfd to check), -1: never. Set by each receive().
    int m_idleWaitMs = -1;
    // A pidfd was readable at the last poll (or a peer cannot be watched by one): receive()
    // looks for exited peers once the queue is drained.
    bool m_peerMayHaveExited = true;
    // The last drainQueue() in receive() left nothing unseen: it read until EAGAIN, or stopped at
    // an event in a conversation, where whatever is left keeps the descriptor readable.
    bool m_lastReadDrained = false;
    // Full reads in a row in which nothing followed the first event: the peer waits for an
    // answer before it sends again. From ConversationAfter on, reads stop at their first event;
    // one read in ProbeEvery still reads until EAGAIN, and a burst found there ends it.
    static constexpr int ConversationAfter = 4;
    static constexpr int ProbeEvery = 16;
    int m_loneReads = 0;
    int m_readsSinceProbe = 0;
    // Every datagram's header carries it; getpid() is a system call in glibc.
    const std::uint32_t m_pid = std::uint32_t(getpid());
    std::atomic<bool> m_interrupted{false};
    std::vector<std::uint8_t> m_receiveBuffer;
    std::string m_queueError;                  // set when the queue itself failed

    // Sender
    std::uint32_t m_slot = 0;
    std::string m_replyQueueName;
    int m_replyLockFd = -1; // held while we live, so a sweep never takes our reply queue
    std::string m_replyLockPath;
    mqd_t m_replyQueue = mqd_t(-1);
    pid_t m_receiverPid = 0;
    int m_receiverPidfd = -1;
    bool m_watchingReceiver = false; // m_receiverPidfd is in m_ready

    // Receiver: guards the protocol's table of peers.
    std::mutex m_peersMutex;
};
