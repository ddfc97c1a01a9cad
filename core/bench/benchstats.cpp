// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchstats.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <sys/resource.h>
#include <unistd.h>

namespace BenchStats {

namespace {

// A "Name:   123456 kB" line of /proc/<pid>/status or /proc/meminfo; -1 when absent.
qint64 kibField(const QByteArray &text, const QByteArray &name)
{
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith(name + ':'))
            continue;
        const QList<QByteArray> words = line.mid(name.size() + 1).simplified().split(' ');
        bool ok = false;
        const qint64 kib = words.value(0).toLongLong(&ok);
        return ok && words.value(1) == "kB" ? kib : -1;
    }
    return -1;
}

} // namespace

double percentile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const double n = double(sorted.size());
    // The small epsilon keeps 99.9% of 1000 at rank 999 despite binary floating point.
    const auto rank = qint64(std::ceil(p / 100.0 * n - 1e-9));
    return sorted[size_t(std::clamp<qint64>(rank, 1, qint64(sorted.size())) - 1)];
}

LatencySummary summarize(std::vector<double> &samples)
{
    LatencySummary s;
    if (samples.empty())
        return s;
    std::sort(samples.begin(), samples.end());
    s.count = qint64(samples.size());
    s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
    s.p50 = percentile(samples, 50);
    s.p90 = percentile(samples, 90);
    s.p99 = percentile(samples, 99);
    s.p999 = percentile(samples, 99.9);
    s.max = samples.back();
    return s;
}

double median(std::vector<double> samples)
{
    std::sort(samples.begin(), samples.end());
    return percentile(samples, 50);
}

double perSecond(double amount, double seconds)
{
    return seconds > 0 ? amount / seconds : 0;
}

double megabytesPerSecond(double bytes, double seconds)
{
    return perSecond(bytes / 1e6, seconds);
}

double cpuSecondsPerMillion(double cpuSeconds, double records)
{
    return records > 0 ? cpuSeconds * 1e6 / records : 0;
}

double cpuPercentOfCore(double cpuSeconds, double wallSeconds)
{
    return wallSeconds > 0 ? 100.0 * cpuSeconds / wallSeconds : 0;
}

double cpuSecondsFromStatLine(const QByteArray &line, long ticksPerSecond)
{
    const qsizetype close = line.lastIndexOf(')');
    if (close < 0 || ticksPerSecond <= 0)
        return -1;
    // After ")": field 3 (state) is the first; utime and stime are fields 14 and 15.
    const QList<QByteArray> fields = line.mid(close + 1).simplified().split(' ');
    if (fields.size() < 13)
        return -1;
    bool okUser = false, okSystem = false;
    const qulonglong user = fields.at(11).toULongLong(&okUser);
    const qulonglong system = fields.at(12).toULongLong(&okSystem);
    if (!okUser || !okSystem)
        return -1;
    return double(user + system) / double(ticksPerSecond);
}

double cpuSecondsFromSchedstatLine(const QByteArray &line)
{
    const QList<QByteArray> fields = line.simplified().split(' ');
    bool ok = false;
    const qulonglong ns = fields.isEmpty() ? 0 : fields.first().toULongLong(&ok);
    return ok ? double(ns) / 1e9 : -1;
}

double processCpuSeconds(qint64 pid)
{
    const QString base = QStringLiteral("/proc/%1").arg(pid);
    double total = 0;
    bool any = false;
    const QStringList tasks = QDir(base + QStringLiteral("/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &tid : tasks) {
        QFile file(base + QStringLiteral("/task/") + tid + QStringLiteral("/schedstat"));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const double seconds = cpuSecondsFromSchedstatLine(file.readAll());
        if (seconds < 0)
            continue;
        total += seconds;
        any = true;
    }
    // A kernel without schedstat reports zeros for every thread; fall back to whole ticks.
    if (any && total > 0)
        return total;
    QFile stat(base + QStringLiteral("/stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    return cpuSecondsFromStatLine(stat.readAll(), sysconf(_SC_CLK_TCK));
}

double selfCpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
           + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

ProcessMemory memoryFromStatus(const QByteArray &statusText)
{
    return ProcessMemory{kibField(statusText, "VmRSS"), kibField(statusText, "VmHWM")};
}

ProcessMemory processMemory(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return {};
    return memoryFromStatus(status.readAll());
}

qint64 availableMemoryKiB()
{
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (!meminfo.open(QIODevice::ReadOnly))
        return -1;
    return kibField(meminfo.readAll(), "MemAvailable");
}

} // namespace BenchStats
