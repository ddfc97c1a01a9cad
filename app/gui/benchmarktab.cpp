// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarktab.h"

#include "benchcommand.h"
#include "benchmarkadvisorpanel.h"
#include "benchmarkcharts.h"
#include "benchmarkresultstable.h"
#include "benchrunner.h"
#include "mechanismpicker.h"
#include "pluginmanager.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QResizeEvent>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QThread>
#include <QVBoxLayout>

namespace {

const QString ClipboardId = QStringLiteral("clipboard");
// From this width on the charts sit beside the results: at 3:2 the table's columns up to the
// ratio and a chart at its minimum width both fit (a maximized 1366x768 window gives 1354).
constexpr int WideLayoutMinWidth = 1300;

} // namespace

BenchmarkTab::BenchmarkTab(const PluginManager &plugins, QWidget *parent) : QWidget(parent), m_plugins(plugins)
{
    setObjectName(QStringLiteral("benchmarkTab"));
    auto *content = new QWidget;
    content->setObjectName(QStringLiteral("benchContent"));

    m_transports = new MechanismPicker(content);
    m_transports->setToolTip(tr("The mechanisms to measure, each against the bare OS mechanism under it."));

    m_profile = new QComboBox(content);
    m_profile->setObjectName(QStringLiteral("benchProfile"));
    m_profile->addItem(tr("Quick"), true);
    m_profile->addItem(tr("Full"), false);
    m_profile->setItemData(0, tr("Every measurement with small volumes: seconds per mechanism."), Qt::ToolTipRole);
    m_profile->setItemData(1, tr("The volumes of docs/benchmarks.md: about half a minute per mechanism."), Qt::ToolTipRole);

    m_start = new QPushButton(tr("&Start"), content);
    m_start->setObjectName(QStringLiteral("benchStart"));
    m_stop = new QPushButton(tr("S&top"), content);
    m_stop->setObjectName(QStringLiteral("benchStop"));
    m_save = new QPushButton(tr("Save &report…"), content);
    m_save->setObjectName(QStringLiteral("benchSave"));
    m_save->setToolTip(tr("Writes bench.csv, bench.json, bench.txt and the charts (PNG and SVG) into a folder, as ipcworkshop bench does."));

    m_progress = new QProgressBar(content);
    m_progress->setObjectName(QStringLiteral("benchProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_step = new QLabel(tr("Pick the mechanisms and press Start; each is measured against its floor with a real second process."), content);
    m_step->setObjectName(QStringLiteral("benchStep"));
    m_step->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_step->setWordWrap(true);

    m_table = new BenchmarkResultsTable(content);
    m_charts = new BenchmarkCharts(content);
    m_advisor = new BenchmarkAdvisorPanel(content);

    auto *mechanisms = new QHBoxLayout;
    auto *mechanismsLabel = new QLabel(tr("&Mechanisms:"), content);
    mechanismsLabel->setBuddy(m_transports);
    mechanisms->addWidget(mechanismsLabel, 0, Qt::AlignTop);
    mechanisms->addWidget(m_transports, 1);
    auto *run = new QHBoxLayout;
    auto *profileLabel = new QLabel(tr("&Profile:"), content);
    profileLabel->setBuddy(m_profile);
    run->addWidget(profileLabel);
    run->addWidget(m_profile);
    run->addWidget(m_start);
    run->addWidget(m_stop);
    run->addWidget(m_save);
    run->addWidget(m_progress, 1);

    m_pages = new QTabWidget(content);
    m_pages->setObjectName(QStringLiteral("benchPages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_table, tr("Results"));
    m_pages->addTab(m_advisor, tr("Which should I use?"));
    m_split = new QSplitter(Qt::Horizontal, content);
    m_split->setObjectName(QStringLiteral("benchSplitter"));
    m_split->setChildrenCollapsible(false);
    m_split->addWidget(m_pages);
    m_split->addWidget(m_charts);
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 2);
    // Sized by the window, not by the height the table and charts would like: the scroll area
    // below gives its content the preferred height of everything in it, and would always
    // scroll. The splitter's minimum (set in arrangeFor()) is where scrolling starts.
    m_split->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Ignored);

    auto *layout = new QVBoxLayout(content);
    layout->addLayout(mechanisms);
    layout->addLayout(run);
    layout->addWidget(m_step);
    layout->addWidget(m_split, 1);

    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("benchScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setWidget(content);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
    arrangeFor(width());

    connect(m_start, &QPushButton::clicked, this, &BenchmarkTab::start);
    connect(m_stop, &QPushButton::clicked, this, &BenchmarkTab::stop);
    connect(m_save, &QPushButton::clicked, this, &BenchmarkTab::chooseFolderAndSave);
    connect(m_transports, &MechanismPicker::changed, this, &BenchmarkTab::updateControls);
    connect(&m_plugins, &PluginManager::pluginsChanged, this, &BenchmarkTab::refreshTransports);
    refreshTransports();
    updateControls();
}

BenchmarkTab::~BenchmarkTab()
{
    if (m_thread) {
        // Closing the window mid-run: the measurement under way ends, its peers are killed.
        m_runner->requestStop();
        m_thread->wait();
        delete m_thread;
    }
}

void BenchmarkTab::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrangeFor(event->size().width());
}

void BenchmarkTab::arrangeFor(int width)
{
    const bool wide = width >= WideLayoutMinWidth;
    if (wide == m_wide)
        return;
    m_wide = wide;
    if (wide) {
        m_pages->removeTab(m_pages->indexOf(m_charts));
        m_split->addWidget(m_charts);
        m_charts->show(); // the page it leaves hid it
        // By the size hints the table, as wide as all its columns, would leave the charts
        // their minimum; 3:2 keeps the table's main columns and a roomy chart in view.
        m_split->setSizes({width * 3 / 5, width * 2 / 5});
    } else {
        m_pages->insertTab(1, m_charts, tr("Charts"));
    }
    m_split->setMinimumHeight(m_split->minimumSizeHint().height());
}

void BenchmarkTab::refreshTransports()
{
    QVector<TransportMetadata> mechanisms;
    QList<MechanismPicker::Choice> choices;
    for (const PluginManager::Plugin *p : m_plugins.usableTransports()) {
        const TransportMetadata &m = p->metadata;
        mechanisms.append(m);
        QString tip = QStringLiteral("%1: %2\n%3").arg(m.name, m.description, m.capabilities.summary());
        if (m.id == ClipboardId)
            tip += tr("\nMeasured on your desktop's clipboard: whatever you copied is replaced while it runs.");
        // The clipboard starts unticked: measuring it takes the user's clipboard.
        choices.append({m.id, tip, m.id != ClipboardId});
    }
    m_transports->setChoices(choices);
    m_advisor->setMechanisms(mechanisms);
    updateControls();
}

void BenchmarkTab::setCheckedTransports(const QStringList &ids)
{
    m_transports->setChecked(ids);
}

QStringList BenchmarkTab::checkedTransports() const
{
    return m_transports->checked();
}

void BenchmarkTab::setQuick(bool quick)
{
    m_profile->setCurrentIndex(quick ? 0 : 1);
}

void BenchmarkTab::start()
{
    if (m_thread || checkedTransports().isEmpty())
        return;
    BenchConfig config;
    config.program = m_peerProgram;
    config.transports = checkedTransports();
    config.quick = m_profile->currentData().toBool();
    // Left to the scheduler, the pinger and a peer sometimes share a CPU for a whole row; a
    // spin-then-block wait there spins out its window before the other can answer (round trips
    // 10 to 100 times slower). Pinned as on the command line, the window's rows mean the same.
    config.placement = BenchPlacement::Mode::Apart;
    config.placementReach = BenchPlacement::Reach::ThisThread;
    // The shared-memory wait strategies are the floor of filemapping only.
    if (!config.transports.contains(QLatin1String("filemapping")))
        config.shmWaits = {QStringLiteral("block")};

    m_runPlugins = std::make_unique<PluginManager>();
    m_runPlugins->setSearchPaths({});
    for (const PluginManager::Plugin *p : m_plugins.usableTransports())
        if (config.transports.contains(p->metadata.id))
            m_runPlugins->loadFile(p->filePath);

    m_report = BenchReport();
    m_stopping = false;
    m_table->clearRows();
    m_charts->setReport(m_report);
    m_advisor->setReport(m_report);
    m_progress->setRange(0, 0);
    m_step->setText(tr("Starting…"));

    m_runner = std::make_unique<BenchRunner>(*m_runPlugins, config);
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("benchmark"));
    m_runner->moveToThread(m_thread);
    connect(m_runner.get(), &BenchRunner::progress, this, &BenchmarkTab::onProgress);
    connect(m_runner.get(), &BenchRunner::rowReady, this, &BenchmarkTab::onRow);
    connect(m_runner.get(), &BenchRunner::finished, this, &BenchmarkTab::onFinished);
    connect(m_thread, &QThread::finished, this, &BenchmarkTab::onThreadFinished);
    m_thread->start();
    // run() blocks its thread until done; afterwards the runner comes home to be deleted here.
    QMetaObject::invokeMethod(
        m_runner.get(),
        [runner = m_runner.get(), thread = m_thread, home = this->thread()] {
            runner->run();
            runner->moveToThread(home);
            thread->quit();
        },
        Qt::QueuedConnection);
    updateControls();
}

void BenchmarkTab::stop()
{
    if (!m_runner || m_stopping)
        return;
    m_stopping = true;
    m_runner->requestStop();
    m_step->setText(tr("Stopping after the measurement under way…"));
    updateControls();
}

void BenchmarkTab::onProgress(int done, int total, const QString &step)
{
    m_progress->setRange(0, qMax(1, total));
    m_progress->setValue(qBound(0, done, total));
    if (!m_stopping)
        m_step->setText(step);
}

void BenchmarkTab::onRow(const BenchRow &row)
{
    m_report.rows.append(row);
    m_table->addRow(row);
    if (row.test.startsWith(QLatin1String("latency-")) || row.test.startsWith(QLatin1String("throughput-")))
        m_charts->setReport(m_report);
    m_advisor->setReport(m_report);
}

void BenchmarkTab::onFinished(const BenchReport &report)
{
    m_report = report;
    m_charts->setReport(m_report);
    m_advisor->setReport(m_report);
    int skipped = 0;
    for (const BenchRow &row : report.rows)
        skipped += row.skipped.isEmpty() ? 0 : 1;
    QString text = m_stopping ? tr("Stopped: %1 rows measured before the stop.").arg(report.rows.size() - skipped)
                              : tr("Done: %1 rows measured").arg(report.rows.size() - skipped);
    if (!m_stopping)
        text += skipped > 0 ? tr(", %1 not measured (the table says why).").arg(skipped) : tr(".");
    m_step->setText(text);
    QStringList tip = report.notes;
    if (!report.machine.placement.isEmpty())
        tip.prepend(tr("CPUs: %1").arg(report.machine.placement)); // as the saved report's machine lines say
    m_step->setToolTip(tip.join(QLatin1Char('\n')));
}

void BenchmarkTab::onThreadFinished()
{
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_runner.reset();
    m_runPlugins.reset();
    m_stopping = false;
    updateControls();
    emit finished();
}

QStringList BenchmarkTab::saveReport(const QString &dir, QString *error)
{
    return BenchCommand::writeReport(m_report, dir, error);
}

void BenchmarkTab::chooseFolderAndSave()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Save the benchmark report into"), QDir::homePath());
    if (dir.isEmpty())
        return;
    QString error;
    const QStringList written = saveReport(dir, &error);
    if (written.isEmpty())
        QMessageBox::warning(this, tr("Save report"), error);
    else
        m_step->setText(tr("Saved %1 files into %2.").arg(written.size()).arg(QDir::toNativeSeparators(dir)));
}

void BenchmarkTab::updateControls()
{
    const bool running = m_thread != nullptr;
    m_transports->setEnabled(!running);
    m_profile->setEnabled(!running);
    m_start->setEnabled(!running && !checkedTransports().isEmpty());
    m_stop->setEnabled(running && !m_stopping);
    m_save->setEnabled(!running && !m_report.rows.isEmpty());
    if (!running && m_progress->maximum() == 0)
        m_progress->setRange(0, 1);
}
