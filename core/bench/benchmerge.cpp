// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmerge.h"

#include <QHash>

#include <vector>

namespace BenchMerge {

namespace {

struct RunRow
{
    int run = 0;
    const BenchRow *row = nullptr;
};

double medianOf(const QVector<double> &samples)
{
    return BenchStats::median(std::vector<double>(samples.cbegin(), samples.cend()));
}

BenchRow combineRow(const QVector<RunRow> &runs, int runCount, QStringList *notes)
{
    QVector<const BenchRow *> measured;
    QStringList missed;
    for (const RunRow &r : runs) {
        if (r.row->skipped.isEmpty())
            measured << r.row;
        else
            missed << QStringLiteral("run %1: %2").arg(r.run + 1).arg(r.row->skipped);
    }
    if (measured.isEmpty())
        return *runs.first().row;
    BenchRow combined = *measured.first();
    for (BenchFigure &f : combined.figures) {
        f.samples.clear();
        f.floorSamples.clear();
        for (const BenchRow *row : std::as_const(measured)) {
            const BenchFigure *same = row->figure(f.name);
            if (!same)
                continue;
            f.samples << same->value;
            if (same->hasFloor())
                f.floorSamples << same->floor;
        }
        f.value = medianOf(f.samples);
        f.floor = f.floorSamples.isEmpty() ? std::numeric_limits<double>::quiet_NaN() : medianOf(f.floorSamples);
    }
    if (!missed.isEmpty())
        *notes << QStringLiteral("%1, %2: measured in %3 of %4 runs (%5)")
                      .arg(combined.mechanism, combined.label).arg(measured.size()).arg(runCount).arg(missed.join(QStringLiteral("; ")));
    return combined;
}

} // namespace

BenchReport combine(const QVector<BenchReport> &runs)
{
    BenchReport out;
    if (runs.isEmpty())
        return out;
    out.machine = runs.first().machine;
    out.machine.runs = int(runs.size());

    // Rows by mechanism and test, in the order they first appear.
    QStringList order;
    QHash<QString, QVector<RunRow>> byKey;
    QStringList lossOrder;
    QHash<QString, BenchLosses> losses;
    for (int run = 0; run < runs.size(); ++run) {
        const BenchReport &report = runs.at(run);
        for (const BenchRow &row : report.rows) {
            const QString key = row.mechanism + QLatin1Char('\n') + row.test;
            if (!byKey.contains(key))
                order << key;
            byKey[key].append(RunRow{run, &row});
        }
        for (const BenchLosses &l : report.losses) {
            if (!losses.contains(l.mechanism)) {
                lossOrder << l.mechanism;
                BenchLosses sum;
                sum.mechanism = l.mechanism;
                sum.known = true;
                losses.insert(l.mechanism, sum);
            }
            BenchLosses &sum = losses[l.mechanism];
            sum.known = sum.known && l.known; // a run whose counters are unknown leaves the sum unknown
            sum.lostFrames += l.lostFrames;
            sum.duplicateFrames += l.duplicateFrames;
            sum.reorderedFrames += l.reorderedFrames;
            sum.badFrames += l.badFrames;
            sum.overwrittenFrames += l.overwrittenFrames;
            if (sum.firstBadFrame.isEmpty())
                sum.firstBadFrame = l.firstBadFrame;
        }
        out.notes << report.notes;
    }
    out.notes.removeDuplicates();
    for (const QString &key : std::as_const(order))
        out.rows << combineRow(byKey.value(key), int(runs.size()), &out.notes);
    for (const QString &mechanism : std::as_const(lossOrder))
        out.losses << losses.value(mechanism);
    return out;
}

} // namespace BenchMerge
