// SPDX-License-Identifier: GPL-3.0-or-later
#include "appprocess.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

// Runs `ipcworkshop bench --quick` as a real process and checks that every mechanism found has
// every row, and every figure is present and plausible: positive, beside its floor, with the
// ratio computed. Speed itself is reported by the benchmark, never asserted here.
class TestBenchQuick final : public QObject
{
    Q_OBJECT

private:
    struct Transport
    {
        QString id;
        bool usable = false;
        bool reliable = false;
        bool multipleSenders = false;
    };

    static QVector<Transport> transports()
    {
        QProcess list;
        list.start(AppProcess::program(), {QStringLiteral("--list-transports")});
        list.waitForFinished(30000);
        QVector<Transport> result;
        const QStringList lines = QString::fromUtf8(list.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        for (const QString &line : lines.mid(1)) {
            const QStringList words = line.simplified().split(QLatin1Char(' '));
            Transport t;
            t.id = words.value(0);
            t.usable = line.contains(QStringLiteral(" ok "));
            t.reliable = line.contains(QStringLiteral("reliable,"));
            t.multipleSenders = line.contains(QStringLiteral("several senders"));
            result << t;
        }
        return result;
    }

    static void checkFigure(const QJsonObject &row, const QString &name, bool needFloor, bool mayBeZero = false)
    {
        const QString where = row.value(QStringLiteral("mechanism")).toString() + QLatin1Char('/') + row.value(QStringLiteral("test")).toString()
                              + QLatin1Char('/') + name;
        const QJsonObject f = row.value(QStringLiteral("figures")).toObject().value(name).toObject();
        QVERIFY2(!f.isEmpty(), qPrintable(where + QStringLiteral(" is missing")));
        const double value = f.value(QStringLiteral("value")).toDouble(-1);
        QVERIFY2(mayBeZero ? value >= 0 : value > 0, qPrintable(where + QStringLiteral(" = %1").arg(value)));
        QVERIFY2(std::isfinite(value), qPrintable(where));
        if (!needFloor)
            return;
        const double floor = f.value(QStringLiteral("floor")).toDouble(-1);
        QVERIFY2(mayBeZero ? floor >= 0 : floor > 0, qPrintable(where + QStringLiteral(" floor = %1").arg(floor)));
        if (floor > 0) {
            const double ratio = f.value(QStringLiteral("ratio")).toDouble(-1);
            QVERIFY2(std::fabs(ratio - value / floor) <= 1e-6 * std::max(1.0, ratio), qPrintable(where + QStringLiteral(" ratio")));
        }
    }

private slots:
    void quickRunReportsEveryMechanism()
    {
        const QVector<Transport> found = transports();
        QVERIFY2(!found.isEmpty(), "no transport plugin found");

        QTemporaryDir out;
        QVERIFY(out.isValid());
        QProcess bench;
        bench.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QElapsedTimer clock;
        clock.start();
        bench.start(AppProcess::program(), {QStringLiteral("bench"), QStringLiteral("--quick"), QStringLiteral("--out"), out.path()});
        QVERIFY(bench.waitForFinished(540000));
        qInfo("bench --quick took %.1f s", double(clock.elapsed()) / 1000.0);
        const QByteArray table = bench.readAllStandardOutput();
        QVERIFY2(bench.exitStatus() == QProcess::NormalExit && bench.exitCode() == 0, table.constData());
        QVERIFY(table.contains("ratio"));

        QFile jsonFile(out.filePath(QStringLiteral("bench.json")));
        QVERIFY(jsonFile.open(QIODevice::ReadOnly));
        QJsonParseError parseError;
        const QJsonObject json = QJsonDocument::fromJson(jsonFile.readAll(), &parseError).object();
        QCOMPARE(parseError.error, QJsonParseError::NoError);

        const QJsonObject machine = json.value(QStringLiteral("machine")).toObject();
        for (const char *key : {"cpuModel", "kernel", "qtVersion", "buildType", "date"})
            QVERIFY2(!machine.value(QLatin1String(key)).toString().isEmpty(), key);
        QVERIFY(machine.value(QStringLiteral("cores")).toInt() > 0);
        QCOMPARE(machine.value(QStringLiteral("profile")).toString(), QStringLiteral("quick"));

        QHash<QString, QHash<QString, QJsonObject>> rows; // mechanism -> test -> row
        for (const QJsonValue &v : json.value(QStringLiteral("rows")).toArray()) {
            const QJsonObject row = v.toObject();
            rows[row.value(QStringLiteral("mechanism")).toString()].insert(row.value(QStringLiteral("test")).toString(), row);
        }

        const QStringList latencyFigures{QStringLiteral("p50"), QStringLiteral("p90"), QStringLiteral("p99"),
                                         QStringLiteral("p99.9"), QStringLiteral("max"), QStringLiteral("cpu/rt")};
        const QStringList throughputFigures{QStringLiteral("records/s"), QStringLiteral("MB/s"), QStringLiteral("cpu/Mrec")};
        for (const Transport &t : found) {
            QVERIFY2(rows.contains(t.id), qPrintable(t.id + QStringLiteral(" is not in the report")));
            const QHash<QString, QJsonObject> &mine = rows.value(t.id);
            if (!t.usable) {
                QVERIFY2(!mine.value(QStringLiteral("all")).value(QStringLiteral("skipped")).toString().isEmpty(),
                         qPrintable(t.id + QStringLiteral(" is unusable here but no reason was given")));
                continue;
            }
            const bool hasFloor = !mine.value(QStringLiteral("latency-1")).value(QStringLiteral("floorId")).toString().isEmpty();
            if (!hasFloor)
                QVERIFY2(!mine.value(QStringLiteral("latency-1")).value(QStringLiteral("floorNote")).toString().isEmpty(),
                         qPrintable(t.id + QStringLiteral(" has no floor and does not say why")));
            for (const QString &test : {QStringLiteral("latency-1"), QStringLiteral("latency-64k")}) {
                const QJsonObject row = mine.value(test);
                QVERIFY2(!row.isEmpty() && !row.contains(QStringLiteral("skipped")),
                         qPrintable(t.id + QLatin1Char('/') + test + QStringLiteral(": ") + row.value(QStringLiteral("skipped")).toString()));
                for (const QString &name : latencyFigures) {
                    checkFigure(row, name, hasFloor);
                    if (QTest::currentTestFailed())
                        return;
                }
                const QJsonObject figures = row.value(QStringLiteral("figures")).toObject();
                double previous = 0;
                for (const QString &name : latencyFigures.mid(0, 5)) {
                    const double value = figures.value(name).toObject().value(QStringLiteral("value")).toDouble();
                    QVERIFY2(value >= previous, qPrintable(t.id + QLatin1Char('/') + test + QStringLiteral(": percentiles out of order")));
                    previous = value;
                }
            }
            for (const QString &test : {QStringLiteral("throughput-1"), QStringLiteral("throughput-64"),
                                        QStringLiteral("throughput-4096"), QStringLiteral("throughput-1mib")}) {
                const QJsonObject row = mine.value(test);
                QVERIFY2(!row.isEmpty(), qPrintable(t.id + QLatin1Char('/') + test + QStringLiteral(" is missing")));
                if (!t.reliable) { // a lossy mechanism may skip one-way throughput, with a reason
                    if (row.contains(QStringLiteral("skipped"))) {
                        QVERIFY(!row.value(QStringLiteral("skipped")).toString().isEmpty());
                        continue;
                    }
                }
                QVERIFY2(!row.contains(QStringLiteral("skipped")),
                         qPrintable(t.id + QLatin1Char('/') + test + QStringLiteral(": ") + row.value(QStringLiteral("skipped")).toString()));
                for (const QString &name : throughputFigures) {
                    checkFigure(row, name, hasFloor);
                    if (QTest::currentTestFailed())
                        return;
                }
            }
            for (int senders : {1, 2, 4}) {
                const QJsonObject row = mine.value(QStringLiteral("scaling-%1").arg(senders));
                QVERIFY2(!row.isEmpty(), qPrintable(t.id + QStringLiteral(": scaling row missing")));
                if (!t.reliable || !t.multipleSenders) {
                    QVERIFY(!row.value(QStringLiteral("skipped")).toString().isEmpty());
                    continue;
                }
                QVERIFY2(!row.contains(QStringLiteral("skipped")), qPrintable(t.id + QStringLiteral(": ") + row.value(QStringLiteral("skipped")).toString()));
                checkFigure(row, QStringLiteral("records/s"), hasFloor);
                if (QTest::currentTestFailed())
                    return;
            }
            const QJsonObject idle = mine.value(QStringLiteral("idle"));
            QVERIFY2(!idle.isEmpty() && !idle.contains(QStringLiteral("skipped")), qPrintable(t.id + QStringLiteral(": idle row")));
            checkFigure(idle, QStringLiteral("idle cpu"), hasFloor, true);
            QVERIFY(idle.value(QStringLiteral("figures")).toObject().value(QStringLiteral("idle cpu")).toObject()
                        .value(QStringLiteral("value")).toDouble() < 100);
        }

        // The wait strategies of the shared-memory floor and the in-process model ingest.
        for (const QString &floor : {QStringLiteral("floor:shm-spinblock"), QStringLiteral("floor:shm-spin")}) {
            QVERIFY2(rows.value(floor).contains(QStringLiteral("latency-1")), qPrintable(floor));
            checkFigure(rows.value(floor).value(QStringLiteral("latency-1")), QStringLiteral("p50"), true);
            checkFigure(rows.value(floor).value(QStringLiteral("latency-1")), QStringLiteral("cpu/rt"), true);
            checkFigure(rows.value(floor).value(QStringLiteral("idle")), QStringLiteral("idle cpu"), true, true);
        }
        const QJsonObject ingest = rows.value(QStringLiteral("model ingest")).value(QStringLiteral("ingest"));
        checkFigure(ingest, QStringLiteral("records/s"), true);
        checkFigure(ingest, QStringLiteral("cpu/Mrec"), true);

        // The sessions' counters were read for every measured mechanism, and a reliable
        // mechanism lost nothing.
        QHash<QString, QJsonObject> losses;
        for (const QJsonValue &v : json.value(QStringLiteral("losses")).toArray())
            losses.insert(v.toObject().value(QStringLiteral("mechanism")).toString(), v.toObject());
        for (const Transport &t : found) {
            if (!t.usable)
                continue;
            const QJsonObject l = losses.value(t.id);
            QVERIFY2(l.value(QStringLiteral("known")).toBool(), qPrintable(t.id + QStringLiteral(": receiver summary not read")));
            if (t.reliable)
                for (const char *key : {"lostFrames", "duplicateFrames", "badFrames", "overwrittenFrames"})
                    QVERIFY2(l.value(QLatin1String(key)).toInteger(-1) == 0, qPrintable(t.id + QLatin1Char(' ') + QLatin1String(key)));
        }

        QFile csv(out.filePath(QStringLiteral("bench.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readAll().count('\n') > 10);
        for (const QString &chart : {QStringLiteral("latency-1record"), QStringLiteral("latency-64k"), QStringLiteral("throughput")}) {
            QFile png(out.filePath(chart + QStringLiteral(".png")));
            QVERIFY2(png.open(QIODevice::ReadOnly), qPrintable(png.fileName()));
            QVERIFY(png.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8));
            QVERIFY(png.size() > 1000);
            QFile svg(out.filePath(chart + QStringLiteral(".svg")));
            QVERIFY2(svg.open(QIODevice::ReadOnly), qPrintable(svg.fileName()));
            const QByteArray text = svg.readAll();
            QVERIFY(text.contains("<svg") && text.size() > 1000);
        }
    }
};

QTEST_GUILESS_MAIN(TestBenchQuick)
#include "tst_bench_quick.moc"
