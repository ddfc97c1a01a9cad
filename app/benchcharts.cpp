// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchcharts.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QSvgGenerator>

#include <algorithm>

namespace BenchCharts {

namespace {

const QSize ChartSize(1100, 650);
// Half the width of a spread bar's caps: on the percentile axis in categories, on the
// frame-size axis (log) as a factor.
constexpr double SpreadCapWidth = 0.06;
constexpr double SpreadCapFactor = 1.08;

QColor colorFor(const QString &mechanism)
{
    static const QHash<QString, QColor> colors{
        {QStringLiteral("tcp"), QColor(0x1f, 0x77, 0xb4)},         {QStringLiteral("localsocket"), QColor(0xff, 0x7f, 0x0e)},
        {QStringLiteral("namedpipe"), QColor(0x2c, 0xa0, 0x2c)},   {QStringLiteral("mailslot"), QColor(0xd6, 0x27, 0x28)},
        {QStringLiteral("filemapping"), QColor(0x94, 0x67, 0xbd)}, {QStringLiteral("clipboard"), QColor(0x8c, 0x56, 0x4b)},
    };
    return colors.value(mechanism, QColor(0x7f, 0x7f, 0x7f));
}

QLineSeries *series(const QString &name, const QColor &color, bool floor)
{
    auto *s = new QLineSeries;
    s->setName(name);
    QPen pen(color);
    pen.setWidthF(floor ? 1.5 : 2.5);
    pen.setStyle(floor ? Qt::DashLine : Qt::SolidLine);
    s->setPen(pen);
    s->setPointsVisible(true);
    return s;
}

// The min-max spread of repeated runs at one point: a thin I-beam in the series' colour.
// QtCharts has no error bars; a line series per point draws one, left out of the legend.
// `capLow` and `capHigh` are the x where the caps end (a log axis wants them multiplicative).
void addSpread(QChart *chart, const QColor &color, double x, double capLow, double capHigh, double low, double high)
{
    auto *bar = new QLineSeries;
    QPen pen(color);
    pen.setWidthF(1.0);
    bar->setPen(pen);
    *bar << QPointF(capLow, low) << QPointF(capHigh, low) << QPointF(x, low) << QPointF(x, high) << QPointF(capLow, high)
         << QPointF(capHigh, high);
    chart->addSeries(bar);
    for (QLegendMarker *marker : chart->legend()->markers(bar))
        marker->setVisible(false);
}

// What a chart of repeated runs shows, for its title.
QString spreadNote(const BenchReport &report)
{
    return report.machine.runs > 1 ? QStringLiteral("; medians of %1 runs, bars: min to max").arg(report.machine.runs) : QString();
}

QLogValueAxis *logAxis(const QString &title, double low, double high)
{
    auto *axis = new QLogValueAxis;
    axis->setTitleText(title);
    axis->setBase(10);
    axis->setLabelFormat(QStringLiteral("%g"));
    axis->setMinorTickCount(8);
    axis->setRange(std::pow(10, std::floor(std::log10(std::max(low, 1e-3)))), std::pow(10, std::ceil(std::log10(std::max(high, 1e-3)))));
    return axis;
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
    QChartView view(chart);
    view.setRenderHint(QPainter::Antialiasing);
    view.resize(ChartSize);
    if (!view.grab().save(base + QStringLiteral(".png"))) {
        *error = QStringLiteral("Cannot write %1.png.").arg(base);
        return false;
    }
    QSvgGenerator svg;
    svg.setFileName(base + QStringLiteral(".svg"));
    svg.setSize(ChartSize);
    svg.setViewBox(QRect(QPoint(0, 0), ChartSize));
    svg.setTitle(chart->title());
    QPainter painter;
    if (!painter.begin(&svg)) {
        *error = QStringLiteral("Cannot write %1.svg.").arg(base);
        return false;
    }
    view.render(&painter);
    painter.end();
    *written << base + QStringLiteral(".png") << base + QStringLiteral(".svg");
    return true;
}

} // namespace

QChart *latencyChart(const BenchReport &report, const QString &test)
{
    auto *chart = new QChart;
    chart->setTitle(test == QLatin1String("latency-1") ? QStringLiteral("Round trip, 1-record frames: percentiles (solid: mechanism, dashed: its OS floor)")
                                                       : QStringLiteral("Round trip, 64 KiB frames: percentiles (solid: mechanism, dashed: its OS floor)"));
    chart->setTitle(chart->title() + spreadNote(report));
    const QStringList names{QStringLiteral("p50"), QStringLiteral("p90"), QStringLiteral("p99"), QStringLiteral("p99.9"), QStringLiteral("max")};
    double low = 1e12, high = 0;
    QStringList floorsDrawn;
    for (const BenchRow &row : report.rows) {
        if (row.test != test || !row.skipped.isEmpty() || row.mechanism.startsWith(QLatin1String("floor:")))
            continue;
        QLineSeries *measured = series(row.mechanism, colorFor(row.mechanism), false);
        QLineSeries *floor = nullptr;
        if (!row.floorId.isEmpty() && !floorsDrawn.contains(row.floorId)) {
            floor = series(QStringLiteral("floor ") + row.floorId, colorFor(row.mechanism), true);
            floorsDrawn << row.floorId;
        }
        chart->addSeries(measured);
        if (floor)
            chart->addSeries(floor);
        for (int i = 0; i < names.size(); ++i) {
            const BenchFigure *f = row.figure(names.at(i));
            if (!f)
                continue;
            measured->append(i, f->value);
            low = std::min(low, f->min());
            high = std::max(high, f->max());
            if (f->samples.size() > 1)
                addSpread(chart, colorFor(row.mechanism), i, i - SpreadCapWidth, i + SpreadCapWidth, f->min(), f->max());
            if (floor && f->hasFloor()) {
                floor->append(i, f->floor);
                low = std::min(low, f->floorMin());
                high = std::max(high, f->floorMax());
                if (f->floorSamples.size() > 1)
                    addSpread(chart, colorFor(row.mechanism), i, i - SpreadCapWidth, i + SpreadCapWidth, f->floorMin(), f->floorMax());
            }
        }
    }
    auto *x = new QCategoryAxis;
    x->setTitleText(QStringLiteral("percentile"));
    x->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    for (int i = 0; i < names.size(); ++i)
        x->append(names.at(i), i);
    x->setRange(-0.2, names.size() - 0.8);
    attach(chart, x, logAxis(QStringLiteral("microseconds (log)"), high > 0 ? low : 1, high > 0 ? high : 10));
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
        if (row.test.startsWith(QLatin1String("throughput-")) && row.skipped.isEmpty() && !row.mechanism.startsWith(QLatin1String("floor:")))
            byMechanism[row.mechanism].append(&row);
    double lowX = 1e12, highX = 0, lowY = 1e12, highY = 0;
    for (auto it = byMechanism.begin(); it != byMechanism.end(); ++it) {
        QVector<const BenchRow *> rows = it.value();
        std::sort(rows.begin(), rows.end(), [](const BenchRow *a, const BenchRow *b) { return a->frameBytes < b->frameBytes; });
        QLineSeries *measured = series(it.key(), colorFor(it.key()), false);
        QLineSeries *floor = rows.first()->floorId.isEmpty() ? nullptr
                                                             : series(QStringLiteral("floor ") + rows.first()->floorId, colorFor(it.key()), true);
        chart->addSeries(measured);
        if (floor)
            chart->addSeries(floor);
        for (const BenchRow *row : rows) {
            const BenchFigure *f = row->figure(QStringLiteral("MB/s"));
            if (!f)
                continue;
            const double x = row->frameBytes;
            measured->append(x, f->value);
            lowX = std::min(lowX, x);
            highX = std::max(highX, x);
            lowY = std::min(lowY, f->min());
            highY = std::max(highY, f->max());
            if (f->samples.size() > 1)
                addSpread(chart, colorFor(it.key()), x, x / SpreadCapFactor, x * SpreadCapFactor, f->min(), f->max());
            if (floor && f->hasFloor()) {
                floor->append(x, f->floor);
                lowY = std::min(lowY, f->floorMin());
                highY = std::max(highY, f->floorMax());
                if (f->floorSamples.size() > 1)
                    addSpread(chart, colorFor(it.key()), x, x / SpreadCapFactor, x * SpreadCapFactor, f->floorMin(), f->floorMax());
            }
        }
    }
    attach(chart, logAxis(QStringLiteral("frame size, bytes (log)"), highX > 0 ? lowX : 10, highX > 0 ? highX : 1e6),
           logAxis(QStringLiteral("MB/s (log)"), highY > 0 ? lowY : 1, highY > 0 ? highY : 1000));
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
