// SPDX-License-Identifier: GPL-3.0-or-later
#include "appoptions.h"
#include "benchmarkadvisorpanel.h"
#include "benchmarkcharts.h"
#include "benchmarkresultstable.h"
#include "benchmarktab.h"
#include "mainwindow.h"
#include "pluginmanager.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QGraphicsTextItem>
#include <QHeaderView>
#include <QLabel>
#include <QLegendMarker>
#include <QProgressBar>
#include <QRegularExpression>
#include <QPushButton>
#include <QScopeGuard>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>

#include <sched.h>

#include <algorithm>
#include <functional>
#include <memory>

namespace {

// How many CPUs the calling thread may run on.
int cpusOfThisThread()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    return ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
}

} // namespace

// The Benchmark tab driven as a user would: tick tcp, press Start, watch rows, charts and the
// advice arrive while the window keeps answering; Stop; a mechanism that cannot be measured here;
// and the whole window, maximized on a 1366x768 screen and at half that width, with nothing cut.
class TestBenchmarkTab final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void adviceBeforeAnyRun();
    void quickTcpRunKeepsTheWindowAnswering();
    void stopEndsTheRunEarly();
    void unmeasurableMechanismSaysWhy();
    void readableMaximizedAndAtHalfWidth();

private:
    std::unique_ptr<BenchmarkTab> newTab();
    static QStringList column(BenchmarkResultsTable *table, int column);
    static void verifyTableFits(BenchmarkResultsTable *table);
    static void verifyMechanismsInView(BenchmarkTab *tab, int expected);
    static void verifyChartsReadable(BenchmarkTab *tab);
    static QStringList measuredMechanisms(const BenchReport &report, const QString &testPrefix);
    static void verifyTabsFit(BenchmarkTab *tab);

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
    // The clipboard is offered but not ticked: measuring it takes the user's clipboard.
    QVERIFY(tab->checkedTransports().contains(QLatin1String("tcp")));
    QVERIFY(!tab->checkedTransports().contains(QLatin1String("clipboard")));
    // Only tcp, udp and zeromq reach other machines; the others are ranked after them, as not fitting.
    tab->advisorPanel()->setNeeds(MechanismAdvisor::OtherMachines);
    const QVector<MechanismAdvisor::Entry> remote = tab->advisorPanel()->entries();
    QStringList fitting;
    for (const MechanismAdvisor::Entry &e : remote)
        if (e.fits)
            fitting << e.id;
    QCOMPARE(fitting, (QStringList{QStringLiteral("tcp"), QStringLiteral("zeromq"), QStringLiteral("udp")})); // reliable first
    QVERIFY(std::is_partitioned(remote.begin(), remote.end(), [](const auto &e) { return e.fits; }));
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
    // The run pins its own thread, never this one: the fewest CPUs this thread was allowed.
    const int guiCpusBefore = cpusOfThisThread();
    int fewestGuiCpus = guiCpusBefore;
    connect(&ticker, &QTimer::timeout, this, [&] {
        longestGapMs = qMax(longestGapMs, sinceTick.restart());
        ++ticks;
        fewestGuiCpus = qMin(fewestGuiCpus, cpusOfThisThread());
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
    QVERIFY(column(table, BenchmarkResultsTable::Mechanism).contains(QLatin1String("tcp")));
    const QStringList values = column(table, BenchmarkResultsTable::Value);
    QVERIFY(std::any_of(values.begin(), values.end(), [](const QString &s) { return s.startsWith(QLatin1String("p50 ")) && s.endsWith(QLatin1String("s")); }));
    QVERIFY(std::any_of(values.begin(), values.end(), [](const QString &s) { return s.contains(QLatin1String("records/s")); }));
    QCOMPARE(tab->report().rows.size(), table->rowCount());
    // Each row's floor in words beside its value, and the ratio of the two; no bare number.
    for (int r = 0; r < table->rowCount(); ++r) {
        const BenchRow &row = tab->report().rows.at(r);
        const QString floor = table->item(r, BenchmarkResultsTable::Floor) ? table->item(r, BenchmarkResultsTable::Floor)->text() : QString();
        const QString ratio = table->item(r, BenchmarkResultsTable::Ratio) ? table->item(r, BenchmarkResultsTable::Ratio)->text() : QString();
        if (!row.skipped.isEmpty())
            continue;
        if (row.figures.first().hasFloor()) {
            QVERIFY2(floor.startsWith(BenchmarkResultsTable::floorName(row.floorId) + QLatin1String(": ")), qPrintable(floor));
            QVERIFY2(ratio.endsWith(QStringLiteral("×")) || ratio == QStringLiteral("— (floor is 0)"), qPrintable(ratio));
        } else {
            QCOMPARE(floor, QStringLiteral("no floor measured"));
        }
        QVERIFY2(!QRegularExpression(QStringLiteral("\\d$")).match(floor).hasMatch(), qPrintable(floor + QLatin1String(": a number without its unit")));
    }
    const QStringList floors = column(table, BenchmarkResultsTable::Floor);
    QVERIFY(std::any_of(floors.begin(), floors.end(), [](const QString &s) { return s.startsWith(QLatin1String("bare TCP loopback socket: ")); }));

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

    // Placed as the command line places it, but only the benchmark's thread is pinned: the GUI
    // thread kept every CPU it had throughout.
    const QString placement = tab->report().machine.placement;
    QVERIFY2(placement.startsWith(QLatin1String("apart: the benchmark's thread on CPU ")) || placement.contains(QLatin1String("one CPU only")),
             qPrintable(placement));
    QCOMPARE(fewestGuiCpus, guiCpusBefore);
    QVERIFY2(tab->findChild<QLabel *>(QStringLiteral("benchStep"))->toolTip().startsWith(QLatin1String("CPUs: ") + placement),
             qPrintable(tab->findChild<QLabel *>(QStringLiteral("benchStep"))->toolTip()));

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
    // The clipboard through QClipboard, which only the GUI thread may use, while this tab
    // measures on a worker thread: the pinger cannot open, and says why.
    qputenv("IPCW_CLIPBOARD_BACKEND", "qt");
    const auto restoreBackend = qScopeGuard([] { qunsetenv("IPCW_CLIPBOARD_BACKEND"); });
    const auto tab = newTab();
    tab->setCheckedTransports({QStringLiteral("clipboard")});
    QTest::mouseClick(tab->findChild<QPushButton *>(QStringLiteral("benchStart")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(tab->resultsTable()->rowCount() > 0, 60000);
    BenchmarkResultsTable *table = tab->resultsTable();
    QCOMPARE(table->item(0, BenchmarkResultsTable::Mechanism)->text(), QStringLiteral("clipboard"));
    // A sentence, in the last column where it widens no other.
    QCOMPARE(table->item(0, BenchmarkResultsTable::Value)->text(), QStringLiteral("not measured"));
    const QString why = table->item(0, BenchmarkResultsTable::Details)->text();
    QVERIFY2(why.contains(QLatin1String("only the GUI thread may use")), qPrintable(why));
    QCOMPARE(table->item(0, BenchmarkResultsTable::Value)->toolTip(), QStringLiteral("Not measured: ") + why);
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 120000);
    const auto clipboard = tab->advisorPanel()->entries();
    QVERIFY(std::any_of(clipboard.begin(), clipboard.end(), [](const auto &e) {
        return e.id == QLatin1String("clipboard") && !e.figures.notMeasured.isEmpty();
    }));
}

void TestBenchmarkTab::readableMaximizedAndAtHalfWidth()
{
    // The real window, as a user opens it: a receiver listening on a free port.
    AppOptions options;
    options.address = QStringLiteral("127.0.0.1:0");
    MainWindow window(EndpointRole::Receiver, options, *m_plugins);
    auto *tab = window.findChild<BenchmarkTab *>();
    QVERIFY(tab);
    tab->setPeerProgram(QStringLiteral(IPCW_BIN_DIR "/ipcworkshop"));
    tab->setQuick(true);
    window.findChild<QTabWidget *>(QStringLiteral("tabs"))->setCurrentWidget(tab);
    window.resize(1366, 768);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // Every kind of row, with the longest floor names (filemapping's shared memory wait
    // strategies), and the clipboard's, measured from the tab's worker thread (its xcb backend
    // has a connection of its own) against its xcb floor, with the rows it skips and why.
    tab->setCheckedTransports({QStringLiteral("tcp"), QStringLiteral("localsocket"), QStringLiteral("filemapping"), QStringLiteral("clipboard")});
    QTest::mouseClick(tab->findChild<QPushButton *>(QStringLiteral("benchStart")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 240000);
    QVERIFY(tab->resultsTable()->rowCount() >= 10);
    // Each way for shared memory to wait: its latency and, beside it, what it costs.
    for (const QString &wait : {QStringLiteral("spinblock"), QStringLiteral("spin")}) {
        const auto row = std::find_if(tab->report().rows.cbegin(), tab->report().rows.cend(), [&](const BenchRow &r) {
            return r.mechanism == QStringLiteral("filemapping?wait=") + wait && r.test == QLatin1String("latency-1");
        });
        QVERIFY2(row != tab->report().rows.cend(), qPrintable(wait));
        QVERIFY2(row->skipped.isEmpty(), qPrintable(row->skipped));
        QVERIFY(row->figure(QStringLiteral("p50")) && row->figure(QStringLiteral("cpu/rt")));
        QCOMPARE(row->floorId, QStringLiteral("shm-") + wait);
    }
    const auto clipboard = std::find_if(tab->report().rows.cbegin(), tab->report().rows.cend(), [](const BenchRow &r) {
        return r.mechanism == QLatin1String("clipboard") && r.test == QLatin1String("latency-1");
    });
    QVERIFY(clipboard != tab->report().rows.cend());
    QVERIFY2(clipboard->skipped.isEmpty(), qPrintable(clipboard->skipped));
    QVERIFY(clipboard->figure(QStringLiteral("p50")) && clipboard->figure(QStringLiteral("cpu/rt")));
    QCOMPARE(clipboard->floorId, QStringLiteral("xcb"));

    // Maximized on a 1366x768 screen, then one of two windows side by side on it.
    for (const QSize size : {QSize(1366, 768), QSize(675, 700)}) {
        window.resize(size);
        QTRY_COMPARE(window.size(), size);
        QTest::qWait(100); // the layouts settle
        qInfo("window %dx%d, Benchmark tab %dx%d", size.width(), size.height(), tab->width(), tab->height());
        const std::function<void()> checks[] = {
            [&] { verifyMechanismsInView(tab, int(m_plugins->usableTransports().size())); },
            [&] { verifyTableFits(tab->resultsTable()); },
            [&] { verifyTabsFit(tab); },
            [&] { verifyChartsReadable(tab); },
        };
        for (const auto &check : checks) {
            check();
            if (QTest::currentTestFailed())
                return;
        }
    }
}

void TestBenchmarkTab::verifyMechanismsInView(BenchmarkTab *tab, int expected)
{
    auto *picker = tab->findChild<QWidget *>(QStringLiteral("benchTransports"));
    const QList<QCheckBox *> boxes = picker->findChildren<QCheckBox *>();
    QCOMPARE(boxes.size(), expected);
    const QWidget *viewport = tab->findChild<QScrollArea *>(QStringLiteral("benchScroll"))->viewport();
    for (QCheckBox *box : boxes) {
        QVERIFY2(box->isVisible(), qPrintable(box->text()));
        // Whole, and its text not cut.
        QVERIFY2(box->width() >= box->sizeHint().width() && box->height() >= box->sizeHint().height(), qPrintable(box->text()));
        QCOMPARE(box->visibleRegion().boundingRect(), box->rect());
        QVERIFY2(viewport->rect().contains(QRect(box->mapTo(viewport, QPoint(0, 0)), box->size())), qPrintable(box->text()));
        for (QCheckBox *other : boxes)
            QVERIFY2(other == box || !other->geometry().intersects(box->geometry()), qPrintable(box->text() + QLatin1Char('/') + other->text()));
    }
}

void TestBenchmarkTab::verifyTableFits(BenchmarkResultsTable *table)
{
    // What a view draws of an item: its text between the style's margins on either side.
    const int margins = 2 * (table->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, table) + 1);
    int total = 0;
    for (int c = 0; c < table->columnCount(); ++c) {
        const int width = table->columnWidth(c);
        total += width;
        const QString header = table->horizontalHeaderItem(c)->text();
        QVERIFY2(QFontMetrics(table->horizontalHeader()->font()).horizontalAdvance(header) + margins <= width, qPrintable(header));
        for (int r = 0; r < table->rowCount(); ++r) {
            const QTableWidgetItem *item = table->item(r, c);
            if (!item)
                continue;
            const QFont font = item->data(Qt::FontRole).isValid() ? item->font() : table->font();
            QVERIFY2(QFontMetrics(font).horizontalAdvance(item->text()) + margins <= width,
                     qPrintable(QStringLiteral("\"%1\" in a column %2 px wide").arg(item->text()).arg(width)));
        }
    }
    // What does not fit beside is reached by scrolling.
    QTRY_VERIFY2(table->horizontalScrollBar()->maximum() >= total - table->viewport()->width(),
                 qPrintable(QStringLiteral("columns %1 px, view %2 px").arg(total).arg(table->viewport()->width())));
    // Enough rows in view to compare a few mechanisms.
    QVERIFY2(table->viewport()->height() >= 6 * table->rowHeight(0), qPrintable(QString::number(table->viewport()->height())));
}

void TestBenchmarkTab::verifyTabsFit(BenchmarkTab *tab)
{
    // A tab bar whose tabs do not fit shows scroll arrows (and may shorten the names).
    for (QTabBar *bar : tab->findChildren<QTabBar *>()) {
        if (!bar->isVisible())
            continue;
        QVERIFY2(bar->tabRect(bar->count() - 1).right() < bar->width(), qPrintable(bar->tabText(bar->count() - 1)));
        for (QToolButton *arrow : bar->findChildren<QToolButton *>())
            QVERIFY2(!arrow->isVisible(), qPrintable(bar->tabText(0)));
    }
}

QStringList TestBenchmarkTab::measuredMechanisms(const BenchReport &report, const QString &testPrefix)
{
    QStringList ids;
    for (const BenchRow &row : report.rows)
        // Variants measured beside their own floor (filemapping?wait=spin) are the table's alone.
        if (row.test.startsWith(testPrefix) && row.skipped.isEmpty() && !row.mechanism.startsWith(QLatin1String("floor:"))
            && !row.mechanism.contains(QLatin1Char('?')) && !ids.contains(row.mechanism))
            ids << row.mechanism;
    ids.sort();
    return ids;
}

void TestBenchmarkTab::verifyChartsReadable(BenchmarkTab *tab)
{
    BenchmarkCharts *charts = tab->charts();
    // In a narrow window the charts have a page of their own.
    auto *pages = tab->findChild<QTabWidget *>(QStringLiteral("benchPages"));
    if (pages->indexOf(charts) >= 0)
        pages->setCurrentWidget(charts);
    const QList<QChartView *> views = charts->views();
    const QStringList chartTests{QStringLiteral("latency-1"), QStringLiteral("latency-64k"), QStringLiteral("throughput-")};
    for (int i = 0; i < views.size(); ++i) {
        charts->tabs()->setCurrentIndex(i);
        QChartView *view = views.at(i);
        QTRY_VERIFY(view->isVisible());
        QTest::qWait(50);
        QChart *chart = view->chart();
        const QString name = charts->tabs()->tabText(i);
        // The texts as drawn: Qt Charts shortens one that does not fit to "...".
        QStringList drawn;
        for (QGraphicsItem *item : view->scene()->items())
            if (auto *text = dynamic_cast<QGraphicsTextItem *>(item); text && text->isVisible() && !text->toPlainText().isEmpty())
                drawn << text->toPlainText();
        for (const QString &text : std::as_const(drawn))
            QVERIFY2(!text.contains(QLatin1String("...")) && !text.contains(QChar(0x2026)), qPrintable(name + QLatin1String(": ") + text));
        // Every axis title and tick label, and a legend entry per mechanism, drawn whole.
        QCOMPARE(chart->axes().size(), 2);
        for (QAbstractAxis *axis : chart->axes()) {
            QVERIFY2(drawn.contains(axis->titleText()), qPrintable(name + QLatin1String(": ") + axis->titleText()));
            if (auto *categories = qobject_cast<QCategoryAxis *>(axis))
                for (const QString &label : categories->categoriesLabels())
                    QVERIFY2(drawn.contains(label), qPrintable(name + QLatin1String(": ") + label));
        }
        // One entry a mechanism: its floor is the dashed line of the same colour.
        QStringList entries;
        for (QLegendMarker *marker : chart->legend()->markers()) {
            if (!marker->isVisible())
                continue;
            entries << marker->label();
            QVERIFY2(drawn.contains(marker->label()), qPrintable(name + QLatin1String(": ") + marker->label()));
        }
        entries.sort();
        QCOMPARE(entries, measuredMechanisms(tab->report(), chartTests.at(i)));
        // Axes and legend leave the plot at least half the chart's width and most of its height.
        const QRectF plot = chart->plotArea();
        QVERIFY2(plot.width() >= 0.5 * view->width() && plot.height() >= 0.6 * view->height(),
                 qPrintable(QStringLiteral("%1: plot %2x%3 in %4x%5").arg(name).arg(plot.width()).arg(plot.height()).arg(view->width()).arg(view->height())));
    }
    pages->setCurrentIndex(0);
}

QTEST_MAIN(TestBenchmarkTab)
#include "tst_benchmarktab.moc"
