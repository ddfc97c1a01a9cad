// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchtablelag.h"

#include "benchsinkendpoint.h"
#include "benchstats.h"
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "framecodec.h"
#include "receiversession.h"
#include "recordviewmodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHeaderView>
#include <QTableView>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <vector>

namespace BenchTableLag {

namespace {

constexpr int RecordsPerFrame = 4096;
constexpr quint32 SenderId = 0x4c414721; // "LAG!": one sender, numbered from 1 in every run
constexpr int TickMs = 1;
constexpr double MaxLagTargetMs = 50;
// The same time limit as the engine's memory rows: a minute plus the rows at 100,000 a second.
constexpr int BaseSeconds = 60;
constexpr qint64 SlowestRate = 100000;

// Frames made once and kept: both rows of every run deliver the same bytes, and a model
// holding them shares them rather than copying.
struct Frames
{
    qint64 rows = 0;
    QVector<QByteArray> frames;

    void build(qint64 wanted)
    {
        if (rows == wanted)
            return;
        frames.clear();
        EmployeeGenerator generator(1, 1);
        quint64 sequence = 0;
        for (qint64 at = 0; at < wanted; at += RecordsPerFrame)
            frames.append(FrameCodec::encodeRecords(generator.take(int(qMin<qint64>(RecordsPerFrame, wanted - at))), ++sequence, SenderId));
        rows = wanted;
    }
};

BenchFigure figure(const QString &name, const QString &unit, double value, bool lowerIsBetter)
{
    BenchFigure f;
    f.name = name;
    f.unit = unit;
    f.value = value;
    f.lowerIsBetter = lowerIsBetter;
    return f;
}

BenchRow measure(bool sorted, bool quick, Frames &frames)
{
    const qint64 rows = BenchRunner::profileFor(quick).tableRows;
    BenchRow row;
    row.mechanism = QStringLiteral("table view");
    row.test = sorted ? QStringLiteral("table-lag-sorted") : QStringLiteral("table-lag-arrival");
    row.label = QStringLiteral("%1 rows in, %2").arg(rows).arg(sorted ? QStringLiteral("sorted by salary") : QStringLiteral("arrival order"));
    row.floorNote = QStringLiteral("lateness of a 1 ms timer on the GUI thread, in-process");
    row.recordsPerFrame = RecordsPerFrame;
    if (!qobject_cast<QApplication *>(QCoreApplication::instance())) {
        row.skipped = QStringLiteral("needs widgets, and this benchmark runs without a QApplication");
        return row;
    }
    if (QThread::currentThread() != qApp->thread()) {
        row.skipped = QStringLiteral("widgets live on the GUI thread, and this benchmark runs on another one");
        return row;
    }
    frames.build(rows);

    BenchSinkEndpoint endpoint;
    EmployeeTableModel model;
    RecordViewModel viewModel;
    viewModel.setSourceModel(&model);
    ReceiverSession session(&endpoint, QStringLiteral("bench"));
    QObject::connect(&session, &ReceiverSession::batchesReceived, &model, &EmployeeTableModel::appendBatches);
    QTableView table;
    table.setModel(&viewModel);
    if (sorted) {
        table.horizontalHeader()->setSortIndicator(EmployeeTableModel::Salary, Qt::AscendingOrder);
        table.setSortingEnabled(true); // sorts the (still empty) view, as a click on the header would
    }
    table.resize(1000, 600);
    table.show();
    QEventLoop loop;
    while (viewModel.isBusy()) // the first, empty sort
        loop.processEvents(QEventLoop::WaitForMoreEvents);

    // The lateness of each tick: the time since the previous one beyond the 1 ms asked for.
    std::vector<double> lateMs;
    QElapsedTimer clock;
    qint64 previousNs = 0;
    qint64 doneNs = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(TickMs);
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        const qint64 now = clock.nsecsElapsed();
        lateMs.push_back(qMax(0.0, double(now - previousNs) / 1e6 - TickMs));
        previousNs = now;
        if (viewModel.rowCount() == rows && !viewModel.isBusy()) {
            doneNs = now;
            loop.quit();
        }
    });
    // One frame per turn of the event loop, as fast as it turns.
    qsizetype next = 0;
    QTimer feed;
    feed.setInterval(0);
    QObject::connect(&feed, &QTimer::timeout, &loop, [&] {
        endpoint.deliver(frames.frames.at(next++));
        if (next == frames.frames.size())
            feed.stop();
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    const int limitSeconds = BaseSeconds + int(rows / SlowestRate);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
    deadline.start(limitSeconds * 1000);
    clock.start();
    tick.start();
    feed.start();
    const bool finished = loop.exec() == 0;
    tick.stop();
    feed.stop();
    if (!finished) {
        row.skipped = QStringLiteral("the view showed %1 of %2 rows after %3 s").arg(viewModel.rowCount()).arg(rows).arg(limitSeconds);
        return row;
    }
    std::sort(lateMs.begin(), lateMs.end());
    BenchFigure maxLag = figure(QStringLiteral("max lag"), QStringLiteral("ms"), lateMs.back(), true);
    maxLag.target = MaxLagTargetMs;
    row.figures << maxLag << figure(QStringLiteral("p99 lag"), QStringLiteral("ms"), BenchStats::percentile(lateMs, 99), true)
                << figure(QStringLiteral("records/s"), QStringLiteral("rec/s"), BenchStats::perSecond(double(rows), double(doneNs) / 1e9), false);
    return row;
}

} // namespace

QVector<BenchConfig::Extra> extras()
{
    auto frames = std::make_shared<Frames>();
    return {
        {QStringLiteral("table view, arrival order"), [frames](bool quick) { return measure(false, quick, *frames); }},
        {QStringLiteral("table view, sorted by salary"), [frames](bool quick) { return measure(true, quick, *frames); }},
    };
}

} // namespace BenchTableLag
