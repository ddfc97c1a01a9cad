// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchtablelag.h"

#include "benchsinkendpoint.h"
#include "benchstats.h"
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "framecodec.h"
#include "receiversession.h"
#include "recordtableview.h"
#include "recordviewmodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHeaderView>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace BenchTableLag {

namespace {

constexpr int RecordsPerFrame = 4096;
constexpr quint32 SenderId = 0x4c414721; // "LAG!": one sender, numbered from 1 in every run
constexpr int TickMs = 1;
constexpr double MaxLagTargetMs = 50;
constexpr double SortTargetSeconds = 3;
constexpr double FilterTargetSeconds = 1;
const QString FilterNeedle = QStringLiteral("Nakamura"); // one surname in twenty
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

// Notes how late each tick of a 1 ms timer on the GUI thread comes (time since the previous tick
// beyond the 1 ms asked for): how long the window could not react.
class LagMeter
{
public:
    LagMeter()
    {
        m_tick.setTimerType(Qt::PreciseTimer);
        m_tick.setInterval(TickMs);
        QObject::connect(&m_tick, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_lateMs.push_back(qMax(0.0, double(now - m_previousNs) / 1e6 - TickMs));
            m_previousNs = now;
            if (m_onTick)
                m_onTick(now);
        });
    }
    // `onTick` is called with the nanoseconds since start() after each tick.
    void start(std::function<void(qint64)> onTick = {})
    {
        m_onTick = std::move(onTick);
        m_lateMs.clear();
        m_previousNs = 0;
        m_clock.start();
        m_tick.start();
    }
    void stop()
    {
        m_tick.stop();
        std::sort(m_lateMs.begin(), m_lateMs.end());
    }
    double maxMs() const { return m_lateMs.empty() ? 0 : m_lateMs.back(); }
    double p99Ms() const { return m_lateMs.empty() ? 0 : BenchStats::percentile(m_lateMs, 99); }

private:
    QTimer m_tick;
    QElapsedTimer m_clock;
    qint64 m_previousNs = 0;
    std::vector<double> m_lateMs;
    std::function<void(qint64)> m_onTick;
};

// A row of the table's measurements, skipped with the reason when this thread has no widgets.
BenchRow tableRow(const QString &test, const QString &label, const QString &note)
{
    BenchRow row;
    row.mechanism = QStringLiteral("table view");
    row.test = test;
    row.label = label;
    row.floorNote = note;
    row.recordsPerFrame = RecordsPerFrame;
    if (!qobject_cast<QApplication *>(QCoreApplication::instance()))
        row.skipped = QStringLiteral("needs widgets, and this benchmark runs without a QApplication");
    else if (QThread::currentThread() != qApp->thread())
        row.skipped = QStringLiteral("widgets live on the GUI thread, and this benchmark runs on another one");
    return row;
}

BenchRow measure(bool sorted, bool quick, Frames &frames)
{
    const qint64 rows = BenchRunner::profileFor(quick).tableRows;
    BenchRow row = tableRow(sorted ? QStringLiteral("table-lag-sorted") : QStringLiteral("table-lag-arrival"),
                            QStringLiteral("%1 rows in, %2").arg(rows).arg(sorted ? QStringLiteral("sorted by salary") : QStringLiteral("arrival order")),
                            QStringLiteral("lateness of a 1 ms timer on the GUI thread, in-process"));
    if (!row.skipped.isEmpty())
        return row;
    frames.build(rows);

    BenchSinkEndpoint endpoint;
    EmployeeTableModel model;
    RecordViewModel viewModel;
    viewModel.setSourceModel(&model);
    ReceiverSession session(&endpoint, QStringLiteral("bench"));
    QObject::connect(&session, &ReceiverSession::batchesReceived, &model, &EmployeeTableModel::appendBatches);
    RecordTableView table; // the receiver window's
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

    qint64 doneNs = 0;
    LagMeter lag;
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
    lag.start([&](qint64 now) {
        if (viewModel.rowCount() == rows && !viewModel.isBusy()) {
            doneNs = now;
            loop.quit();
        }
    });
    feed.start();
    const bool finished = loop.exec() == 0;
    lag.stop();
    feed.stop();
    if (!finished) {
        row.skipped = QStringLiteral("the view showed %1 of %2 rows after %3 s").arg(viewModel.rowCount()).arg(rows).arg(limitSeconds);
        return row;
    }
    BenchFigure maxLag = BenchFigure::alone(QStringLiteral("max lag"), QStringLiteral("ms"), lag.maxMs(), true);
    maxLag.target = MaxLagTargetMs;
    row.figures << maxLag << BenchFigure::alone(QStringLiteral("p99 lag"), QStringLiteral("ms"), lag.p99Ms(), true)
                << BenchFigure::alone(QStringLiteral("records/s"), QStringLiteral("rec/s"), BenchStats::perSecond(double(rows), double(doneNs) / 1e9), false);
    return row;
}

// The whole table, visible, sorted by salary and then filtered by a name: how long each takes
// (on RecordViewModel's worker) and how late the GUI thread's ticks come meanwhile.
BenchRow measureSortAndFilter(bool quick, Frames &frames)
{
    const qint64 rows = BenchRunner::profileFor(quick).tableRows;
    BenchRow row = tableRow(QStringLiteral("table-sort-filter"),
                            QStringLiteral("%1 rows: sort by salary, filter names by \"%2\"").arg(rows).arg(FilterNeedle),
                            QStringLiteral("seconds until the view shows the result; lateness of a 1 ms timer on the GUI thread meanwhile"));
    if (!row.skipped.isEmpty())
        return row;
    frames.build(rows);

    EmployeeTableModel model;
    RecordBatchList batches;
    for (const QByteArray &frame : std::as_const(frames.frames)) {
        auto batch = std::make_shared<RecordBatch>();
        FrameCodec::indexRecords(frame, batch.get());
        batches.append(std::move(batch));
    }
    model.appendBatches(batches);
    RecordViewModel viewModel;
    viewModel.setSourceModel(&model);
    RecordTableView table;
    table.setModel(&viewModel);
    table.resize(1000, 600);
    table.show();

    double maxLagMs = 0;
    const int limitSeconds = BaseSeconds + int(rows / SlowestRate);
    // Seconds from asking until the view shows the result, or -1 past the time limit.
    auto secondsUntilShown = [&](const std::function<void()> &ask) {
        QEventLoop loop;
        qint64 doneNs = -1;
        LagMeter lag;
        QTimer deadline;
        deadline.setSingleShot(true);
        QObject::connect(&deadline, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
        deadline.start(limitSeconds * 1000);
        ask();
        lag.start([&](qint64 now) {
            if (!viewModel.isBusy()) {
                doneNs = now;
                loop.quit();
            }
        });
        loop.exec();
        lag.stop();
        maxLagMs = qMax(maxLagMs, lag.maxMs());
        return doneNs < 0 ? -1.0 : double(doneNs) / 1e9;
    };
    const double sortSeconds = secondsUntilShown([&] { viewModel.sort(EmployeeTableModel::Salary, Qt::AscendingOrder); });
    const double filterSeconds = sortSeconds < 0 ? -1
                                                 : secondsUntilShown([&] { viewModel.setFilter(FilterNeedle, EmployeeTableModel::Name); });
    if (filterSeconds < 0) {
        row.skipped = QStringLiteral("the %1 took longer than %2 s").arg(sortSeconds < 0 ? QStringLiteral("sort") : QStringLiteral("filter")).arg(limitSeconds);
        return row;
    }
    if (viewModel.rowCount() == 0 || viewModel.rowCount() >= rows) {
        row.skipped = QStringLiteral("the filter kept %1 of %2 rows: it did not filter").arg(viewModel.rowCount()).arg(rows);
        return row;
    }
    BenchFigure sort = BenchFigure::alone(QStringLiteral("sort"), QStringLiteral("s"), sortSeconds, true);
    sort.target = SortTargetSeconds;
    BenchFigure filter = BenchFigure::alone(QStringLiteral("filter"), QStringLiteral("s"), filterSeconds, true);
    filter.target = FilterTargetSeconds;
    BenchFigure maxLag = BenchFigure::alone(QStringLiteral("max lag"), QStringLiteral("ms"), maxLagMs, true);
    maxLag.target = MaxLagTargetMs;
    row.figures << sort << filter << maxLag;
    return row;
}

} // namespace

QVector<BenchConfig::Extra> extras()
{
    auto frames = std::make_shared<Frames>();
    return {
        {QStringLiteral("table view, arrival order"), [frames](bool quick) { return measure(false, quick, *frames); }},
        {QStringLiteral("table view, sorted by salary"), [frames](bool quick) { return measure(true, quick, *frames); }},
        {QStringLiteral("table view, sort and filter"), [frames](bool quick) { return measureSortAndFilter(quick, *frames); }},
    };
}

} // namespace BenchTableLag
