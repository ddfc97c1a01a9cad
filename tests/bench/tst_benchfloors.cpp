// SPDX-License-Identifier: GPL-3.0-or-later
// Every floor of the benchmark against a real `ipcworkshop bench-floor-peer` process: round
// trips of a one-record frame's size and of 64 KiB come back, a stream is acknowledged message
// by message, and Stop ends the peer with exit code 0. A floor that fails here would leave its
// mechanism's rows without a ratio. Runs under Xvfb for the clipboard's xcb floor and on a
// private session bus for the dbus floor; how fast each is stays the benchmark's business.

#include "appprocess.h"
#include "benchfloor.h"
#include "privatesessionbus.h"

#include <QProcess>
#include <QTest>
#include <QUuid>

class TestBenchFloors final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_bus.start(&error), qPrintable(error));
    }

    void floorRoundTripsAndStops_data()
    {
        QTest::addColumn<QString>("floor");
        for (const std::string &id : ipcw::bench::floorIds())
            QTest::newRow(id.c_str()) << QString::fromStdString(id);
    }

    void floorRoundTripsAndStops()
    {
        QFETCH(QString, floor);
        QProcess peer;
        peer.start(AppProcess::program(), {QStringLiteral("bench-floor-peer"), floor, uniqueName()});
        QVERIFY2(peer.waitForReadyRead(15000), qPrintable(peer.readAllStandardError()));
        const QByteArray ready = peer.readLine().trimmed();
        QVERIFY2(ready.startsWith("ready "), ready.constData());

        std::string error;
        std::unique_ptr<ipcw::bench::FloorLink> link =
            ipcw::bench::connectFloor(floor.toStdString(), ready.mid(6).toStdString(), long(peer.processId()), &error);
        QVERIFY2(link, error.c_str());
        for (const std::size_t bytes : {std::size_t(127), std::size_t(64 * 1024)}) {
            const ipcw::bench::LatencyRun run = ipcw::bench::floorPingPong(*link, bytes, 5, 50);
            QVERIFY2(run.error.empty(), run.error.c_str());
            QCOMPARE(run.roundTripsUs.size(), std::size_t(50));
            QVERIFY(run.roundTripsUs.front() > 0);
        }
        const ipcw::bench::ThroughputRun stream = ipcw::bench::floorStream(*link, 4096, 200, 16);
        QVERIFY2(stream.error.empty(), stream.error.c_str());
        QCOMPARE(stream.messages, std::uint64_t(200));
        const std::string stopped = ipcw::bench::floorStop(*link);
        QVERIFY2(stopped.empty(), stopped.c_str());
        link.reset();
        QVERIFY(peer.waitForFinished(10000));
        QCOMPARE(peer.exitCode(), 0);
    }

    // Without a display the clipboard's floor says so instead of hanging or crashing.
    void xcbFloorWithoutDisplaySaysWhy()
    {
        const QByteArray display = qgetenv("DISPLAY");
        qunsetenv("DISPLAY");
        std::string error;
        const std::unique_ptr<ipcw::bench::FloorLink> link = ipcw::bench::connectFloor("xcb", uniqueName().toStdString(), 0, &error);
        qputenv("DISPLAY", display);
        QVERIFY(!link);
        QVERIFY2(error.find("DISPLAY is not set") != std::string::npos, error.c_str());
    }

private:
    static QString uniqueName()
    {
        return QStringLiteral("ipcw-floortest-") + QUuid::createUuid().toString(QUuid::Id128).left(12);
    }

    PrivateSessionBus m_bus;
};

QTEST_GUILESS_MAIN(TestBenchFloors)
#include "tst_benchfloors.moc"
