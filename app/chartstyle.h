// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QSize>
#include <QString>
#include <QStringList>

class QCategoryAxis;
class QChartView;
class QLineSeries;
class QWidget;

// How every chart of the program looks (the benchmark's files and tab, the live transfer
// charts): a mechanism has one colour everywhere, and a log scale is labelled in words.
namespace ChartStyle {

// The palette charts draw from, in order (Tableau 10); wraps around.
QColor paletteColor(int index);
// The colour a mechanism has in every chart; grey for one the palette does not name.
QColor mechanismColor(const QString &mechanism);
// A line: solid and thick for a measurement, thin and dashed for a reference such as an OS floor.
QLineSeries *lineSeries(const QString &name, const QColor &color, bool reference = false);
// An antialiased view with a new, empty chart.
QChartView *chartView(const QString &objectName, const QSize &minimumSize, QWidget *parent);

// Qt Charts' log axis labels its ticks through a printf format only ("1e+06", cut to "1e…"
// when space runs short). So a log scale plots log10 of its values on a linear axis with one
// category a decade, labelled in words: "10 µs", "1 ms", "100 kB".
double logOf(double v);
// Units a thousand times apart, for decadeAxis().
extern const QStringList DurationUnits; // ns, µs, ms, s
extern const QStringList ByteUnits;     // B, kB, MB, GB
extern const QStringList ByteRateUnits; // kB/s to TB/s
// A decade axis from the power of ten at or below `low` to the one at or above `high` (at least
// one decade); `unitOfOne` is the index in `units` of the unit the values are in.
QCategoryAxis *decadeAxis(const QString &title, double low, double high, const QStringList &units, int unitOfOne);
// The same for an axis already on a chart, whose values have moved.
void fitDecades(QCategoryAxis *axis, double low, double high, const QStringList &units, int unitOfOne);

} // namespace ChartStyle
