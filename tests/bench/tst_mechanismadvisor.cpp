// SPDX-License-Identifier: GPL-3.0-or-later
#include "mechanismadvisor.h"

#include <QTest>

// Known metadata and known figures in, expected order and sentences out.
class TestMechanismAdvisor final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void withoutRunRanksByCapabilities();
    void needsFilterWithReasons();
    void measuredFiguresRankAndJustify();
    void lowestCpuAndLowestLatencyReweigh();
    void wholeMechanismSkippedKeepsItsSentence();
    void oneToManyWithoutFanOutRowsFallsBackToCapabilities();
    void oneToManyRanksByRecordsPerReceiver();

private:
    static MechanismAdvisor oneToManyAdvisor();
    static BenchRow fanOut(const QString &id, int receivers, double rateMedian, double lostMin, double lostMedian, double lostMax);
    static TransportMetadata mechanism(const QString &id, bool reliable, bool multipleSenders, TransportCapabilities::Scope scope,
                                       qint64 maxMessageBytes);
    static BenchRow latency(const QString &id, double p50, double floor);
    static BenchRow throughput(const QString &id, double recordsPerSecond, double cpuPerMillion);
    static QStringList ids(const QVector<MechanismAdvisor::Entry> &entries, bool fitting);

    MechanismAdvisor m_advisor;
    BenchReport m_report;
};

TransportMetadata TestMechanismAdvisor::mechanism(const QString &id, bool reliable, bool multipleSenders,
                                                  TransportCapabilities::Scope scope, qint64 maxMessageBytes)
{
    TransportMetadata m;
    m.id = id;
    m.name = id.toUpper();
    m.capabilities.reliable = reliable;
    m.capabilities.multipleSenders = multipleSenders;
    m.capabilities.scope = scope;
    m.capabilities.maxMessageBytes = maxMessageBytes;
    return m;
}

BenchRow TestMechanismAdvisor::latency(const QString &id, double p50, double floor)
{
    BenchRow row;
    row.mechanism = id;
    row.test = QStringLiteral("latency-1");
    BenchFigure f;
    f.name = QStringLiteral("p50");
    f.unit = QStringLiteral("us");
    f.value = p50;
    f.floor = floor;
    row.figures << f;
    return row;
}

BenchRow TestMechanismAdvisor::throughput(const QString &id, double recordsPerSecond, double cpuPerMillion)
{
    BenchRow row;
    row.mechanism = id;
    row.test = QStringLiteral("throughput-4096");
    BenchFigure rate;
    rate.name = QStringLiteral("records/s");
    rate.value = recordsPerSecond;
    BenchFigure cpu;
    cpu.name = QStringLiteral("cpu/Mrec");
    cpu.value = cpuPerMillion;
    row.figures << rate << cpu;
    return row;
}

QStringList TestMechanismAdvisor::ids(const QVector<MechanismAdvisor::Entry> &entries, bool fitting)
{
    QStringList out;
    for (const MechanismAdvisor::Entry &e : entries)
        if (e.fits == fitting)
            out << e.id;
    return out;
}

void TestMechanismAdvisor::initTestCase()
{
    using Scope = TransportCapabilities::Scope;
    m_advisor.setMechanisms({
        mechanism(QStringLiteral("clipboard"), false, false, Scope::ThisMachine, 16 * 1024 * 1024 + 40),
        mechanism(QStringLiteral("mailslot"), true, true, Scope::ThisMachine, 16 * 1024 * 1024 + 40),
        mechanism(QStringLiteral("tiny"), true, true, Scope::ThisMachine, 64 * 1024),
        mechanism(QStringLiteral("localsocket"), true, true, Scope::ThisMachine, 64 * 1024 * 1024 + 40),
        mechanism(QStringLiteral("tcp"), true, true, Scope::Internet, 64 * 1024 * 1024 + 40),
        mechanism(QStringLiteral("filemapping"), true, true, Scope::ThisMachine, 64 * 1024 * 1024 + 40),
    });

    m_report.rows << latency(QStringLiteral("tcp"), 52, 37) << throughput(QStringLiteral("tcp"), 850000, 1.2)
                  << latency(QStringLiteral("localsocket"), 40, 30) << throughput(QStringLiteral("localsocket"), 900000, 1.0)
                  << latency(QStringLiteral("mailslot"), 130, 50) << throughput(QStringLiteral("mailslot"), 500000, 2.0)
                  // Fastest round trip, but its throughput row failed.
                  << latency(QStringLiteral("filemapping"), 20, 10);
    BenchRow failed;
    failed.mechanism = QStringLiteral("filemapping");
    failed.test = QStringLiteral("throughput-4096");
    failed.skipped = QStringLiteral("only 10 of 20 records were acknowledged");
    m_report.rows << failed;
    // A floor-only row never enters the ranking.
    m_report.rows << latency(QStringLiteral("floor:shm-spin"), 1, 2);
}

void TestMechanismAdvisor::withoutRunRanksByCapabilities()
{
    m_advisor.setReport(BenchReport());
    QVERIFY(!m_advisor.hasMeasurements());
    const QVector<MechanismAdvisor::Entry> entries = m_advisor.advise({});
    // No loss first, then several senders, wider reach, larger messages, then id.
    QCOMPARE(ids(entries, true), (QStringList{QStringLiteral("tcp"), QStringLiteral("filemapping"), QStringLiteral("localsocket"),
                                              QStringLiteral("mailslot"), QStringLiteral("tiny"), QStringLiteral("clipboard")}));
    QCOMPARE(entries.first().rank, 1);
    QVERIFY(entries.first().text.startsWith(QLatin1String("tcp: reliable")));
    QVERIFY(entries.first().text.endsWith(QLatin1String("numbers after a benchmark run")));
    QVERIFY(m_advisor.basis({}).contains(QLatin1String("after a benchmark run")));
}

void TestMechanismAdvisor::needsFilterWithReasons()
{
    m_advisor.setReport(BenchReport());
    using A = MechanismAdvisor;
    const QVector<A::Entry> entries = m_advisor.advise(A::OtherMachines | A::LargeMessages | A::NoLoss | A::SeveralSenders);
    QCOMPARE(ids(entries, true), QStringList{QStringLiteral("tcp")});
    // The others follow in id order, each saying why.
    QCOMPARE(ids(entries, false), (QStringList{QStringLiteral("clipboard"), QStringLiteral("filemapping"), QStringLiteral("localsocket"),
                                               QStringLiteral("mailslot"), QStringLiteral("tiny")}));
    QCOMPARE(entries.at(1).text, QStringLiteral("clipboard: no — reaches only this machine; may lose messages (a newer one can replace "
                                                "one not yet read); takes one sender at a time"));
    QCOMPARE(entries.at(1).rank, 0);
    QCOMPARE(entries.last().text, QStringLiteral("tiny: no — reaches only this machine; largest message 64 KiB"));

    const QVector<A::Entry> large = m_advisor.advise(A::LargeMessages);
    QCOMPARE(ids(large, false), QStringList{QStringLiteral("tiny")});
    QCOMPARE(large.last().whyNot, QStringList{QStringLiteral("largest message 64 KiB")});
}

void TestMechanismAdvisor::measuredFiguresRankAndJustify()
{
    m_advisor.setReport(m_report);
    QVERIFY(m_advisor.hasMeasurements());
    using A = MechanismAdvisor;
    const QVector<A::Entry> entries = m_advisor.advise(A::NoLoss);
    // Latency and throughput weighed equally against the best of each:
    // localsocket (1 + 1) / 2 = 1; tcp (52/40 + 0.90/0.85) / 2 = 1.18; mailslot (130/40 + 0.9/0.5) / 2 = 2.53.
    // filemapping lacks throughput, so it comes after every fully measured one.
    QCOMPARE(ids(entries, true), (QStringList{QStringLiteral("localsocket"), QStringLiteral("tcp"), QStringLiteral("mailslot"),
                                              QStringLiteral("filemapping"), QStringLiteral("tiny")}));
    QCOMPARE(ids(entries, false), QStringList{QStringLiteral("clipboard")});
    QCOMPARE(entries.at(0).score, 1.0);
    QVERIFY(qAbs(entries.at(1).score - (52.0 / 40 + 900000.0 / 850000) / 2) < 1e-9);
    QCOMPARE(entries.at(1).text, QStringLiteral("tcp: p50 52 µs (1.4x its floor), 0.85 M records/s, 1.20 s CPU per M records"));
    QCOMPARE(entries.at(3).text, QStringLiteral("filemapping: p50 20 µs (2.0x its floor), not fully measured in the last run"));
    QCOMPARE(entries.at(3).figures.notMeasured, QStringLiteral("only 10 of 20 records were acknowledged"));
    QCOMPARE(entries.at(4).text, QStringLiteral("tiny: not fully measured in the last run"));
    QVERIFY(m_advisor.basis(A::NoLoss).contains(QLatin1String("records/s at 4,096 records per frame")));
}

void TestMechanismAdvisor::lowestCpuAndLowestLatencyReweigh()
{
    m_advisor.setReport(m_report);
    using A = MechanismAdvisor;
    QCOMPARE(ids(m_advisor.advise(A::LowestCpu), true).mid(0, 3),
             (QStringList{QStringLiteral("localsocket"), QStringLiteral("tcp"), QStringLiteral("mailslot")}));
    // By latency alone filemapping is complete and fastest.
    QCOMPARE(ids(m_advisor.advise(A::LowestLatency), true).mid(0, 4),
             (QStringList{QStringLiteral("filemapping"), QStringLiteral("localsocket"), QStringLiteral("tcp"), QStringLiteral("mailslot")}));
    // Several needs at once: only tcp reaches other machines.
    const QVector<A::Entry> remote = m_advisor.advise(A::OtherMachines | A::LowestLatency);
    QCOMPARE(ids(remote, true), QStringList{QStringLiteral("tcp")});
    QVERIFY(m_advisor.basis(A::LowestLatency | A::LowestCpu).contains(QLatin1String("p50 round trip of 1-record frames and CPU")));
}

void TestMechanismAdvisor::wholeMechanismSkippedKeepsItsSentence()
{
    BenchReport report = m_report;
    BenchRow skipped;
    skipped.mechanism = QStringLiteral("clipboard");
    skipped.test = QStringLiteral("all");
    skipped.skipped = QStringLiteral("the clipboard can only be used from the GUI thread");
    report.rows << skipped;
    m_advisor.setReport(report);
    const QVector<MechanismAdvisor::Entry> entries = m_advisor.advise({});
    const auto clipboard = std::find_if(entries.begin(), entries.end(), [](const auto &e) { return e.id == QLatin1String("clipboard"); });
    QVERIFY(clipboard != entries.end());
    QVERIFY(clipboard->fits);
    QCOMPARE(clipboard->figures.notMeasured, skipped.skipped);
    QCOMPARE(clipboard->text, QStringLiteral("clipboard: not fully measured in the last run"));
}

// tcp reaches one receiver; udp fans out (its sender waits for no ack); the clipboard is read
// by every receiver on the display without fanOut's session rules.
MechanismAdvisor TestMechanismAdvisor::oneToManyAdvisor()
{
    using Scope = TransportCapabilities::Scope;
    TransportMetadata udp = mechanism(QStringLiteral("udp"), false, true, Scope::Lan, 16 * 1024 * 1024 + 40);
    udp.capabilities.fanOut = true;
    TransportMetadata clipboard = mechanism(QStringLiteral("clipboard"), false, false, Scope::ThisMachine, 16 * 1024 * 1024 + 40);
    clipboard.capabilities.multipleReceivers = true;
    MechanismAdvisor advisor;
    advisor.setMechanisms({mechanism(QStringLiteral("tcp"), true, true, Scope::Internet, 64 * 1024 * 1024 + 40), udp, clipboard});
    return advisor;
}

BenchRow TestMechanismAdvisor::fanOut(const QString &id, int receivers, double rateMedian, double lostMin, double lostMedian,
                                      double lostMax)
{
    BenchRow row;
    row.mechanism = id;
    row.test = QStringLiteral("fanout-%1").arg(receivers);
    const QList<QPair<QString, double>> figures{{QStringLiteral("rec/s min"), rateMedian * 0.9},
                                               {QStringLiteral("rec/s median"), rateMedian},
                                               {QStringLiteral("rec/s max"), rateMedian * 1.1},
                                               {QStringLiteral("lost min"), lostMin},
                                               {QStringLiteral("lost median"), lostMedian},
                                               {QStringLiteral("lost max"), lostMax}};
    for (const auto &[name, value] : figures) {
        BenchFigure f;
        f.name = name;
        f.value = value;
        row.figures << f;
    }
    return row;
}

void TestMechanismAdvisor::oneToManyWithoutFanOutRowsFallsBackToCapabilities()
{
    MechanismAdvisor advisor = oneToManyAdvisor();
    BenchReport report;
    report.rows << latency(QStringLiteral("tcp"), 52, 37) << latency(QStringLiteral("udp"), 60, 40);
    advisor.setReport(report);
    QVERIFY(advisor.hasMeasurements());
    QVERIFY(!advisor.hasFanOutMeasurements());
    const QVector<MechanismAdvisor::Entry> entries = advisor.advise(MechanismAdvisor::OneToMany);
    // Both lossy; udp takes several senders, so it comes first by capabilities.
    QCOMPARE(ids(entries, true), (QStringList{QStringLiteral("udp"), QStringLiteral("clipboard")}));
    QCOMPARE(ids(entries, false), QStringList{QStringLiteral("tcp")});
    QCOMPARE(entries.last().text, QStringLiteral("tcp: no — reaches one receiver at a time"));
    QVERIFY2(entries.first().text.endsWith(QLatin1String("fan-out not measured yet")), qPrintable(entries.first().text));
    QVERIFY(!entries.first().text.contains(QLatin1String("p50"))); // a round trip says nothing of fan-out
    QVERIFY(advisor.basis(MechanismAdvisor::OneToMany).startsWith(QLatin1String("One to many is not measured yet")));
    // Without the need, the same run ranks by its round trips as before.
    QVERIFY(advisor.basis({}).contains(QLatin1String("p50 round trip")));
}

void TestMechanismAdvisor::oneToManyRanksByRecordsPerReceiver()
{
    MechanismAdvisor advisor = oneToManyAdvisor();
    BenchReport report;
    // udp is fastest to one receiver but slower than the clipboard to four: the most receivers measured decide.
    report.rows << fanOut(QStringLiteral("udp"), 1, 900000, 0, 0, 0) << fanOut(QStringLiteral("udp"), 4, 200000, 0, 1, 3)
                << fanOut(QStringLiteral("clipboard"), 2, 100000, 0, 0, 0) << fanOut(QStringLiteral("clipboard"), 4, 300000, 5, 10, 20);
    advisor.setReport(report);
    QVERIFY(advisor.hasFanOutMeasurements());
    const QVector<MechanismAdvisor::Entry> entries = advisor.advise(MechanismAdvisor::OneToMany);
    QCOMPARE(ids(entries, true), (QStringList{QStringLiteral("clipboard"), QStringLiteral("udp")}));
    QCOMPARE(entries.at(0).figures.fanOutReceivers, 4);
    QCOMPARE(entries.at(0).score, 1.0);
    QCOMPARE(entries.at(1).score, 1.5); // 300,000 / 200,000
    QCOMPARE(entries.at(0).text, QStringLiteral("clipboard: to 4 receivers: 0.30 M records/s each (median; slowest 0.27 M "
                                                "records/s), frames lost per receiver 5 / 10 / 20 (min / median / max)"));
    QVERIFY2(entries.at(1).text.contains(QLatin1String("frames lost per receiver 0 / 1 / 3")), qPrintable(entries.at(1).text));
    QVERIFY(advisor.basis(MechanismAdvisor::OneToMany).contains(QLatin1String("records/s per receiver")));

    // A mechanism whose fan-out rows all failed is not ranked on them.
    BenchRow failed = fanOut(QStringLiteral("clipboard"), 4, 0, 0, 0, 0);
    failed.figures.clear();
    failed.skipped = QStringLiteral("receiver 3 of 4 gave no summary");
    report.rows = {fanOut(QStringLiteral("udp"), 4, 200000, 0, 1, 3), failed};
    advisor.setReport(report);
    const QVector<MechanismAdvisor::Entry> again = advisor.advise(MechanismAdvisor::OneToMany);
    QCOMPARE(ids(again, true), (QStringList{QStringLiteral("udp"), QStringLiteral("clipboard")}));
    QCOMPARE(again.at(1).text, QStringLiteral("clipboard: not fully measured in the last run"));
}

QTEST_GUILESS_MAIN(TestMechanismAdvisor)
#include "tst_mechanismadvisor.moc"
