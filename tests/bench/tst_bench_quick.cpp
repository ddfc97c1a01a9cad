// SPDX-License-Identifier: GPL-3.0-or-later
#include "appprocess.h"
#include "privatesessionbus.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>
#include <QTest>

#include <algorithm>
#include <cmath>

// Runs `ipcworkshop bench --quick` as a real process and checks that every mechanism found has
// every row, and every figure is present and plausible: positive, beside its floor, with the
// ratio computed; then `--repeat 3` over tcp: runs interleaved, medians and spreads consistent
// with their samples. Speed itself is reported by the benchmark, never asserted here.
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
        bool manyReceivers = false; // one to many, or many receivers: the fan-out rows run
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
            t.manyReceivers = line.contains(QStringLiteral("one to many")) || line.contains(QStringLiteral("many receivers"));
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

    static QJsonObject figureOf(const QJsonObject &row, const QString &name)
    {
        return row.value(QStringLiteral("figures")).toObject().value(name).toObject();
    }

    static QJsonObject measuredRow(const QHash<QString, QHash<QString, QJsonObject>> &rows, const QString &mechanism, const QString &test)
    {
        const QJsonObject row = rows.value(mechanism).value(test);
        if (row.isEmpty())
            qWarning("%s/%s is missing", qPrintable(mechanism), qPrintable(test));
        else if (row.contains(QStringLiteral("skipped")))
            qWarning("%s/%s was skipped: %s", qPrintable(mechanism), qPrintable(test),
                     qPrintable(row.value(QStringLiteral("skipped")).toString()));
        return row.contains(QStringLiteral("skipped")) ? QJsonObject() : row;
    }

    // The record path's own rows: memory of a receiver and a sender (loose bounds only: far
    // beyond any plausible size is a broken measurement, not a slow one) and the table's lag.
    static void checkRecordPathRows(const QHash<QString, QHash<QString, QJsonObject>> &rows)
    {
        const QJsonObject receiver = measuredRow(rows, QStringLiteral("receiver"), QStringLiteral("receiver-bytes-per-row"));
        QVERIFY(!receiver.isEmpty());
        const double bytesPerRow = figureOf(receiver, QStringLiteral("bytes/row")).value(QStringLiteral("value")).toDouble();
        QVERIFY2(bytesPerRow > 10 && bytesPerRow < 10000, qPrintable(QString::number(bytesPerRow)));
        QCOMPARE(figureOf(receiver, QStringLiteral("bytes/row")).value(QStringLiteral("target")).toDouble(), 160.0);
        checkFigure(receiver, QStringLiteral("RSS growth"), false);

        const QJsonObject sender = measuredRow(rows, QStringLiteral("sender"), QStringLiteral("sender-peak-rss"));
        QVERIFY(!sender.isEmpty());
        const double peakMiB = figureOf(sender, QStringLiteral("peak RSS")).value(QStringLiteral("value")).toDouble();
        QVERIFY2(peakMiB > 1 && peakMiB < 4096, qPrintable(QString::number(peakMiB)));
        QCOMPARE(figureOf(sender, QStringLiteral("peak RSS")).value(QStringLiteral("target")).toDouble(), 64.0);

        for (const QString &test : {QStringLiteral("table-lag-arrival"), QStringLiteral("table-lag-sorted")}) {
            const QJsonObject lag = measuredRow(rows, QStringLiteral("table view"), test);
            QVERIFY(!lag.isEmpty());
            checkFigure(lag, QStringLiteral("max lag"), false, true);
            checkFigure(lag, QStringLiteral("p99 lag"), false, true);
            checkFigure(lag, QStringLiteral("records/s"), false);
            QVERIFY(figureOf(lag, QStringLiteral("p99 lag")).value(QStringLiteral("value")).toDouble()
                    <= figureOf(lag, QStringLiteral("max lag")).value(QStringLiteral("value")).toDouble());
            QCOMPARE(figureOf(lag, QStringLiteral("max lag")).value(QStringLiteral("target")).toDouble(), 50.0);
        }
    }

    // One sender to 1, 2 and 4 receiver processes: every receiver got records, each one's
    // losses are numbers, and where the sender can count its receivers (udp) it knew of them all.
    static void checkFanOutRows(const Transport &t, const QHash<QString, QJsonObject> &mine)
    {
        for (int receivers : {1, 2, 4}) {
            const QString test = QStringLiteral("fanout-%1").arg(receivers);
            const QJsonObject row = mine.value(test);
            if (!t.manyReceivers) {
                QVERIFY2(row.isEmpty(), qPrintable(t.id + QStringLiteral(" reaches one receiver but has ") + test));
                continue;
            }
            QVERIFY2(!row.isEmpty() && !row.contains(QStringLiteral("skipped")),
                     qPrintable(t.id + QLatin1Char('/') + test + QStringLiteral(": ") + row.value(QStringLiteral("skipped")).toString()));
            for (const QString &spread : {QStringLiteral("rec/s"), QStringLiteral("lost")}) {
                const bool lost = spread == QLatin1String("lost");
                double previous = -1;
                for (const QString &at : {QStringLiteral(" min"), QStringLiteral(" median"), QStringLiteral(" max")}) {
                    checkFigure(row, spread + at, false, lost);
                    if (QTest::currentTestFailed())
                        return;
                    const double value = figureOf(row, spread + at).value(QStringLiteral("value")).toDouble();
                    QVERIFY2(value >= previous, qPrintable(t.id + QLatin1Char('/') + test + QStringLiteral(": min, median, max out of order")));
                    previous = value;
                }
            }
            checkFigure(row, QStringLiteral("received min"), false); // > 0: no receiver went without
            if (t.id == QLatin1String("udp"))
                QCOMPARE(figureOf(row, QStringLiteral("receivers known")).value(QStringLiteral("value")).toInt(-1), receivers);
        }
    }

    // One CSV line into fields; a field in double quotes may hold commas and doubled quotes.
    static QStringList csvFields(const QString &line)
    {
        QStringList fields;
        QString field;
        bool quoted = false;
        for (qsizetype i = 0; i < line.size(); ++i) {
            const QChar c = line.at(i);
            if (quoted && c == QLatin1Char('"') && i + 1 < line.size() && line.at(i + 1) == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = !quoted;
            } else if (c == QLatin1Char(',') && !quoted) {
                fields << field;
                field.clear();
            } else {
                field += c;
            }
        }
        return fields << field;
    }

    // Three runs: the median is the middle sample, min and max the outer ones.
    static void checkSpread(const QString &where, double median, double min, double max, QVector<double> samples)
    {
        QVERIFY2(samples.size() == 3, qPrintable(where + QStringLiteral(": %1 samples").arg(samples.size())));
        std::sort(samples.begin(), samples.end());
        QVERIFY2(median == samples.at(1) && min == samples.at(0) && max == samples.at(2),
                 qPrintable(where + QStringLiteral(": median %1, min %2, max %3").arg(median).arg(min).arg(max)));
        QVERIFY(min <= median && median <= max);
    }

    static QVector<double> numbers(const QJsonArray &array)
    {
        QVector<double> values;
        for (const QJsonValue &v : array)
            values << v.toDouble();
        return values;
    }

    PrivateSessionBus m_bus;

private slots:
    void initTestCase()
    {
        // The benchmark measures dbus on a bus of its own whatever the environment has; the
        // listing this test compares with must see a bus too, or it would expect dbus skipped.
        QString error;
        QVERIFY2(m_bus.start(&error), qPrintable(error));
    }

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
        // Nine minutes, or what a slower (sanitizer) build gives the test function, less a minute.
        QVERIFY(bench.waitForFinished(qMax(540000, qEnvironmentVariableIntValue("QTEST_FUNCTION_TIMEOUT") - 60000)));
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
        // All of them, not the one the benchmark pinned itself to.
        QCOMPARE(machine.value(QStringLiteral("cores")).toInt(), QThread::idealThreadCount());
        QCOMPARE(machine.value(QStringLiteral("profile")).toString(), QStringLiteral("quick"));
        // The command line's default: peers on a CPU of their own, where the machine has two.
        const QString placement = machine.value(QStringLiteral("placement")).toString();
        QVERIFY2(placement.startsWith(QLatin1String("apart: ")) || placement.contains(QLatin1String("one CPU only")),
                 qPrintable(placement));
        QVERIFY(table.contains("CPUs: " + placement.toUtf8()));

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
            checkFanOutRows(t, mine);
            if (QTest::currentTestFailed())
                return;
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
        // The filemapping transport waiting each way, each beside the floor that waits the same way
        // (spin is polled by the owner's event loop: a round trip that never came back fails here).
        if (std::any_of(found.cbegin(), found.cend(), [](const Transport &t) { return t.id == QLatin1String("filemapping") && t.usable; }))
            for (const QString &wait : {QStringLiteral("spinblock"), QStringLiteral("spin")})
                for (const QString &test : {QStringLiteral("latency-1"), QStringLiteral("latency-64k")}) {
                    const QJsonObject row = rows.value(QStringLiteral("filemapping?wait=") + wait).value(test);
                    QCOMPARE(row.value(QStringLiteral("floorId")).toString(), QStringLiteral("shm-") + wait);
                    checkFigure(row, QStringLiteral("p50"), true);
                    checkFigure(row, QStringLiteral("cpu/rt"), true);
                }
        // The second floors: ZeroMQ's own loop beside the bare Unix socket it runs over, and the
        // bare calls waited on with poll() beside the bare blocking ones, each measured with a
        // ratio to its bare floor.
        const struct { const char *transport, *second, *bare; } secondFloors[] = {
            {"zeromq", "zeromq", "unix"},  {"tcp", "tcp-poll", "tcp"},     {"localsocket", "unix-poll", "unix"},
            {"namedpipe", "pipe-poll", "pipe"}, {"mailslot", "mq-poll", "mq"},
        };
        const QStringList notes = json.value(QStringLiteral("notes")).toVariant().toStringList();
        for (const auto &f : secondFloors) {
            if (std::none_of(found.cbegin(), found.cend(),
                             [&](const Transport &t) { return t.id == QLatin1String(f.transport) && t.usable; }))
                continue;
            for (const QString &test : {QStringLiteral("latency-1"), QStringLiteral("latency-64k")}) {
                const QJsonObject floorRow = rows.value(QStringLiteral("floor:") + QLatin1String(f.second)).value(test);
                QCOMPARE(floorRow.value(QStringLiteral("floorId")).toString(), QLatin1String(f.bare));
                checkFigure(floorRow, QStringLiteral("p50"), true);
                checkFigure(floorRow, QStringLiteral("cpu/rt"), true);
            }
            const QString noteStart = QLatin1String(f.transport) + QStringLiteral(", round trip, 1-record frames");
            QVERIFY2(std::any_of(notes.cbegin(), notes.cend(),
                                 [&](const QString &n) {
                                     return n.startsWith(noteStart) && n.contains(QLatin1String(" against floor:") + QLatin1String(f.second));
                                 }),
                     f.transport);
        }
        const QJsonObject ingest = rows.value(QStringLiteral("model ingest")).value(QStringLiteral("ingest"));
        checkFigure(ingest, QStringLiteral("records/s"), true);
        checkFigure(ingest, QStringLiteral("cpu/Mrec"), true);
        QCOMPARE(figureOf(ingest, QStringLiteral("records/s")).value(QStringLiteral("target")).toDouble(), 10e6);
        checkRecordPathRows(rows);
        if (QTest::currentTestFailed())
            return;

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
                    QVERIFY2(l.value(QLatin1String(key)).toInteger(-1) == 0,
                             qPrintable(t.id + QLatin1Char(' ') + QLatin1String(key) + QLatin1String(": ")
                                        + l.value(QStringLiteral("firstBadFrame")).toString()));
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

    void repeatedRunReportsMediansOfInterleavedRuns()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        QProcess bench;
        bench.start(AppProcess::program(), {QStringLiteral("bench"), QStringLiteral("--quick"), QStringLiteral("--repeat"), QStringLiteral("3"),
                                            QStringLiteral("--transports"), QStringLiteral("tcp"), QStringLiteral("--shm-wait"),
                                            QStringLiteral("block"), QStringLiteral("--out"), out.path()});
        // Nine minutes, or what a slower (sanitizer) build gives the test function, less a minute.
        QVERIFY(bench.waitForFinished(qMax(540000, qEnvironmentVariableIntValue("QTEST_FUNCTION_TIMEOUT") - 60000)));
        const QByteArray table = bench.readAllStandardOutput();
        const QString progress = QString::fromUtf8(bench.readAllStandardError());
        QVERIFY2(bench.exitStatus() == QProcess::NormalExit && bench.exitCode() == 0, table.constData());
        QVERIFY(table.contains("3 runs interleaved"));

        // Interleaved: every step of run 1, then the same steps of run 2, then of run 3.
        QStringList steps[3];
        static const QRegularExpression stepLine(QStringLiteral("run (\\d)/3: (.*)$"), QRegularExpression::MultilineOption);
        int lastRun = 1;
        for (auto it = stepLine.globalMatch(progress); it.hasNext();) {
            const QRegularExpressionMatch m = it.next();
            const int run = m.captured(1).toInt();
            QVERIFY2(run >= lastRun && run <= 3, qPrintable(progress));
            lastRun = run;
            steps[run - 1] << m.captured(2);
        }
        QVERIFY2(!steps[0].isEmpty() && steps[0] == steps[1] && steps[1] == steps[2], qPrintable(progress));
        QVERIFY(steps[0].contains(QStringLiteral("tcp: floor tcp")));

        QFile jsonFile(out.filePath(QStringLiteral("bench.json")));
        QVERIFY(jsonFile.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(jsonFile.readAll()).object();
        QCOMPARE(json.value(QStringLiteral("machine")).toObject().value(QStringLiteral("runs")).toInt(), 3);
        QHash<QString, QHash<QString, QJsonObject>> rows;
        int figures = 0;
        for (const QJsonValue &v : json.value(QStringLiteral("rows")).toArray()) {
            const QJsonObject row = v.toObject();
            const QString where = row.value(QStringLiteral("mechanism")).toString() + QLatin1Char('/') + row.value(QStringLiteral("test")).toString();
            rows[row.value(QStringLiteral("mechanism")).toString()].insert(row.value(QStringLiteral("test")).toString(), row);
            QVERIFY2(!row.contains(QStringLiteral("skipped")), qPrintable(where + QStringLiteral(": ") + row.value(QStringLiteral("skipped")).toString()));
            const QJsonObject all = row.value(QStringLiteral("figures")).toObject();
            for (auto f = all.begin(); f != all.end(); ++f) {
                const QJsonObject figure = f.value().toObject();
                const double median = figure.value(QStringLiteral("median")).toDouble();
                QCOMPARE(figure.value(QStringLiteral("value")).toDouble(), median);
                checkSpread(where + QLatin1Char('/') + f.key(), median, figure.value(QStringLiteral("min")).toDouble(),
                            figure.value(QStringLiteral("max")).toDouble(), numbers(figure.value(QStringLiteral("samples")).toArray()));
                if (QTest::currentTestFailed())
                    return;
                if (figure.value(QStringLiteral("floor")).isNull())
                    continue;
                const double floor = figure.value(QStringLiteral("floor")).toDouble();
                checkSpread(where + QLatin1Char('/') + f.key() + QStringLiteral(" floor"), floor, figure.value(QStringLiteral("floorMin")).toDouble(),
                            figure.value(QStringLiteral("floorMax")).toDouble(), numbers(figure.value(QStringLiteral("floorSamples")).toArray()));
                if (QTest::currentTestFailed())
                    return;
                if (floor > 0) // ratios are median against median
                    QVERIFY(std::fabs(figure.value(QStringLiteral("ratio")).toDouble() - median / floor) <= 1e-9 * std::max(1.0, median / floor));
                ++figures;
            }
        }
        QVERIFY(figures > 20);
        checkRecordPathRows(rows);
        if (QTest::currentTestFailed())
            return;

        // The CSV says the same: value is the median, the middle of the three samples.
        QFile csv(out.filePath(QStringLiteral("bench.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        const QStringList header = csvFields(lines.first());
        const auto column = [&header](const char *name) { return header.indexOf(QLatin1String(name)); };
        for (const char *name : {"value", "median", "min", "max", "samples", "floor", "floor_min", "floor_max", "floor_samples", "target"})
            QVERIFY2(column(name) >= 0, name);
        for (const QString &line : lines.mid(1)) {
            const QStringList f = csvFields(line);
            QCOMPARE(f.size(), header.size());
            QVector<double> samples;
            for (const QString &sample : f.at(column("samples")).split(QLatin1Char(' ')))
                samples << sample.toDouble();
            QCOMPARE(f.at(column("median")), f.at(column("value")));
            checkSpread(line, f.at(column("median")).toDouble(), f.at(column("min")).toDouble(), f.at(column("max")).toDouble(), samples);
            if (QTest::currentTestFailed())
                return;
        }
    }
};

QTEST_GUILESS_MAIN(TestBenchQuick)
#include "tst_bench_quick.moc"
