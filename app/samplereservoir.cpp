// SPDX-License-Identifier: GPL-3.0-or-later
#include "samplereservoir.h"

#include "benchstats.h"

#include <algorithm>
#include <limits>

SampleReservoir::SampleReservoir(int capacity) : m_capacity(qMax(1, capacity))
{
    m_kept.reserve(size_t(m_capacity));
}

void SampleReservoir::add(double value)
{
    ++m_seen;
    m_sorted = false;
    if (m_kept.size() < size_t(m_capacity)) {
        m_kept.push_back(value);
        return;
    }
    const qint64 slot = std::uniform_int_distribution<qint64>(0, m_seen - 1)(m_random);
    if (slot < m_capacity)
        m_kept[size_t(slot)] = value;
}

void SampleReservoir::clear()
{
    m_kept.clear();
    m_seen = 0;
    m_sorted = true;
}

double SampleReservoir::percentile(double p) const
{
    if (m_kept.empty())
        return std::numeric_limits<double>::quiet_NaN();
    if (!m_sorted) {
        std::sort(m_kept.begin(), m_kept.end());
        m_sorted = true;
    }
    return BenchStats::percentile(m_kept, p);
}
