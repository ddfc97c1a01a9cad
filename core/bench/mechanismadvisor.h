// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// "Which should I use?": filters the mechanisms by what the user needs, using each plugin's
// declared capabilities, and ranks the ones left by the figures of the last benchmark run, so
// every place in the ranking is backed by a number the user can see. Qt Core only, so it is
// tested on known metadata and known figures.

#include "benchreport.h"
#include "ipcwcore_export.h"
#include "transportmetadata.h"

#include <QFlags>
#include <QString>
#include <QStringList>
#include <QVector>

#include <limits>

class IPCWCORE_EXPORT MechanismAdvisor
{
public:
    // Hard needs filter (a mechanism without the capability is out, with the reason); the two
    // "lowest" needs choose what the ranking weighs.
    enum Need {
        OtherMachines = 0x01,  // scope beyond this machine
        LargeMessages = 0x02,  // a frame of LargeMessageBytes of records
        NoLoss = 0x04,         // reliable
        SeveralSenders = 0x08, // multipleSenders
        LowestLatency = 0x10,  // rank by p50 round trip of 1-record frames
        LowestCpu = 0x20,      // rank by CPU seconds per million records at 4,096 per frame
        OneToMany = 0x40,      // one sender, many receivers: rank by the fan-out rows' records/s per receiver
    };
    Q_DECLARE_FLAGS(Needs, Need)

    // 1 MiB of records plus the frame header.
    static constexpr qint64 LargeMessageBytes = 1024 * 1024 + 40;

    // The measured figures behind a ranking; NaN where the last run has none.
    struct Figures
    {
        double p50Us = std::numeric_limits<double>::quiet_NaN();
        double p50FloorRatio = std::numeric_limits<double>::quiet_NaN();
        double recordsPerSecond = std::numeric_limits<double>::quiet_NaN(); // 4,096 records per frame
        double cpuPerMillion = std::numeric_limits<double>::quiet_NaN();    // seconds, both processes
        QString notMeasured; // why a figure is missing (the row's skip sentence), if known
        // The fan-out row with the most receivers the run measured (0: none): per receiver,
        // records/s (median and slowest) and frames lost (min, median, max).
        int fanOutReceivers = 0;
        double fanOutRate = std::numeric_limits<double>::quiet_NaN();
        double fanOutRateMin = std::numeric_limits<double>::quiet_NaN();
        double fanOutLostMin = std::numeric_limits<double>::quiet_NaN();
        double fanOutLostMedian = std::numeric_limits<double>::quiet_NaN();
        double fanOutLostMax = std::numeric_limits<double>::quiet_NaN();
    };

    struct Entry
    {
        QString id;
        QString name;
        bool fits = false;
        int rank = 0;         // 1 = best; 0 when it does not fit
        double score = 0;     // 1.0 = best on every weighed figure; larger is worse
        QStringList whyNot;   // one reason per unmet need
        Figures figures;
        QString text;         // "tcp: p50 52 µs (1.4x its floor), 0.85 M records/s, ..." or "mailslot: no — ..."
    };

    void setMechanisms(const QVector<TransportMetadata> &mechanisms) { m_mechanisms = mechanisms; }
    // The last run; an empty report (no rows) means no run yet.
    void setReport(const BenchReport &report) { m_report = report; }
    bool hasMeasurements() const;
    // The last run has a measured fan-out row (one sender to several receivers).
    bool hasFanOutMeasurements() const;

    // Fitting mechanisms in rank order, then the others (with why not) in id order.
    QVector<Entry> advise(Needs needs) const;
    // One sentence on how the ranking was made (what was weighed, or that numbers need a run).
    QString basis(Needs needs) const;

    static QString formatMicroseconds(double us);
    static QString formatRate(double recordsPerSecond);

private:
    Figures figuresFor(const QString &id) const;
    static void readFanOut(const BenchRow &row, Figures *f);
    static QString fanOutText(const Figures &f);

    QVector<TransportMetadata> m_mechanisms;
    BenchReport m_report;
};

Q_DECLARE_OPERATORS_FOR_FLAGS(MechanismAdvisor::Needs)
