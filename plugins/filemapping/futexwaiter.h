// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "shmring.h"

#include <functional>
#include <mutex>

namespace ipcw::native::shm {

// The POSIX ShmWaiter: futex waits on words in the shared mapping (FUTEX_WAIT without
// FUTEX_PRIVATE_FLAG, so processes sharing the mapping wake each other), kill(pid, 0) for
// liveness. interrupt() is sticky; it also bumps and wakes every word a thread of this channel
// sleeps on, because a futex sleeper cannot wait on a second object.
class FutexWaiter final : public ShmWaiter
{
public:
    FutexWaiter();
    Wait wait(std::atomic<std::uint32_t> &word, std::uint32_t expected, int timeoutMs) override;
    void wake(std::atomic<std::uint32_t> &word) override;
    // Hands the ring to setRinger()'s function; nothing without one.
    void ring(std::atomic<std::uint32_t> &word) override;
    bool isAlive(std::uint32_t pid) override;
    std::uint32_t selfPid() override;
    void yield() override;
    void sleepMs(int ms) override;
    bool interrupted() const override { return m_interrupted.load(); }

    void interrupt();
    void reset() { m_interrupted = false; }
    // Who rings the doorbell of the reader of the ring whose dataSeq is `word` (the channel,
    // which knows the names). Set while no thread uses this waiter.
    void setRinger(std::function<void(const std::atomic<std::uint32_t> &word)> ringer) { m_ringer = std::move(ringer); }

private:
    std::function<void(const std::atomic<std::uint32_t> &)> m_ringer;
    // The ring asks for it on every write; getpid() is a system call in glibc.
    const std::uint32_t m_selfPid;
    static constexpr int MaxSleepers = 8;
    std::atomic<bool> m_interrupted{false};
    std::mutex m_mutex;
    std::atomic<std::uint32_t> *m_sleeping[MaxSleepers] = {};
};

} // namespace ipcw::native::shm
