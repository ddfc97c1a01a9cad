// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a benchmark run found, in a form the terminal table, the CSV, the JSON, the charts and
// the GUI all read: rows of figures, each beside the same figure of its bare-OS floor.

#include "benchstats.h"
#include "ipcwcore_export.h"

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QVector>

#include <cmath>
#include <limits>

// One number of a row: measured value, the floor's value of the same measurement, and their
// ratio (value / floor). `floor` and `ratio` are NaN when there is no floor to compare with.
// Measured in several runs (bench --repeat N), `value` and `floor` are the medians of their
// samples and the ratio is median against median; min() and max() give the spread.
struct IPCWCORE_EXPORT BenchFigure
{
    QString name;   // "p50", "MB/s", ...
    QString unit;   // "us", "MB/s", "records/s", "s/M records", "% of a core"
    double value = 0;
    double floor = std::numeric_limits<double>::quiet_NaN();
    bool lowerIsBetter = false;
    // An absolute target the project set for this figure (at most it when lowerIsBetter, at
    // least it otherwise); NaN: none.
    double target = std::numeric_limits<double>::quiet_NaN();
    QVector<double> samples;      // the value of each run that measured it, in run order
    QVector<double> floorSamples; // the floor's, likewise

    // A figure with no floor to compare with.
    static BenchFigure alone(const QString &name, const QString &unit, double value, bool lowerIsBetter);

    bool hasFloor() const { return !std::isnan(floor); }
    double ratio() const { return hasFloor() && floor != 0 ? value / floor : std::numeric_limits<double>::quiet_NaN(); }
    bool hasTarget() const { return !std::isnan(target); }
    bool meetsTarget() const { return lowerIsBetter ? value <= target : value >= target; }
    // The spread of the samples; without samples, the value itself.
    double min() const;
    double max() const;
    double floorMin() const;
    double floorMax() const;
};

// One measurement of one mechanism ("tcp", "latency-1") or of a floor by itself (the shared
// memory wait strategies). A skipped row keeps its reason and has no figures.
struct IPCWCORE_EXPORT BenchRow
{
    QString mechanism; // transport id, or "floor:<id>" for a floor-only row
    QString test;      // stable key: latency-1, latency-64k, throughput-1, throughput-64,
                       // throughput-4096, throughput-1mib, idle, scaling-1/2/4, ingest
    QString label;     // for people: "round trip, 1-record frames"
    QString floorId;   // the floor compared with ("tcp", "shm-block"; empty: none)
    QString floorNote; // why there is no floor, or what the floor is
    QString skipped;   // non-empty: not measured, and why
    QVector<BenchFigure> figures;
    // Sizes behind the figures, for the charts: frame bytes and records per frame.
    double frameBytes = 0;
    double recordsPerFrame = 0;

    const BenchFigure *figure(const QString &name) const;
};

// Counted by the sessions over a mechanism's whole run (the receiver's final summary and the
// senders' unacknowledged frames).
struct IPCWCORE_EXPORT BenchLosses
{
    QString mechanism;
    bool known = false; // false: the receiver's summary could not be read
    qint64 lostFrames = 0;
    qint64 duplicateFrames = 0;
    qint64 reorderedFrames = 0;
    qint64 badFrames = 0;
    qint64 overwrittenFrames = 0;
    QString firstBadFrame; // what the receiver said of the first one, when it said
};

struct IPCWCORE_EXPORT BenchMachine
{
    QString cpuModel;
    int cores = 0;
    QString kernel;
    QString qtVersion;
    QString buildType;
    QString date; // ISO 8601, UTC
    QString profile; // "quick" or "full"
    int runs = 1;    // how many times every row was measured (bench --repeat)
    QString placement; // which CPUs the processes ran on (BenchPlacement::Scope::description)

    static BenchMachine current(const QString &profile);
};

struct IPCWCORE_EXPORT BenchReport
{
    BenchMachine machine;
    QVector<BenchRow> rows;
    QVector<BenchLosses> losses;
    QStringList notes; // sentences: mechanisms skipped and why, targets missed

    QJsonObject toJson() const;
    // One line per figure: mechanism,test,label,figure,unit,value,floor_id,floor,ratio,skipped,
    // then median,min,max,samples,floor_min,floor_max,floor_samples,target (samples: the runs'
    // values separated by spaces, in run order; value and floor are the medians).
    QByteArray toCsv() const;
    // The terminal table (also pasted into docs/benchmarks.md): every figure beside its floor.
    QString toTable() const;
};

Q_DECLARE_METATYPE(BenchRow)
Q_DECLARE_METATYPE(BenchReport)
