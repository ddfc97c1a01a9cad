// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchfloor.h"

#include "benchfloordbus.h"
#include "benchfloorxcb.h"
#include "benchfloorzeromq.h"

#if defined(__linux__)

#include "native/posixpaths.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

namespace ipcw::bench {

namespace {

enum Kind : std::uint32_t { Ping = 1, Pong = 2, Data = 3, Ack = 4, Stop = 5 };
constexpr std::size_t HeaderBytes = 8;
constexpr std::size_t AckBodyBytes = 16;
constexpr std::uint32_t MaxBodyBytes = 64u * 1024u * 1024u;

std::string sysError(const std::string &what)
{
    return what + ": " + std::strerror(errno) + ".";
}

void putHeader(std::uint8_t *at, std::uint32_t bodyBytes, std::uint32_t kind)
{
    std::memcpy(at, &bodyBytes, 4);
    std::memcpy(at + 4, &kind, 4);
}

double nowUs()
{
    using namespace std::chrono;
    return double(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()) / 1000.0;
}

std::string runtimePath(const std::string &address, const std::string &suffix, std::string *error)
{
    const std::string dir = ipcw::native::userRuntimeDir(error);
    return dir.empty() ? std::string() : dir + "/" + address + suffix;
}

// How a floor's reader waits. InCall: in the blocking read itself, the bare floor. InPoll: in
// poll() on a non-blocking descriptor, then the read, as a program's event loop waits (the
// "-poll" floors): the difference is what any event-loop program pays over the bare floor,
// before its own work.
enum class Wait { InCall, InPoll };

// Waits until `fd` polls for `events`; "" or a sentence.
std::string pollFor(int fd, short events, int timeoutMs = -1)
{
    pollfd p {fd, events, 0};
    for (;;) {
        const int n = ::poll(&p, 1, timeoutMs);
        if (n > 0)
            return {};
        if (n == 0)
            return "The floor peer sent nothing within " + std::to_string(timeoutMs / 1000) + " s.";
        if (errno != EINTR)
            return sysError("poll() failed");
    }
}

// ---- file-descriptor streams: FIFO pair, Unix socket, TCP ------------------------------------

class FdLink final : public FloorLink
{
public:
    FdLink(int readFd, int writeFd, Wait wait) : m_read(readFd), m_write(writeFd), m_wait(wait)
    {
        if (wait == Wait::InPoll)
            ::fcntl(m_read, F_SETFL, ::fcntl(m_read, F_GETFL) | O_NONBLOCK);
    }
    ~FdLink() override
    {
        ::close(m_read);
        if (m_write != m_read)
            ::close(m_write);
    }
    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        while (size > 0) {
            const ssize_t n = ::write(m_write, data, size);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                // A socket's one descriptor is non-blocking for its reads' sake.
                if (errno == EAGAIN) {
                    if (std::string error = pollFor(m_write, POLLOUT); !error.empty())
                        return error;
                    continue;
                }
                return sysError("The floor peer stopped reading");
            }
            data += n;
            size -= std::size_t(n);
        }
        return {};
    }
    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        while (size > 0) {
            if (m_offset < m_filled) {
                const std::size_t n = std::min(size, m_filled - m_offset);
                std::memcpy(data, m_buffer.data() + m_offset, n);
                m_offset += n;
                data += n;
                size -= n;
                continue;
            }
            // Small reads go through a buffer, so that a small message's header and body cost one
            // read(); large ones go straight to the caller, as a program reads a large frame
            // straight into its buffer. Polled, poll() comes only when the last read said the
            // descriptor was empty.
            const bool buffered = size < SmallReadBytes;
            if (m_wait == Wait::InPoll && !m_maybeMore)
                if (std::string error = pollFor(m_read, POLLIN); !error.empty())
                    return error;
            std::uint8_t *into = buffered ? m_buffer.data() : data;
            const std::size_t capacity = buffered ? m_buffer.size() : size;
            const ssize_t n = ::read(m_read, into, capacity);
            if (n == 0)
                return "The floor peer closed the stream.";
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN) {
                    m_maybeMore = false;
                    continue;
                }
                return sysError("Reading from the floor peer failed");
            }
            m_maybeMore = std::size_t(n) == capacity;
            if (buffered) {
                m_offset = 0;
                m_filled = std::size_t(n);
            } else {
                data += n;
                size -= std::size_t(n);
            }
        }
        return {};
    }

private:
    static constexpr std::size_t SmallReadBytes = 4096;
    int m_read;
    int m_write;
    Wait m_wait;
    std::vector<std::uint8_t> m_buffer = std::vector<std::uint8_t>(SmallReadBytes);
    std::size_t m_offset = 0;
    std::size_t m_filled = 0;
    bool m_maybeMore = false; // polled: the last read filled what it asked for, so read before polling
};

class PipeServer final : public FloorServer
{
public:
    explicit PipeServer(Wait wait) : m_wait(wait) {}
    ~PipeServer() override
    {
        if (!m_prefix.empty()) {
            ::unlink((m_prefix + ".c2s").c_str());
            ::unlink((m_prefix + ".s2c").c_str());
        }
    }
    std::string listen(const std::string &address, std::string *announce) override
    {
        std::string error;
        m_prefix = runtimePath(address, "", &error);
        if (m_prefix.empty())
            return error;
        for (const char *suffix : {".c2s", ".s2c"})
            if (::mkfifo((m_prefix + suffix).c_str(), 0600) != 0)
                return sysError("Cannot create the FIFO " + m_prefix + suffix);
        *announce = m_prefix;
        return {};
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *error) override
    {
        // Same order as the client: each open() waits for the other end of that FIFO.
        const int in = ::open((m_prefix + ".c2s").c_str(), O_RDONLY | O_CLOEXEC);
        const int out = in < 0 ? -1 : ::open((m_prefix + ".s2c").c_str(), O_WRONLY | O_CLOEXEC);
        if (in < 0 || out < 0) {
            *error = sysError("Cannot open the floor FIFOs");
            return nullptr;
        }
        return std::make_unique<FdLink>(in, out, m_wait);
    }

private:
    Wait m_wait;
    std::string m_prefix;
};

std::unique_ptr<FloorLink> connectPipe(const std::string &prefix, Wait wait, std::string *error)
{
    const int out = ::open((prefix + ".c2s").c_str(), O_WRONLY | O_CLOEXEC);
    const int in = out < 0 ? -1 : ::open((prefix + ".s2c").c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0 || out < 0) {
        *error = sysError("Cannot open the floor FIFOs " + prefix);
        return nullptr;
    }
    return std::make_unique<FdLink>(in, out, wait);
}

// Binds `fd` (a TCP or UDP socket) to a free loopback port and says "127.0.0.1:<port>".
bool bindLoopback(int fd, std::string *announce)
{
    sockaddr_in in {};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof in;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&in), sizeof in) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr *>(&in), &length) != 0)
        return false;
    *announce = "127.0.0.1:" + std::to_string(ntohs(in.sin_port));
    return true;
}

class SocketServer final : public FloorServer
{
public:
    SocketServer(bool tcp, Wait wait) : m_tcp(tcp), m_wait(wait) {}
    ~SocketServer() override
    {
        if (m_fd >= 0)
            ::close(m_fd);
        if (!m_path.empty())
            ::unlink(m_path.c_str());
    }
    std::string listen(const std::string &address, std::string *announce) override
    {
        if (m_tcp) {
            m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (!bindLoopback(m_fd, announce))
                return sysError("Cannot bind a loopback TCP socket");
        } else {
            std::string error;
            m_path = runtimePath(address, ".sock", &error);
            if (m_path.empty())
                return error;
            sockaddr_un un {};
            un.sun_family = AF_UNIX;
            if (m_path.size() >= sizeof un.sun_path)
                return "The socket path " + m_path + " is too long.";
            std::strcpy(un.sun_path, m_path.c_str());
            m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&un), sizeof un) != 0)
                return sysError("Cannot bind the Unix socket " + m_path);
            *announce = m_path;
        }
        if (::listen(m_fd, 1) != 0)
            return sysError("Cannot listen");
        return {};
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *error) override
    {
        const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            *error = sysError("accept() failed");
            return nullptr;
        }
        if (m_tcp) {
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        return std::make_unique<FdLink>(fd, fd, m_wait);
    }

private:
    bool m_tcp;
    Wait m_wait;
    int m_fd = -1;
    std::string m_path;
};

std::unique_ptr<FloorLink> connectSocket(bool tcp, const std::string &announced, Wait wait, std::string *error)
{
    int fd = -1;
    if (tcp) {
        const std::size_t colon = announced.rfind(':');
        sockaddr_in in {};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in.sin_port = htons(std::uint16_t(std::stoi(announced.substr(colon + 1))));
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&in), sizeof in) != 0) {
            *error = sysError("Cannot connect to the floor peer at " + announced);
            if (fd >= 0)
                ::close(fd);
            return nullptr;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    } else {
        sockaddr_un un {};
        un.sun_family = AF_UNIX;
        std::strncpy(un.sun_path, announced.c_str(), sizeof un.sun_path - 1);
        fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&un), sizeof un) != 0) {
            *error = sysError("Cannot connect to the floor peer at " + announced);
            if (fd >= 0)
                ::close(fd);
            return nullptr;
        }
    }
    return std::make_unique<FdLink>(fd, fd, wait);
}

// ---- POSIX message queues: one queue per direction, frames cut to the queue's message size ---

long readLimit(const char *path, long fallback)
{
    std::ifstream in(path);
    long value = 0;
    return (in >> value) && value > 0 ? value : fallback;
}

// A byte stream over a message mechanism: writes cut into messages of at most `messageBytes`,
// reads taken from whole messages. Shared by the message queue and the udp floors.
class DatagramLink : public FloorLink
{
public:
    DatagramLink(std::size_t messageBytes, int depth) : m_messageBytes(messageBytes), m_depth(depth), m_buffer(messageBytes) {}
    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        while (size > 0) {
            const std::size_t n = std::min(size, m_messageBytes);
            if (std::string error = sendOne(data, n); !error.empty())
                return error;
            data += n;
            size -= n;
        }
        return {};
    }
    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        while (size > 0) {
            if (m_offset == m_filled) {
                if (std::string error = receiveOne(m_buffer.data(), m_buffer.size(), &m_filled); !error.empty())
                    return error;
                m_offset = 0;
            }
            const std::size_t n = std::min(size, m_filled - m_offset);
            std::memcpy(data, m_buffer.data() + m_offset, n);
            m_offset += n;
            data += n;
            size -= n;
        }
        return {};
    }
    int maxWindow() const override { return m_depth; }

protected:
    // One whole message out; "" or a sentence.
    virtual std::string sendOne(const std::uint8_t *data, std::size_t size) = 0;
    // One whole message in (waiting at most 30 s, so a client whose peer died does not hang
    // forever); "" or a sentence.
    virtual std::string receiveOne(std::uint8_t *data, std::size_t capacity, std::size_t *received) = 0;

private:
    std::size_t m_messageBytes;
    int m_depth;
    std::vector<std::uint8_t> m_buffer;
    std::size_t m_offset = 0;
    std::size_t m_filled = 0;
};

class MqLink final : public DatagramLink
{
public:
    MqLink(mqd_t in, mqd_t out, long messageBytes, long depth, Wait wait)
        : DatagramLink(std::size_t(messageBytes), int(depth)), m_in(in), m_out(out), m_wait(wait)
    {
        if (wait == Wait::InPoll) {
            mq_attr nonBlocking {};
            nonBlocking.mq_flags = O_NONBLOCK;
            ::mq_setattr(m_in, &nonBlocking, nullptr);
        }
    }
    ~MqLink() override
    {
        ::mq_close(m_in);
        ::mq_close(m_out);
    }

protected:
    std::string sendOne(const std::uint8_t *data, std::size_t size) override
    {
        while (::mq_send(m_out, reinterpret_cast<const char *>(data), size, 0) != 0)
            if (errno != EINTR)
                return sysError("mq_send() failed");
        return {};
    }
    std::string receiveOne(std::uint8_t *data, std::size_t capacity, std::size_t *received) override
    {
        for (;;) {
            ssize_t n = -1;
            if (m_wait == Wait::InPoll) {
                // On Linux a queue's descriptor polls like a file's. A whole message of the
                // largest size is likely one of several a writer cut a frame into: the next is
                // asked for before polling, as an event loop drains a burst.
                if (!m_maybeMore)
                    if (std::string error = pollFor(m_in, POLLIN, 30000); !error.empty())
                        return error;
                n = ::mq_receive(m_in, reinterpret_cast<char *>(data), capacity, nullptr);
                m_maybeMore = n > 0 && std::size_t(n) == capacity;
            } else {
                timespec deadline {};
                ::clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_sec += 30;
                n = ::mq_timedreceive(m_in, reinterpret_cast<char *>(data), capacity, nullptr, &deadline);
            }
            if (n >= 0) {
                *received = std::size_t(n);
                return {};
            }
            if (errno != EINTR && errno != EAGAIN)
                return sysError("mq_receive() failed");
        }
    }

private:
    mqd_t m_in;
    mqd_t m_out;
    Wait m_wait;
    bool m_maybeMore = false;
};

class MqServer final : public FloorServer
{
public:
    explicit MqServer(Wait wait) : m_wait(wait) {}
    ~MqServer() override
    {
        if (!m_name.empty()) {
            ::mq_unlink((m_name + "-c2s").c_str());
            ::mq_unlink((m_name + "-s2c").c_str());
        }
    }
    std::string listen(const std::string &address, std::string *announce) override
    {
        m_name = ipcw::native::userScopedObjectName(address);
        mq_attr attr {};
        attr.mq_maxmsg = readLimit("/proc/sys/fs/mqueue/msg_max", 10);
        attr.mq_msgsize = readLimit("/proc/sys/fs/mqueue/msgsize_max", 8192);
        // The largest queues the system allows; when the user's queue byte budget
        // (RLIMIT_MSGQUEUE, shared with every other queue of this user) is short, fewer messages.
        for (;;) {
            m_in = ::mq_open((m_name + "-c2s").c_str(), O_RDONLY | O_CREAT | O_EXCL, 0600, &attr);
            m_out = m_in == mqd_t(-1) ? mqd_t(-1) : ::mq_open((m_name + "-s2c").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600, &attr);
            if (m_out != mqd_t(-1))
                break;
            const int error = errno;
            if (m_in != mqd_t(-1)) {
                ::mq_close(m_in);
                ::mq_unlink((m_name + "-c2s").c_str());
            }
            errno = error;
            if (error != EMFILE || attr.mq_maxmsg <= 2)
                return sysError("Cannot create the message queues " + m_name);
            attr.mq_maxmsg /= 2;
        }
        m_attr = attr;
        *announce = address;
        return {};
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *) override
    {
        return std::make_unique<MqLink>(m_in, m_out, m_attr.mq_msgsize, m_attr.mq_maxmsg, m_wait);
    }

private:
    Wait m_wait;
    std::string m_name;
    mqd_t m_in = mqd_t(-1);
    mqd_t m_out = mqd_t(-1);
    mq_attr m_attr {};
};

std::unique_ptr<FloorLink> connectMq(const std::string &address, Wait wait, std::string *error)
{
    const std::string name = ipcw::native::userScopedObjectName(address);
    const mqd_t out = ::mq_open((name + "-c2s").c_str(), O_WRONLY);
    const mqd_t in = ::mq_open((name + "-s2c").c_str(), O_RDONLY);
    mq_attr attr {};
    if (out == mqd_t(-1) || in == mqd_t(-1) || ::mq_getattr(out, &attr) != 0) {
        *error = sysError("Cannot open the floor message queues " + name);
        return nullptr;
    }
    ::mq_unlink((name + "-c2s").c_str());
    ::mq_unlink((name + "-s2c").c_str());
    return std::make_unique<MqLink>(in, out, attr.mq_msgsize, attr.mq_maxmsg, wait);
}

// ---- shared memory: two single-producer byte rings with futex wake-ups ---------------------

struct Event
{
    std::atomic<std::uint32_t> sequence{0};
    std::atomic<std::uint32_t> waiters{0};
};

struct alignas(64) Ring
{
    alignas(64) std::atomic<std::uint64_t> head{0}; // bytes ever written
    alignas(64) std::atomic<std::uint64_t> tail{0}; // bytes ever read
    alignas(64) Event data;                         // the reader waits here
    alignas(64) Event space;                        // the writer waits here
    std::uint64_t capacity = 0;
    std::uint64_t offset = 0; // of the ring's bytes from the segment start
};

constexpr std::uint32_t SegmentMagic = 0x31524c46; // "FLR1"
constexpr std::uint64_t ClientToPeerBytes = 4u << 20;
constexpr std::uint64_t PeerToClientBytes = 2u << 20;

struct Segment
{
    std::uint32_t magic = SegmentMagic;
    std::atomic<long> peerPid{0};
    std::atomic<long> clientPid{0};
    Ring toPeer;
    Ring toClient;
};

constexpr std::size_t SegmentBytes = ((sizeof(Segment) + 4095) & ~std::size_t(4095)) + ClientToPeerBytes + PeerToClientBytes;

void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

bool alive(long pid)
{
    return pid <= 0 || ::kill(pid_t(pid), 0) == 0 || errno != ESRCH;
}

void signalEvent(Event &event)
{
    event.sequence.fetch_add(1);
    if (event.waiters.load() != 0)
        ::syscall(SYS_futex, &event.sequence, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// Waits until ready() holds; false when the other process died meanwhile.
template<typename Ready>
bool waitFor(Event &event, Ready ready, WaitStrategy strategy, const std::atomic<long> &otherPid)
{
    if (ready())
        return true;
    if (strategy != WaitStrategy::Block) {
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t i = 1;; ++i) {
            if (ready())
                return true;
            cpuRelax();
            if ((i & 1023) != 0)
                continue;
            if (strategy == WaitStrategy::Spin) {
                sched_yield();
                if ((i & 0xfffff) == 0 && !alive(otherPid.load()))
                    return false;
            } else if (std::chrono::steady_clock::now() - start > std::chrono::microseconds(50)) {
                break;
            }
        }
    }
    for (;;) {
        const std::uint32_t seen = event.sequence.load();
        event.waiters.fetch_add(1);
        if (ready()) {
            event.waiters.fetch_sub(1);
            return true;
        }
        const timespec oneSecond {1, 0};
        ::syscall(SYS_futex, &event.sequence, FUTEX_WAIT, seen, &oneSecond, nullptr, 0);
        event.waiters.fetch_sub(1);
        if (ready())
            return true;
        if (!alive(otherPid.load()))
            return false;
    }
}

class ShmLink final : public FloorLink
{
public:
    ShmLink(Segment *segment, bool isPeer, WaitStrategy strategy)
        : m_segment(segment),
          m_out(isPeer ? segment->toClient : segment->toPeer),
          m_in(isPeer ? segment->toPeer : segment->toClient),
          m_other(isPeer ? segment->clientPid : segment->peerPid),
          m_strategy(strategy)
    {
    }
    ~ShmLink() override { ::munmap(m_segment, SegmentBytes); }

    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        auto *base = reinterpret_cast<std::uint8_t *>(m_segment) + m_out.offset;
        const std::uint64_t capacity = m_out.capacity;
        while (size > 0) {
            const std::uint64_t head = m_out.head.load(std::memory_order_relaxed);
            std::uint64_t free = capacity - (head - m_out.tail.load());
            if (free == 0) {
                if (!waitFor(m_out.space, [&] { return m_out.tail.load() != head - capacity; }, m_strategy, m_other))
                    return "The floor peer died.";
                continue;
            }
            const std::size_t n = std::size_t(std::min<std::uint64_t>(free, size));
            const std::size_t at = std::size_t(head % capacity);
            const std::size_t first = std::min<std::size_t>(n, std::size_t(capacity) - at);
            std::memcpy(base + at, data, first);
            std::memcpy(base, data + first, n - first);
            m_out.head.store(head + n);
            signalEvent(m_out.data);
            data += n;
            size -= n;
        }
        return {};
    }
    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        const auto *base = reinterpret_cast<const std::uint8_t *>(m_segment) + m_in.offset;
        const std::uint64_t capacity = m_in.capacity;
        while (size > 0) {
            const std::uint64_t tail = m_in.tail.load(std::memory_order_relaxed);
            const std::uint64_t available = m_in.head.load() - tail;
            if (available == 0) {
                if (!waitFor(m_in.data, [&] { return m_in.head.load() != tail; }, m_strategy, m_other))
                    return "The floor peer died.";
                continue;
            }
            const std::size_t n = std::size_t(std::min<std::uint64_t>(available, size));
            const std::size_t at = std::size_t(tail % capacity);
            const std::size_t first = std::min<std::size_t>(n, std::size_t(capacity) - at);
            std::memcpy(data, base + at, first);
            std::memcpy(data + first, base, n - first);
            m_in.tail.store(tail + n);
            signalEvent(m_in.space);
            data += n;
            size -= n;
        }
        return {};
    }

private:
    Segment *m_segment;
    Ring &m_out;
    Ring &m_in;
    const std::atomic<long> &m_other;
    WaitStrategy m_strategy;
};

Segment *mapSegment(int fd)
{
    void *memory = ::mmap(nullptr, SegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return memory == MAP_FAILED ? nullptr : static_cast<Segment *>(memory);
}

class ShmServer final : public FloorServer
{
public:
    explicit ShmServer(WaitStrategy strategy) : m_strategy(strategy) {}
    ~ShmServer() override
    {
        if (!m_name.empty())
            ::shm_unlink(m_name.c_str());
    }
    std::string listen(const std::string &address, std::string *announce) override
    {
        m_name = ipcw::native::userScopedObjectName(address);
        const int fd = ::shm_open(m_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            return sysError("Cannot create the shared memory " + m_name);
        if (::ftruncate(fd, off_t(SegmentBytes)) != 0) {
            ::close(fd);
            return sysError("Cannot size the shared memory " + m_name);
        }
        m_segment = mapSegment(fd);
        ::close(fd);
        if (!m_segment)
            return sysError("Cannot map the shared memory " + m_name);
        auto *segment = new (m_segment) Segment;
        const std::uint64_t first = (sizeof(Segment) + 4095) & ~std::uint64_t(4095);
        segment->toPeer.capacity = ClientToPeerBytes;
        segment->toPeer.offset = first;
        segment->toClient.capacity = PeerToClientBytes;
        segment->toClient.offset = first + ClientToPeerBytes;
        segment->peerPid.store(long(::getpid()));
        *announce = address;
        return {};
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *) override
    {
        Segment *segment = m_segment;
        m_segment = nullptr;
        return std::make_unique<ShmLink>(segment, true, m_strategy);
    }

private:
    WaitStrategy m_strategy;
    std::string m_name;
    Segment *m_segment = nullptr;
};

std::unique_ptr<FloorLink> connectShm(const std::string &address, WaitStrategy strategy, long peerPid, std::string *error)
{
    const std::string name = ipcw::native::userScopedObjectName(address);
    const int fd = ::shm_open(name.c_str(), O_RDWR, 0600);
    Segment *segment = fd < 0 ? nullptr : mapSegment(fd);
    if (fd >= 0)
        ::close(fd);
    if (!segment || segment->magic != SegmentMagic) {
        *error = sysError("Cannot open the floor shared memory " + name);
        return nullptr;
    }
    ::shm_unlink(name.c_str());
    segment->clientPid.store(long(::getpid()));
    if (peerPid > 0 && segment->peerPid.load() != peerPid) {
        *error = "The floor shared memory " + name + " belongs to another process.";
        ::munmap(segment, SegmentBytes);
        return nullptr;
    }
    return std::make_unique<ShmLink>(segment, false, strategy);
}

// The floors measured both ways: "pipe", "unix", "tcp" and "mq" wait in their blocking call,
// "pipe-poll", "unix-poll", "tcp-poll" and "mq-poll" in poll() first. Sets the mechanism's id
// and how its reader waits.
bool parseWaited(const std::string &id, std::string *mechanism, Wait *wait)
{
    static const std::string Polled = "-poll";
    const bool polled = id.size() > Polled.size() && id.compare(id.size() - Polled.size(), Polled.size(), Polled) == 0;
    *mechanism = polled ? id.substr(0, id.size() - Polled.size()) : id;
    *wait = polled ? Wait::InPoll : Wait::InCall;
    return *mechanism == "pipe" || *mechanism == "unix" || *mechanism == "tcp" || *mechanism == "mq";
}

bool parseShm(const std::string &id, WaitStrategy *strategy)
{
    if (id == "shm-block")
        *strategy = WaitStrategy::Block;
    else if (id == "shm-spinblock")
        *strategy = WaitStrategy::SpinThenBlock;
    else if (id == "shm-spin")
        *strategy = WaitStrategy::Spin;
    else
        return false;
    return true;
}

// ---- UDP on loopback: a connected socket each way, datagrams of the udp transport's size ----

// The udp transport's default datagram (plugins/udp/udpaddress.h), so both cut frames alike.
constexpr std::size_t UdpDatagramBytes = 16384;

class UdpLink final : public DatagramLink
{
public:
    // UDP has no flow control: a datagram the receive buffer (4 MiB asked, 8 MiB granted with
    // the kernel's bookkeeping) cannot hold is lost, and the floor's stream with it. At most 4
    // messages unacknowledged keep even 1 MiB ones within it.
    explicit UdpLink(int fd) : DatagramLink(UdpDatagramBytes, 4), m_fd(fd) {}
    ~UdpLink() override { ::close(m_fd); }

protected:
    std::string sendOne(const std::uint8_t *data, std::size_t size) override
    {
        while (::send(m_fd, data, size, 0) < 0)
            if (errno != EINTR)
                return sysError("send() of a udp datagram failed");
        return {};
    }
    std::string receiveOne(std::uint8_t *data, std::size_t capacity, std::size_t *received) override
    {
        for (;;) {
            const ssize_t n = ::recv(m_fd, data, capacity, 0);
            if (n >= 0) {
                *received = std::size_t(n);
                return {};
            }
            if (errno != EINTR)
                return sysError(errno == EAGAIN ? "No udp datagram came for 30 s (one was lost?)" : "recv() of a udp datagram failed");
        }
    }

private:
    int m_fd;
};

// A loopback udp socket with a 4 MiB receive buffer (as the transport asks) and a 30 s read limit.
int udpSocket()
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int buffer = 4 * 1024 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    timeval limit {};
    limit.tv_sec = 30;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    return fd;
}

class UdpServer final : public FloorServer
{
public:
    ~UdpServer() override
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    std::string listen(const std::string &, std::string *announce) override
    {
        m_fd = udpSocket();
        if (!bindLoopback(m_fd, announce))
            return sysError("Cannot bind a loopback udp socket");
        return {};
    }
    // The client is whoever sends the first datagram: peeked, so it is still read as data.
    std::unique_ptr<FloorLink> acceptClient(std::string *error) override
    {
        sockaddr_in from {};
        socklen_t length = sizeof from;
        std::uint8_t byte = 0;
        if (::recvfrom(m_fd, &byte, 1, MSG_PEEK | MSG_TRUNC, reinterpret_cast<sockaddr *>(&from), &length) < 0
            || ::connect(m_fd, reinterpret_cast<sockaddr *>(&from), length) != 0) {
            *error = sysError("No udp client came");
            return nullptr;
        }
        const int fd = m_fd;
        m_fd = -1;
        return std::make_unique<UdpLink>(fd);
    }

private:
    int m_fd = -1;
};

std::unique_ptr<FloorLink> connectUdp(const std::string &announced, std::string *error)
{
    sockaddr_in in {};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in.sin_port = htons(std::uint16_t(std::stoi(announced.substr(announced.rfind(':') + 1))));
    const int fd = udpSocket();
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&in), sizeof in) != 0) {
        *error = sysError("Cannot reach the udp floor peer at " + announced);
        if (fd >= 0)
            ::close(fd);
        return nullptr;
    }
    return std::make_unique<UdpLink>(fd);
}

} // namespace

std::vector<std::string> floorIds()
{
    return {"pipe", "unix", "tcp", "udp", "mq", "shm-block", "shm-spinblock", "shm-spin", "dbus", "xcb", "zeromq",
            "pipe-poll", "unix-poll", "tcp-poll", "mq-poll"};
}

std::string floorDescription(const std::string &id)
{
    if (id == "zeromq")
        return "libzmq DEALER/ROUTER over ipc://";
    std::string mechanism;
    Wait wait {};
    if (parseWaited(id, &mechanism, &wait) && wait == Wait::InPoll)
        return floorDescription(mechanism) + ", each read after poll()";
    if (id == "pipe")
        return "FIFO pair, read/write";
    if (id == "unix")
        return "Unix stream socket";
    if (id == "tcp")
        return "TCP loopback, TCP_NODELAY";
    if (id == "udp")
        return "UDP loopback, 16 KiB datagrams";
    if (id == "mq")
        return "POSIX message queues";
    if (id == "shm-block")
        return "shm ring + futex, block";
    if (id == "shm-spinblock")
        return "shm ring + futex, spin 50 us then block";
    if (id == "shm-spin")
        return "shm ring, spin";
    if (id == "dbus")
        return "libdbus-1 method calls via the bus";
    if (id == "xcb")
        return "X selection handovers, xcb";
    return id;
}

std::unique_ptr<FloorServer> createFloorServer(const std::string &id, std::string *error)
{
    if (id == "zeromq") {
        if (std::unique_ptr<FloorServer> server = createZeroMqFloorServer())
            return server;
        *error = "The zeromq floor is built on Linux with libzmq only.";
        return nullptr;
    }
    std::string mechanism;
    Wait wait {};
    if (parseWaited(id, &mechanism, &wait)) {
        if (mechanism == "pipe")
            return std::make_unique<PipeServer>(wait);
        if (mechanism == "mq")
            return std::make_unique<MqServer>(wait);
        return std::make_unique<SocketServer>(mechanism == "tcp", wait);
    }
    WaitStrategy strategy {};
    if (id == "udp")
        return std::make_unique<UdpServer>();
    if (parseShm(id, &strategy))
        return std::make_unique<ShmServer>(strategy);
    if (id == "dbus") {
        if (std::unique_ptr<FloorServer> server = createDBusFloorServer())
            return server;
        *error = "The dbus floor is built on Linux only.";
        return nullptr;
    }
    if (id == "xcb") {
        if (std::unique_ptr<FloorServer> server = createXcbFloorServer())
            return server;
        *error = "The clipboard floor is built for X11 on Linux only.";
        return nullptr;
    }
    *error = "Unknown floor \"" + id + "\".";
    return nullptr;
}

std::unique_ptr<FloorLink> connectFloor(const std::string &id, const std::string &announced, long peerPid, std::string *error)
{
    if (id == "zeromq")
        return connectZeroMqFloor(announced, error);
    std::string mechanism;
    Wait wait {};
    if (parseWaited(id, &mechanism, &wait)) {
        if (mechanism == "pipe")
            return connectPipe(announced, wait, error);
        if (mechanism == "mq")
            return connectMq(announced, wait, error);
        return connectSocket(mechanism == "tcp", announced, wait, error);
    }
    WaitStrategy strategy {};
    if (id == "udp")
        return connectUdp(announced, error);
    if (parseShm(id, &strategy))
        return connectShm(announced, strategy, peerPid, error);
    if (id == "dbus")
        return connectDBusFloor(announced, error);
    if (id == "xcb")
        return connectXcbFloor(announced, error);
    *error = "Unknown floor \"" + id + "\".";
    return nullptr;
}

int runFloorPeer(const std::string &id, const std::string &address)
{
    ::signal(SIGPIPE, SIG_IGN);
    std::string error;
    std::unique_ptr<FloorServer> server = createFloorServer(id, &error);
    std::string announce;
    if (server)
        error = server->listen(address, &announce);
    if (!error.empty()) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    std::printf("ready %s\n", announce.c_str());
    std::fflush(stdout);
    std::unique_ptr<FloorLink> link = server->acceptClient(&error);
    if (!link) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    std::vector<std::uint8_t> message(HeaderBytes);
    std::uint8_t ack[HeaderBytes + AckBodyBytes] = {};
    std::uint64_t received = 0;
    for (;;) {
        if (!link->readExact(message.data(), HeaderBytes).empty())
            return 0; // the client went away: nothing left to serve
        std::uint32_t bodyBytes = 0, kind = 0;
        std::memcpy(&bodyBytes, message.data(), 4);
        std::memcpy(&kind, message.data() + 4, 4);
        if (bodyBytes > MaxBodyBytes) {
            std::fprintf(stderr, "A floor message claims %u bytes; giving up.\n", bodyBytes);
            return 1;
        }
        message.resize(HeaderBytes + bodyBytes);
        if (!link->readExact(message.data() + HeaderBytes, bodyBytes).empty())
            return 0;
        if (kind == Ping) {
            putHeader(message.data(), bodyBytes, Pong);
            error = link->writeAll(message.data(), message.size());
        } else {
            ++received;
            putHeader(ack, AckBodyBytes, Ack);
            std::memcpy(ack + HeaderBytes, &received, 8);
            error = link->writeAll(ack, sizeof ack);
            if (kind == Stop)
                return 0;
        }
        if (!error.empty())
            return 0;
    }
}

LatencyRun floorPingPong(FloorLink &link, std::size_t bodyBytes, int warmUp, int roundTrips)
{
    LatencyRun run;
    std::vector<std::uint8_t> ping(HeaderBytes + bodyBytes);
    for (std::size_t i = HeaderBytes; i < ping.size(); ++i)
        ping[i] = std::uint8_t(i * 131);
    putHeader(ping.data(), std::uint32_t(bodyBytes), Ping);
    std::vector<std::uint8_t> pong(ping.size());
    run.roundTripsUs.reserve(std::size_t(roundTrips));
    for (int i = 0; i < warmUp + roundTrips; ++i) {
        const double start = nowUs();
        run.error = link.writeAll(ping.data(), ping.size());
        if (run.error.empty())
            run.error = link.readExact(pong.data(), pong.size());
        if (!run.error.empty())
            return run;
        if (i >= warmUp)
            run.roundTripsUs.push_back(nowUs() - start);
    }
    return run;
}

ThroughputRun floorStream(FloorLink &link, std::size_t bodyBytes, std::uint64_t messages, int window)
{
    ThroughputRun run;
    window = std::max(1, std::min(window, link.maxWindow()));
    std::vector<std::uint8_t> data(HeaderBytes + bodyBytes);
    for (std::size_t i = HeaderBytes; i < data.size(); ++i)
        data[i] = std::uint8_t(i * 7);
    putHeader(data.data(), std::uint32_t(bodyBytes), Data);
    std::uint8_t ack[HeaderBytes + AckBodyBytes];
    std::uint64_t sent = 0, acked = 0;
    const double start = nowUs();
    while (acked < messages) {
        while (sent < messages && sent - acked < std::uint64_t(window)) {
            if (!(run.error = link.writeAll(data.data(), data.size())).empty())
                return run;
            ++sent;
        }
        if (!(run.error = link.readExact(ack, sizeof ack)).empty())
            return run;
        ++acked;
    }
    run.seconds = (nowUs() - start) / 1e6;
    run.messages = messages;
    run.bytes = messages * bodyBytes;
    return run;
}

std::string floorStop(FloorLink &link)
{
    std::uint8_t stop[HeaderBytes];
    putHeader(stop, 0, Stop);
    std::uint8_t ack[HeaderBytes + AckBodyBytes];
    std::string error = link.writeAll(stop, sizeof stop);
    return error.empty() ? link.readExact(ack, sizeof ack) : error;
}

} // namespace ipcw::bench

#else // !__linux__

namespace ipcw::bench {

namespace {
const char *const Unsupported = "The bare-mechanism floors are written for Linux (futex, POSIX queues); this platform has none.";
}

std::vector<std::string> floorIds() { return {}; }
std::string floorDescription(const std::string &id) { return id; }
std::unique_ptr<FloorServer> createFloorServer(const std::string &, std::string *error)
{
    *error = Unsupported;
    return nullptr;
}
std::unique_ptr<FloorLink> connectFloor(const std::string &, const std::string &, long, std::string *error)
{
    *error = Unsupported;
    return nullptr;
}
int runFloorPeer(const std::string &, const std::string &)
{
    return 1;
}
LatencyRun floorPingPong(FloorLink &, std::size_t, int, int)
{
    return {Unsupported, {}};
}
ThroughputRun floorStream(FloorLink &, std::size_t, std::uint64_t, int)
{
    ThroughputRun run;
    run.error = Unsupported;
    return run;
}
std::string floorStop(FloorLink &)
{
    return Unsupported;
}

} // namespace ipcw::bench

#endif
