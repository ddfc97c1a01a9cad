// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One descriptor that polls readable while any descriptor added to it is: an epoll set. What a
// Linux channel that reads several descriptors (a queue and its peers' pidfds, a FIFO per peer)
// hands to the event loop as its ipcw::native::Watchable::readinessDescriptor(). Qt-free,
// header-only.

#if defined(__linux__)

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>

namespace ipcw::native {

class ReadinessSet
{
public:
    ReadinessSet() = default;
    ~ReadinessSet() { close(); }
    ReadinessSet(const ReadinessSet &) = delete;
    ReadinessSet &operator=(const ReadinessSet &) = delete;

    // Returns "" or why the set could not be made, a sentence naming `mechanism`.
    std::string open(const std::string &mechanism)
    {
        close();
        m_missedAny = false;
        m_fd = epoll_create1(EPOLL_CLOEXEC);
        if (m_fd < 0)
            return "Cannot create the readiness set for the " + mechanism + ": " + std::strerror(errno) + ".";
        return {};
    }

    // A descriptor closed without remove() leaves the set by itself, unless a duplicate of it
    // is still open somewhere (another thread's copy): remove() it first when that matters.
    // False if the kernel refused it (no memory, or the user's max_user_watches reached).
    // Such a descriptor is not lost: see deadlineMs().
    bool add(int fd)
    {
        if (fd < 0)
            return false;
        epoll_event interest{};
        interest.events = EPOLLIN;
        interest.data.fd = fd;
        const bool added = m_fd >= 0 && epoll_ctl(m_fd, EPOLL_CTL_ADD, fd, &interest) == 0;
        m_missedAny = m_missedAny || !added;
        return added;
    }

    // What the channel's nextDeadlineMs() returns, given when it would otherwise need a call
    // (-1: never): once a descriptor could not join the set, the loop looks every
    // FallbackPollMs instead, so what arrives on it waits that long at most.
    int deadlineMs(int channelDeadlineMs) const
    {
        if (!m_missedAny)
            return channelDeadlineMs;
        return channelDeadlineMs < 0 ? FallbackPollMs : std::min(channelDeadlineMs, FallbackPollMs);
    }
    static constexpr int FallbackPollMs = 20;

    void remove(int fd)
    {
        if (m_fd >= 0 && fd >= 0)
            epoll_ctl(m_fd, EPOLL_CTL_DEL, fd, nullptr);
    }

    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    int descriptor() const { return m_fd; }

private:
    int m_fd = -1;
    bool m_missedAny = false; // an add() the kernel refused since open()
};

} // namespace ipcw::native

#endif
