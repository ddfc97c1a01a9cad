// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkadvisorpanel.h"
#include "benchmarkcharts.h"
#include "benchmarkresultstable.h"
#include "benchmarktab.h"
#include "pluginmanager.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>

#include <memory>

// The Benchmark tab driven as a user would: tick tcp, press Start, watch rows, charts and the
// advice arrive while the window keeps answering; Stop; a mechanism that cannot be measured here.
class TestBenchmarkTab final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void adviceBeforeAnyRun();
    void quickTcpRunKeepsTheWindowAnswering();
    void stopEndsTheRunEarly();
    void unmeasurableMechanismSaysWhy();

private:
    std::unique_ptr<BenchmarkTab> newTab();
    static QStringList column(BenchmarkResultsTable *table, int column);

    QTemporaryDir m_dataHome;
    std::unique_ptr<PluginManager> m_plugins;
};

void TestBenchmarkTab::initTestCase()
{
    QVERIFY(m_dataHome.isValid());
    qputenv("XDG_DATA_HOME", m_dataHome.path().toLocal8Bit());
    m_plugins = std::make_unique<PluginManager>();
    m_plugins->setSearchPaths({QStringLiteral(IPCW_BIN_DIR "/plugins")});
    m_plugins->scan();
    QVERIFY2(m_plugins->findById(QStringLiteral("tcp")), "the tcp plugin must be built");
    QVERIFY2(m_plugins->findById(QStringLiteral("clipboard")), "the clipboard plugin must be built");
}

std::unique_ptr<BenchmarkTab> TestBenchmarkTab::newTab()
{
    auto tab = std::make_unique<BenchmarkTab>(*m_plugins);
    tab->setPeerProgram(QStringLiteral(IPCW_BIN_DIR "/ipcworkshop"));
    tab->setQuick(true);
    tab->resize(1400, 800);
    tab->show();
    return tab;
}

QStringList TestBenchmarkTab::column(BenchmarkResultsTable *table, int column)
{
    QStringList cells;
    for (int r = 0; r < table->rowCount(); ++r)
        cells << (table->item(r, column) ? table->item(r, column)->text() : QString());
    return cells;
}

void TestBenchmarkTab::adviceBeforeAnyRun()
{
    const auto tab = newTab();
    const QVector<MechanismAdvisor::Entry> entries = tab->advisorPanel()->entries();
    QVERIFY(!entries.isEmpty());
    QVERIFY(tab->advisorPanel()->findChild<QLabel *>(QStringLiteral("benchAdvisorBasis"))->text().contains(QLatin1String("after a benchmark run")));
    // The clipboard is offered but not ticked: this tab cannot measure it.
    QVERIFY(tab->checkedTransports().contains(QLatin1String("tcp")));
    QVERIFY(!tab->checkedTransports().contains(QLatin1String("clipboard")));
    // Only tcp reaches other machines.
    tab->advisorPanel()->setNeeds(MechanismAdvisor::OtherMachines);
    const QVector<MechanismAdvisor::Entry> remote = tab->advisorPanel()->entries();
    QCOMPARE(remote.first().id, QStringLiteral("tcp"));
    QVERIFY(remote.first().fits);
    QVERIFY(std::all_of(remote.begin() + 1, remote.end(), [](const auto &e) { return !e.fits; }));
    QVERIFY(tab->findChild<QTextBrowser *>(QStringLiteral("benchAdvisorRanking"))->toPlainText().contains(QLatin1String("reaches only this machine")));
    QVERIFY(!tab->findChild<QPushButton *>(QStringLiteral("benchSave"))->isEnabled());
}

void TestBenchmarkTab::quickTcpRunKeepsTheWindowAnswering()
{
    const auto tab = newTab();
    tab->setCheckedTransports({QStringLiteral("tcp")});

    // A timer on the GUI thread: if the run blocked this thread, the gaps between ticks would
    // be as long as a measurement (seconds).
    QTimer ticker;
    ticker.setInterval(20);
    QElapsedTimer sinceTick;
    qint64 longestGapMs = 0;
    int ticks = 0;
    connect(&ticker, &QTimer::timeout, this, [&] {
        longestGapMs = qMax(longestGapMs, sinceTick.restart());
        ++ticks;
    });
    QElapsedTimer runTime;
    runTime.start();
    sinceTick.start();
    ticker.start();

    QTest::mouseClick(tab->findChild<QPushButton *>(QStringLiteral("benchStart")), Qt::LeftButton);
    QVERIFY(tab->isRunning());
    QVERIFY(tab->findChild<QPushButton *>(QStringLiteral("benchStop"))->isEnabled());
    QVERIFY(!tab->findChild<QPushButton *>(QStringLiteral("benchStart"))->isEnabled());
    // Rows arrive while the run goes on, not all at the end.
    QTRY_VERIFY_WITH_TIMEOUT(tab->resultsTable()->rowCount() > 0, 60000);
    QVERIFY(tab->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 240000);
    ticker.stop();
    const qint64 ms = runTime.elapsed();
    qInfo("quick tcp run: %lld ms, %d ticks of 20 ms, longest gap %lld ms", ms, ticks, longestGapMs);
    QVERIFY2(longestGapMs < 1000, qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(longestGapMs)));
    QVERIFY(ticks > ms / 20 / 4);

    // Table: every row of tcp, each measured (a failure would show its sentence instead).
    BenchmarkResultsTable *table = tab->resultsTable();
    QVERIFY(table->rowCount() >= 10);
    QVERIFY(column(table, 0).contains(QLatin1String("tcp")));
    const QStringList figures = column(table, 2);
    QVERIFY(std::any_of(figures.begin(), figures.end(), [](const QString &s) { return s.startsWith(QLatin1String("p50 ")); }));
    QVERIFY(std::any_of(figures.begin(), figures.end(), [](const QString &s) { return s.contains(QLatin1String("records/s")); }));
    QCOMPARE(tab->report().rows.size(), table->rowCount());

    // Charts: tcp and its floor in each.
    const QList<int> series = tab->charts()->seriesCounts();
    QCOMPARE(series, (QList<int>{2, 2, 2}));

    // Advice: tcp is the only mechanism fully measured, so it ranks first, with its numbers.
    const MechanismAdvisor::Entry first = tab->advisorPanel()->entries().first();
    QCOMPARE(first.id, QStringLiteral("tcp"));
    QCOMPARE(first.rank, 1);
    QVERIFY2(first.text.contains(QLatin1String("p50 ")) && first.text.contains(QLatin1String("x its floor"))
                 && first.text.contains(QLatin1String("records/s")),
             qPrintable(first.text));
    QVERIFY(tab->findChild<QTextBrowser *>(QStringLiteral("benchAdvisorRanking"))->toPlainText().contains(first.text.mid(5)));

    auto *progress = tab->findChild<QProgressBar *>(QStringLiteral("benchProgress"));
    QCOMPARE(progress->value(), progress->maximum());
    QVERIFY(tab->findChild<QLabel *>(QStringLiteral("benchStep"))->text().startsWith(QLatin1String("Done")));

    // Save report: the command line's files.
    QTemporaryDir out;
    QString error;
    const QStringList written = tab->saveReport(out.filePath(QStringLiteral("report")), &error);
    QVERIFY2(!written.isEmpty(), qPrintable(error));
    for (const char *name : {"bench.csv", "bench.json", "bench.txt", "latency-1record.png", "latency-64k.svg", "throughput.png", "throughput.svg"})
        QVERIFY2(QFileInfo(out.filePath(QStringLiteral("report/") + QLatin1String(name))).size() > 0, name);
}

void TestBenchmarkTab::stopEndsTheRunEarly()
{
    const auto tab = newTab();
    tab->setCheckedTransports({QStringLiteral("tcp")});
    QTest::mouseClick(tab->findChild<QPushButton *>(QStringLiteral("benchStart")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(tab->resultsTable()->rowCount() > 0, 60000);
    QTest::mouseClick(tab->findChild<QPushButton *>(QStringLiteral("benchStop")), Qt::LeftButton);
    QVERIFY(!tab->findChild<QPushButton *>(QStringLiteral("benchStop"))->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 60000);
    QVERIFY(tab->report().notes.contains(QStringLiteral("The run was stopped before the end; rows not listed were not measured.")));
    // Stopped within tcp's rows: no idle or ingest row.
    for (const BenchRow &row : tab->report().rows)
        QVERIFY2(row.test != QLatin1String("idle") && row.test != QLatin1String("ingest"), qPrintable(row.test));
    QVERIFY(tab->findChild<QLabel *>(QStringLiteral("benchStep"))->text().startsWith(QLatin1String("Stopped")));
    QVERIFY(tab->findChild<QPushButton *>(QStringLiteral("benchStart"))->isEnabled());
}

void TestBenchmarkTab::unmeasurableMechanismSaysWhy()
{
    const auto tab = newTab();
    tab->setCheckedTransports({QStringLiteral("clipboard")});
    QTest::mouseClick(tab->findChild<QPushButton *>(QStringLiteral("benchStart")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(tab->resultsTable()->rowCount() > 0, 60000);
    BenchmarkResultsTable *table = tab->resultsTable();
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("clipboard"));
    // Off the GUI thread, or with no display: either way a sentence, across the figure columns.
    QVERIFY2(table->item(0, 2)->text().startsWith(QLatin1String("Not measured: ")), qPrintable(table->item(0, 2)->text()));
    QVERIFY(table->item(0, 2)->text().size() > 30);
    QCOMPARE(table->columnSpan(0, 2), 2);
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 120000);
    const auto clipboard = tab->advisorPanel()->entries();
    QVERIFY(std::any_of(clipboard.begin(), clipboard.end(), [](const auto &e) {
        return e.id == QLatin1String("clipboard") && !e.figures.notMeasured.isEmpty();
    }));
}

QTEST_MAIN(TestBenchmarkTab)
#include "tst_benchmarktab.moc"
