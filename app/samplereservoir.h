// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <random>
#include <vector>

// A bounded, uniform sample of a stream of values (Algorithm R): the first `capacity` values are
// kept, then the n-th replaces a kept one with probability capacity/n. O(1) per value and a fixed
// amount of memory, however long the stream; percentiles are exact while no more than
// `capacity` values came, an unbiased estimate after that.
class SampleReservoir
{
public:
    explicit SampleReservoir(int capacity);

    void add(double value);
    void clear();
    // Values offered since the last clear (kept or not).
    qint64 seen() const { return m_seen; }
    int capacity() const { return m_capacity; }
    // Values kept now: never more than capacity().
    qsizetype size() const { return qsizetype(m_kept.size()); }
    // Nearest-rank percentile of the kept values, as the benchmark defines it
    // (BenchStats::percentile); NaN when nothing was added.
    double percentile(double p) const;

private:
    int m_capacity;
    qint64 m_seen = 0;
    // Sorted lazily by percentile(): asking for p50 then p99 sorts once.
    mutable std::vector<double> m_kept;
    mutable bool m_sorted = true;
    std::minstd_rand m_random; // a fixed seed: the same stream gives the same sample
};
