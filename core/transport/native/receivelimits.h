// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a native channel's receiver lets its peers make it hold, in plain C++17 for the Qt-free
// backends: the twin of ReceiverLimits (core/transport/receiverlimits.h), with the same
// defaults and meaning. NativeChannelEndpoint hands ReceiverLimits::current() to its channel
// before open() (Channel::setReceiveLimits), so the receiver's --max-pending-mib,
// --peer-timeout and --max-peers reach these mechanisms too. PendingBudget is the one account
// of "bytes of unfinished frames, all peers together" that every backend draws on.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ipcw::native {

struct ReceiveLimits
{
    static constexpr std::uint64_t MiB = 1024 * 1024;

    // Bytes of unfinished frames, all peers together.
    std::uint64_t maxPendingBytes = 256 * MiB;
    // A peer in the middle of a frame that makes no progress for this long loses that frame.
    int peerTimeoutMs = 10'000;
    // Simultaneous peers; the next one is refused at its hello.
    int maxPeers = 64;
};

// Memory committed to a stream frame once its header is accepted, before more of it arrived
// (then doubling with what did): FrameStreamReader's, the named pipe's FrameCutter's and
// FragmentReassembly's (mailslot, udp). The
// fuzzers build with 1 KiB (tests/fuzz/CMakeLists.txt): their inputs are that small, so only
// then do they reach the doubling, and no run maps and zeroes a megabyte.
#ifndef IPCW_INITIAL_FRAME_BYTES
#define IPCW_INITIAL_FRAME_BYTES (1024 * 1024)
#endif
inline constexpr std::size_t InitialFrameBytes = IPCW_INITIAL_FRAME_BYTES;

// Another process's text, fit for a sentence: control characters (below 0x20, and 0x7F) as '?'.
inline std::string printableText(std::string text)
{
    std::replace_if(text.begin(), text.end(), [](char c) { return std::uint8_t(c) < 0x20 || c == 0x7f; }, '?');
    return text;
}

// "1 sender", "3 senders": the count in every --max-peers sentence.
inline std::string sendersText(std::size_t count)
{
    return std::to_string(count) + (count == 1 ? " sender" : " senders");
}

// "12.5"
inline std::string mebibytesText(std::uint64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", double(bytes) / double(ReceiveLimits::MiB));
    return text;
}

// "1.0"
inline std::string secondsText(long long ms)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", double(ms) / 1000.0);
    return text;
}

// Bytes of unfinished frames, all peers together. Each unfinished frame holds a Share; a
// Share gives its bytes back when it is released, reassigned or destroyed, so no path that
// finishes or drops a frame can forget to. Thread-safe: a backend may destroy a peer (and its
// Share) on its writer thread.
class PendingBudget
{
public:
    class Share
    {
    public:
        Share() = default;
        Share(const Share &) = delete;
        Share &operator=(const Share &) = delete;
        Share(Share &&other) noexcept : m_budget(other.m_budget), m_bytes(other.m_bytes) { other.m_bytes = 0; }
        Share &operator=(Share &&other) noexcept
        {
            if (this != &other) {
                release();
                m_budget = other.m_budget;
                m_bytes = other.m_bytes;
                other.m_bytes = 0;
            }
            return *this;
        }
        ~Share() { release(); }

        // Makes this share hold `bytes` of `budget` in all (more or fewer than now). False, and
        // nothing changes, when growing would take the budget over its limit.
        bool resize(PendingBudget &budget, std::uint64_t bytes)
        {
            if (m_budget && m_budget != &budget)
                release();
            m_budget = &budget;
            if (bytes > m_bytes) {
                if (!budget.take(bytes - m_bytes))
                    return false;
            } else {
                budget.give(m_bytes - bytes);
            }
            m_bytes = bytes;
            return true;
        }
        void release()
        {
            if (m_budget && m_bytes)
                m_budget->give(m_bytes);
            m_bytes = 0;
        }
        std::uint64_t bytes() const { return m_bytes; }

    private:
        PendingBudget *m_budget = nullptr;
        std::uint64_t m_bytes = 0;
    };

    PendingBudget() = default;
    PendingBudget(const PendingBudget &) = delete;
    PendingBudget &operator=(const PendingBudget &) = delete;

    void setLimit(std::uint64_t limit) { m_limit = limit; }
    std::uint64_t limit() const { return m_limit; }
    std::uint64_t held() const { return m_held.load(); }

    // "unfinished frames held 31.0 MiB of this receiver's 32.0 MiB budget (--max-pending-mib)"
    std::string describe() const
    {
        return "unfinished frames held " + mebibytesText(held()) + " MiB of this receiver's " + mebibytesText(m_limit)
               + " MiB budget (--max-pending-mib)";
    }

private:
    bool take(std::uint64_t bytes)
    {
        std::uint64_t held = m_held.load();
        do {
            if (bytes > m_limit || held > m_limit - bytes)
                return false;
        } while (!m_held.compare_exchange_weak(held, held + bytes));
        return true;
    }
    void give(std::uint64_t bytes) { m_held.fetch_sub(bytes); }

    std::atomic<std::uint64_t> m_held{0};
    std::uint64_t m_limit = ReceiveLimits().maxPendingBytes;
};

// When partial frames stalled past the time limit must next be looked for, as a poll()
// timeout: a receive loop sleeps no longer than this while some frame is partial, and for as
// long as it was asked to when none is (an idle receiver still sleeps in the kernel).
class StallWatch
{
public:
    using Clock = std::chrono::steady_clock;

    // No deadline yet; then note() each partial frame's last progress.
    void clear() { m_earliest = Clock::time_point::max(); }
    void note(Clock::time_point lastProgress, int timeoutMs)
    {
        const Clock::time_point deadline = lastProgress + std::chrono::milliseconds(timeoutMs);
        if (deadline < m_earliest)
            m_earliest = deadline;
    }
    // `waitMs` (-1: no limit) shortened to the earliest deadline, at least 1 ms away from now
    // so a deadline that has just passed is not polled in a tight loop.
    int shorten(int waitMs) const
    {
        if (m_earliest == Clock::time_point::max())
            return waitMs;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_earliest - Clock::now()).count() + 1;
        const int until = int(left < 1 ? 1 : left > 3'600'000 ? 3'600'000 : left);
        return waitMs < 0 || until < waitMs ? until : waitMs;
    }

private:
    Clock::time_point m_earliest = Clock::time_point::max();
};

} // namespace ipcw::native
