// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "samplereservoir.h"

#include <QtGlobal>

#include <limits>
#include <vector>

// The figures of one transfer, interval by interval, for a live chart: records per second, the
// frames' latency percentiles (receiver) and the records sent and acknowledged (sender). Time is
// whatever clock the caller passes, in microseconds, so a test can drive it.
//
// Cheap enough to feed from every frame: O(1) amortized per frame and bounded memory whatever
// the transfer's length. Each interval keeps at most IntervalSamples latencies (one per frame,
// every record of a frame shares its latency), the whole transfer at most TransferSamples.
// When `maxPoints` intervals are closed, neighbours are merged pairwise and the interval
// doubles, so a long transfer is shown whole at a coarser step.
class TransferMeter
{
public:
    static constexpr int IntervalSamples = 256;
    static constexpr int TransferSamples = 4096;
    static constexpr double NoValue = std::numeric_limits<double>::quiet_NaN();

    struct Point
    {
        double seconds = 0;           // the interval's end, since the transfer began
        double recordsPerSecond = 0;  // received (receiver) or acknowledged (sender) in it
        // NaN when no frame arrived in the interval. A merged point keeps the higher p99 of its
        // halves (a spike is never hidden) and the frame-weighted mean of their medians.
        double latencyP50Ms = NoValue;
        double latencyP99Ms = NoValue;
        qint64 frames = 0;            // frames measured in the interval
        qint64 sent = 0;              // sender: totals at the interval's end
        qint64 acked = 0;
    };

    struct Totals
    {
        qint64 records = 0; // received
        qint64 frames = 0;  // received
        qint64 sent = 0;
        qint64 acked = 0;
        double seconds = 0;      // from the start to the last activity
        double latencyP50Ms = NoValue; // without frames
        double latencyP99Ms = NoValue;
        // Records received, or failing that acknowledged, per second; 0 with no duration.
        double recordsPerSecond() const;
    };

    explicit TransferMeter(qint64 intervalUs = 250'000, int maxPoints = 240);

    // Forgets everything and begins a transfer at `atUs`.
    void restart(qint64 atUs);
    bool isStarted() const { return m_started; }

    // A frame of `records` arrived at `atUs`, `latencyUs` after it was sent.
    void addFrame(qint64 atUs, qint64 records, qint64 latencyUs);
    // The sender's totals so far.
    void setProgress(qint64 atUs, qint64 sent, qint64 acked);
    // Closes every interval that ended by `nowUs`. Time never runs backwards here: an
    // earlier moment counts as the interval that is open.
    void advanceTo(qint64 nowUs);
    // Closes the interval holding `atUs` too: the transfer ended there.
    void finish(qint64 atUs);

    const std::vector<Point> &points() const { return m_points; }
    Totals totals() const;
    qint64 intervalUs() const { return m_intervalUs; }
    int maxPoints() const { return m_maxPoints; }
    qint64 startUs() const { return m_startUs; }
    qint64 lastActivityUs() const { return m_lastActivityUs; }

private:
    void closeInterval();
    void mergeNeighbours();

    qint64 m_baseIntervalUs;
    int m_maxPoints;
    bool m_started = false;
    qint64 m_startUs = 0;
    qint64 m_intervalUs;
    qint64 m_openStartUs = 0; // the interval being filled
    qint64 m_lastActivityUs = 0;
    qint64 m_openRecords = 0;
    SampleReservoir m_openLatencies{IntervalSamples};
    SampleReservoir m_transferLatencies{TransferSamples};
    Totals m_totals;
    std::vector<Point> m_points;
};
