// SPDX-License-Identifier: GPL-3.0-or-later
#include "mechanismadvisor.h"

#include <QHash>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace {

bool known(double v)
{
    return !std::isnan(v);
}

// Broadly useful first when nothing measured tells them apart: no loss, several senders,
// wider reach, larger messages.
bool capabilityOrder(const TransportMetadata &a, const TransportMetadata &b)
{
    const TransportCapabilities &x = a.capabilities;
    const TransportCapabilities &y = b.capabilities;
    if (x.reliable != y.reliable)
        return x.reliable;
    if (x.multipleSenders != y.multipleSenders)
        return x.multipleSenders;
    if (x.scope != y.scope)
        return int(x.scope) > int(y.scope);
    const qint64 mx = x.maxMessageBytes > 0 ? x.maxMessageBytes : std::numeric_limits<qint64>::max();
    const qint64 my = y.maxMessageBytes > 0 ? y.maxMessageBytes : std::numeric_limits<qint64>::max();
    if (mx != my)
        return mx > my;
    return a.id < b.id;
}

QString formatRatio(double ratio)
{
    return ratio < 10 ? QString::number(ratio, 'f', 1) : QString::number(std::lround(ratio));
}

} // namespace

QString MechanismAdvisor::formatMicroseconds(double us)
{
    if (us >= 1000)
        return QStringLiteral("%1 ms").arg(us / 1000, 0, 'f', 1);
    if (us < 10)
        return QStringLiteral("%1 µs").arg(us, 0, 'f', 1);
    return QStringLiteral("%1 µs").arg(std::lround(us));
}

QString MechanismAdvisor::formatRate(double recordsPerSecond)
{
    if (recordsPerSecond >= 10000)
        return QStringLiteral("%1 M records/s").arg(recordsPerSecond / 1e6, 0, 'f', 2);
    return QStringLiteral("%1 records/s").arg(std::lround(recordsPerSecond));
}

bool MechanismAdvisor::hasMeasurements() const
{
    for (const BenchRow &row : m_report.rows)
        if (row.skipped.isEmpty() && !row.figures.isEmpty() && !row.mechanism.startsWith(QLatin1String("floor:")))
            return true;
    return false;
}

bool MechanismAdvisor::hasFanOutMeasurements() const
{
    for (const BenchRow &row : m_report.rows)
        if (row.test.startsWith(QLatin1String("fanout-")) && row.skipped.isEmpty() && row.figure(QStringLiteral("rec/s median")))
            return true;
    return false;
}

// The row with the most receivers wins: one to many is about how a mechanism holds up as they grow.
void MechanismAdvisor::readFanOut(const BenchRow &row, Figures *f)
{
    const int receivers = row.test.mid(int(qstrlen("fanout-"))).toInt();
    const BenchFigure *rate = row.figure(QStringLiteral("rec/s median"));
    if (!row.skipped.isEmpty() || !rate || receivers <= f->fanOutReceivers)
        return;
    const auto value = [&row](const char *name) {
        const BenchFigure *figure = row.figure(QLatin1String(name));
        return figure ? figure->value : std::numeric_limits<double>::quiet_NaN();
    };
    f->fanOutReceivers = receivers;
    f->fanOutRate = rate->value;
    f->fanOutRateMin = value("rec/s min");
    f->fanOutLostMin = value("lost min");
    f->fanOutLostMedian = value("lost median");
    f->fanOutLostMax = value("lost max");
}

// "to 4 receivers: 0.25 M records/s each (median; slowest 0.24 M records/s), frames lost per receiver 0 / 0 / 2 (min / median / max)"
QString MechanismAdvisor::fanOutText(const Figures &f)
{
    QString text = QStringLiteral("to %1 receivers: %2 each (median").arg(f.fanOutReceivers).arg(formatRate(f.fanOutRate));
    if (known(f.fanOutRateMin))
        text += QStringLiteral("; slowest %1").arg(formatRate(f.fanOutRateMin));
    text += QLatin1Char(')');
    if (known(f.fanOutLostMin) && known(f.fanOutLostMedian) && known(f.fanOutLostMax))
        text += QStringLiteral(", frames lost per receiver %1 / %2 / %3 (min / median / max)")
                    .arg(qint64(f.fanOutLostMin)).arg(qint64(f.fanOutLostMedian)).arg(qint64(f.fanOutLostMax));
    return text;
}

MechanismAdvisor::Figures MechanismAdvisor::figuresFor(const QString &id) const
{
    Figures f;
    for (const BenchRow &row : m_report.rows) {
        if (row.mechanism != id)
            continue;
        if (row.test.startsWith(QLatin1String("fanout-"))) {
            readFanOut(row, &f);
            continue;
        }
        const bool wanted = row.test == QLatin1String("latency-1") || row.test == QLatin1String("throughput-4096")
                            || row.test == QLatin1String("all");
        if (!wanted)
            continue;
        if (!row.skipped.isEmpty()) {
            if (f.notMeasured.isEmpty())
                f.notMeasured = row.skipped;
            continue;
        }
        if (row.test == QLatin1String("latency-1")) {
            if (const BenchFigure *p50 = row.figure(QStringLiteral("p50"))) {
                f.p50Us = p50->value;
                f.p50FloorRatio = p50->ratio();
            }
        } else if (row.test == QLatin1String("throughput-4096")) {
            if (const BenchFigure *rate = row.figure(QStringLiteral("records/s")))
                f.recordsPerSecond = rate->value;
            if (const BenchFigure *cpu = row.figure(QStringLiteral("cpu/Mrec")))
                f.cpuPerMillion = cpu->value;
        }
    }
    return f;
}

QString MechanismAdvisor::basis(Needs needs) const
{
    if ((needs & OneToMany) && !hasFanOutMeasurements())
        return QStringLiteral("One to many is not measured yet: the last run has no fan-out rows (one sender to 1, 2 and "
                              "4 receivers; run the benchmark with udp or the clipboard). Until then ranked by capabilities "
                              "only (no loss, several senders, reach, message size).");
    if (needs & OneToMany)
        return QStringLiteral("Ranked by the last run's records/s per receiver with the most receivers it measured (the "
                              "median over the receivers), relative to the best; the frames each receiver lost beside it. "
                              "Mechanisms the run did not measure come last.");
    if (!hasMeasurements())
        return QStringLiteral("Ranked by capabilities only (no loss, several senders, reach, message size); "
                              "the measured numbers come after a benchmark run.");
    QStringList weighed;
    if (needs & LowestLatency)
        weighed << QStringLiteral("p50 round trip of 1-record frames");
    if (needs & LowestCpu)
        weighed << QStringLiteral("CPU seconds per million records at 4,096 records per frame");
    if (weighed.isEmpty())
        weighed << QStringLiteral("p50 round trip of 1-record frames") << QStringLiteral("records/s at 4,096 records per frame");
    return QStringLiteral("Ranked by the last run's %1, each relative to the best; mechanisms the run did not measure "
                          "come last.").arg(weighed.join(QStringLiteral(" and ")));
}

QVector<MechanismAdvisor::Entry> MechanismAdvisor::advise(Needs needs) const
{
    QVector<TransportMetadata> mechanisms = m_mechanisms;
    std::sort(mechanisms.begin(), mechanisms.end(), capabilityOrder);
    // One to many weighs the fan-out rows alone: without them the ranking falls back to capabilities.
    const bool oneToMany = needs & OneToMany;
    const bool measured = oneToMany ? hasFanOutMeasurements() : hasMeasurements();

    QVector<Entry> fitting;
    QVector<Entry> out;
    for (const TransportMetadata &m : std::as_const(mechanisms)) {
        Entry e;
        e.id = m.id;
        e.name = m.name;
        const TransportCapabilities &c = m.capabilities;
        if ((needs & OtherMachines) && c.scope == TransportCapabilities::Scope::ThisMachine)
            e.whyNot << QStringLiteral("reaches only this machine");
        if ((needs & LargeMessages) && c.maxMessageBytes > 0 && c.maxMessageBytes < LargeMessageBytes)
            e.whyNot << QStringLiteral("largest message %1")
                            .arg(QLocale::c().formattedDataSize(c.maxMessageBytes, 0, QLocale::DataSizeIecFormat));
        if ((needs & NoLoss) && !c.reliable)
            e.whyNot << QStringLiteral("may lose messages (a newer one can replace one not yet read)");
        if ((needs & SeveralSenders) && !c.multipleSenders)
            e.whyNot << QStringLiteral("takes one sender at a time");
        if (oneToMany && !c.reachesManyReceivers())
            e.whyNot << QStringLiteral("reaches one receiver at a time");
        e.fits = e.whyNot.isEmpty();
        if (measured)
            e.figures = figuresFor(m.id);
        if (e.fits) {
            fitting.append(e);
        } else {
            e.text = QStringLiteral("%1: no — %2").arg(e.id, e.whyNot.join(QStringLiteral("; ")));
            out.append(e);
        }
    }

    // What is weighed, each as "lower is better" after the transformation.
    enum Criterion { Latency, Throughput, Cpu, FanOut };
    QVector<Criterion> criteria;
    if (oneToMany)
        criteria << FanOut;
    if (needs & LowestLatency)
        criteria << Latency;
    if (needs & LowestCpu)
        criteria << Cpu;
    if (criteria.isEmpty())
        criteria << Latency << Throughput;
    auto value = [](const Figures &f, Criterion c) {
        switch (c) {
        case Latency: return f.p50Us;
        case Throughput: return f.recordsPerSecond;
        case Cpu: return f.cpuPerMillion;
        case FanOut: return f.fanOutRate;
        }
        return std::numeric_limits<double>::quiet_NaN();
    };
    auto higherIsBetter = [](Criterion c) { return c == Throughput || c == FanOut; };
    auto complete = [&](const Entry &e) {
        for (Criterion c : std::as_const(criteria))
            if (!known(value(e.figures, c)) || value(e.figures, c) <= 0)
                return false;
        return measured;
    };
    QHash<int, double> best;
    for (const Entry &e : std::as_const(fitting)) {
        if (!complete(e))
            continue;
        for (Criterion c : std::as_const(criteria)) {
            const double v = value(e.figures, c);
            if (!best.contains(c))
                best[c] = v;
            else
                best[c] = higherIsBetter(c) ? std::max(best[c], v) : std::min(best[c], v);
        }
    }
    for (Entry &e : fitting) {
        if (!complete(e))
            continue;
        double sum = 0;
        for (Criterion c : std::as_const(criteria)) {
            const double v = value(e.figures, c);
            sum += higherIsBetter(c) ? best[c] / v : v / best[c];
        }
        e.score = sum / double(criteria.size());
    }
    // Complete entries by score; the rest keep the capability order they arrived in.
    std::stable_sort(fitting.begin(), fitting.end(), [&](const Entry &a, const Entry &b) {
        const bool ca = complete(a), cb = complete(b);
        if (ca != cb)
            return ca;
        return ca && a.score < b.score;
    });

    for (int i = 0; i < fitting.size(); ++i) {
        Entry &e = fitting[i];
        e.rank = i + 1;
        QStringList parts;
        if (!measured) {
            for (const TransportMetadata &m : std::as_const(mechanisms))
                if (m.id == e.id)
                    parts << m.capabilities.summary();
            parts << (oneToMany ? QStringLiteral("fan-out not measured yet") : QStringLiteral("numbers after a benchmark run"));
        } else {
            // One to many shows the fan-out figures, and beside them only what else is weighed.
            const Figures &f = e.figures;
            if (oneToMany && f.fanOutReceivers > 0)
                parts << fanOutText(f);
            if (known(f.p50Us) && (!oneToMany || (needs & LowestLatency)))
                parts << (known(f.p50FloorRatio) ? QStringLiteral("p50 %1 (%2x its floor)").arg(formatMicroseconds(f.p50Us), formatRatio(f.p50FloorRatio))
                                                 : QStringLiteral("p50 %1").arg(formatMicroseconds(f.p50Us)));
            if (known(f.recordsPerSecond) && !oneToMany)
                parts << formatRate(f.recordsPerSecond);
            if (known(f.cpuPerMillion) && (!oneToMany || (needs & LowestCpu)))
                parts << QStringLiteral("%1 s CPU per M records").arg(f.cpuPerMillion, 0, 'f', 2);
            if (!complete(e))
                parts << QStringLiteral("not fully measured in the last run");
        }
        e.text = QStringLiteral("%1: %2").arg(e.id, parts.join(QStringLiteral(", ")));
    }
    std::sort(out.begin(), out.end(), [](const Entry &a, const Entry &b) { return a.id < b.id; });
    return fitting + out;
}
