// SPDX-License-Identifier: GPL-3.0-or-later
#include "namedpipe_posix.h"

#include "namedpipehello.h"
#include "namedpipewire.h"
#include "native/posixpaths.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipcw::native {

namespace {

using namespace namedpipe;

constexpr char WelcomeByte = 'W';
constexpr char FullByte = 'F'; // instead of the welcome: the receiver serves --max-peers senders already
constexpr int PipeBytes = 1 << 20;          // F_SETPIPE_SZ wish; the default 64 KiB costs throughput
// The same wish for a reply FIFO: room for an echo of a 64 KiB frame in one write, while a
// receiver of many senders charges the user's pipe pages (pipe-user-pages-soft) little.
constexpr int ReplyPipeBytes = 256 << 10;
constexpr std::size_t ReadBudget = 1 << 20; // per peer per poll round, so one busy sender cannot starve others

std::atomic<unsigned> senderCounter{0};

std::string errnoText(int error)
{
    return std::strerror(error);
}

// Whether a frame longer than PIPE_BUF can go into the FIFO behind `fd` in one non-blocking
// write. Only an empty FIFO promises it: then every one of its pages is free, and only this
// process writes to it, so the room can only grow before the write. (A FIFO holding bytes may
// hold them in part-filled pages, which its byte count does not tell.)
bool emptyWithRoomFor(int fd, std::size_t size)
{
    int queued = 0;
    const int capacity = fcntl(fd, F_GETPIPE_SZ);
    return ioctl(fd, FIONREAD, &queued) == 0 && queued == 0 && capacity > 0 && size <= std::size_t(capacity);
}

void closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// True when SIGPIPE is ignored process-wide (ipcworkshop ignores it from main(), and Qt does
// once it has made a socket): a write to a FIFO whose reader is gone then fails with EPIPE
// alone, and SigpipeBlocker's three system calls per write are not needed.
bool sigpipeIgnored()
{
    struct sigaction current {};
    return sigaction(SIGPIPE, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO)
        && current.sa_handler == SIG_IGN;
}

// Writing to a FIFO whose reader is gone raises SIGPIPE, which would kill the whole program.
// Unless it is ignored anyway, block it in this thread for the duration of a write and swallow
// the one our write caused: the pipe equivalent of MSG_NOSIGNAL, without changing the
// process's signal dispositions.
class SigpipeBlocker
{
public:
    explicit SigpipeBlocker(bool needed) : m_needed(needed)
    {
        if (!m_needed)
            return;
        sigemptyset(&m_pipeOnly);
        sigaddset(&m_pipeOnly, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &m_pipeOnly, &m_old);
        sigset_t pending;
        sigpending(&pending);
        m_wasPending = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeBlocker()
    {
        if (!m_needed)
            return;
        if (m_sawEpipe && !m_wasPending) {
            const timespec zero{0, 0};
            while (sigtimedwait(&m_pipeOnly, nullptr, &zero) == -1 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    void sawEpipe() { m_sawEpipe = true; }

private:
    bool m_needed;
    sigset_t m_pipeOnly;
    sigset_t m_old;
    bool m_wasPending = false;
    bool m_sawEpipe = false;
};

// "name" or "name?remote=0|1"; FIFOs never leave the machine, so remote=1 is refused here.
std::string parseAddress(const std::string &address, std::string *name)
{
    const std::size_t q = address.find('?');
    *name = address.substr(0, q);
    if (!validPipeName(*name))
        return "The pipe name '" + *name + "' is not valid: " + InvalidNameRule + ".";
    if (q == std::string::npos)
        return {};
    const std::string options = address.substr(q + 1);
    if (options == "remote=0")
        return {};
    if (options == "remote=1")
        return "FIFOs exist only on this machine, so a remote named pipe is not possible here: remove "
               "'?remote=1' from the address.";
    return "Unknown option '" + options + "' in the named pipe address: the only option is remote=0 or remote=1.";
}

// A FIFO in our private folder that we own; anything else under that name is refused.
bool isOurFifo(int fd)
{
    struct stat st {};
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_uid == geteuid();
}

std::string makeFifo(const std::string &path)
{
    ::unlink(path.c_str());
    if (mkfifo(path.c_str(), 0600) != 0)
        return "Cannot create the FIFO " + path + ": " + errnoText(errno) + ".";
    // mkfifo honours the umask, which can only remove bits; make the mode exact anyway.
    chmod(path.c_str(), 0600);
    return {};
}

} // namespace

// ---------------------------------------------------------------------------------------------

long NamedPipeChannelPosix::FrameAssembler::readFrom(int fd, std::size_t readBytes, namedpipe::FrameCutter::Frames &out,
                                                     std::string *error, PendingBudget *budget, FrameStore *store)
{
    m_cutter.setBudget(budget);
    m_cutter.setFrameStore(store);
    // Out of step (EPROTO) or over the budget (ENOBUFS): the caller says which in its sentence.
    const auto refuse = [&](std::string why) {
        *error = std::move(why);
        errno = m_cutter.overBudget() ? ENOBUFS : EPROTO;
        return -1L;
    };
    std::size_t total = 0;
    while (total < readBytes) {
        std::size_t remaining = 0;
        std::uint8_t *room = m_cutter.payloadRoom(&remaining);
        if (m_cutter.overBudget())
            return refuse(m_cutter.refusal());
        ssize_t n;
        std::size_t asked = m_staging.size();
        if (room && remaining >= m_staging.size()) {
            // A large frame: read straight into it instead of copying through the staging buffer.
            asked = remaining;
            n = ::read(fd, room, remaining);
            if (n > 0)
                m_cutter.payloadArrived(std::size_t(n), out);
        } else {
            n = ::read(fd, m_staging.data(), m_staging.size());
            if (n > 0)
                if (std::string why = m_cutter.cut(m_staging.data(), std::size_t(n), out); !why.empty())
                    return refuse(why);
        }
        if (n == 0)
            return total > 0 ? long(total) : 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN && total > 0)
                return long(total);
            return -1;
        }
        total += std::size_t(n);
        // A FIFO gives what it holds: a short read emptied it, and another read would only
        // say EAGAIN (a system call per frame). What arrives later, the caller's poll sees.
        if (std::size_t(n) < asked)
            break;
    }
    return long(total);
}

int NamedPipeChannelPosix::nextDeadlineMs() const
{
    return m_ready.deadlineMs(m_role == Role::Receiver ? m_stalls.shorten(-1) : -1);
}

NamedPipeChannelPosix::Peer::~Peer()
{
    closeFd(upFd);
    closeFd(downFd);
}

// ---------------------------------------------------------------------------------------------

NamedPipeChannelPosix::NamedPipeChannelPosix()
    : m_interruptFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
}

NamedPipeChannelPosix::~NamedPipeChannelPosix()
{
    close();
    closeFd(m_interruptFd);
}

std::string NamedPipeChannelPosix::open(Role role, const std::string &address)
{
    m_role = role;
    m_blockSigpipe = !sigpipeIgnored();
    if (m_interruptFd < 0)
        return "Cannot create the wake-up event for the named pipe: " + errnoText(errno) + ".";
    if (std::string error = parseAddress(address, &m_name); !error.empty())
        return error;
    std::string error;
    m_dir = userRuntimeDir(&error);
    if (m_dir.empty())
        return error;
    m_prefix = m_dir + "/namedpipe-" + m_name;
    m_budget.setLimit(receiveLimits().maxPendingBytes);
    if (std::string failed = m_ready.open("named pipe"); !failed.empty())
        return failed;
    error = role == Role::Receiver ? openReceiver() : openSender();
    if (!error.empty())
        close();
    return error;
}

std::string NamedPipeChannelPosix::openReceiver()
{
    const std::string lockPath = m_prefix + ".lock";
    // A receiver proves it is alive by holding flock() on the lock file. The inode check guards
    // against a receiver that unlinked the file on close while we were opening it.
    for (int attempt = 0; attempt < 5 && m_lockFd < 0; ++attempt) {
        int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return "Cannot open the lock file " + lockPath + ": " + errnoText(errno) + ".";
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            ::close(fd);
            if (e == EWOULDBLOCK)
                return "The named pipe '" + m_name
                       + "' is already in use by a running receiver: stop that receiver or choose another name.";
            return "Cannot lock " + lockPath + ": " + errnoText(e) + ".";
        }
        struct stat held {}, named {};
        if (fstat(fd, &held) == 0 && stat(lockPath.c_str(), &named) == 0 && held.st_dev == named.st_dev
            && held.st_ino == named.st_ino) {
            fchmod(fd, 0600);
            m_lockFd = fd;
        } else {
            ::close(fd);
        }
    }
    if (m_lockFd < 0)
        return "Cannot take the lock file " + lockPath + ": another receiver keeps replacing it. Try again.";

    // We hold the lock, so any .connect FIFO already there was left by a receiver that crashed.
    const std::string connectPath = m_prefix + ".connect";
    if (std::string error = makeFifo(connectPath); !error.empty())
        return error;
    m_createdConnect = true;
    m_connectFd = ::open(connectPath.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (m_connectFd >= 0)
        m_connectKeepFd = ::open(connectPath.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (m_connectFd < 0 || m_connectKeepFd < 0)
        return "Cannot open the FIFO " + connectPath + ": " + errnoText(errno) + ".";
    m_ready.add(m_connectFd);
    cleanStaleSenderPairs();
    return {};
}

// Pairs whose sender process no longer exists were left by a sender that crashed before the
// handshake finished; a live sender's pair is left alone (it removes its own).
void NamedPipeChannelPosix::cleanStaleSenderPairs()
{
    DIR *dir = opendir(m_dir.c_str());
    if (!dir)
        return;
    const std::string start = "namedpipe-" + m_name + ".";
    while (dirent *entry = readdir(dir)) {
        const std::string file = entry->d_name;
        if (file.compare(0, start.size(), start) != 0)
            continue;
        const std::string rest = file.substr(start.size());
        const bool up = rest.size() > 3 && rest.compare(rest.size() - 3, 3, ".up") == 0;
        const bool down = rest.size() > 5 && rest.compare(rest.size() - 5, 5, ".down") == 0;
        if (!up && !down)
            continue;
        const long pid = std::strtol(rest.c_str(), nullptr, 10);
        if (pid > 0 && kill(pid_t(pid), 0) != 0 && errno == ESRCH)
            ::unlink((m_dir + "/" + file).c_str());
    }
    closedir(dir);
}

std::string NamedPipeChannelPosix::openSender()
{
    const std::string token = std::to_string(getpid()) + "-" + std::to_string(senderCounter++);
    const std::string upPath = m_prefix + "." + token + ".up";
    const std::string downPath = m_prefix + "." + token + ".down";
    const std::string nobody = "Nobody is receiving on the named pipe '" + m_name + "': start a receiver first.";
    auto fail = [&](const std::string &sentence) {
        ::unlink(upPath.c_str());
        ::unlink(downPath.c_str());
        return sentence;
    };

    const std::string connectPath = m_prefix + ".connect";
    struct stat st {};
    if (stat(connectPath.c_str(), &st) != 0)
        return nobody;
    if (std::string error = makeFifo(upPath); !error.empty())
        return fail(error);
    if (std::string error = makeFifo(downPath); !error.empty())
        return fail(error);
    m_downFd = ::open(downPath.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (m_downFd < 0)
        return fail("Cannot open the FIFO " + downPath + ": " + errnoText(errno) + ".");

    // Non-blocking open for writing fails with ENXIO when no process has the FIFO open for
    // reading: a .connect left by a crashed receiver.
    int connectFd = ::open(connectPath.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (connectFd < 0) {
        if (errno == ENXIO || errno == ENOENT)
            return fail(nobody);
        if (errno == EACCES)
            return fail("Permission denied opening " + connectPath + ": the receiver runs as another user.");
        return fail("Cannot open " + connectPath + ": " + errnoText(errno) + ".");
    }
    if (!isOurFifo(connectFd)) {
        ::close(connectFd);
        return fail(connectPath + " is not a FIFO owned by you; refusing to use it.");
    }
    const std::string hello = "hello " + std::to_string(getpid()) + " " + token + "\n";
    std::string writeError;
    {
        // Shorter than PIPE_BUF, so the line lands in one piece even with other senders.
        SigpipeBlocker guard(m_blockSigpipe);
        for (;;) {
            const ssize_t n = ::write(connectFd, hello.data(), hello.size());
            if (n == ssize_t(hello.size()))
                break;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN) {
                pollfd fds[2] = {{connectFd, POLLOUT, 0}, {m_interruptFd, POLLIN, 0}};
                if (poll(fds, 2, m_handshakeTimeoutMs) > 0 && !(fds[1].revents & POLLIN))
                    continue;
                writeError = "The receiver on '" + m_name + "' is not accepting connections: it may be stuck.";
                break;
            }
            if (n < 0 && errno == EPIPE)
                guard.sawEpipe();
            writeError = nobody;
            break;
        }
    }
    if (!writeError.empty()) {
        ::close(connectFd);
        return fail(writeError);
    }

    // Wait for the welcome byte: the receiver has opened both FIFOs of our pair. Our end of
    // .connect stays open meanwhile: it reports POLLERR once no process has the FIFO open for
    // reading, that is once the receiver died, so a dead receiver is not mistaken for a stuck one.
    pollfd fds[3] = {{m_downFd, POLLIN, 0}, {m_interruptFd, POLLIN, 0}, {connectFd, 0, 0}};
    int ready;
    do
        ready = poll(fds, 3, m_handshakeTimeoutMs);
    while (ready < 0 && errno == EINTR);
    ::close(connectFd);
    if (ready > 0 && !(fds[0].revents & POLLIN) && (fds[2].revents & (POLLERR | POLLHUP)))
        return fail("The receiver on '" + m_name + "' stopped while we were connecting: start it again.");
    if (ready == 0)
        return fail("The receiver on '" + m_name + "' did not answer within "
                    + std::to_string(m_handshakeTimeoutMs / 1000.0).substr(0, 4)
                    + " s: it may be stuck. Restart it and try again.");
    if (fds[1].revents & POLLIN)
        return fail("Connecting to the named pipe '" + m_name + "' was cancelled.");
    char welcome = 0;
    const bool answered = ::read(m_downFd, &welcome, 1) == 1;
    if (answered && welcome == FullByte)
        return fail("The receiver on the named pipe '" + m_name
                    + "' already serves as many senders as it allows (--max-peers): try again when one has finished.");
    if (!answered || welcome != WelcomeByte)
        return fail("The receiver on '" + m_name + "' stopped while we were connecting: start it again.");
    m_upFd = ::open(upPath.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (m_upFd < 0)
        return fail("The receiver on '" + m_name + "' stopped while we were connecting: start it again.");
    // Both ends are open: the names have done their job, and removing them now means a crash
    // later leaves nothing behind.
    fail({});
    fcntl(m_upFd, F_SETPIPE_SZ, PipeBytes);
    m_ready.add(m_downFd);
    return {};
}

void NamedPipeChannelPosix::readConnectLines()
{
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(m_connectFd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        m_connectLine.append(buffer, std::size_t(n));
    }
    for (const std::string &line : takeConnectLines(m_connectLine)) {
        HelloLine hello;
        if (parseHelloLine(line, &hello))
            acceptHello(hello);
    }
}

// A sender said hello: open its FIFO pair and welcome it.
void NamedPipeChannelPosix::acceptHello(const namedpipe::HelloLine &hello)
{
    const std::string &pidText = hello.pid;
    const std::string &token = hello.token;
    auto peer = std::make_shared<Peer>();
    peer->pid = std::strtol(pidText.c_str(), nullptr, 10);
    const std::string upPath = m_prefix + "." + token + ".up";
    peer->upFd = ::open(upPath.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    peer->downFd = ::open((m_prefix + "." + token + ".down").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    // ENXIO on .down: the sender gave up (or died) before we got to it.
    if (peer->upFd < 0 || peer->downFd < 0 || !isOurFifo(peer->upFd) || !isOurFifo(peer->downFd))
        return;
    if (m_peers.size() >= std::size_t(std::max(receiveLimits().maxPeers, 0))) {
        const std::uint8_t full = FullByte;
        writeAll({peer->downFd, 0, peer->pid}, &full, 1);
        Event event;
        event.kind = Event::Kind::Refused;
        event.text = "Sender process " + pidText + " was turned away at its hello: this receiver already serves "
                     + ipcw::native::sendersText(m_peers.size()) + ", its limit (--max-peers).";
        m_events.push(std::move(event));
        return;
    }
    fcntl(peer->upFd, F_SETPIPE_SZ, PipeBytes);
    fcntl(peer->downFd, F_SETPIPE_SZ, ReplyPipeBytes);
    const std::uint8_t welcome = WelcomeByte;
    if (!writeAll({peer->downFd, 0, peer->pid}, &welcome, 1).empty())
        return;
    peer->id = m_nextPeerId++;
    peer->lastProgress = std::chrono::steady_clock::now();
    {
        std::lock_guard<std::mutex> lock(m_peersMutex);
        m_peers[peer->id] = peer;
    }
    m_ready.add(peer->upFd);
    Event event;
    event.kind = Event::Kind::PeerConnected;
    event.peer = peer->id;
    event.text = "process " + pidText; // its name; the session says "connected"
    m_events.push(std::move(event));
}

Event NamedPipeChannelPosix::dropPeer(const std::shared_ptr<Peer> &peer, Event::Kind kind, const std::string &why)
{
    Event event;
    event.kind = kind;
    event.peer = peer->id;
    event.text = "Sender " + std::to_string(peer->id) + " (process " + std::to_string(peer->pid) + ") " + why;
    if (peer->assembler.pendingBytes() > 0)
        event.text += " The " + std::to_string(peer->assembler.pendingBytes())
                      + " bytes of the frame it was in the middle of sending were discarded.";
    // Now, though a send on the writer thread may keep the descriptor open a moment longer.
    m_ready.remove(peer->upFd);
    std::lock_guard<std::mutex> lock(m_peersMutex);
    m_peers.erase(peer->id);
    return event;
}

void NamedPipeChannelPosix::expireStalledPeers()
{
    const int timeoutMs = receiveLimits().peerTimeoutMs;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Peer>> stalled;
    m_stalls.clear();
    for (const auto &entry : m_peers) {
        const Peer &peer = *entry.second;
        if (peer.assembler.pendingBytes() == 0)
            continue; // between frames a sender may stay idle as long as it likes
        if (now - peer.lastProgress >= std::chrono::milliseconds(timeoutMs))
            stalled.push_back(entry.second);
        else
            m_stalls.note(peer.lastProgress, timeoutMs);
    }
    for (const auto &peer : stalled) {
        const long long idleMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - peer->lastProgress).count();
        const std::string progress = peer->assembler.frameBytes() > 0
            ? std::to_string(peer->assembler.pendingBytes()) + " of the " + std::to_string(peer->assembler.frameBytes())
                  + " bytes of its frame had arrived"
            : std::to_string(peer->assembler.pendingBytes()) + " of the " + std::to_string(HeaderBytes)
                  + " bytes of a frame header had arrived";
        m_events.push(dropPeer(peer, Event::Kind::PeerRefused,
                               "stopped in the middle of a frame: " + progress + ", then nothing came for "
                                   + secondsText(idleMs) + " s (the limit is " + secondsText(timeoutMs)
                                   + " s, --peer-timeout); it was disconnected."));
    }
}

Event NamedPipeChannelPosix::receive(int timeoutMs)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        if (Event event; m_events.take(&event, m_frameStore))
            return event;
        if (m_role == Role::Receiver) {
            expireStalledPeers();
            if (!m_events.empty())
                continue;
        }
        // From an event loop that saw the descriptor readable, the FIFO that is most likely
        // ready is read at once: the poll() that would say so costs as much as the read.
        if (timeoutMs == 0 && readLikelyFifoFirst())
            continue;
        m_readFirstStreak = 0;
        std::vector<pollfd> fds;
        std::vector<std::shared_ptr<Peer>> polled;
        fds.push_back({m_interruptFd, POLLIN, 0});
        if (m_role == Role::Receiver) {
            if (m_connectFd >= 0)
                fds.push_back({m_connectFd, POLLIN, 0});
            for (const auto &entry : m_peers) {
                fds.push_back({entry.second->upFd, POLLIN, 0});
                polled.push_back(entry.second);
            }
        } else if (m_downFd >= 0) {
            fds.push_back({m_downFd, POLLIN, 0});
        }
        int wait = -1;
        if (timeoutMs >= 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            wait = int(std::max<long long>(0, left.count()));
        }
        // While a sender is in the middle of a frame, wake when its time runs out.
        const int ready = poll(fds.data(), nfds_t(fds.size()), m_role == Role::Receiver ? m_stalls.shorten(wait) : wait);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            Event event;
            event.kind = Event::Kind::Error;
            event.text = "Waiting on the named pipe failed: " + errnoText(errno) + ".";
            return event;
        }
        if (ready == 0) {
            if (timeoutMs >= 0 && std::chrono::steady_clock::now() >= deadline)
                return Event{};
            continue; // a sender's time ran out: expireStalledPeers() judges it
        }
        if (fds[0].revents & POLLIN) {
            // Left unread on purpose: interrupt() stays in force until close().
            Event event;
            event.kind = Event::Kind::Interrupted;
            return event;
        }

        if (m_role == Role::Sender) {
            if (fds.size() >= 2 && fds[1].revents)
                readFromReceiver();
            continue;
        }

        if (fds[1].revents & POLLIN)
            readConnectLines();
        for (std::size_t i = 0; i < polled.size(); ++i)
            if (fds[i + 2].revents)
                readFromPeer(polled[i]);
    }
}

bool NamedPipeChannelPosix::readLikelyFifoFirst()
{
    if (m_interrupted.load(std::memory_order_relaxed))
        return false;
    if (m_role == Role::Sender)
        return m_downFd >= 0 && readFromReceiver();
    if (m_readFirstStreak >= ReadFirstStreak)
        return false;
    const auto last = m_peers.find(m_lastPeer);
    if (last == m_peers.end())
        return false;
    const std::shared_ptr<Peer> peer = last->second; // a copy: a read that ends it erases the entry
    if (!readFromPeer(peer))
        return false;
    ++m_readFirstStreak;
    return true;
}

void NamedPipeChannelPosix::queueReadFrames(std::uint64_t peer)
{
    for (auto &frame : m_readFrames)
        m_events.pushFrame(peer, frame);
    m_readFrames.clear();
}

bool NamedPipeChannelPosix::readFromReceiver()
{
    std::string why;
    const long n = m_downAssembler.readFrom(m_downFd, ReadBudget, m_readFrames, &why, nullptr, m_frameStore);
    const int readErrno = errno;
    queueReadFrames(0);
    if (n == 0 || (n < 0 && readErrno != EAGAIN)) {
        Event event;
        event.kind = Event::Kind::PeerGone;
        event.text = n == 0 ? "The receiver on the named pipe '" + m_name
                                  + "' closed its end: it stopped or crashed. Start it again and reconnect."
                            : "The receiver on the named pipe '" + m_name + "' sent bytes that are not a frame ("
                                  + (why.empty() ? errnoText(readErrno) : why) + "); the connection was dropped.";
        m_ready.remove(m_downFd);
        closeFd(m_downFd);
        m_events.push(std::move(event));
    }
    return n >= 0 || readErrno != EAGAIN;
}

bool NamedPipeChannelPosix::readFromPeer(const std::shared_ptr<Peer> &peer)
{
    std::string why;
    const long n = peer->assembler.readFrom(peer->upFd, ReadBudget, m_readFrames, &why, &m_budget, m_frameStore);
    const int readErrno = errno;
    if (n > 0 || !m_readFrames.empty())
        peer->lastProgress = std::chrono::steady_clock::now();
    if (!m_readFrames.empty())
        m_lastPeer = peer->id;
    queueReadFrames(peer->id);
    if (n == 0)
        m_events.push(dropPeer(peer, Event::Kind::PeerGone,
                               "closed its end of the pipe: it finished, stopped or was killed."));
    else if (n < 0 && readErrno == EPROTO)
        m_events.push(dropPeer(peer, Event::Kind::PeerRefused,
                               "sent bytes that are not a frame (" + why
                                   + "); it was disconnected. Frames before it were kept."));
    else if (n < 0 && readErrno == ENOBUFS)
        m_events.push(dropPeer(peer, Event::Kind::PeerRefused,
                               why + "; it was disconnected. Frames before it were kept."));
    else if (n < 0 && readErrno != EAGAIN)
        m_events.push(dropPeer(peer, Event::Kind::PeerGone,
                               "could not be read (" + errnoText(readErrno) + "); it was disconnected."));
    return n >= 0 || readErrno != EAGAIN;
}

std::string NamedPipeChannelPosix::writeAll(const WriteTarget &target, const std::uint8_t *data, std::size_t size)
{
    const int fd = target.fd;
    SigpipeBlocker guard(m_blockSigpipe);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n > 0) {
            done += std::size_t(n);
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            // The FIFO is full: the reader is slower than us. Sleep until it drains (this is the
            // backpressure) or until interrupt().
            pollfd fds[2] = {{fd, POLLOUT, 0}, {m_interruptFd, POLLIN, 0}};
            if (poll(fds, 2, -1) < 0 && errno != EINTR)
                return "Waiting to write to the named pipe failed: " + errnoText(errno) + ".";
            if (fds[1].revents & POLLIN)
                return {};
            continue;
        }
        if (errno == EPIPE) {
            guard.sawEpipe();
            return readerGoneSentence(target);
        }
        return "Writing to the named pipe '" + m_name + "' failed: " + errnoText(errno) + ".";
    }
    return {};
}

bool NamedPipeChannelPosix::writeTarget(std::uint64_t peer, WriteTarget *target, std::string *error)
{
    target->peer = peer;
    if (m_role == Role::Sender) {
        if (m_upFd < 0) {
            *error = "The named pipe '" + m_name + "' is not connected: the receiver has gone. Reconnect.";
            return false;
        }
        target->fd = m_upFd;
        return true;
    }
    std::shared_ptr<Peer> reader;
    {
        std::lock_guard<std::mutex> lock(m_peersMutex);
        const auto it = m_peers.find(peer);
        if (it != m_peers.end())
            reader = it->second;
    }
    if (!reader) {
        *error = "Sender " + std::to_string(peer) + " is no longer connected to the named pipe '" + m_name
                 + "'; the reply to it was dropped.";
        return false;
    }
    target->fd = reader->downFd;
    target->pid = reader->pid;
    return true;
}

std::string NamedPipeChannelPosix::readerGoneSentence(const WriteTarget &target) const
{
    if (m_role == Role::Sender)
        return "The receiver on the named pipe '" + m_name
               + "' has gone (it stopped or crashed): the frame was not delivered. Start a receiver and send again.";
    return "Sender " + std::to_string(target.peer) + " (process " + std::to_string(target.pid)
           + ") has gone; the reply to it was dropped.";
}

std::string NamedPipeChannelPosix::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (std::string error = namedpipe::checkOutgoingFrame(data, size); !error.empty())
        return error;
    WriteTarget target;
    std::string error;
    if (!writeTarget(peer, &target, &error))
        return error;
    return writeAll(target, data, size);
}

bool NamedPipeChannelPosix::trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error)
{
    *error = namedpipe::checkOutgoingFrame(data, size);
    WriteTarget target;
    if (!error->empty() || !writeTarget(peer, &target, error))
        return true;
    const int fd = target.fd;
    // Up to PIPE_BUF bytes a non-blocking write is all or nothing. A longer one may be cut
    // short where the FIFO has too little room, and only send() may wait to finish it: it goes
    // here only into an empty FIFO that holds it whole (the usual case in a conversation, whose
    // reader has taken the last frame before the next is written).
    if (size > PIPE_BUF && !emptyWithRoomFor(fd, size))
        return false;
    SigpipeBlocker guard(m_blockSigpipe);
    for (;;) {
        const ssize_t n = ::write(fd, data, size);
        if (n == ssize_t(size))
            return true;
        if (n > 0) {
            // Not expected of an empty FIFO with room (a page the kernel could not allocate):
            // the frame is begun, so it is finished here, or the stream would be out of step.
            *error = writeAll(target, data + n, size - std::size_t(n));
            return true;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return false; // the FIFO is full: the writer thread waits for room
        if (errno == EPIPE) {
            guard.sawEpipe();
            *error = readerGoneSentence(target);
        } else {
            *error = "Writing to the named pipe '" + m_name + "' failed: " + errnoText(errno) + ".";
        }
        return true;
    }
}

void NamedPipeChannelPosix::interrupt()
{
    m_interrupted = true;
    const std::uint64_t one = 1;
    if (m_interruptFd >= 0)
        while (::write(m_interruptFd, &one, sizeof one) < 0 && errno == EINTR) {
        }
}

void NamedPipeChannelPosix::close()
{
    {
        std::lock_guard<std::mutex> lock(m_peersMutex);
        m_peers.clear();
    }
    m_events.clear();
    m_connectLine.clear();
    closeFd(m_connectFd);
    closeFd(m_connectKeepFd);
    closeFd(m_upFd);
    closeFd(m_downFd);
    m_ready.close();
    m_downAssembler = FrameAssembler();
    if (m_createdConnect) {
        ::unlink((m_prefix + ".connect").c_str());
        m_createdConnect = false;
    }
    if (m_lockFd >= 0) {
        // Unlinked while still locked: a receiver that opened the old file notices the inode
        // changed and tries again (see openReceiver).
        ::unlink((m_prefix + ".lock").c_str());
        closeFd(m_lockFd);
    }
    std::uint64_t drained = 0;
    if (m_interruptFd >= 0)
        while (::read(m_interruptFd, &drained, sizeof drained) > 0) {
        }
    m_interrupted = false;
    m_lastPeer = 0;
    m_readFirstStreak = 0;
}

} // namespace ipcw::native
