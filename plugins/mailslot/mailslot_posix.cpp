// SPDX-License-Identifier: GPL-3.0-or-later
#include "mailslot_posix.h"

#include "native/posixpaths.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

using ipcw::mailslot::DatagramKind;
using ipcw::native::Event;
using ipcw::native::Role;

namespace {

constexpr mqd_t NoQueue = mqd_t(-1);
// Every queue, the receiver's and the senders' reply queues alike, asks for this much and gets
// what /proc/sys/fs/mqueue allows (10 messages of 8 KiB by default). Reply queues once asked for
// 2 KiB messages, but a Pong is as large as its Ping and a 64 KiB one then took four times the
// wake-ups. At 80 KiB a queue, a user's RLIMIT_MSGQUEUE (800 KiB by default) holds a receiver
// and nine senders at full size; createQueue() makes later ones smaller.
constexpr long QueueMaxMessages = 64;
constexpr long QueueMaxMessageBytes = 1024 * 1024;
// Only when pidfd_open() is missing (kernels before 5.3) is a peer's liveness polled, this often.
constexpr int LivenessCheckMs = 1000;

long readProcLimit(const char *path, long fallback)
{
    std::ifstream in(path);
    long value = 0;
    return (in >> value) && value > 0 ? value : fallback;
}

int openPidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    if (pid > 0)
        return int(syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
#endif
    return -1;
}

bool processAlive(pid_t pid)
{
    return pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH;
}

void closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

void closeQueue(mqd_t &queue)
{
    if (queue != NoQueue)
        mq_close(queue);
    queue = NoQueue;
}

std::string errnoText(int error)
{
    return std::strerror(error);
}

std::string queueOpenError(const std::string &queue, int error)
{
    switch (error) {
    case EACCES:
        return "Permission denied on the message queue " + queue + ": it belongs to another user.";
    case EMFILE:
    case ENOMEM:
        return "Cannot create the message queue " + queue + ": your message queue memory (RLIMIT_MSGQUEUE, "
               "see ulimit -q) or open file limit is used up; close other programs that use message queues or raise the limit.";
    case ENOSPC:
        return "Cannot create the message queue " + queue + ": the system-wide limit on queues "
               "(/proc/sys/fs/mqueue/queues_max) is reached.";
    case ENOSYS:
        return "This kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE): the mailslot mechanism cannot run here.";
    default:
        return "Cannot open the message queue " + queue + ": " + errnoText(error) + ".";
    }
}

// Creates a queue readable by us alone, with the largest attributes the OS limits allow, and
// smaller ones when the user's queue memory does not stretch that far.
mqd_t createQueue(const std::string &name, std::string *error)
{
    long messages = std::min(QueueMaxMessages, readProcLimit("/proc/sys/fs/mqueue/msg_max", 10));
    long bytes = std::min(QueueMaxMessageBytes, readProcLimit("/proc/sys/fs/mqueue/msgsize_max", 8192));
    for (;;) {
        mq_attr attr {};
        attr.mq_maxmsg = messages;
        attr.mq_msgsize = bytes;
        const mqd_t queue = mq_open(name.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
        if (queue != NoQueue)
            return queue;
        if ((errno == EMFILE || errno == ENOMEM) && (messages > 2 || bytes > 1024)) {
            if (messages > 2)
                messages /= 2;
            else
                bytes /= 2;
            continue;
        }
        *error = queueOpenError(name, errno);
        return NoQueue;
    }
}

std::size_t messageBytes(mqd_t queue)
{
    mq_attr attr {};
    return mq_getattr(queue, &attr) == 0 ? std::size_t(attr.mq_msgsize) : 0;
}

std::string processDescription()
{
    std::ifstream in("/proc/self/comm");
    std::string comm;
    std::getline(in, comm);
    return comm.empty() ? "process " + std::to_string(getpid()) : comm + " (pid " + std::to_string(getpid()) + ")";
}

std::atomic<std::uint32_t> nextSlot{0};

// Takes the exclusive lock on `path` (created 0600). Returns the descriptor, or -1 with `busy`
// set when a live process holds it. After taking it the file must still be the one at the
// path: whoever closes unlinks its lock file before letting go of the lock.
int lockFile(const std::string &path, bool *busy, std::string *error)
{
    *busy = false;
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            *error = "Cannot create the lock file " + path + ": " + errnoText(errno) + ".";
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            *busy = errno == EWOULDBLOCK;
            *error = "Cannot lock " + path + ": " + errnoText(errno) + ".";
            if (*busy)
                return fd; // the caller reads the owner's pid, then closes it
            ::close(fd);
            return -1;
        }
        struct stat held {}, named {};
        if (fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino
            && held.st_dev == named.st_dev)
            return fd;
        ::close(fd);
    }
}

// Every queue we create has a lock file "mailslot-<queue>.lock" in the runtime folder, locked
// while its owner lives. A crashed receiver's or sender's queue would otherwise stay until the
// name is used again and eat into the user's small RLIMIT_MSGQUEUE: remove every queue whose
// lock nobody holds.
void sweepStaleQueues(const std::string &dir)
{
    DIR *folder = opendir(dir.c_str());
    if (!folder)
        return;
    const std::string prefix = "mailslot-", suffix = ".lock";
    while (const dirent *entry = readdir(folder)) {
        const std::string file = entry->d_name;
        if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0
            || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const std::string stem = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
        std::string name;
        std::size_t ignored = 0;
        if (!ipcw::mailslot::parseAddress(stem, &name, &ignored).empty() || name != stem)
            continue;
        const std::string path = dir + "/" + file;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        struct stat held {}, named {};
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0
            && held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
            mq_unlink(ipcw::native::userScopedObjectName(stem).c_str());
            unlink(path.c_str());
        }
        ::close(fd);
    }
    closedir(folder);
}

} // namespace

MailslotChannelPosix::QueuePeer::~QueuePeer()
{
    closeQueue(reply);
    closeFd(pidfd);
    closeFd(goneFd);
}

MailslotChannelPosix::MailslotChannelPosix()
    : m_wakeFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
}

MailslotChannelPosix::~MailslotChannelPosix()
{
    close();
    closeFd(m_wakeFd);
}

std::string MailslotChannelPosix::open(Role role, const std::string &address)
{
    m_role = role;
    if (m_wakeFd < 0)
        return "Cannot create an eventfd for the mailslot channel: " + errnoText(errno) + ".";
    if (std::string error = ipcw::mailslot::parseAddress(address, &m_name, &m_fragmentOption); !error.empty())
        return error;
    m_queueName = ipcw::native::userScopedObjectName(m_name);
    m_place = m_queueName;
    applyLimits(receiveLimits());
    std::string error;
    const std::string dir = ipcw::native::userRuntimeDir(&error);
    if (dir.empty())
        return error;
    m_runtimeDir = dir;
    m_lockPath = dir + "/mailslot-" + m_name + ".lock";
    sweepStaleQueues(dir);
    if (std::string failed = m_ready.open("mailslot"); !failed.empty())
        return failed;
    error = role == Role::Receiver ? openReceiver() : openSender();
    if (!error.empty())
        close();
    return error;
}

std::string MailslotChannelPosix::openReceiver()
{
    bool busy = false;
    std::string error;
    m_lockFd = lockFile(m_lockPath, &busy, &error);
    if (busy) {
        char pid[32] = {};
        const ssize_t n = pread(m_lockFd, pid, sizeof pid - 1, 0);
        closeFd(m_lockFd);
        return "The mailslot name \"" + m_name + "\" is already in use by a running receiver"
            + (n > 0 ? " (pid " + std::string(pid, std::size_t(n)) + ")" : std::string())
            + ": stop that receiver or choose another name.";
    }
    if (m_lockFd < 0)
        return error;
    // Nobody else holds the lock, so a queue with our name is a crashed receiver's: replace it.
    mq_unlink(m_queueName.c_str());
    m_queue = createQueue(m_queueName, &error);
    if (m_queue == NoQueue)
        return error;
    m_receiveBuffer.assign(messageBytes(m_queue), 0);
    m_ready.add(m_queue);
    const std::string pid = std::to_string(getpid());
    if (ftruncate(m_lockFd, 0) != 0 || pwrite(m_lockFd, pid.data(), pid.size(), 0) != ssize_t(pid.size()))
        return "Cannot write the lock file " + m_lockPath + ": " + errnoText(errno) + ".";
    return {};
}

std::string MailslotChannelPosix::openSender()
{
    const std::string nobody = "Nobody is receiving on the mailslot \"" + m_name + "\": start a receiver first.";
    // A receiver that is alive holds its lock; a queue without one is a crashed receiver's.
    const int lock = ::open(m_lockPath.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (lock < 0)
        return nobody;
    char pid[32] = {};
    const bool live = flock(lock, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    const ssize_t n = pread(lock, pid, sizeof pid - 1, 0);
    ::close(lock);
    if (!live)
        return nobody;
    m_receiverPid = n > 0 ? pid_t(std::atol(pid)) : 0;

    m_queue = mq_open(m_queueName.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (m_queue == NoQueue)
        return errno == ENOENT ? nobody : queueOpenError(m_queueName, errno);
    const std::size_t queueBytes = messageBytes(m_queue);
    m_datagramBytes = m_fragmentOption ? std::min(m_fragmentOption, queueBytes) : queueBytes;
    if (m_datagramBytes < ipcw::mailslot::MinDatagramBytes)
        return "The queue " + m_queueName + " takes messages of only " + std::to_string(queueBytes)
            + " bytes, too small for a fragment.";
    m_receiverPidfd = openPidfd(m_receiverPid);

    // Our pid is ours alone, and the slot counter makes the name unique within this process:
    // a queue already there was left by a crashed process that had our pid before.
    m_slot = nextSlot++;
    const std::string reply = ipcw::mailslot::replyName(m_name, getpid(), m_slot);
    m_replyQueueName = ipcw::native::userScopedObjectName(reply);
    m_replyLockPath = m_runtimeDir + "/mailslot-" + reply + ".lock";
    bool busy = false;
    std::string error;
    m_replyLockFd = lockFile(m_replyLockPath, &busy, &error);
    if (busy) {
        closeFd(m_replyLockFd);
        return "The reply queue " + m_replyQueueName + " is in use by another process.";
    }
    if (m_replyLockFd < 0)
        return error;
    mq_unlink(m_replyQueueName.c_str());
    m_replyQueue = createQueue(m_replyQueueName, &error);
    if (m_replyQueue == NoQueue)
        return error;
    m_receiveBuffer.assign(messageBytes(m_replyQueue), 0);
    m_ready.add(m_replyQueue);
    m_watchingReceiver = m_ready.add(m_receiverPidfd);

    const Watch watch{m_receiverPid, m_receiverPidfd, -1};
    if (!sendControl(m_queue, DatagramKind::Hello, m_slot, processDescription(), watch, -1))
        return m_interrupted ? std::string("Opening the mailslot was interrupted.")
                             : "The receiver on the mailslot \"" + m_name + "\" went away while we connected: start it again.";
    return {};
}

MailslotChannelPosix::Wait MailslotChannelPosix::waitFor(int fd, short events, const Watch &watch, bool wakeable,
                                                         int timeoutMs)
{
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs < 0 ? 0 : timeoutMs);
    for (;;) {
        pollfd fds[4];
        nfds_t n = 0;
        fds[n++] = {fd, events, 0};
        const nfds_t wakeAt = wakeable ? n : 0, pidAt = watch.pidfd >= 0 ? n + (wakeable ? 1 : 0) : 0;
        if (wakeable)
            fds[n++] = {m_wakeFd, POLLIN, 0};
        if (watch.pidfd >= 0)
            fds[n++] = {watch.pidfd, POLLIN, 0};
        const nfds_t goneAt = n;
        if (watch.goneFd >= 0)
            fds[n++] = {watch.goneFd, POLLIN, 0};
        int slice = -1;
        if (timeoutMs >= 0)
            slice = int(std::max<long long>(
                0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
        const bool checkByKill = watch.pid > 0 && watch.pidfd < 0;
        if (checkByKill && (slice < 0 || slice > LivenessCheckMs))
            slice = LivenessCheckMs;
        const int ready = poll(fds, n, slice);
        if (ready < 0 && errno != EINTR)
            return Wait::Ready; // the caller's next call reports the real error
        if ((wakeable && fds[wakeAt].revents) || (wakeable && m_interrupted))
            return Wait::Interrupted;
        if (ready > 0 && fds[0].revents)
            return Wait::Ready;
        if ((watch.pidfd >= 0 && fds[pidAt].revents) || (watch.goneFd >= 0 && fds[goneAt].revents))
            return Wait::PeerGone;
        if (checkByKill && !processAlive(watch.pid))
            return Wait::PeerGone;
        if (timeoutMs >= 0 && Clock::now() >= deadline)
            return Wait::TimedOut;
    }
}

std::string MailslotChannelPosix::sendFrame(mqd_t queue, std::size_t datagramBytes, std::uint32_t slot,
                                            const std::uint8_t *data, std::size_t size, const Watch &watch,
                                            bool *peerGone)
{
    *peerGone = false;
    const auto put = [&](const std::uint8_t *datagram, std::size_t bytes, std::string *error) {
        for (;;) {
            if (mq_send(queue, reinterpret_cast<const char *>(datagram), bytes, 0) == 0)
                return true;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN) {
                *error = "Sending to the message queue failed: " + errnoText(errno) + ".";
                return false;
            }
            // The queue is full: wait for room (backpressure), for interrupt(), or for the peer to go.
            switch (waitFor(queue, POLLOUT, watch, true, -1)) {
            case Wait::Ready:
            case Wait::TimedOut:
                break;
            case Wait::Interrupted:
                return false;
            case Wait::PeerGone:
                *peerGone = true;
                return false;
            }
        }
    };
    return sendFragments(m_pid, slot, datagramBytes, data, size, put);
}

bool MailslotChannelPosix::sendControl(mqd_t queue, DatagramKind kind, std::uint32_t slot, const std::string &text,
                                       const Watch &watch, int timeoutMs)
{
    const std::vector<std::uint8_t> datagram = controlDatagram(kind, m_pid, slot, text);
    for (;;) {
        if (mq_send(queue, reinterpret_cast<const char *>(datagram.data()), datagram.size(), 0) == 0)
            return true;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN || waitFor(queue, POLLOUT, watch, timeoutMs < 0, timeoutMs) != Wait::Ready)
            return false;
    }
}

std::string MailslotChannelPosix::receiverGoneSentence() const
{
    return "The receiver on the mailslot \"" + m_name + "\" is gone: start it again and reconnect.";
}

std::string MailslotChannelPosix::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (m_interrupted)
        return {};
    bool gone = false;
    if (m_role == Role::Sender) {
        if (m_receiverGone)
            return receiverGoneSentence();
        const std::string error = sendFrame(m_queue, m_datagramBytes, m_slot, data, size,
                                            {m_receiverPid, m_receiverPidfd, -1}, &gone);
        if (gone)
            return "The receiver on the mailslot \"" + m_name + "\" (pid " + std::to_string(m_receiverPid)
                + ") exited; the frame could not be delivered. Start a receiver and send again.";
        return error;
    }
    const auto target = std::static_pointer_cast<QueuePeer>(replyTarget(peer));
    // A reply to a sender that already left has nowhere to go; its PeerGone (or PeerConnected,
    // when its reply queue was gone already) said so.
    if (!target || target->reply == NoQueue)
        return {};
    return sendFrame(target->reply, target->replyDatagramBytes, 0, data, size,
                     {pid_t(target->pid), target->pidfd, target->goneFd}, &gone);
}

bool MailslotChannelPosix::trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error)
{
    error->clear();
    if (m_interrupted)
        return true;
    mqd_t queue = m_queue;
    std::size_t datagramBytes = m_datagramBytes;
    std::uint32_t slot = m_slot;
    if (m_role == Role::Sender) {
        if (m_receiverGone) {
            *error = receiverGoneSentence();
            return true;
        }
    } else {
        const auto target = std::static_pointer_cast<QueuePeer>(replyTarget(peer));
        if (!target || target->reply == NoQueue)
            return true; // as send(): the reply has nobody to go to
        queue = target->reply;
        datagramBytes = target->replyDatagramBytes;
        slot = 0;
        if (size > datagramBytes - ipcw::native::DatagramHeaderBytes)
            return tryReplyWhole(*target, data, size, error);
    }
    // The queues are non-blocking: a full one says EAGAIN, and the writer thread waits for room.
    const auto tryPut = [queue](const std::uint8_t *datagram, std::size_t bytes) -> std::optional<std::string> {
        for (;;) {
            if (mq_send(queue, reinterpret_cast<const char *>(datagram), bytes, 0) == 0)
                return std::string();
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return std::nullopt;
            return "Sending to the message queue failed: " + errnoText(errno) + ".";
        }
    };
    return sendWhole(m_pid, slot, datagramBytes, data, size, tryPut, error);
}

bool MailslotChannelPosix::tryReplyWhole(const QueuePeer &target, const std::uint8_t *data, std::size_t size,
                                         std::string *error)
{
    // A reply queue has one writer, this receiver, and sends never overlap: room it has now for
    // every datagram of the reply is still there while they go in. Only a process writing to
    // another's queue outside the protocol could take it; then the reply is cut, and said so.
    mq_attr attr{};
    if (mq_getattr(target.reply, &attr) != 0)
        return false;
    const std::size_t chunk = target.replyDatagramBytes - ipcw::native::DatagramHeaderBytes;
    const long datagrams = long((size + chunk - 1) / chunk);
    if (attr.mq_maxmsg - attr.mq_curmsgs < datagrams)
        return false;
    *error = sendFragments(m_pid, 0, target.replyDatagramBytes, data, size,
                           [&](const std::uint8_t *datagram, std::size_t bytes, std::string *why) {
                               for (;;) {
                                   if (mq_send(target.reply, reinterpret_cast<const char *>(datagram), bytes, 0) == 0)
                                       return true;
                                   if (errno == EINTR)
                                       continue;
                                   *why = errno == EAGAIN
                                       ? "The reply queue " + target.replyQueue + " filled up while a reply went in, though only "
                                             "this receiver writes to it: another process wrote to it. The reply was cut."
                                       : "Sending to the message queue failed: " + errnoText(errno) + ".";
                                   return false;
                               }
                           });
    return true;
}

Event MailslotChannelPosix::receive(int timeoutMs)
{
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs < 0 ? 0 : timeoutMs);
    const mqd_t queue = m_role == Role::Receiver ? m_queue : m_replyQueue;
    for (;;) {
        if (m_watchingReceiver && m_receiverGone) {
            // Its pidfd stays readable once it exited: watched any longer, it would wake the
            // event loop for nothing, over and over.
            m_ready.remove(m_receiverPidfd);
            m_watchingReceiver = false;
        }
        if (Event event; takeEvent(&event))
            return event;
        if (m_interrupted) {
            Event event;
            event.kind = Event::Kind::Interrupted;
            return event;
        }
        if (!m_queueError.empty()) {
            Event event;
            event.kind = Event::Kind::Error;
            event.text = m_queueError;
            return event;
        }
        // Reading first, and judging deaths only once the queue is read to its end (reapDeadPeers()
        // reads what a stop at an event left), means every datagram a dead peer managed to send
        // is processed before it is declared gone.
        const Drain drain = drainQueue(inConversation());
        if (drain == Drain::Failed)
            continue;
        m_lastReadDrained = drain == Drain::Emptied || drain == Drain::StoppedAtEvent;
        reapIfSomeoneMayHaveExited();
        // Partial frames whose time ran out are dropped (judged after every read, so a busy
        // queue does not put it off); the wait below ends when the next one's time runs out.
        const int stallWait = m_role == Role::Receiver ? expireStalledFrames(-1) : -1;
        const bool checkByKill = peerWithoutPidfd();
        // Set after every read, events or not: an event loop that waits for the descriptor
        // once it took the events (drained()) is called back by then.
        m_idleWaitMs = checkByKill ? LivenessCheckMs : -1;
        if (stallWait >= 0 && (m_idleWaitMs < 0 || stallWait < m_idleWaitMs))
            m_idleWaitMs = stallWait;
        if (hasEvents())
            continue;

        std::vector<pollfd> fds = waitSet(queue);
        int slice = -1;
        if (timeoutMs >= 0)
            slice = int(std::max<long long>(
                0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
        if (m_idleWaitMs >= 0 && (slice < 0 || m_idleWaitMs < slice))
            slice = m_idleWaitMs;
        if (poll(fds.data(), fds.size(), slice) < 0 && errno != EINTR) {
            m_queueError = "Waiting on the message queue failed: " + errnoText(errno) + ".";
            continue;
        }
        // A peer is judged only when its pidfd says it exited (or, without pidfds, on every
        // pass): asking every pidfd after every read cost a poll() per datagram.
        m_peerMayHaveExited = checkByKill
            || std::any_of(fds.begin() + 2, fds.end(), [](const pollfd &fd) { return fd.revents != 0; });
        if (timeoutMs >= 0 && Clock::now() >= deadline && !(fds[0].revents || fds[1].revents)) {
            reapIfSomeoneMayHaveExited();
            if (!hasEvents()) {
                Event event;
                event.kind = Event::Kind::Timeout;
                return event;
            }
        }
    }
}

bool MailslotChannelPosix::peerWithoutPidfd()
{
    if (m_role == Role::Sender)
        return m_receiverPidfd < 0 && m_receiverPid > 0 && !m_receiverGone;
    bool found = false;
    forEachPeer([&](const Peer &entry) {
        const auto &peer = static_cast<const QueuePeer &>(entry);
        found = found || (peer.pidfd < 0 && peer.pid > 0);
    });
    return found;
}

std::vector<pollfd> MailslotChannelPosix::waitSet(mqd_t queue)
{
    std::vector<pollfd> fds{{queue, POLLIN, 0}, {m_wakeFd, POLLIN, 0}};
    if (m_role == Role::Sender) {
        if (m_receiverPidfd >= 0 && !m_receiverGone)
            fds.push_back({m_receiverPidfd, POLLIN, 0});
        return fds;
    }
    forEachPeer([&](const Peer &entry) {
        const auto &peer = static_cast<const QueuePeer &>(entry);
        if (peer.pidfd >= 0)
            fds.push_back({peer.pidfd, POLLIN, 0});
    });
    return fds;
}

bool MailslotChannelPosix::inConversation()
{
    if (m_loneReads < ConversationAfter)
        return false;
    if (++m_readsSinceProbe < ProbeEvery)
        return true;
    m_readsSinceProbe = 0;
    return false;
}

MailslotChannelPosix::Drain MailslotChannelPosix::drainQueue(bool mayStopAtEvent)
{
    const mqd_t queue = m_role == Role::Receiver ? m_queue : m_replyQueue;
    const bool hadEvents = hasEvents();
    int readAfterEvent = -1; // datagrams read after the first new event; -1: no event yet
    for (int handled = 0; handled < 256; ++handled) {
        if (m_interrupted)
            return Drain::Stopped;
        const ssize_t n = mq_receive(queue, reinterpret_cast<char *>(m_receiveBuffer.data()), m_receiveBuffer.size(),
                                     nullptr);
        if (n >= 0) {
            if (readAfterEvent >= 0)
                ++readAfterEvent;
            handleDatagram(m_receiveBuffer.data(), std::size_t(n));
            if (readAfterEvent < 0 && !hadEvents && hasEvents()) {
                if (mayStopAtEvent)
                    return Drain::StoppedAtEvent;
                readAfterEvent = 0;
            }
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            if (readAfterEvent == 0)
                m_loneReads = std::min(m_loneReads + 1, ConversationAfter);
            else if (readAfterEvent > 0)
                m_loneReads = 0;
            return Drain::Emptied;
        }
        m_queueError = "Reading the message queue failed: " + errnoText(errno) + ".";
        return Drain::Failed;
    }
    m_loneReads = 0;
    return Drain::Stopped;
}

std::shared_ptr<ipcw::mailslot::Protocol::Peer> MailslotChannelPosix::watchPeer(std::uint32_t pid)
{
    auto peer = std::make_shared<QueuePeer>();
    peer->pidfd = openPidfd(pid_t(pid));
    m_ready.add(peer->pidfd);
    return peer;
}

std::string MailslotChannelPosix::openReply(Peer &entry)
{
    auto &peer = static_cast<QueuePeer &>(entry);
    peer.goneFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    peer.reply = openReplyQueue(peer.pid, peer.slot, &peer.replyQueue);
    const int replyError = errno;
    if (peer.reply == NoQueue)
        return ", but its reply queue " + peer.replyQueue + " cannot be opened (" + errnoText(replyError)
            + "), so nothing can be sent back to it";
    const std::size_t bytes = messageBytes(peer.reply);
    peer.replyDatagramBytes = m_fragmentOption ? std::min(m_fragmentOption, bytes) : bytes;
    if (peer.replyDatagramBytes < ipcw::mailslot::MinDatagramBytes) {
        closeQueue(peer.reply);
        return ", but its reply queue takes messages of only " + std::to_string(bytes)
            + " bytes, so nothing can be sent back to it";
    }
    return {};
}

mqd_t MailslotChannelPosix::openReplyQueue(std::uint32_t pid, std::uint32_t slot, std::string *name) const
{
    *name = ipcw::native::userScopedObjectName(ipcw::mailslot::replyName(m_name, pid, slot));
    return mq_open(name->c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
}

void MailslotChannelPosix::turnAway(std::uint32_t pid, std::uint32_t slot, const std::string &reason)
{
    std::string name;
    mqd_t reply = openReplyQueue(pid, slot, &name);
    if (reply == NoQueue)
        return;
    // No waiting: a full reply queue is one nobody reads, so there is nobody to tell.
    sendControl(reply, DatagramKind::Leave, 0, reason, {}, 0);
    closeQueue(reply);
}

bool MailslotChannelPosix::peerExited(const Peer &entry)
{
    const auto &peer = static_cast<const QueuePeer &>(entry);
    pollfd fd{peer.pidfd, POLLIN, 0};
    return peer.pidfd >= 0 ? poll(&fd, 1, 0) > 0 : !processAlive(pid_t(peer.pid));
}

void MailslotChannelPosix::peerForgotten(Peer &entry, bool exited)
{
    auto &peer = static_cast<QueuePeer &>(entry);
    // Now, though a send on the writer thread may keep the peer (and its pidfd) a moment longer.
    m_ready.remove(peer.pidfd);
    // Wakes a writer blocked on this peer's full reply queue.
    if (peer.goneFd >= 0) {
        const std::uint64_t one = 1;
        (void)!write(peer.goneFd, &one, sizeof one);
    }
    // A dead sender cannot remove its reply queue; we know its name, so we do.
    if (exited && !peer.replyQueue.empty())
        mq_unlink(peer.replyQueue.c_str());
}

void MailslotChannelPosix::reapIfSomeoneMayHaveExited()
{
    if (!m_peerMayHaveExited)
        return;
    m_peerMayHaveExited = false;
    reapDeadPeers();
}

void MailslotChannelPosix::reapDeadPeers()
{
    if (m_role == Role::Sender) {
        if (m_receiverGone || m_receiverPid <= 0)
            return;
        pollfd fd{m_receiverPidfd, POLLIN, 0};
        const bool dead = m_receiverPidfd >= 0 ? poll(&fd, 1, 0) > 0 : !processAlive(m_receiverPid);
        if (!dead)
            return;
        drainQueue();
        receiverExited(std::uint64_t(m_receiverPid));
        return;
    }
    const std::vector<std::uint64_t> dead = exitedPeers();
    if (dead.empty())
        return;
    // Everything the dead sent is in the queue by now: read it before judging.
    drainQueue();
    reportExitedPeers(dead);
}

void MailslotChannelPosix::interrupt()
{
    m_interrupted = true;
    if (m_wakeFd >= 0) {
        const std::uint64_t one = 1;
        (void)!write(m_wakeFd, &one, sizeof one);
    }
}

void MailslotChannelPosix::close()
{
    if (m_role == Role::Sender && m_queue != NoQueue && !m_receiverGone)
        sendControl(m_queue, DatagramKind::Leave, m_slot, {}, {m_receiverPid, m_receiverPidfd, -1}, 1000);
    if (m_role == Role::Receiver) {
        // Tell each sender, so it stops instead of filling a queue nobody reads.
        for (const auto &entry : takePeers()) {
            const auto &peer = static_cast<const QueuePeer &>(*entry.second);
            if (!peer.banned && peer.reply != NoQueue)
                sendControl(peer.reply, DatagramKind::Leave, 0, {}, {pid_t(peer.pid), peer.pidfd, -1}, 200);
        }
        if (m_queue != NoQueue)
            mq_unlink(m_queueName.c_str());
        if (m_lockFd >= 0)
            unlink(m_lockPath.c_str()); // before unlocking: see lockFile()
    }
    closeQueue(m_queue);
    if (m_replyQueue != NoQueue) {
        closeQueue(m_replyQueue);
        mq_unlink(m_replyQueueName.c_str());
    }
    if (m_replyLockFd >= 0)
        unlink(m_replyLockPath.c_str());
    closeFd(m_replyLockFd);
    closeFd(m_lockFd);
    closeFd(m_receiverPidfd);
    m_watchingReceiver = false;
    m_ready.close();
    m_idleWaitMs = -1;
    m_receiverPid = 0;
    resetProtocol();
    m_queueError.clear();
    m_receiveBuffer.clear();
    m_interrupted = false;
    if (m_wakeFd >= 0) {
        std::uint64_t drained = 0;
        (void)!read(m_wakeFd, &drained, sizeof drained);
    }
}
