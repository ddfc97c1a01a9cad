// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmerge.h"
#include "benchpeer.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

// Reports of repeated runs in, one report of medians and spreads out: known inputs, expected
// medians, samples, ratios, notes and CSV/JSON/table fields.
class TestBenchMerge final : public QObject
{
    Q_OBJECT

private:
    static BenchRow row(const QString &mechanism, const QString &test, double value, double floor)
    {
        BenchRow r;
        r.mechanism = mechanism;
        r.test = test;
        r.label = test;
        r.floorId = QStringLiteral("tcp");
        BenchFigure f;
        f.name = QStringLiteral("records/s");
        f.unit = QStringLiteral("rec/s");
        f.value = value;
        f.floor = floor;
        r.figures << f;
        return r;
    }

    static BenchReport run(const QVector<BenchRow> &rows, qint64 lost)
    {
        BenchReport report;
        report.machine.profile = QStringLiteral("quick");
        report.rows = rows;
        BenchLosses losses;
        losses.mechanism = QStringLiteral("tcp");
        losses.known = true;
        losses.lostFrames = lost;
        report.losses << losses;
        report.notes << QStringLiteral("clipboard was not measured: no display");
        return report;
    }

private slots:
    // A receiver that counted bad frames: the bench keeps its first sentence about one, and the
    // merged report the first run's that had one.
    void firstBadFrameIsKeptWithTheCounts()
    {
        const QString output = QStringLiteral(
            "Receiver listening on zeromq bench-1\n"
            "Dropped input from sender #2 (ipcworkshop 77). A message of 19 bytes is not one whole frame.\n"
            "Sender #3 (ipcworkshop 78) was refused and disconnected. It sent too much.\n"
            "Received 100 records in 2 frames from 1 sender(s) over zeromq; lost 0 frames, 0 duplicates, "
            "0 reordered, 2 bad frames; 5000 records/s\n");
        const BenchProcess::ReceiverSummary s = BenchProcess::parseReceiverSummary(output);
        QVERIFY(s.known);
        QCOMPARE(s.bad, 2);
        QCOMPARE(s.firstBad, QStringLiteral("Dropped input from sender #2 (ipcworkshop 77). A message of 19 bytes is not one "
                                            "whole frame."));
        QCOMPARE(BenchProcess::parseReceiverSummary(QString(output).replace(QLatin1String("2 bad"), QLatin1String("0 bad")))
                     .firstBad,
                 QString());

        BenchReport clean = run({}, 0), bad = run({}, 0);
        bad.losses.first().badFrames = 2;
        bad.losses.first().firstBadFrame = s.firstBad;
        const BenchReport combined = BenchMerge::combine({clean, bad});
        QCOMPARE(combined.losses.first().badFrames, 2);
        QCOMPARE(combined.losses.first().firstBadFrame, s.firstBad);
        QVERIFY(combined.toJson().value(QStringLiteral("losses")).toArray().first().toObject()
                    .value(QStringLiteral("firstBadFrame")).toString() == s.firstBad);
    }

    void figuresBecomeMediansWithTheirRuns()
    {
        const BenchReport combined = BenchMerge::combine({run({row("tcp", "throughput-64", 8.4e6, 40e6)}, 1),
                                                          run({row("tcp", "throughput-64", 7.9e6, 50e6)}, 0),
                                                          run({row("tcp", "throughput-64", 8.12e6, 30e6)}, 2)});
        QCOMPARE(combined.machine.runs, 3);
        QCOMPARE(combined.rows.size(), 1);
        const BenchFigure &f = combined.rows.first().figures.first();
        QCOMPARE(f.value, 8.12e6);
        QCOMPARE(f.samples, (QVector<double>{8.4e6, 7.9e6, 8.12e6})); // in run order
        QCOMPARE(f.min(), 7.9e6);
        QCOMPARE(f.max(), 8.4e6);
        QCOMPARE(f.floor, 40e6);
        QCOMPARE(f.floorMin(), 30e6);
        QCOMPARE(f.floorMax(), 50e6);
        QCOMPARE(f.ratio(), 8.12e6 / 40e6); // median against median
        QCOMPARE(combined.losses.size(), 1);
        QCOMPARE(combined.losses.first().lostFrames, 3);
        QCOMPARE(combined.notes, QStringList{QStringLiteral("clipboard was not measured: no display")});

        const QString table = combined.toTable();
        QVERIFY2(table.contains(QStringLiteral("8.12 M (7.90\u20138.40)")), qPrintable(table));
        QVERIFY2(table.contains(QStringLiteral("40.00 M (30.00\u201350.00)")), qPrintable(table));
        QVERIFY(table.contains(QStringLiteral("3 runs interleaved")));

        const QJsonObject json = combined.toJson();
        QCOMPARE(json.value(QStringLiteral("machine")).toObject().value(QStringLiteral("runs")).toInt(), 3);
        const QJsonObject figure = json.value(QStringLiteral("rows")).toArray().first().toObject().value(QStringLiteral("figures"))
                                       .toObject().value(QStringLiteral("records/s")).toObject();
        QCOMPARE(figure.value(QStringLiteral("median")).toDouble(), 8.12e6);
        QCOMPARE(figure.value(QStringLiteral("min")).toDouble(), 7.9e6);
        QCOMPARE(figure.value(QStringLiteral("max")).toDouble(), 8.4e6);
        QCOMPARE(figure.value(QStringLiteral("samples")).toArray().size(), 3);
        QCOMPARE(figure.value(QStringLiteral("floorSamples")).toArray().size(), 3);

        const QList<QByteArray> csv = combined.toCsv().split('\n');
        QCOMPARE(csv.first(), QByteArray("mechanism,test,label,figure,unit,value,floor_id,floor,ratio,skipped,"
                                         "median,min,max,samples,floor_min,floor_max,floor_samples,target"));
        QCOMPARE(csv.at(1), QByteArray("tcp,throughput-64,throughput-64,records/s,rec/s,8.12e+06,tcp,4e+07,0.203,,"
                                       "8.12e+06,7.9e+06,8.4e+06,8.4e+06 7.9e+06 8.12e+06,3e+07,5e+07,4e+07 5e+07 3e+07,"));
    }

    void aRowSkippedInSomeRunsIsCombinedFromTheOthers()
    {
        BenchRow skipped = row("tcp", "idle", 0, 0);
        skipped.figures.clear();
        skipped.skipped = QStringLiteral("the receiver did not start");
        const BenchReport combined = BenchMerge::combine({run({row("tcp", "idle", 2, 1)}, 0), run({skipped}, 0),
                                                          run({row("tcp", "idle", 4, 3)}, 0), run({row("tcp", "idle", 3, 2)}, 0)});
        const BenchFigure &f = combined.rows.first().figures.first();
        QCOMPARE(f.samples, (QVector<double>{2, 4, 3}));
        QCOMPARE(f.value, 3.0);
        QVERIFY2(combined.notes.last().contains(QLatin1String("measured in 3 of 4 runs (run 2: the receiver did not start)")),
                 qPrintable(combined.notes.last()));

        const BenchReport never = BenchMerge::combine({run({skipped}, 0), run({skipped}, 0)});
        QCOMPARE(never.rows.first().skipped, skipped.skipped);
    }

    void evenRunsTakeTheLowerMiddleAndOneRunChangesNothing()
    {
        const BenchReport two = BenchMerge::combine({run({row("tcp", "t", 5, 1)}, 0), run({row("tcp", "t", 9, 1)}, 0)});
        QCOMPARE(two.rows.first().figures.first().value, 5.0);

        const BenchReport one = BenchMerge::combine({run({row("tcp", "t", 5, 1)}, 0)});
        QCOMPARE(one.machine.runs, 1);
        QCOMPARE(one.rows.first().figures.first().samples, QVector<double>{5});
        // A single run prints as it always did: no spread.
        QVERIFY(!one.toTable().contains(QStringLiteral("\u2013")));
    }

    void rowsKeepTheOrderTheyFirstAppearIn()
    {
        const BenchReport combined = BenchMerge::combine({run({row("tcp", "a", 1, 1), row("tcp", "b", 1, 1)}, 0),
                                                          run({row("tcp", "b", 1, 1), row("tcp", "c", 1, 1)}, 0)});
        QStringList tests;
        for (const BenchRow &r : combined.rows)
            tests << r.test;
        QCOMPARE(tests, (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
    }
};

QTEST_GUILESS_MAIN(TestBenchMerge)
#include "tst_benchmerge.moc"
