// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkresultstable.h"

#include "mechanismadvisor.h"

#include <QHeaderView>
#include <QLocale>

#include <cmath>

namespace {

enum Column { Mechanism, Measurement, Figures, VersusFloor, ColumnCount };

// Three significant digits without exponents: 0.0075, 1.41, 88.3, 38900.
QString number(double v)
{
    if (v == 0 || std::abs(v) >= 100)
        return QLocale::c().toString(std::round(v), 'f', 0);
    const int decimals = qBound(0, 2 - int(std::floor(std::log10(std::abs(v)))), 6);
    return QString::number(v, 'f', decimals);
}

// A floor of zero (an idle floor that used no CPU) has no ratio: say what the floor was.
QString ratioText(const BenchFigure &f)
{
    const double ratio = f.ratio();
    return std::isfinite(ratio) ? number(ratio) + QLatin1Char('x') : QStringLiteral("floor %1").arg(number(f.floor));
}

QTableWidgetItem *cell(const QString &text, const QString &toolTip = QString())
{
    auto *it = new QTableWidgetItem(text);
    it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    it->setToolTip(toolTip.isEmpty() ? text : toolTip);
    return it;
}

} // namespace

BenchmarkResultsTable::BenchmarkResultsTable(QWidget *parent) : QTableWidget(0, ColumnCount, parent)
{
    setObjectName(QStringLiteral("benchResults"));
    setHorizontalHeaderLabels({tr("Mechanism"), tr("Measurement"), tr("Figures"), tr("Against its floor")});
    verticalHeader()->hide();
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setWordWrap(false);
    setAlternatingRowColors(true);
    horizontalHeader()->setSectionResizeMode(Mechanism, QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(Measurement, QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(Figures, QHeaderView::Stretch);
    horizontalHeader()->setSectionResizeMode(VersusFloor, QHeaderView::ResizeToContents);
}

QString BenchmarkResultsTable::formatFigure(const BenchFigure &f)
{
    if (f.unit == QLatin1String("us"))
        return QStringLiteral("%1 %2").arg(f.name, MechanismAdvisor::formatMicroseconds(f.value));
    if (f.unit == QLatin1String("us cpu"))
        return QStringLiteral("CPU %1/trip").arg(MechanismAdvisor::formatMicroseconds(f.value));
    if (f.unit == QLatin1String("rec/s"))
        return MechanismAdvisor::formatRate(f.value);
    if (f.unit == QLatin1String("MB/s"))
        return QStringLiteral("%1 MB/s").arg(number(f.value));
    if (f.name == QLatin1String("cpu/Mrec"))
        return QStringLiteral("%1 s CPU/M records").arg(number(f.value));
    return QStringLiteral("%1 %2 %3").arg(f.name, number(f.value), f.unit);
}

void BenchmarkResultsTable::clearRows()
{
    clearSpans();
    setRowCount(0);
}

void BenchmarkResultsTable::addRow(const BenchRow &row)
{
    const int r = rowCount();
    insertRow(r);
    const QString mechanism = row.mechanism.startsWith(QLatin1String("floor:")) ? row.mechanism.mid(6) + tr(" (floor)") : row.mechanism;
    setItem(r, Mechanism, cell(mechanism));
    setItem(r, Measurement, cell(row.label.isEmpty() ? row.test : row.label));
    if (!row.skipped.isEmpty()) {
        QTableWidgetItem *why = cell(tr("Not measured: %1").arg(row.skipped));
        why->setForeground(QColor(0xb0, 0x00, 0x20));
        setItem(r, Figures, why);
        setSpan(r, Figures, 1, ColumnCount - Figures);
    } else {
        QStringList parts;
        QStringList all;
        QStringList ratios;
        for (const BenchFigure &f : row.figures) {
            all << formatFigure(f);
            // p90 and p99.9 stay in the tooltip: the row keeps to one readable line.
            if (f.name != QLatin1String("p90") && f.name != QLatin1String("p99.9"))
                parts << formatFigure(f);
            if (f.hasFloor()) {
                BenchFigure floor = f;
                floor.value = f.floor;
                ratios << QStringLiteral("%1: %2 (floor: %3)").arg(f.name, ratioText(f), formatFigure(floor));
            }
        }
        setItem(r, Figures, cell(parts.join(QStringLiteral(" · ")), all.join(QLatin1Char('\n'))));
        QString floorText;
        if (!row.figures.isEmpty() && row.figures.first().hasFloor())
            floorText = std::isfinite(row.figures.first().ratio())
                            ? tr("%1 %2 %3").arg(row.figures.first().name, ratioText(row.figures.first()), row.floorId)
                            : tr("%1 floor: %2").arg(row.floorId, number(row.figures.first().floor));
        else if (!row.floorNote.isEmpty())
            floorText = tr("none");
        const QString toolTip = (ratios.isEmpty() ? QString() : ratios.join(QLatin1Char('\n')) + QLatin1Char('\n')) + row.floorNote;
        setItem(r, VersusFloor, cell(floorText, toolTip.trimmed().isEmpty() ? floorText : toolTip.trimmed()));
    }
    scrollToBottom();
}
