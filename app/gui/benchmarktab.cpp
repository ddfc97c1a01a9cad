// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarktab.h"

#include "benchcommand.h"
#include "benchmarkadvisorpanel.h"
#include "benchmarkcharts.h"
#include "benchmarkresultstable.h"
#include "benchrunner.h"
#include "pluginmanager.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QThread>
#include <QVBoxLayout>

namespace {

const QString ClipboardId = QStringLiteral("clipboard");

} // namespace

BenchmarkTab::BenchmarkTab(const PluginManager &plugins, QWidget *parent) : QWidget(parent), m_plugins(plugins)
{
    setObjectName(QStringLiteral("benchmarkTab"));

    m_transports = new QListWidget(this);
    m_transports->setObjectName(QStringLiteral("benchTransports"));
    m_transports->setFlow(QListView::LeftToRight);
    m_transports->setWrapping(true);
    m_transports->setSpacing(2);
    m_transports->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_transports->setToolTip(tr("The mechanisms to measure, each against the bare OS mechanism under it."));

    m_profile = new QComboBox(this);
    m_profile->setObjectName(QStringLiteral("benchProfile"));
    m_profile->addItem(tr("Quick"), true);
    m_profile->addItem(tr("Full"), false);
    m_profile->setItemData(0, tr("Every measurement with small volumes: seconds per mechanism."), Qt::ToolTipRole);
    m_profile->setItemData(1, tr("The volumes of docs/benchmarks.md: about half a minute per mechanism."), Qt::ToolTipRole);

    m_start = new QPushButton(tr("&Start"), this);
    m_start->setObjectName(QStringLiteral("benchStart"));
    m_stop = new QPushButton(tr("S&top"), this);
    m_stop->setObjectName(QStringLiteral("benchStop"));
    m_save = new QPushButton(tr("Save &report…"), this);
    m_save->setObjectName(QStringLiteral("benchSave"));
    m_save->setToolTip(tr("Writes bench.csv, bench.json, bench.txt and the charts (PNG and SVG) into a folder, as ipcworkshop bench does."));

    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("benchProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_step = new QLabel(tr("Pick the mechanisms and press Start; each is measured against its floor with a real second process."), this);
    m_step->setObjectName(QStringLiteral("benchStep"));
    m_step->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_table = new BenchmarkResultsTable(this);
    m_charts = new BenchmarkCharts(this);
    m_advisor = new BenchmarkAdvisorPanel(this);

    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Mechanisms:"), this));
    controls->addWidget(m_transports, 1);
    controls->addWidget(new QLabel(tr("Profile:"), this));
    controls->addWidget(m_profile);
    controls->addWidget(m_start);
    controls->addWidget(m_stop);
    controls->addWidget(m_save);
    auto *progress = new QHBoxLayout;
    progress->addWidget(m_progress, 1);
    progress->addWidget(m_step, 3);

    auto *left = new QSplitter(Qt::Vertical, this);
    left->setChildrenCollapsible(false);
    left->addWidget(m_table);
    left->addWidget(m_advisor);
    left->setStretchFactor(0, 5);
    left->setStretchFactor(1, 3);
    auto *main = new QSplitter(Qt::Horizontal, this);
    main->setObjectName(QStringLiteral("benchSplitter"));
    main->setChildrenCollapsible(false);
    main->addWidget(left);
    main->addWidget(m_charts);
    main->setStretchFactor(0, 1);
    main->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addLayout(progress);
    layout->addWidget(main, 1);

    connect(m_start, &QPushButton::clicked, this, &BenchmarkTab::start);
    connect(m_stop, &QPushButton::clicked, this, &BenchmarkTab::stop);
    connect(m_save, &QPushButton::clicked, this, &BenchmarkTab::chooseFolderAndSave);
    connect(m_transports, &QListWidget::itemChanged, this, &BenchmarkTab::updateControls);
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

void BenchmarkTab::refreshTransports()
{
    const QStringList checked = checkedTransports();
    const bool first = m_transports->count() == 0;
    QStringList known;
    for (int i = 0; i < m_transports->count(); ++i)
        known << m_transports->item(i)->data(Qt::UserRole).toString();

    QVector<TransportMetadata> mechanisms;
    QSignalBlocker block(m_transports);
    m_transports->clear();
    for (const PluginManager::Plugin *p : m_plugins.usableTransports()) {
        const TransportMetadata &m = p->metadata;
        mechanisms.append(m);
        auto *item = new QListWidgetItem(m.id, m_transports);
        item->setData(Qt::UserRole, m.id);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        QString tip = QStringLiteral("%1: %2\n%3").arg(m.name, m.description, m.capabilities.summary());
        if (m.id == ClipboardId)
            tip += tr("\nSkipped here: its endpoint must live on the GUI thread, and the benchmark runs on a worker thread "
                      "so the window keeps answering. ipcworkshop bench measures it.");
        item->setToolTip(tip);
        // New mechanisms start ticked, except the clipboard, which this tab cannot measure.
        const bool on = (first || !known.contains(m.id)) ? m.id != ClipboardId : checked.contains(m.id);
        item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
    }
    // One line of check boxes, two if they wrap.
    const int rowHeight = m_transports->sizeHintForRow(0) > 0 ? m_transports->sizeHintForRow(0) : fontMetrics().height() + 6;
    m_transports->setFixedHeight(rowHeight + 2 * m_transports->frameWidth() + 6);
    m_advisor->setMechanisms(mechanisms);
    updateControls();
}

void BenchmarkTab::setCheckedTransports(const QStringList &ids)
{
    for (int i = 0; i < m_transports->count(); ++i) {
        QListWidgetItem *item = m_transports->item(i);
        item->setCheckState(ids.contains(item->data(Qt::UserRole).toString()) ? Qt::Checked : Qt::Unchecked);
    }
}

QStringList BenchmarkTab::checkedTransports() const
{
    QStringList ids;
    for (int i = 0; i < m_transports->count(); ++i)
        if (m_transports->item(i)->checkState() == Qt::Checked)
            ids << m_transports->item(i)->data(Qt::UserRole).toString();
    return ids;
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
    m_step->setToolTip(report.notes.join(QLatin1Char('\n')));
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
