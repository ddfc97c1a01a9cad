// SPDX-License-Identifier: GPL-3.0-or-later
#include "chartstyle.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QHash>
#include <QLineSeries>

#include <algorithm>
#include <array>
#include <cmath>

namespace ChartStyle {

namespace {

// What a log scale draws for zero or less.
constexpr double SmallestPlotted = 1e-3;

// The label of 10^decade in `units`, each a thousand times the one before; `unitOfOne` is the
// index of the unit the plotted values are in.
QString decadeLabel(int decade, const QStringList &units, int unitOfOne)
{
    const int exponent = decade + 3 * unitOfOne;
    const int unit = qBound(0, int(std::floor(exponent / 3.0)), int(units.size()) - 1);
    return QStringLiteral("%1 %2").arg(std::pow(10.0, exponent - 3 * unit), 0, 'g', 12).arg(units.at(unit));
}

} // namespace

const QStringList DurationUnits{QStringLiteral("ns"), QStringLiteral("µs"), QStringLiteral("ms"), QStringLiteral("s")};
const QStringList ByteUnits{QStringLiteral("B"), QStringLiteral("kB"), QStringLiteral("MB"), QStringLiteral("GB")};
const QStringList ByteRateUnits{QStringLiteral("kB/s"), QStringLiteral("MB/s"), QStringLiteral("GB/s"), QStringLiteral("TB/s")};

QColor paletteColor(int index)
{
    static const std::array<QRgb, 10> palette{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                              0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    return QColor(palette[size_t(index) % palette.size()]);
}

QColor mechanismColor(const QString &mechanism)
{
    static const QHash<QString, int> places{
        {QStringLiteral("tcp"), 0},      {QStringLiteral("localsocket"), 1}, {QStringLiteral("namedpipe"), 2},
        {QStringLiteral("mailslot"), 3}, {QStringLiteral("filemapping"), 4}, {QStringLiteral("clipboard"), 5},
        {QStringLiteral("udp"), 6},
    };
    return paletteColor(places.value(mechanism, 7));
}

QLineSeries *lineSeries(const QString &name, const QColor &color, bool reference)
{
    auto *s = new QLineSeries;
    s->setName(name);
    QPen pen(color);
    pen.setWidthF(reference ? 1.5 : 2.5);
    pen.setStyle(reference ? Qt::DashLine : Qt::SolidLine);
    s->setPen(pen);
    return s;
}

QChartView *chartView(const QString &objectName, const QSize &minimumSize, QWidget *parent)
{
    auto *view = new QChartView(new QChart, parent);
    view->setObjectName(objectName);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(minimumSize);
    return view;
}

double logOf(double v)
{
    return std::log10(std::max(v, SmallestPlotted));
}

QCategoryAxis *decadeAxis(const QString &title, double low, double high, const QStringList &units, int unitOfOne)
{
    auto *axis = new QCategoryAxis;
    axis->setTitleText(title);
    axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    fitDecades(axis, low, high, units, unitOfOne);
    return axis;
}

void fitDecades(QCategoryAxis *axis, double low, double high, const QStringList &units, int unitOfOne)
{
    const int first = int(std::floor(logOf(low)));
    const int last = std::max(first + 1, int(std::ceil(logOf(high))));
    if (axis->count() > 0 && int(axis->startValue()) == first && int(axis->max()) == last)
        return; // the same decades: no new labels, no new layout
    for (const QString &label : axis->categoriesLabels())
        axis->remove(label);
    axis->setStartValue(first);
    for (int decade = first; decade <= last; ++decade)
        axis->append(decadeLabel(decade, units, unitOfOne), decade);
    axis->setRange(first, last);
}

} // namespace ChartStyle
