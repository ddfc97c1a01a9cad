// SPDX-License-Identifier: GPL-3.0-or-later
#include "transfermeter.h"

#include <cmath>

double TransferMeter::Totals::recordsPerSecond() const
{
    const qint64 count = records > 0 ? records : acked;
    return seconds > 0 ? double(count) / seconds : 0;
}

TransferMeter::TransferMeter(qint64 intervalUs, int maxPoints)
    : m_baseIntervalUs(qMax<qint64>(1, intervalUs)),
      // Even, so that pairs merge without a point left over.
      m_maxPoints(qMax(2, maxPoints & ~1)),
      m_intervalUs(m_baseIntervalUs)
{
    m_points.reserve(size_t(m_maxPoints));
}

void TransferMeter::restart(qint64 atUs)
{
    m_started = true;
    m_startUs = m_openStartUs = m_lastActivityUs = atUs;
    m_intervalUs = m_baseIntervalUs;
    m_openRecords = 0;
    m_openLatencies.clear();
    m_transferLatencies.clear();
    m_totals = {};
    m_points.clear();
}

void TransferMeter::addFrame(qint64 atUs, qint64 records, qint64 latencyUs)
{
    if (!m_started)
        restart(atUs);
    advanceTo(atUs);
    m_openRecords += records;
    const double latencyMs = double(latencyUs) / 1000.0;
    m_openLatencies.add(latencyMs);
    m_transferLatencies.add(latencyMs);
    m_totals.records += records;
    m_totals.frames += 1;
    m_lastActivityUs = qMax(m_lastActivityUs, atUs);
}

void TransferMeter::setProgress(qint64 atUs, qint64 sent, qint64 acked)
{
    if (!m_started)
        restart(atUs);
    advanceTo(atUs);
    m_openRecords += acked - m_totals.acked;
    m_totals.sent = sent;
    m_totals.acked = acked;
    m_lastActivityUs = qMax(m_lastActivityUs, atUs);
}

void TransferMeter::advanceTo(qint64 nowUs)
{
    if (!m_started)
        return;
    // However long a pause, this loop is short: every maxPoints/2 closes double the interval.
    while (nowUs >= m_openStartUs + m_intervalUs)
        closeInterval();
}

void TransferMeter::finish(qint64 atUs)
{
    if (!m_started)
        return;
    advanceTo(atUs);
    // Once closed, the last activity lies before the open interval: finishing again adds nothing.
    if (m_lastActivityUs >= m_openStartUs)
        closeInterval();
}

TransferMeter::Totals TransferMeter::totals() const
{
    Totals t = m_totals;
    t.seconds = double(m_lastActivityUs - m_startUs) / 1e6;
    t.latencyP50Ms = m_transferLatencies.percentile(50);
    t.latencyP99Ms = m_transferLatencies.percentile(99);
    return t;
}

void TransferMeter::closeInterval()
{
    Point p;
    p.seconds = double(m_openStartUs + m_intervalUs - m_startUs) / 1e6;
    p.recordsPerSecond = double(m_openRecords) * 1e6 / double(m_intervalUs);
    p.latencyP50Ms = m_openLatencies.percentile(50);
    p.latencyP99Ms = m_openLatencies.percentile(99);
    p.frames = m_openLatencies.seen();
    p.sent = m_totals.sent;
    p.acked = m_totals.acked;
    m_points.push_back(p);
    m_openStartUs += m_intervalUs;
    m_openRecords = 0;
    m_openLatencies.clear();
    if (m_points.size() >= size_t(m_maxPoints))
        mergeNeighbours();
}

void TransferMeter::mergeNeighbours()
{
    const size_t half = m_points.size() / 2;
    for (size_t i = 0; i < half; ++i) {
        const Point &a = m_points[2 * i];
        const Point &b = m_points[2 * i + 1];
        Point merged = b; // the end, the totals
        merged.recordsPerSecond = (a.recordsPerSecond + b.recordsPerSecond) / 2; // equal lengths
        merged.frames = a.frames + b.frames;
        merged.latencyP99Ms = std::fmax(a.latencyP99Ms, b.latencyP99Ms); // NaN only if both are
        if (a.frames == 0)
            merged.latencyP50Ms = b.latencyP50Ms;
        else if (b.frames == 0)
            merged.latencyP50Ms = a.latencyP50Ms;
        else
            merged.latencyP50Ms = (a.latencyP50Ms * double(a.frames) + b.latencyP50Ms * double(b.frames)) / double(merged.frames);
        m_points[i] = merged;
    }
    m_points.resize(half);
    m_intervalUs *= 2;
}
