// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchcharts.h"

#include "chartfile.h"
#include "chartstyle.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>

namespace BenchCharts {

namespace {

const QSize ChartSize(1100, 650);
// Half the width of a spread bar's caps, in the plot's units: categories on the percentile
// axis, decades on the frame-size axis.
constexpr double SpreadCapWidth = 0.06;
constexpr double SpreadCapDecades = 0.03;
// Benchmark lines show their measured points.
// A mechanism's own line: not a floor row, and not a variant of a mechanism measured beside its
// own floor (filemapping?wait=spin), which the table shows with the CPU it costs: its long name
// would crowd the legend of every chart.
bool isChartedMechanism(const BenchRow &row)
{
    return !row.mechanism.startsWith(QLatin1String("floor:")) && !row.mechanism.contains(QLatin1Char('?'));
}

QLineSeries *series(const QString &name, const QColor &color, bool floor)
{
    QLineSeries *s = ChartStyle::lineSeries(name, color, floor);
    s->setPointsVisible(true);
    return s;
}

void hideFromLegend(QChart *chart, QAbstractSeries *series)
{
    for (QLegendMarker *marker : chart->legend()->markers(series))
        marker->setVisible(false);
}

// The min-max spread of repeated runs at one point: a thin I-beam in the series' colour.
// QtCharts has no error bars; a line series per point draws one, left out of the legend.
void addSpread(QChart *chart, const QColor &color, double x, double capHalfWidth, double low, double high)
{
    auto *bar = new QLineSeries;
    QPen pen(color);
    pen.setWidthF(1.0);
    bar->setPen(pen);
    const double left = x - capHalfWidth, right = x + capHalfWidth;
    *bar << QPointF(left, low) << QPointF(right, low) << QPointF(x, low) << QPointF(x, high) << QPointF(left, high) << QPointF(right, high);
    chart->addSeries(bar);
    hideFromLegend(chart, bar);
}

// What a chart of repeated runs shows, for its title.
QString spreadNote(const BenchReport &report)
{
    return report.machine.runs > 1 ? QStringLiteral("; medians of %1 runs, bars: min to max").arg(report.machine.runs) : QString();
}

void attach(QChart *chart, QAbstractAxis *x, QAbstractAxis *y)
{
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QAbstractSeries *s : chart->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
}

bool render(QChart *chart, const QString &base, QStringList *written, QString *error)
{
    const std::unique_ptr<QChartView> view = ChartFile::offscreenView(chart, ChartSize);
    for (const QLatin1String suffix : {QLatin1String(".png"), QLatin1String(".svg")}) {
        const QString path = base + suffix;
        if (!ChartFile::write(path, ChartSize, chart->title(), [&view](QPainter &painter) { view->render(&painter); }, error))
            return false;
        *written << path;
    }
    return true;
}

// The range of the values plotted on an axis, in the values' own unit.
struct Span
{
    double low = std::numeric_limits<double>::max();
    double high = 0;

    void include(double v)
    {
        low = std::min(low, v);
        high = std::max(high, v);
    }
    bool isEmpty() const { return high <= 0; }
};

// A mechanism's solid line, and the dashed line of its floor in the same colour when it has one
// (left out of the legend: the title says what dashes are).
struct Lines
{
    QLineSeries *measured = nullptr;
    QLineSeries *floor = nullptr;
};

Lines addLines(QChart *chart, const QString &mechanism, const QString &floorId)
{
    Lines lines;
    lines.measured = series(mechanism, ChartStyle::mechanismColor(mechanism), false);
    chart->addSeries(lines.measured);
    if (!floorId.isEmpty()) {
        lines.floor = series(QStringLiteral("floor ") + floorId, ChartStyle::mechanismColor(mechanism), true);
        chart->addSeries(lines.floor);
        hideFromLegend(chart, lines.floor);
    }
    return lines;
}

// Plots `f` at `x` on the mechanism's line and its floor on the floor's, each with the spread of
// its runs, and widens `y` to take them.
void plotFigure(QChart *chart, const QString &mechanism, const Lines &lines, double x, double capHalfWidth, const BenchFigure &f, Span *y)
{
    const QColor color = ChartStyle::mechanismColor(mechanism);
    lines.measured->append(x, ChartStyle::logOf(f.value));
    y->include(f.min());
    y->include(f.max());
    if (f.samples.size() > 1)
        addSpread(chart, color, x, capHalfWidth, ChartStyle::logOf(f.min()), ChartStyle::logOf(f.max()));
    if (!lines.floor || !f.hasFloor())
        return;
    lines.floor->append(x, ChartStyle::logOf(f.floor));
    y->include(f.floorMin());
    y->include(f.floorMax());
    if (f.floorSamples.size() > 1)
        addSpread(chart, color, x, capHalfWidth, ChartStyle::logOf(f.floorMin()), ChartStyle::logOf(f.floorMax()));
}

} // namespace

QChart *latencyChart(const BenchReport &report, const QString &test)
{
    auto *chart = new QChart;
    chart->setTitle(test == QLatin1String("latency-1") ? QStringLiteral("Round trip, 1-record frames: percentiles (solid: mechanism, dashed: its OS floor)")
                                                       : QStringLiteral("Round trip, 64 KiB frames: percentiles (solid: mechanism, dashed: its OS floor)"));
    chart->setTitle(chart->title() + spreadNote(report));
    const QStringList names{QStringLiteral("p50"), QStringLiteral("p90"), QStringLiteral("p99"), QStringLiteral("p99.9"), QStringLiteral("max")};
    Span y;
    QStringList floorsDrawn;
    for (const BenchRow &row : report.rows) {
        if (row.test != test || !row.skipped.isEmpty() || !isChartedMechanism(row))
            continue;
        // Two mechanisms over one floor draw it once.
        const QString floorId = floorsDrawn.contains(row.floorId) ? QString() : row.floorId;
        floorsDrawn << row.floorId;
        const Lines lines = addLines(chart, row.mechanism, floorId);
        for (int i = 0; i < names.size(); ++i)
            if (const BenchFigure *f = row.figure(names.at(i)))
                plotFigure(chart, row.mechanism, lines, i, SpreadCapWidth, *f, &y);
    }
    auto *x = new QCategoryAxis;
    x->setTitleText(QStringLiteral("percentile"));
    x->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    for (int i = 0; i < names.size(); ++i)
        x->append(names.at(i), i);
    x->setRange(-0.2, names.size() - 0.8);
    attach(chart, x, ChartStyle::decadeAxis(QStringLiteral("round-trip time (log scale)"), y.isEmpty() ? 1 : y.low, y.isEmpty() ? 10 : y.high, ChartStyle::DurationUnits, 1));
    chart->legend()->setAlignment(Qt::AlignRight);
    return chart;
}

QChart *throughputChart(const BenchReport &report)
{
    auto *chart = new QChart;
    chart->setTitle(QStringLiteral("One-way throughput with acknowledgements against frame size (solid: mechanism, dashed: its OS floor)"));
    chart->setTitle(chart->title() + spreadNote(report));
    QMap<QString, QVector<const BenchRow *>> byMechanism;
    for (const BenchRow &row : report.rows)
        if (row.test.startsWith(QLatin1String("throughput-")) && row.skipped.isEmpty() && isChartedMechanism(row))
            byMechanism[row.mechanism].append(&row);
    Span x, y;
    for (auto it = byMechanism.begin(); it != byMechanism.end(); ++it) {
        QVector<const BenchRow *> rows = it.value();
        std::sort(rows.begin(), rows.end(), [](const BenchRow *a, const BenchRow *b) { return a->frameBytes < b->frameBytes; });
        const Lines lines = addLines(chart, it.key(), rows.first()->floorId);
        for (const BenchRow *row : rows) {
            if (const BenchFigure *f = row->figure(QStringLiteral("MB/s"))) {
                x.include(row->frameBytes);
                plotFigure(chart, it.key(), lines, ChartStyle::logOf(row->frameBytes), SpreadCapDecades, *f, &y);
            }
        }
    }
    attach(chart, ChartStyle::decadeAxis(QStringLiteral("frame size (log scale)"), x.isEmpty() ? 10 : x.low, x.isEmpty() ? 1e6 : x.high, ChartStyle::ByteUnits, 0),
           ChartStyle::decadeAxis(QStringLiteral("throughput (log scale)"), y.isEmpty() ? 1 : y.low, y.isEmpty() ? 1000 : y.high, ChartStyle::ByteRateUnits, 1));
    chart->legend()->setAlignment(Qt::AlignRight);
    return chart;
}

QStringList save(const BenchReport &report, const QString &dir, QString *error)
{
    QStringList written;
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("Cannot create the folder %1.").arg(dir);
        return {};
    }
    const QDir out(dir);
    if (!render(latencyChart(report, QStringLiteral("latency-1")), out.filePath(QStringLiteral("latency-1record")), &written, error)
        || !render(latencyChart(report, QStringLiteral("latency-64k")), out.filePath(QStringLiteral("latency-64k")), &written, error)
        || !render(throughputChart(report), out.filePath(QStringLiteral("throughput")), &written, error))
        return {};
    return written;
}

} // namespace BenchCharts
