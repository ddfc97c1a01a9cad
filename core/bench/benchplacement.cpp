// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchplacement.h"

#include <QDir>

#if defined(Q_OS_LINUX)
#include <sched.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#endif

namespace BenchPlacement {

bool parse(const QString &text, Mode *mode)
{
    if (text == QLatin1String("any"))
        *mode = Mode::Any;
    else if (text == QLatin1String("apart"))
        *mode = Mode::Apart;
    else if (text == QLatin1String("together"))
        *mode = Mode::Together;
    else
        return false;
    return true;
}

QString name(Mode mode)
{
    switch (mode) {
    case Mode::Apart: return QStringLiteral("apart");
    case Mode::Together: return QStringLiteral("together");
    case Mode::Any: break;
    }
    return QStringLiteral("any");
}

#if defined(Q_OS_LINUX)

namespace {

cpu_set_t s_original;
cpu_set_t s_peerCpus;
// Read by pinPeer() in a forked child, where no lock may be taken.
std::atomic<bool> s_pinPeers{false};

cpu_set_t oneCpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return set;
}

// sched_setaffinity() moves one thread; the process is every entry of /proc/self/task.
// Threads started afterwards inherit their creator's CPUs.
QString pinEveryThread(const cpu_set_t &set)
{
    const QStringList tasks = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &task : tasks)
        if (::sched_setaffinity(pid_t(task.toInt()), sizeof set, &set) != 0 && errno != ESRCH)
            return QString::fromLocal8Bit(std::strerror(errno));
    return {};
}

// The calling thread only; the threads it starts afterwards inherit its CPUs.
QString pinThisThread(const cpu_set_t &set)
{
    if (::sched_setaffinity(0, sizeof set, &set) != 0)
        return QString::fromLocal8Bit(std::strerror(errno));
    return {};
}

QString pin(Reach reach, const cpu_set_t &set)
{
    return reach == Reach::WholeProcess ? pinEveryThread(set) : pinThisThread(set);
}

} // namespace

Scope::Scope(Mode mode, Reach reach)
    : m_reach(reach)
{
    if (mode == Mode::Any) {
        m_description = QStringLiteral("any: the scheduler chose the CPUs");
        return;
    }
    if (::sched_getaffinity(0, sizeof s_original, &s_original) != 0) {
        m_description = QStringLiteral("any: this process's CPUs could not be read (%1)").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
    int cpus[2] = {-1, -1};
    for (int cpu = 0, found = 0; cpu < CPU_SETSIZE && found < 2; ++cpu)
        if (CPU_ISSET(cpu, &s_original))
            cpus[found++] = cpu;
    QString note;
    if (mode == Mode::Apart && cpus[1] < 0) {
        mode = Mode::Together;
        note = QStringLiteral(" (apart was asked for, but this process may use one CPU only)");
    }
    const int benchCpu = cpus[0];
    const int peerCpu = mode == Mode::Apart ? cpus[1] : cpus[0];
    const QString pinned = reach == Reach::WholeProcess ? QStringLiteral("this process") : QStringLiteral("the benchmark's thread");
    if (const QString error = pin(reach, oneCpu(benchCpu)); !error.isEmpty()) {
        pin(reach, s_original);
        m_description = QStringLiteral("any: %1 could not be pinned to CPU %2 (%3)").arg(pinned).arg(benchCpu).arg(error);
        return;
    }
    s_peerCpus = oneCpu(peerCpu);
    s_pinPeers = true;
    m_pinned = true;
    m_description = mode == Mode::Apart
        ? QStringLiteral("apart: %1 on CPU %2, its peer processes on CPU %3").arg(pinned).arg(benchCpu).arg(peerCpu)
        : QStringLiteral("together: %1 and its peer processes on CPU %2%3").arg(pinned).arg(benchCpu).arg(note);
}

Scope::~Scope()
{
    if (!m_pinned)
        return;
    s_pinPeers = false;
    pin(m_reach, s_original);
}

void pinPeer()
{
    if (s_pinPeers.load(std::memory_order_relaxed))
        ::sched_setaffinity(0, sizeof s_peerCpus, &s_peerCpus);
}

#else // !Q_OS_LINUX

Scope::Scope(Mode mode, Reach)
    : m_description(mode == Mode::Any ? QStringLiteral("any: the scheduler chose the CPUs")
                                      : QStringLiteral("any: CPUs are chosen on Linux only"))
{
}

Scope::~Scope() = default;

void pinPeer() {}

#endif

} // namespace BenchPlacement
