// SPDX-License-Identifier: GPL-3.0-or-later
#include "appprocess.h"
#include "livetransferchart.h"
#include "mainwindow.h"
#include "pluginmanager.h"
#include "receiverpanel.h"
#include "senderpanel.h"
#include "windowtest.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineSeries>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

using WindowTest::child;

// The live charts on real transfers: a receiver window in this process fed by a headless
// ipcworkshop sender (two processes, real TCP) and by a sender window; each chart fills,
// redraws only while shown and running, and saves its summary as PNG and SVG.
class TestLiveChart final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void receiverChartsAnotherProcesssTransfer();
    void hiddenChartCountsButDoesNotDraw();
    void senderChartsSentAndAcknowledged();
    void summariesSaveAsPngAndSvg();
    void unwritableFileIsRefusedWithASentence();
    void cleanupTestCase();

private:
    // A window of `role` on tcp at m_address, shown, once it listens or is connected.
    std::unique_ptr<MainWindow> openWindow(EndpointRole role, TransportEndpoint::State ready);
    static void showChartTab(QWidget *window, const char *views);
    // Sends `count` generated records from a headless ipcworkshop process and waits for it.
    void sendFromAnotherProcess(int count, const std::function<void()> &whileRunning = {});
    static qint64 recordsCharted(const TransferMeter &meter);

    QTemporaryDir m_work;
    QString m_address;
    std::unique_ptr<PluginManager> m_plugins;
    std::unique_ptr<MainWindow> m_receiver;
    std::unique_ptr<MainWindow> m_sender;
    LiveTransferChart *m_receiverChart = nullptr;
    LiveTransferChart *m_senderChart = nullptr;
};

void TestLiveChart::initTestCase()
{
    QVERIFY(m_work.isValid());
    m_address = WindowTest::freeTcpAddress();
    m_plugins = WindowTest::builtPlugins();
    QVERIFY2(m_plugins->findById(QStringLiteral("tcp")), "the tcp plugin must be built");
    m_receiver = openWindow(EndpointRole::Receiver, TransportEndpoint::State::Listening);
    QVERIFY(m_receiver);
    m_receiverChart = child<LiveTransferChart>(m_receiver.get(), "liveTransferChart");
    QVERIFY(!m_receiverChart->isVisible()); // the records table comes first
    QVERIFY(!m_receiverChart->isRedrawing());
}

std::unique_ptr<MainWindow> TestLiveChart::openWindow(EndpointRole role, TransportEndpoint::State ready)
{
    AppOptions options;
    options.transport = QStringLiteral("tcp");
    options.address = m_address;
    auto window = std::make_unique<MainWindow>(role, options, *m_plugins);
    window->show();
    if (!QTest::qWaitFor([&] { return window->connectionState() == ready; }, 10000))
        return nullptr;
    return window;
}

void TestLiveChart::showChartTab(QWidget *window, const char *views)
{
    auto *tabs = child<QTabWidget>(window, views);
    tabs->setCurrentWidget(child<LiveTransferChart>(window, "liveTransferChart"));
}

void TestLiveChart::sendFromAnotherProcess(int count, const std::function<void()> &whileRunning)
{
    QProcess sender;
    sender.start(AppProcess::program(), {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender"),
                                         QStringLiteral("--transport"), QStringLiteral("tcp"), QStringLiteral("--address"),
                                         m_address, QStringLiteral("--generate"), QString::number(count)});
    QVERIFY(sender.waitForStarted(5000));
    // This process is the receiver: wait with its event loop running.
    QElapsedTimer clock;
    clock.start();
    while (sender.state() != QProcess::NotRunning && clock.elapsed() < 120000) {
        QTest::qWait(20);
        if (whileRunning)
            whileRunning();
    }
    QCOMPARE(sender.state(), QProcess::NotRunning);
    QVERIFY2(sender.exitStatus() == QProcess::NormalExit && sender.exitCode() == 0, sender.readAllStandardError().constData());
}

// The records the points stand for: each point's rate times its interval.
qint64 TestLiveChart::recordsCharted(const TransferMeter &meter)
{
    double records = 0;
    for (const TransferMeter::Point &p : meter.points())
        records += p.recordsPerSecond * double(meter.intervalUs()) / 1e6;
    return qRound64(records);
}

void TestLiveChart::receiverChartsAnotherProcesssTransfer()
{
    showChartTab(m_receiver.get(), "receiverViews");
    QVERIFY(m_receiverChart->isVisible());
    QVERIFY(!m_receiverChart->isRedrawing()); // nothing runs yet
    QVERIFY(!child<QWidget>(m_receiverChart, "saveChartButton")->isEnabled());

    bool redrewWhileRunning = false;
    sendFromAnotherProcess(1'000'000, [&] { redrewWhileRunning = redrewWhileRunning || m_receiverChart->isRedrawing(); });
    if (QTest::currentTestFailed())
        return;
    QVERIFY(redrewWhileRunning);
    QTRY_COMPARE(m_receiver->receiverPanel()->counters().records, 1'000'000);
    // A second without records ends the transfer: the last interval closes, the timer stops.
    QTRY_VERIFY_WITH_TIMEOUT(!m_receiverChart->isRedrawing(), 5000);

    const TransferMeter &meter = m_receiverChart->meter();
    QCOMPARE(meter.totals().records, 1'000'000);
    QCOMPARE(meter.totals().frames, m_receiver->receiverPanel()->counters().frames);
    QCOMPARE(recordsCharted(meter), 1'000'000);
    const QList<QLineSeries *> series = m_receiverChart->plot().series();
    QCOMPARE(series.size(), 3); // records/s, p50, p99
    QVERIFY(!meter.points().empty());
    QCOMPARE(series.at(0)->count(), int(meter.points().size()));
    QVERIFY(series.at(1)->count() > 0);
    QCOMPARE(series.at(1)->count(), series.at(2)->count());
    for (int i = 0; i < series.at(1)->count(); ++i)
        QVERIFY(series.at(2)->at(i).y() >= series.at(1)->at(i).y()); // p99 above p50
    // Same machine, same clock: latency is positive and below the transfer's length.
    const TransferMeter::Totals totals = meter.totals();
    QVERIFY2(totals.latencyP50Ms > 0 && totals.latencyP99Ms >= totals.latencyP50Ms
                 && totals.latencyP99Ms < totals.seconds * 1000 + 1000,
             qPrintable(QStringLiteral("p50 %1 ms, p99 %2 ms").arg(totals.latencyP50Ms).arg(totals.latencyP99Ms)));

    const QString summary = child<QLabel>(m_receiverChart, "liveChartSummary")->text();
    QVERIFY2(summary.contains(QLocale().toString(qint64(1'000'000)) + QStringLiteral(" records")), qPrintable(summary));
    QVERIFY2(summary.contains(QLatin1String("p99")), qPrintable(summary));
    QVERIFY(child<QWidget>(m_receiverChart, "saveChartButton")->isEnabled());
    QVERIFY(child<QWidget>(m_receiverChart, "liveChartView")->toolTip().contains(QLatin1String("same machine")));
}

void TestLiveChart::hiddenChartCountsButDoesNotDraw()
{
    auto *tabs = child<QTabWidget>(m_receiver.get(), "receiverViews");
    tabs->setCurrentIndex(0);
    QVERIFY(!m_receiverChart->isVisible());
    const QList<QLineSeries *> series = m_receiverChart->plot().series();
    const int drawn = series.at(0)->count();

    QTest::qWait(1200); // a new transfer: more than a second after the last one
    bool redrew = false;
    sendFromAnotherProcess(50'000, [&] { redrew = redrew || m_receiverChart->isRedrawing(); });
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE(m_receiverChart->meter().totals().records, 50'000); // counted afresh...
    QVERIFY(!redrew);                                                  // ...but never drawn
    QCOMPARE(series.at(0)->count(), drawn);

    tabs->setCurrentWidget(m_receiverChart); // shown: drawn at once
    QCOMPARE(series.at(0)->count(), int(m_receiverChart->meter().points().size()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_receiverChart->isRedrawing(), 5000);
    QCOMPARE(recordsCharted(m_receiverChart->meter()), 50'000);
    QVERIFY(child<QLabel>(m_receiverChart, "liveChartSummary")->text().startsWith(QLocale().toString(50'000)));
}

void TestLiveChart::senderChartsSentAndAcknowledged()
{
    m_sender = openWindow(EndpointRole::Sender, TransportEndpoint::State::Connected);
    QVERIFY(m_sender);
    m_senderChart = child<LiveTransferChart>(m_sender.get(), "liveTransferChart");
    showChartTab(m_sender.get(), "senderViews");
    QVERIFY(!m_senderChart->isRedrawing());

    QVERIFY(m_sender->senderPanel()->sendGenerated(300'000));
    QVERIFY(m_senderChart->isRedrawing()); // from the first record on
    QTRY_VERIFY_WITH_TIMEOUT(!m_senderChart->isRedrawing(), 60000); // the session finished

    const TransferMeter &meter = m_senderChart->meter();
    QVERIFY(!meter.points().empty());
    QCOMPARE(meter.points().back().sent, 300'000);
    QCOMPARE(meter.points().back().acked, 300'000);
    for (const TransferMeter::Point &p : meter.points())
        QVERIFY(p.acked <= p.sent);
    const QList<QLineSeries *> series = m_senderChart->plot().series();
    QCOMPARE(series.size(), 2); // acknowledged, sent
    QCOMPARE(series.at(0)->count(), int(meter.points().size()) + 1); // and the origin
    QCOMPARE(series.at(1)->count(), int(meter.points().size()) + 1); // and the origin
    const TransferPlot::Figures figures = m_senderChart->figures();
    QCOMPARE(figures.records, 300'000);
    QCOMPARE(figures.acked, 300'000);
    QVERIFY(figures.frames > 0 && figures.seconds > 0 && figures.recordsPerSecond > 0);
    // The window's status line says the numbers; a saved picture says them under the chart.
    QVERIFY(!child<QLabel>(m_senderChart, "liveChartSummary")->isVisible());
    const QString summary = TransferPlot::summaryLines(TransferPlot::Role::Sender, figures).join(QLatin1Char('\n'));
    QVERIFY2(summary.contains(QLocale().toString(300'000) + QStringLiteral(" records acknowledged")), qPrintable(summary));
    // The receiver's chart saw the same transfer, and its end.
    QTRY_COMPARE(m_receiverChart->meter().totals().records, 300'000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_receiverChart->isRedrawing(), 5000);
}

void TestLiveChart::summariesSaveAsPngAndSvg()
{
    for (LiveTransferChart *chart : {m_receiverChart, m_senderChart}) {
        const QString records = QLocale().toString(300'000); // the sender window's transfer, both ends
        const QString base = m_work.filePath(chart == m_receiverChart ? QStringLiteral("received") : QStringLiteral("sent"));
        QString error;
        QVERIFY2(chart->saveImage(base + QStringLiteral(".png"), &error), qPrintable(error));
        QImage image(base + QStringLiteral(".png"));
        QVERIFY(!image.isNull());
        QVERIFY2(image.width() >= 800 && image.height() >= 560, qPrintable(QStringLiteral("%1x%2").arg(image.width()).arg(image.height())));
        QVERIFY(QFileInfo(base + QStringLiteral(".png")).size() > 10'000);
        // Laid out, not a thumbnail: the chart (above the text) spans the picture.
        int left = image.width();
        int right = 0;
        for (int y = 0; y < 540; ++y)
            for (int x = 0; x < image.width(); ++x)
                if (image.pixel(x, y) != qRgb(255, 255, 255)) {
                    left = qMin(left, x);
                    right = qMax(right, x);
                }
        QVERIFY2(right - left > image.width() * 8 / 10, qPrintable(QStringLiteral("drawn from x %1 to %2").arg(left).arg(right)));

        QVERIFY2(chart->saveImage(base + QStringLiteral(".svg"), &error), qPrintable(error));
        QFile svg(base + QStringLiteral(".svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(svg.readAll());
        QVERIFY(text.contains(QLatin1String("<svg")));
        QVERIFY2(text.contains(records), qPrintable(records)); // the numbers, as text
        QVERIFY(text.contains(chart == m_receiverChart ? QLatin1String("p99") : QLatin1String("acknowledged by the receiver")));
        QVERIFY(text.contains(QLatin1String("TCP")));
    }
}

void TestLiveChart::unwritableFileIsRefusedWithASentence()
{
    QString error;
    const QString path = m_work.filePath(QStringLiteral("no-such-folder/chart.png"));
    QVERIFY(!m_receiverChart->saveImage(path, &error));
    QVERIFY2(error.startsWith(QLatin1String("Cannot write")), qPrintable(error));
    QVERIFY(!m_receiverChart->saveImage(m_work.filePath(QStringLiteral("no-such-folder/chart.svg")), &error));
    QVERIFY2(error.contains(QLatin1String("chart.svg")), qPrintable(error));
}

void TestLiveChart::cleanupTestCase()
{
    m_sender.reset();
    m_receiver.reset();
}

QTEST_MAIN(TestLiveChart)
#include "tst_livechart.moc"
