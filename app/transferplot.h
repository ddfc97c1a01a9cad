// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transfermeter.h"

#include <QCoreApplication>
#include <QStringList>

#include <vector>

class QCategoryAxis;
class QChart;
class QLineSeries;
class QValueAxis;

// The chart of one transfer, drawn from a TransferMeter's points: on the receiver records per
// second (left axis) with the frames' latency p50 and p99 (right axis), on the sender the
// records sent and acknowledged. The same code fills the live view and the saved picture.
class TransferPlot
{
    Q_DECLARE_TR_FUNCTIONS(TransferPlot)
public:
    enum class Role { Receiver, Sender };

    // What a transfer's summary says, in the window and in a saved picture.
    struct Figures
    {
        qint64 records = 0; // received, or sent
        qint64 frames = 0;
        qint64 acked = -1;  // the sender's; -1 on the receiver and on a one-to-many sender (nobody acknowledges)
        double seconds = 0;
        double recordsPerSecond = 0;
        double latencyP50Ms = TransferMeter::NoValue;
        double latencyP99Ms = TransferMeter::NoValue;
    };

    // Adds this role's series and axes to `chart`, which keeps owning them.
    TransferPlot(Role role, QChart *chart);

    void show(const std::vector<TransferMeter::Point> &points);
    // A chart shorter than it would like keeps its labels and drops what it can do without:
    // the time axis title (the labels say "2 s"), then the left axis title and most of its
    // steps. Takes effect with the next show().
    void fitHeight(int pixels);
    // The plotted lines: records/s, p50, p99 (receiver) or acknowledged, sent (sender).
    QList<QLineSeries *> series() const;

    static QStringList summaryLines(Role role, const Figures &figures);
    // Why latency needs one machine: for tooltips and the saved picture.
    static QString latencyNote();
    // Draws the chart of `points` with `title` above and the summary below into `path`: SVG
    // for a .svg name, PNG otherwise. False with a sentence in `error` when it cannot be written.
    static bool savePicture(const QString &path, Role role, const std::vector<TransferMeter::Point> &points,
                            const QString &title, const Figures &figures, QString *error);

private:
    Role m_role;
    QValueAxis *m_time;
    QValueAxis *m_amount; // records/s or records
    QCategoryAxis *m_latency = nullptr; // decades of milliseconds
    QLineSeries *m_rate = nullptr;
    QLineSeries *m_p50 = nullptr;
    QLineSeries *m_p99 = nullptr;
    QLineSeries *m_sent = nullptr;
    QLineSeries *m_acked = nullptr;
    int m_maxSteps = 5; // of the left axis
};
