// SPDX-License-Identifier: GPL-3.0-or-later
#include "transferplot.h"

#include "chartfile.h"
#include "chartstyle.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLineSeries>
#include <QCategoryAxis>
#include <QLocale>
#include <QPainter>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

const QSize PictureChartSize(1000, 560);
constexpr int PictureMargin = 20;
constexpr int PictureTextPixels = 16;
// A short chart (the sender's tab at half a 1366x768 screen) gives the plot what the axis
// titles would take, and counts in fewer, larger steps: Qt Charts cuts every label of an axis
// to "..." once they crowd. A step needs about PixelsPerStep of the chart's height.
constexpr int TimeTitleFromHeight = 170;
constexpr int AmountTitleFromHeight = 120;
constexpr int PixelsPerStep = 30;
constexpr int FineSteps = 5;
constexpr int CoarseSteps = 2;
// Latencies are plotted in milliseconds, the third of ChartStyle::DurationUnits.
constexpr int MillisecondUnit = 2;
// Below this many points a line alone is hard to read (one point draws none): mark each.
constexpr size_t MarkedPointsBelow = 16;

// "1.5 M" reads better than seven digits on a narrow axis, and keeps the axis title short.
struct Scale
{
    double divisor;
    const char *labelFormat;
};

Scale scaleFor(double largest)
{
    if (largest >= 1e6)
        return {1e6, "%g M"};
    if (largest >= 1e4)
        return {1e3, "%g k"};
    return {1, "%g"};
}

QValueAxis *valueAxis(const QString &title)
{
    auto *axis = new QValueAxis;
    axis->setTitleText(title);
    axis->setLabelFormat(QStringLiteral("%g"));
    return axis;
}

// From 0 to `high` (at least `least`) rounded up to a step of 1, 2, 2.5 or 5 times a power of
// ten, with a tick at every step: at most `maxSteps`, so a small chart stays legible and the
// data fill most of it.
void fitRange(QValueAxis *axis, double high, double least, int maxSteps)
{
    const double top = std::max(high, least);
    const double magnitude = std::pow(10, std::floor(std::log10(top / maxSteps)));
    double step = magnitude * 10;
    for (const double factor : {1.0, 2.0, 2.5, 5.0})
        if (top / (factor * magnitude) <= maxSteps + 1e-9) {
            step = factor * magnitude;
            break;
        }
    const int steps = std::max(1, int(std::ceil(top / step - 1e-9)));
    axis->setRange(0, steps * step);
    axis->setTickCount(steps + 1);
}

void plot(QChart *chart, QLineSeries *series, QAbstractAxis *x, QAbstractAxis *y)
{
    chart->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
}

QLineSeries *thinLine(const QString &name, const QColor &color)
{
    QLineSeries *series = ChartStyle::lineSeries(name, color);
    QPen pen = series->pen();
    pen.setWidthF(1.5);
    series->setPen(pen);
    return series;
}

// Whole records, cut like the panels' counters cut them, so both show the same number.
QString number(double n)
{
    return QLocale().toString(qint64(n));
}

QString milliseconds(double ms)
{
    const int decimals = std::abs(ms) < 10 ? 2 : std::abs(ms) < 100 ? 1 : 0;
    return QLocale().toString(ms, 'f', decimals);
}

} // namespace

TransferPlot::TransferPlot(Role role, QChart *chart)
    : m_role(role), m_time(valueAxis(tr("seconds since the first record"))),
      m_amount(valueAxis(role == Role::Receiver ? tr("records/s") : tr("records")))
{
    m_time->setLabelFormat(QStringLiteral("%g s"));
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_amount, Qt::AlignLeft);
    if (role == Role::Receiver) {
        m_rate = ChartStyle::lineSeries(tr("records/s"), ChartStyle::paletteColor(0));
        m_p50 = thinLine(tr("latency p50"), ChartStyle::paletteColor(1));
        m_p99 = thinLine(tr("latency p99"), ChartStyle::paletteColor(3));
        m_latency = ChartStyle::decadeAxis(tr("latency (log scale)"), 0.1, 10, ChartStyle::DurationUnits, MillisecondUnit);
        // The records/s grid is enough: a second one, at other heights, only clutters.
        m_latency->setGridLineVisible(false);
        chart->addAxis(m_latency, Qt::AlignRight);
        plot(chart, m_rate, m_time, m_amount);
        plot(chart, m_p50, m_time, m_latency);
        plot(chart, m_p99, m_time, m_latency);
    } else {
        m_time->setTitleText(tr("seconds since sending began"));
        // Acknowledged underneath, thick; sent on top, dashed: both show where they coincide.
        m_acked = ChartStyle::lineSeries(tr("acknowledged"), ChartStyle::paletteColor(2));
        m_sent = ChartStyle::lineSeries(tr("sent"), ChartStyle::paletteColor(0), true);
        plot(chart, m_acked, m_time, m_amount);
        plot(chart, m_sent, m_time, m_amount);
    }
    // The receiver's three lines read best above the plot; the sender's two fit beside it,
    // leaving the height its short tab has to the plot.
    chart->legend()->setAlignment(role == Role::Receiver ? Qt::AlignTop : Qt::AlignRight);
    show({});
}

void TransferPlot::fitHeight(int pixels)
{
    m_time->setTitleVisible(pixels >= TimeTitleFromHeight);
    m_amount->setTitleVisible(pixels >= AmountTitleFromHeight); // else the legend says what is counted
    // The time axis and the margins take about one step's height.
    m_maxSteps = qBound(CoarseSteps, pixels / PixelsPerStep - 1, FineSteps);
}

QList<QLineSeries *> TransferPlot::series() const
{
    if (m_role == Role::Receiver)
        return {m_rate, m_p50, m_p99};
    return {m_acked, m_sent};
}

void TransferPlot::show(const std::vector<TransferMeter::Point> &points)
{
    double largest = 0;
    double lowLatency = std::numeric_limits<double>::max();
    double highLatency = 0;
    for (const TransferMeter::Point &p : points) {
        largest = std::max(largest, m_role == Role::Receiver ? p.recordsPerSecond : double(p.sent));
        if (!std::isnan(p.latencyP50Ms)) {
            lowLatency = std::min(lowLatency, p.latencyP50Ms);
            highLatency = std::max(highLatency, p.latencyP99Ms);
        }
    }
    const Scale scale = scaleFor(largest);
    m_amount->setLabelFormat(QLatin1String(scale.labelFormat));

    // One replace() per series: a single repaint, however many points.
    QList<QPointF> first, second, third;
    first.reserve(qsizetype(points.size()) + 1);
    second.reserve(qsizetype(points.size()) + 1);
    if (m_role == Role::Sender && !points.empty()) { // totals: none at the start
        first.append({0, 0});
        second.append({0, 0});
    }
    for (const TransferMeter::Point &p : points) {
        if (m_role == Role::Receiver) {
            first.append({p.seconds, p.recordsPerSecond / scale.divisor});
            if (!std::isnan(p.latencyP50Ms)) { // no frame, no latency: the line bridges the pause
                second.append({p.seconds, ChartStyle::logOf(p.latencyP50Ms)});
                third.append({p.seconds, ChartStyle::logOf(p.latencyP99Ms)});
            }
        } else {
            first.append({p.seconds, double(p.acked) / scale.divisor});
            second.append({p.seconds, double(p.sent) / scale.divisor});
        }
    }
    if (m_role == Role::Receiver) {
        m_rate->replace(first);
        m_p50->replace(second);
        m_p99->replace(third);
        if (highLatency > 0)
            ChartStyle::fitDecades(m_latency, lowLatency, highLatency, ChartStyle::DurationUnits, MillisecondUnit);
    } else {
        m_acked->replace(first);
        m_sent->replace(second);
    }
    for (QLineSeries *line : series())
        line->setPointsVisible(points.size() < MarkedPointsBelow);
    fitRange(m_amount, largest / scale.divisor, 1, m_maxSteps);
    fitRange(m_time, points.empty() ? 0 : points.back().seconds, 1, FineSteps);
}

QStringList TransferPlot::summaryLines(Role role, const Figures &f)
{
    if (f.records == 0)
        return {role == Role::Receiver ? tr("No records yet: the chart fills as a transfer arrives.")
                                       : tr("Nothing sent yet: the chart fills as a transfer goes out.")};
    const QString seconds = QLocale().toString(f.seconds, 'f', 2);
    const QString rate = f.recordsPerSecond > 0 ? number(f.recordsPerSecond) : QStringLiteral("–");
    QStringList lines;
    if (role == Role::Receiver) {
        lines << tr("%1 records in %2 frames over %3 s: %4 records/s").arg(number(f.records), number(f.frames), seconds, rate);
        if (!std::isnan(f.latencyP50Ms))
            lines << tr("Latency of the frames: p50 %1 ms, p99 %2 ms").arg(milliseconds(f.latencyP50Ms), milliseconds(f.latencyP99Ms));
    } else {
        lines << tr("%1 records sent in %2 frames over %3 s: %4 records/s").arg(number(f.records), number(f.frames), seconds, rate);
        lines << (f.acked >= 0 ? tr("%1 records acknowledged by the receiver").arg(number(f.acked))
                               : tr("One to many: each receiver counts what it got"));
    }
    return lines;
}

QString TransferPlot::latencyNote()
{
    return tr("Latency is the receiver's clock when a frame arrived minus the sender's clock when it sealed the frame "
              "(both the system clock): meaningful only when sender and receiver run on the same machine.");
}

bool TransferPlot::savePicture(const QString &path, Role role, const std::vector<TransferMeter::Point> &points,
                               const QString &title, const Figures &figures, QString *error)
{
    auto *chart = new QChart; // the view takes it
    TransferPlot plot(role, chart);
    plot.show(points);
    chart->setTitle(title);
    const std::unique_ptr<QChartView> view = ChartFile::offscreenView(chart, PictureChartSize);

    QStringList lines = summaryLines(role, figures);
    if (role == Role::Receiver && !std::isnan(figures.latencyP50Ms))
        lines << latencyNote();
    QFont font = view->font();
    font.setPixelSize(PictureTextPixels);
    const QFontMetrics metrics(font);
    const int textWidth = PictureChartSize.width() - 2 * PictureMargin;
    QList<QRect> boxes;
    int y = PictureChartSize.height();
    for (const QString &line : std::as_const(lines)) {
        const QRect box = metrics.boundingRect(QRect(PictureMargin, y, textWidth, 1000), Qt::TextWordWrap, line);
        boxes << box;
        y = box.bottom() + 1 + metrics.leading();
    }
    const QSize size(PictureChartSize.width(), y + PictureMargin);
    return ChartFile::write(path, size, title, [&](QPainter &painter) {
        view->render(&painter);
        painter.setFont(font);
        painter.setPen(Qt::black);
        for (qsizetype i = 0; i < lines.size(); ++i)
            painter.drawText(boxes.at(i), Qt::TextWordWrap, lines.at(i));
    }, error);
}
