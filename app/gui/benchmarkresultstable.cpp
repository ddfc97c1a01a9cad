// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkresultstable.h"

#include "mechanismadvisor.h"

#include <QHeaderView>
#include <QLocale>

#include <cmath>

namespace {

const QColor ErrorColor(0xb0, 0x00, 0x20);

// Three significant digits without exponents: 0.0075, 1.41, 88.3, 38900.
QString number(double v)
{
    if (v == 0 || std::abs(v) >= 100)
        return QLocale::c().toString(std::round(v), 'f', 0);
    const int decimals = qBound(0, 2 - int(std::floor(std::log10(std::abs(v)))), 6);
    return QString::number(v, 'f', decimals);
}

QString recordRate(double perSecond)
{
    if (perSecond >= 1e6)
        return QStringLiteral("%1 M records/s").arg(number(perSecond / 1e6));
    if (perSecond >= 1e4)
        return QStringLiteral("%1 k records/s").arg(number(perSecond / 1e3));
    return QStringLiteral("%1 records/s").arg(number(perSecond));
}

// `v` in the figure's unit, said with that unit: "67 µs", "2.31 M records/s", "0.4 % of a core".
QString amount(const BenchFigure &f, double v)
{
    if (f.unit == QLatin1String("us"))
        return MechanismAdvisor::formatMicroseconds(v);
    if (f.unit == QLatin1String("us cpu"))
        return QStringLiteral("%1 CPU per round trip").arg(MechanismAdvisor::formatMicroseconds(v));
    if (f.unit == QLatin1String("rec/s"))
        return recordRate(v);
    if (f.name == QLatin1String("cpu/Mrec"))
        return QStringLiteral("%1 s CPU per M records").arg(number(v));
    if (f.unit == QLatin1String("% core"))
        return QStringLiteral("%1 % of a core").arg(number(v));
    if (f.name == QLatin1String("bytes/row"))
        return QStringLiteral("%1 bytes per row").arg(number(v));
    return QStringLiteral("%1 %2").arg(number(v), f.unit);
}

// An amount whose unit already says what it is needs no name before it.
bool unitNamesIt(const BenchFigure &f)
{
    static const QStringList units{QStringLiteral("us cpu"), QStringLiteral("rec/s"), QStringLiteral("MB/s")};
    static const QStringList names{QStringLiteral("cpu/Mrec"), QStringLiteral("bytes/row")};
    return units.contains(f.unit) || names.contains(f.name);
}

QString floorAmount(const BenchFigure &f, const QString &floorId)
{
    return QStringLiteral("%1: %2").arg(BenchmarkResultsTable::floorName(floorId), amount(f, f.floor));
}

// A floor of zero (an idle floor that used no CPU) leaves nothing to divide by.
QString ratioText(const BenchFigure &f)
{
    const double ratio = f.ratio();
    return std::isfinite(ratio) ? number(ratio) + QStringLiteral("×") : QStringLiteral("— (floor is 0)");
}

QString ratioMeaning(const BenchFigure &f)
{
    if (!std::isfinite(f.ratio()))
        return QStringLiteral("The floor measured 0, so there is no ratio to give.");
    return f.lowerIsBetter ? QStringLiteral("%1 the floor's figure: above 1× the mechanism costs more than the bare OS mechanism.").arg(ratioText(f))
                           : QStringLiteral("%1 the floor's figure: below 1× the mechanism is slower than the bare OS mechanism.").arg(ratioText(f));
}

const QString FloorExplanation = QStringLiteral(
    "The floor is the same measurement made in the same run over the bare operating-system mechanism under this one "
    "(a plain socket, pipe, queue or shared memory), with no Qt, no codec and no event loop: what the kernel itself "
    "can do. A mechanism can come close to its floor, not beat it by much.");

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
    setHorizontalHeaderLabels({tr("Mechanism"), tr("Measurement"), tr("Value"), tr("Ratio to floor"), tr("Floor (bare OS mechanism)"),
                               tr("Other figures")});
    horizontalHeaderItem(Floor)->setToolTip(FloorExplanation);
    horizontalHeaderItem(Ratio)->setToolTip(tr("The value divided by the floor's. For a time or a cost, 1.5× means 50 % more than the bare "
                                               "OS mechanism; for a rate, 0.5× means half its speed."));
    horizontalHeaderItem(Details)->setToolTip(tr("The row's other figures; hover a cell for every figure beside its floor."));
    verticalHeader()->hide();
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    setWordWrap(false);
    setAlternatingRowColors(true);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // One line of text a row: more rows in view.
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
}

QString BenchmarkResultsTable::formatFigure(const BenchFigure &f)
{
    if (unitNamesIt(f))
        return amount(f, f.value);
    const QString name = f.name == QLatin1String("idle cpu") ? QStringLiteral("idle CPU") : f.name;
    return QStringLiteral("%1 %2").arg(name, amount(f, f.value));
}

QString BenchmarkResultsTable::floorName(const QString &floorId)
{
    static const QHash<QString, QString> names{
        {QStringLiteral("zeromq"), QStringLiteral("bare libzmq DEALER/ROUTER")},
        {QStringLiteral("pipe"), QStringLiteral("bare FIFO pair")},
        {QStringLiteral("unix"), QStringLiteral("bare Unix socket")},
        {QStringLiteral("tcp"), QStringLiteral("bare TCP loopback socket")},
        {QStringLiteral("udp"), QStringLiteral("bare UDP loopback socket")},
        {QStringLiteral("mq"), QStringLiteral("bare POSIX message queue")},
        {QStringLiteral("pipe-poll"), QStringLiteral("bare FIFO pair, polled")},
        {QStringLiteral("unix-poll"), QStringLiteral("bare Unix socket, polled")},
        {QStringLiteral("tcp-poll"), QStringLiteral("bare TCP socket, polled")},
        {QStringLiteral("mq-poll"), QStringLiteral("bare POSIX queue, polled")},
        {QStringLiteral("shm-block"), QStringLiteral("bare shared memory (blocking)")},
        {QStringLiteral("shm-spinblock"), QStringLiteral("bare shared memory (spin, then block)")},
        {QStringLiteral("shm-spin"), QStringLiteral("bare shared memory (spinning)")},
        {QStringLiteral("dbus"), QStringLiteral("bare libdbus-1 method calls")},
        {QStringLiteral("xcb"), QStringLiteral("bare X selection handovers (xcb)")},
        {QStringLiteral("decode"), QStringLiteral("decoding alone")},
    };
    return names.value(floorId, QStringLiteral("bare ") + floorId);
}

void BenchmarkResultsTable::clearRows()
{
    setRowCount(0);
}

void BenchmarkResultsTable::addRow(const BenchRow &row)
{
    const int r = rowCount();
    insertRow(r);
    static const QString FloorPrefix = QStringLiteral("floor:");
    const bool floorRow = row.mechanism.startsWith(FloorPrefix);
    setItem(r, Mechanism, cell(floorRow ? floorName(row.mechanism.mid(FloorPrefix.size())) : row.mechanism,
                               floorRow ? row.floorNote : QString()));
    setItem(r, Measurement, cell(row.label.isEmpty() ? row.test : row.label));
    if (!row.skipped.isEmpty() || row.figures.isEmpty()) {
        const QString why = row.skipped.isEmpty() ? tr("no figures") : row.skipped;
        const auto notMeasured = [&why](const QString &text) {
            QTableWidgetItem *item = cell(text, tr("Not measured: %1").arg(why));
            item->setForeground(ErrorColor);
            return item;
        };
        setItem(r, Value, notMeasured(tr("not measured")));
        setItem(r, Details, notMeasured(why));
        scrollToBottom();
        return;
    }

    const BenchFigure &headline = row.figures.first();
    QStringList others;
    QStringList everyFigure;
    for (const BenchFigure &f : row.figures) {
        everyFigure << (f.hasFloor() ? QStringLiteral("%1 (%2, %3)").arg(formatFigure(f), floorAmount(f, row.floorId), ratioText(f))
                                     : formatFigure(f));
        // p90 and p99.9 stay in the tooltip: p50, p99 and max tell the spread.
        if (&f != &headline && f.name != QLatin1String("p90") && f.name != QLatin1String("p99.9"))
            others << formatFigure(f);
    }
    setItem(r, Value, cell(formatFigure(headline), everyFigure.join(QLatin1Char('\n'))));
    const QString floorNote = row.floorNote.isEmpty() ? FloorExplanation : row.floorNote + QStringLiteral("\n\n") + FloorExplanation;
    if (headline.hasFloor()) {
        setItem(r, Floor, cell(floorAmount(headline, row.floorId), floorNote));
        setItem(r, Ratio, cell(ratioText(headline), ratioMeaning(headline)));
    } else {
        setItem(r, Floor, cell(tr("no floor measured"), floorNote));
    }
    setItem(r, Details, cell(others.join(QStringLiteral(" · ")), everyFigure.join(QLatin1Char('\n'))));
    scrollToBottom();
}
