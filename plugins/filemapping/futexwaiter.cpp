// SPDX-License-Identifier: GPL-3.0-or-later
#include "futexwaiter.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ipcw::native::shm {

namespace {
long futex(std::atomic<std::uint32_t> &word, int op, std::uint32_t value, const timespec *timeout)
{
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t), "a futex is a plain 32-bit word");
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&word), op, value, timeout, nullptr, 0);
}
} // namespace

ShmWaiter::Wait FutexWaiter::wait(std::atomic<std::uint32_t> &word, std::uint32_t expected, int timeoutMs)
{
    int index = -1;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (int i = 0; i < MaxSleepers && index < 0; ++i)
            if (!m_sleeping[i])
                m_sleeping[index = i] = &word;
    }
    // Checked after registering: an interrupt() from now on bumps `word`, so FUTEX_WAIT
    // returns at once instead of sleeping through it.
    Wait result = Wait::Changed;
    if (m_interrupted.load()) {
        result = Wait::Interrupted;
    } else {
        timespec ts{timeoutMs / 1000, long(timeoutMs % 1000) * 1000000L};
        if (futex(word, FUTEX_WAIT, expected, timeoutMs < 0 ? nullptr : &ts) != 0 && errno == ETIMEDOUT)
            result = Wait::TimedOut;
        if (m_interrupted.load())
            result = Wait::Interrupted;
    }
    if (index >= 0) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_sleeping[index] = nullptr;
    }
    return result;
}

void FutexWaiter::wake(std::atomic<std::uint32_t> &word)
{
    futex(word, FUTEX_WAKE, INT_MAX, nullptr);
}

void FutexWaiter::ring(std::atomic<std::uint32_t> &word)
{
    if (m_ringer)
        m_ringer(word);
}

void FutexWaiter::interrupt()
{
    m_interrupted = true;
    std::lock_guard<std::mutex> lock(m_mutex);
    for (std::atomic<std::uint32_t> *word : m_sleeping) {
        if (word) {
            word->fetch_add(1);
            wake(*word);
        }
    }
}

bool FutexWaiter::isAlive(std::uint32_t pid)
{
    if (pid == 0 || (kill(pid_t(pid), 0) != 0 && errno != EPERM))
        return false;
    // A killed process that its parent has not reaped yet still answers kill(); it is dead all
    // the same.
    char path[32];
    std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
    FILE *f = std::fopen(path, "re");
    if (!f)
        return true;
    char line[512] = {};
    const bool read = std::fgets(line, sizeof line, f) != nullptr;
    std::fclose(f);
    // The state follows the command name, which is in parentheses and may hold any character.
    const char *end = read ? std::strrchr(line, ')') : nullptr;
    return !end || end[1] != ' ' || (end[2] != 'Z' && end[2] != 'X');
}

FutexWaiter::FutexWaiter() : m_selfPid(std::uint32_t(getpid()))
{
}

std::uint32_t FutexWaiter::selfPid()
{
    return m_selfPid;
}

void FutexWaiter::yield()
{
    sched_yield();
}

void FutexWaiter::sleepMs(int ms)
{
    timespec ts{ms / 1000, long(ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

} // namespace ipcw::native::shm
