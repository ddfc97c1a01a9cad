// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchreport.h"
#include "benchstats.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <random>

#include <unistd.h>

class TestBenchStats final : public QObject
{
    Q_OBJECT

private slots:
    void nearestRankPercentilesOfOneToThousand()
    {
        std::vector<double> samples;
        for (int i = 1000; i >= 1; --i)
            samples.push_back(i);
        std::shuffle(samples.begin(), samples.end(), std::mt19937(7));
        const BenchStats::LatencySummary s = BenchStats::summarize(samples);
        QCOMPARE(s.count, 1000);
        QCOMPARE(s.p50, 500.0);
        QCOMPARE(s.p90, 900.0);
        QCOMPARE(s.p99, 990.0);
        QCOMPARE(s.p999, 999.0);
        QCOMPARE(s.max, 1000.0);
        QCOMPARE(s.mean, 500.5);
    }

    void percentilesOfSmallSets()
    {
        const std::vector<double> one{42};
        QCOMPARE(BenchStats::percentile(one, 50), 42.0);
        QCOMPARE(BenchStats::percentile(one, 99.9), 42.0);
        // Nearest rank: p50 of four samples is the second, p99.9 the last.
        const std::vector<double> four{10, 20, 30, 40};
        QCOMPARE(BenchStats::percentile(four, 50), 20.0);
        QCOMPARE(BenchStats::percentile(four, 51), 30.0);
        QCOMPARE(BenchStats::percentile(four, 99.9), 40.0);
        QCOMPARE(BenchStats::percentile(four, 0), 10.0);
        std::vector<double> none;
        const BenchStats::LatencySummary empty = BenchStats::summarize(none);
        QCOMPARE(empty.count, 0);
        QCOMPARE(empty.p50, 0.0);
    }

    void medianIsAMeasuredSample()
    {
        QCOMPARE(BenchStats::median({7.9, 8.4, 8.12}), 8.12);
        QCOMPARE(BenchStats::median({3, 1, 4, 2}), 2.0); // the lower middle of an even count
        QCOMPARE(BenchStats::median({5}), 5.0);
        QCOMPARE(BenchStats::median({}), 0.0);
    }

    void memoryFromStatusText()
    {
        const QByteArray status = "Name:\tipcworkshop\nVmPeak:\t  900000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   70000 kB\n"
                                  "Threads:\t3\n";
        const BenchStats::ProcessMemory m = BenchStats::memoryFromStatus(status);
        QCOMPARE(m.residentKiB, 70000);
        QCOMPARE(m.peakResidentKiB, 81234);
        QVERIFY(m.known());
        QVERIFY(!BenchStats::memoryFromStatus("Name:\tkthreadd\nThreads:\t1\n").known());
        QCOMPARE(BenchStats::memoryFromStatus("VmRSS:\tlots kB\n").residentKiB, -1);
    }

    void memoryOfThisProcessGrows()
    {
        const BenchStats::ProcessMemory before = BenchStats::processMemory(::getpid());
        QVERIFY(before.known());
        // Touch every page of 64 MiB: resident, and the peak follows.
        std::vector<char> block(64 << 20);
        for (size_t i = 0; i < block.size(); i += 4096)
            block[i] = char(i);
        const BenchStats::ProcessMemory after = BenchStats::processMemory(::getpid());
        QVERIFY2(after.residentKiB - before.residentKiB >= 60 * 1024,
                 qPrintable(QStringLiteral("%1 -> %2 KiB").arg(before.residentKiB).arg(after.residentKiB)));
        QVERIFY(after.peakResidentKiB >= after.residentKiB);
        QCOMPARE(block[8192], char(8192)); // keeps the block alive until measured
        QVERIFY(!BenchStats::processMemory(-1).known());
    }

    void rates()
    {
        QCOMPARE(BenchStats::perSecond(1000, 0.5), 2000.0);
        QCOMPARE(BenchStats::perSecond(1000, 0), 0.0);
        QCOMPARE(BenchStats::megabytesPerSecond(5e6, 2), 2.5);
        QCOMPARE(BenchStats::cpuSecondsPerMillion(2.0, 500000), 4.0);
        QCOMPARE(BenchStats::cpuSecondsPerMillion(2.0, 0), 0.0);
        QCOMPARE(BenchStats::cpuPercentOfCore(0.01, 10), 0.1);
    }

    void cpuFromStatLine()
    {
        // The command name holds spaces and parentheses; utime = 250, stime = 50 ticks.
        const QByteArray line = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 3 0 1000 "
                                "1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        QCOMPARE(BenchStats::cpuSecondsFromStatLine(line, 100), 3.0);
        QCOMPARE(BenchStats::cpuSecondsFromStatLine(line, 250), 1.2);
        QCOMPARE(BenchStats::cpuSecondsFromStatLine("4242 (cut short) S 1 2", 100), -1.0);
        QCOMPARE(BenchStats::cpuSecondsFromStatLine("no parenthesis at all", 100), -1.0);
    }

    void cpuFromSchedstatLine()
    {
        QCOMPARE(BenchStats::cpuSecondsFromSchedstatLine("1500000000 2000 3\n"), 1.5);
        QCOMPARE(BenchStats::cpuSecondsFromSchedstatLine("garbage"), -1.0);
    }

    void cpuOfALiveProcessGrows()
    {
        const double before = BenchStats::processCpuSeconds(::getpid());
        const double selfBefore = BenchStats::selfCpuSeconds();
        QVERIFY(before >= 0);
        // Burn 0.1 s of CPU (not wall time: the machine may be busy), then both readings agree.
        volatile double sink = 0;
        while (BenchStats::selfCpuSeconds() - selfBefore < 0.1)
            for (int i = 0; i < 100000; ++i)
                sink = sink + 1.0;
        QVERIFY(BenchStats::processCpuSeconds(::getpid()) - before >= 0.08);
        QCOMPARE(BenchStats::processCpuSeconds(-1), -1.0);
    }

    void figureRatioAndJson()
    {
        BenchFigure measured;
        measured.name = QStringLiteral("p50");
        measured.value = 30;
        measured.floor = 20;
        QCOMPARE(measured.ratio(), 1.5);
        BenchFigure alone;
        alone.name = QStringLiteral("records/s");
        alone.value = 5;
        QVERIFY(!alone.hasFloor());
        QVERIFY(std::isnan(alone.ratio()));

        BenchReport report;
        BenchRow row;
        row.mechanism = QStringLiteral("tcp");
        row.test = QStringLiteral("latency-1");
        row.figures << measured << alone;
        report.rows << row;
        const QJsonObject figures = report.toJson().value(QStringLiteral("rows")).toArray().first().toObject()
                                        .value(QStringLiteral("figures")).toObject();
        QCOMPARE(figures.value(QStringLiteral("p50")).toObject().value(QStringLiteral("ratio")).toDouble(), 1.5);
        QVERIFY(figures.value(QStringLiteral("records/s")).toObject().value(QStringLiteral("floor")).isNull());
        const QByteArray csv = report.toCsv();
        QVERIFY(csv.startsWith("mechanism,test,label,figure,unit,value,floor_id,floor,ratio,skipped,"));
        QVERIFY(csv.contains("tcp,latency-1,,p50,,30,,20,1.5,,30,30,30,,20,20,,\n"));
    }
};

QTEST_GUILESS_MAIN(TestBenchStats)
#include "tst_benchstats.moc"
