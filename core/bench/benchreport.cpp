// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchreport.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSysInfo>
#include <QTextStream>
#include <QThread>

#include <algorithm>
#include <utility>

namespace {

QJsonValue number(double value)
{
    return std::isnan(value) || std::isinf(value) ? QJsonValue(QJsonValue::Null) : QJsonValue(value);
}

// Three significant digits or whole numbers: enough to compare, few enough to read.
QString format(double value)
{
    if (std::isnan(value))
        return QStringLiteral("-");
    const double magnitude = std::fabs(value);
    if (magnitude >= 1000)
        return QString::number(qint64(std::llround(value)));
    if (magnitude >= 100)
        return QString::number(value, 'f', 1);
    if (magnitude >= 1)
        return QString::number(value, 'f', 2);
    return QString::number(value, 'g', 3);
}

// The same figure measured in several runs: "8.12 M (7.90–8.40)", the three numbers on the
// median's scale so they read at a glance.
QString formatSpread(double median, double low, double high)
{
    const double magnitude = std::fabs(median);
    const auto [scale, suffix] = magnitude >= 1e9 ? std::pair(1e9, " G")
                                 : magnitude >= 1e6 ? std::pair(1e6, " M")
                                 : magnitude >= 1e4 ? std::pair(1e3, " k")
                                                    : std::pair(1.0, "");
    return QStringLiteral("%1%2 (%3\u2013%4)").arg(format(median / scale), QLatin1String(suffix), format(low / scale), format(high / scale));
}

// One table cell: the plain value of a single run, or the median with its spread.
QString formatCell(double value, const QVector<double> &samples, double low, double high)
{
    if (samples.size() > 1)
        return formatSpread(value, low, high);
    // A count (receivers, records) reads as one: "4", not "4.00".
    return value == std::floor(value) && std::fabs(value) < 1e15 ? QString::number(qint64(value)) : format(value);
}

QString formatTarget(const BenchFigure &f)
{
    const QString number = f.target == std::floor(f.target) ? QString::number(qint64(f.target)) : format(f.target);
    return QStringLiteral("target %1 %2").arg(f.lowerIsBetter ? QStringLiteral("\u2264") : QStringLiteral("\u2265"), number);
}

QString csvNumber(double value)
{
    return std::isnan(value) ? QString() : QString::number(value);
}

QString csvSamples(const QVector<double> &samples)
{
    QStringList numbers;
    for (double v : samples)
        numbers << QString::number(v);
    return numbers.join(QLatin1Char(' '));
}

QJsonArray jsonSamples(const QVector<double> &samples)
{
    QJsonArray array;
    for (double v : samples)
        array.append(number(v));
    return array;
}

double lowest(const QVector<double> &samples, double otherwise)
{
    return samples.isEmpty() ? otherwise : *std::min_element(samples.cbegin(), samples.cend());
}

double highest(const QVector<double> &samples, double otherwise)
{
    return samples.isEmpty() ? otherwise : *std::max_element(samples.cbegin(), samples.cend());
}

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    return QLatin1Char('"') + QString(text).replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
}

} // namespace

BenchFigure BenchFigure::alone(const QString &name, const QString &unit, double value, bool lowerIsBetter)
{
    BenchFigure f;
    f.name = name;
    f.unit = unit;
    f.value = value;
    f.lowerIsBetter = lowerIsBetter;
    return f;
}

double BenchFigure::min() const
{
    return lowest(samples, value);
}

double BenchFigure::max() const
{
    return highest(samples, value);
}

double BenchFigure::floorMin() const
{
    return lowest(floorSamples, floor);
}

double BenchFigure::floorMax() const
{
    return highest(floorSamples, floor);
}

const BenchFigure *BenchRow::figure(const QString &name) const
{
    for (const BenchFigure &f : figures)
        if (f.name == name)
            return &f;
    return nullptr;
}

BenchMachine BenchMachine::current(const QString &profile)
{
    BenchMachine m;
    QFile cpuinfo(QStringLiteral("/proc/cpuinfo"));
    if (cpuinfo.open(QIODevice::ReadOnly)) {
        const QString text = QString::fromUtf8(cpuinfo.readAll());
        const QRegularExpressionMatch match = QRegularExpression(QStringLiteral("^model name\\s*:\\s*(.+)$"),
                                                                 QRegularExpression::MultilineOption).match(text);
        if (match.hasMatch())
            m.cpuModel = match.captured(1).trimmed();
    }
    if (m.cpuModel.isEmpty())
        m.cpuModel = QSysInfo::currentCpuArchitecture();
    m.cores = QThread::idealThreadCount();
    m.kernel = QSysInfo::kernelType() + QLatin1Char(' ') + QSysInfo::kernelVersion();
    m.qtVersion = QString::fromLatin1(qVersion());
#if defined(NDEBUG)
    m.buildType = QStringLiteral("optimised (NDEBUG)");
#else
    m.buildType = QStringLiteral("debug");
#endif
    m.date = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    m.profile = profile;
    return m;
}

QJsonObject BenchReport::toJson() const
{
    QJsonObject machineJson{
        {QStringLiteral("cpuModel"), machine.cpuModel},
        {QStringLiteral("cores"), machine.cores},
        {QStringLiteral("kernel"), machine.kernel},
        {QStringLiteral("qtVersion"), machine.qtVersion},
        {QStringLiteral("buildType"), machine.buildType},
        {QStringLiteral("date"), machine.date},
        {QStringLiteral("profile"), machine.profile},
        {QStringLiteral("runs"), machine.runs},
        {QStringLiteral("placement"), machine.placement},
    };
    QJsonArray rowsJson;
    for (const BenchRow &row : rows) {
        QJsonObject figuresJson;
        for (const BenchFigure &f : row.figures)
            figuresJson.insert(f.name, QJsonObject{
                                           {QStringLiteral("unit"), f.unit},
                                           {QStringLiteral("value"), number(f.value)},
                                           {QStringLiteral("floor"), number(f.floor)},
                                           {QStringLiteral("ratio"), number(f.ratio())},
                                           {QStringLiteral("lowerIsBetter"), f.lowerIsBetter},
                                           {QStringLiteral("median"), number(f.value)},
                                           {QStringLiteral("min"), number(f.min())},
                                           {QStringLiteral("max"), number(f.max())},
                                           {QStringLiteral("samples"), jsonSamples(f.samples)},
                                           {QStringLiteral("floorMin"), number(f.floorMin())},
                                           {QStringLiteral("floorMax"), number(f.floorMax())},
                                           {QStringLiteral("floorSamples"), jsonSamples(f.floorSamples)},
                                           {QStringLiteral("target"), number(f.target)},
                                       });
        QJsonObject rowJson{
            {QStringLiteral("mechanism"), row.mechanism},
            {QStringLiteral("test"), row.test},
            {QStringLiteral("label"), row.label},
            {QStringLiteral("floorId"), row.floorId},
            {QStringLiteral("floorNote"), row.floorNote},
            {QStringLiteral("figures"), figuresJson},
            {QStringLiteral("frameBytes"), row.frameBytes},
            {QStringLiteral("recordsPerFrame"), row.recordsPerFrame},
        };
        if (!row.skipped.isEmpty())
            rowJson.insert(QStringLiteral("skipped"), row.skipped);
        rowsJson.append(rowJson);
    }
    QJsonArray lossesJson;
    for (const BenchLosses &l : losses)
        lossesJson.append(QJsonObject{
            {QStringLiteral("mechanism"), l.mechanism},
            {QStringLiteral("known"), l.known},
            {QStringLiteral("lostFrames"), l.lostFrames},
            {QStringLiteral("duplicateFrames"), l.duplicateFrames},
            {QStringLiteral("reorderedFrames"), l.reorderedFrames},
            {QStringLiteral("badFrames"), l.badFrames},
            {QStringLiteral("overwrittenFrames"), l.overwrittenFrames},
            {QStringLiteral("firstBadFrame"), l.firstBadFrame},
        });
    return QJsonObject{
        {QStringLiteral("machine"), machineJson},
        {QStringLiteral("rows"), rowsJson},
        {QStringLiteral("losses"), lossesJson},
        {QStringLiteral("notes"), QJsonArray::fromStringList(notes)},
    };
}

QByteArray BenchReport::toCsv() const
{
    QString text;
    QTextStream out(&text);
    out << "mechanism,test,label,figure,unit,value,floor_id,floor,ratio,skipped,"
           "median,min,max,samples,floor_min,floor_max,floor_samples,target\n";
    for (const BenchRow &row : rows) {
        const QString head = csvField(row.mechanism) + QLatin1Char(',') + csvField(row.test) + QLatin1Char(',') + csvField(row.label);
        if (!row.skipped.isEmpty()) {
            out << head << ",,,,,,," << csvField(row.skipped) << ",,,,,,,,\n";
            continue;
        }
        for (const BenchFigure &f : row.figures) {
            out << head << ',' << csvField(f.name) << ',' << csvField(f.unit) << ',' << f.value << ','
                << csvField(row.floorId) << ',' << (f.hasFloor() ? QString::number(f.floor) : QString()) << ','
                << (f.hasFloor() ? QString::number(f.ratio()) : QString()) << ",," << csvNumber(f.value) << ','
                << csvNumber(f.min()) << ',' << csvNumber(f.max()) << ',' << csvSamples(f.samples) << ','
                << csvNumber(f.floorMin()) << ',' << csvNumber(f.floorMax()) << ',' << csvSamples(f.floorSamples) << ','
                << csvNumber(f.target) << '\n';
        }
    }
    out.flush();
    return text.toUtf8();
}

QString BenchReport::toTable() const
{
    QString text;
    QTextStream out(&text);
    out << QStringLiteral("Machine: %1, %2 cores, %3, Qt %4, %5 build, %6, profile %7%8\n")
               .arg(machine.cpuModel).arg(machine.cores).arg(machine.kernel, machine.qtVersion, machine.buildType,
                                                                   machine.date, machine.profile)
               .arg(machine.runs > 1 ? QStringLiteral(", %1 runs interleaved: median (min\u2013max)").arg(machine.runs) : QString());
    if (!machine.placement.isEmpty())
        out << QStringLiteral("CPUs: %1\n").arg(machine.placement);
    // Figure, value and floor columns as wide as their widest cell: a spread takes more than a
    // number, and the fan-out rows' figures ("rec/s median rec/s") more than "p50 us".
    int figureWidth = 12, valueWidth = 12, floorWidth = 12;
    for (const BenchRow &row : rows)
        for (const BenchFigure &f : row.figures) {
            figureWidth = std::max(figureWidth, int(f.name.size() + 1 + f.unit.size()));
            valueWidth = std::max(valueWidth, int(formatCell(f.value, f.samples, f.min(), f.max()).size()));
            floorWidth = std::max(floorWidth, int(formatCell(f.floor, f.floorSamples, f.floorMin(), f.floorMax()).size()));
        }
    const QString line = QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n");
    out << line.arg(QStringLiteral("mechanism"), -14).arg(QStringLiteral("test"), -40).arg(QStringLiteral("figure"), -figureWidth)
               .arg(QStringLiteral("value"), valueWidth).arg(QStringLiteral("floor"), floorWidth).arg(QStringLiteral("ratio"), 8)
               .arg(QStringLiteral("floor mechanism"));
    QString lastMechanism;
    for (const BenchRow &row : rows) {
        const QString mechanism = row.mechanism == lastMechanism ? QString() : row.mechanism;
        lastMechanism = row.mechanism;
        if (!row.skipped.isEmpty()) {
            out << line.arg(mechanism, -14).arg(row.label, -40).arg(QStringLiteral("skipped:"), -figureWidth)
                       .arg(QString(), valueWidth).arg(QString(), floorWidth).arg(QString(), 8).arg(row.skipped);
            continue;
        }
        bool first = true;
        for (const BenchFigure &f : row.figures) {
            const QString ratio = std::isnan(f.ratio()) ? QStringLiteral("-") : format(f.ratio()) + QLatin1Char('x');
            QString floorName = !first ? QString()
                                : row.floorId.isEmpty() ? row.floorNote
                                                        : row.floorId + (row.floorNote.isEmpty() ? QString() : QStringLiteral(" (") + row.floorNote + QLatin1Char(')'));
            if (f.hasTarget())
                floorName += (floorName.isEmpty() ? QString() : QStringLiteral("; ")) + formatTarget(f);
            out << line.arg(first ? mechanism : QString(), -14).arg(first ? row.label : QString(), -40)
                       .arg(f.name + QLatin1Char(' ') + f.unit, -figureWidth).arg(formatCell(f.value, f.samples, f.min(), f.max()), valueWidth)
                       .arg(formatCell(f.floor, f.floorSamples, f.floorMin(), f.floorMax()), floorWidth).arg(ratio, 8).arg(floorName);
            first = false;
        }
    }
    if (!losses.isEmpty()) {
        out << "\nLosses and errors counted by the sessions (whole run per mechanism):\n";
        for (const BenchLosses &l : losses) {
            if (!l.known) {
                out << QStringLiteral("  %1: the receiver's summary could not be read\n").arg(l.mechanism);
                continue;
            }
            out << QStringLiteral("  %1: %2 lost, %3 duplicate, %4 reordered, %5 bad frames, %6 overwritten\n")
                       .arg(l.mechanism, -12).arg(l.lostFrames).arg(l.duplicateFrames).arg(l.reorderedFrames)
                       .arg(l.badFrames).arg(l.overwrittenFrames);
            if (!l.firstBadFrame.isEmpty())
                out << QStringLiteral("    the first bad frame: %1\n").arg(l.firstBadFrame);
        }
    }
    if (!notes.isEmpty()) {
        out << "\nNotes:\n";
        for (const QString &note : notes)
            out << "  - " << note << '\n';
    }
    out.flush();
    return text;
}
