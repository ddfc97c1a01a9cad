// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The benchmark's arithmetic, kept apart from any measuring so it can be tested on known
// inputs: latency percentiles, rates, and CPU time read from /proc.

#include "ipcwcore_export.h"

#include <QString>

#include <vector>

namespace BenchStats {

// Percentiles use the nearest-rank definition: the p-th percentile of N sorted samples is the
// sample at rank ceil(p/100 * N) (1-based), so it is always a value that was measured. For the
// samples 1..1000: p50 = 500, p90 = 900, p99 = 990, p99.9 = 999, max = 1000.
IPCWCORE_EXPORT double percentile(const std::vector<double> &sorted, double p);

struct LatencySummary
{
    qint64 count = 0;
    double mean = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    double p999 = 0;
    double max = 0;
};

// Sorts `samples` in place and summarises them (all zero when empty).
IPCWCORE_EXPORT LatencySummary summarize(std::vector<double> &samples);

// The median of repeated runs, by the same nearest-rank rule: always one of the samples (the
// middle one of an odd count, the lower middle of an even count). 0 when empty.
IPCWCORE_EXPORT double median(std::vector<double> samples);

// Rates over `seconds` of wall time; 0 when no time passed. MB is 10^6 bytes.
IPCWCORE_EXPORT double perSecond(double amount, double seconds);
IPCWCORE_EXPORT double megabytesPerSecond(double bytes, double seconds);
// CPU seconds spent per million records (0 for no records).
IPCWCORE_EXPORT double cpuSecondsPerMillion(double cpuSeconds, double records);
// CPU seconds over a wall-clock window as a percentage of one core.
IPCWCORE_EXPORT double cpuPercentOfCore(double cpuSeconds, double wallSeconds);

// user + system seconds from one /proc/<pid>/stat line (fields 14 and 15, in clock ticks of
// `ticksPerSecond`). The command name may hold spaces and parentheses, so fields are counted
// after the last ')'. Returns -1 for a line that does not parse.
IPCWCORE_EXPORT double cpuSecondsFromStatLine(const QByteArray &line, long ticksPerSecond);
// On-CPU seconds from one /proc/<pid>/task/<tid>/schedstat line (first field, nanoseconds);
// -1 when it does not parse.
IPCWCORE_EXPORT double cpuSecondsFromSchedstatLine(const QByteArray &line);

// user + system seconds of a live process: the sum of its threads' schedstat (nanoseconds)
// where the kernel offers it, else /proc/<pid>/stat (clock ticks). -1 when the process is gone.
IPCWCORE_EXPORT double processCpuSeconds(qint64 pid);
// This process, including threads that already ended (getrusage).
IPCWCORE_EXPORT double selfCpuSeconds();

// Resident memory in KiB as /proc/<pid>/status reports it: now (VmRSS) and the highest so far
// (VmHWM). -1 for what is not known.
struct ProcessMemory
{
    qint64 residentKiB = -1;
    qint64 peakResidentKiB = -1;
    bool known() const { return residentKiB >= 0 && peakResidentKiB >= 0; }
};
IPCWCORE_EXPORT ProcessMemory memoryFromStatus(const QByteArray &statusText);
IPCWCORE_EXPORT ProcessMemory processMemory(qint64 pid);
// What the kernel thinks can still be given to processes without swapping (MemAvailable), in
// KiB; -1 when not known.
IPCWCORE_EXPORT qint64 availableMemoryKiB();

} // namespace BenchStats
