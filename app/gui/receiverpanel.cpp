// SPDX-License-Identifier: GPL-3.0-or-later
#include "receiverpanel.h"

#include "csv.h"
#include "employeetablemodel.h"
#include "livetransferchart.h"
#include "recordtableview.h"
#include "recordviewmodel.h"
#include "sentences.h"

#include <QAction>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QProgressDialog>
#include <QThread>
#include <QPushButton>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace {

// Records further apart than this start a new burst, so the rate describes the last transfer
// rather than the idle time between transfers.
constexpr qint64 BurstGapUs = 1'000'000;

QString number(qint64 n)
{
    return QLocale().toString(n);
}

ReceiverSession::Counters combine(const ReceiverSession::Counters &a, const ReceiverSession::Counters &b, int sign)
{
    ReceiverSession::Counters c;
    c.records = a.records + sign * b.records;
    c.frames = a.frames + sign * b.frames;
    c.lostFrames = a.lostFrames + sign * b.lostFrames;
    c.duplicateFrames = a.duplicateFrames + sign * b.duplicateFrames;
    c.reorderedFrames = a.reorderedFrames + sign * b.reorderedFrames;
    c.badFrames = a.badFrames + sign * b.badFrames;
    c.senders = a.senders + sign * b.senders;
    c.sendersFinished = a.sendersFinished + sign * b.sendersFinished;
    return c;
}

QLabel *addCounter(QGridLayout *grid, int column, const QString &caption, const QString &objectName,
                   const QString &toolTip)
{
    auto *title = new QLabel(caption);
    title->setForegroundRole(QPalette::PlaceholderText);
    title->setAlignment(Qt::AlignHCenter);
    auto *value = new QLabel(QStringLiteral("0"));
    value->setObjectName(objectName);
    QFont font = value->font();
    font.setPointSizeF(font.pointSizeF() * 1.4);
    font.setBold(true);
    value->setFont(font);
    value->setAlignment(Qt::AlignHCenter);
    value->setAccessibleName(caption);
    title->setToolTip(toolTip);
    value->setToolTip(toolTip);
    grid->addWidget(value, 0, column);
    grid->addWidget(title, 1, column);
    return value;
}

} // namespace

ReceiverPanel::ReceiverPanel(QWidget *parent)
    : RolePanel(parent),
      m_model(new EmployeeTableModel(this)),
      m_proxy(new RecordViewModel(this)),
      m_filter(new QLineEdit(this)),
      m_rowInfo(new QLabel(this)),
      m_viewProgress(new QProgressBar(this)),
      m_cancelView(new QPushButton(tr("Stop"), this)),
      m_exportSelectedAction(new QAction(tr("Export only the &selected rows…"), this)),
      m_exportButton(new QToolButton(this)),
      m_clearButton(new QPushButton(tr("Clea&r"), this)),
      m_exportAction(new QAction(tr("&Export CSV…"), this)),
      m_table(new RecordTableView(this)),
      m_liveChart(new LiveTransferChart(LiveTransferChart::Role::Receiver, this))
{
    setObjectName(QStringLiteral("receiverPanel"));

    auto *countersBox = new QGroupBox(tr("Counters"), this);
    auto *grid = new QGridLayout(countersBox);
    grid->setVerticalSpacing(0);
    m_received = addCounter(grid, 0, tr("Received"), QStringLiteral("receivedCounter"), tr("Records received and kept"));
    m_frames = addCounter(grid, 1, tr("Frames"), QStringLiteral("framesCounter"), tr("Frames of records accepted"));
    m_lost = addCounter(grid, 2, tr("Lost"), QStringLiteral("lostCounter"),
                        tr("Frames missing: gaps in the senders' sequence numbers not filled (yet)"));
    m_duplicates = addCounter(grid, 3, tr("Duplicates"), QStringLiteral("duplicateCounter"),
                              tr("Frames that arrived a second time (same session, same sequence number) and were "
                                 "dropped. Records that merely share an id are not duplicates: each is kept."));
    m_reordered = addCounter(grid, 4, tr("Reordered"), QStringLiteral("reorderedCounter"),
                             tr("Frames that arrived after a later one"));
    m_bad = addCounter(grid, 5, tr("Bad frames"), QStringLiteral("badFrameCounter"),
                       tr("Frames that failed validation (magic, version, lengths, checksum) and were dropped whole"));
    m_senders = addCounter(grid, 6, tr("Sessions"), QStringLiteral("sendersCounter"),
                           tr("Sending sessions seen. Every transfer a sender starts (Send, Generate, a CSV file) is a "
                              "session with an id of its own, so one connected sender may have many; the status bar "
                              "counts connections."));
    m_rate = addCounter(grid, 7, tr("Records/s"), QStringLiteral("rateCounter"),
                        tr("Average rate of the last burst: from its first frame to its latest"));
    m_rate->setText(QStringLiteral("–"));

    m_filter->setObjectName(QStringLiteral("filterEdit"));
    m_filter->setPlaceholderText(tr("Show only rows containing…"));
    m_filter->setClearButtonEnabled(true);
    auto *filterLabel = new QLabel(tr("F&ilter:"), this);
    filterLabel->setBuddy(m_filter);
    m_rowInfo->setObjectName(QStringLiteral("rowInfo"));
    // Export writes what the table shows, in its order; the selection is a choice of its own,
    // under the button's arrow, not a filter of the view.
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAction->setToolTip(tr("Write the rows the table shows, in the order it shows them, to a CSV file (Ctrl+E). "
                                  "A cell that starts with = + - @ or a tab gets a leading apostrophe, so a spreadsheet "
                                  "shows it as text instead of running it as a formula; importing removes it."));
    m_exportSelectedAction->setObjectName(QStringLiteral("exportSelectedAction"));
    m_exportSelectedAction->setEnabled(false);
    auto *exportMenu = new QMenu(m_exportButton);
    exportMenu->addAction(m_exportAction);
    exportMenu->addAction(m_exportSelectedAction);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    m_exportButton->setDefaultAction(m_exportAction);
    m_exportButton->setMenu(exportMenu);
    m_exportButton->setPopupMode(QToolButton::MenuButtonPopup);
    m_exportButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_clearButton->setObjectName(QStringLiteral("clearButton"));
    m_clearButton->setToolTip(tr("Remove every row and reset the counters"));

    m_proxy->setSourceModel(m_model);
    m_viewProgress->setObjectName(QStringLiteral("viewProgress"));
    m_viewProgress->setMaximumWidth(160);
    m_viewProgress->setRange(0, 100);
    m_viewProgress->hide();
    m_cancelView->setObjectName(QStringLiteral("cancelViewButton"));
    m_cancelView->setToolTip(tr("Stop sorting or filtering; the table keeps the order it shows"));
    m_cancelView->hide();

    m_table->setObjectName(QStringLiteral("receivedTable"));
    m_table->setModel(m_proxy);
    QHeaderView *header = m_table->horizontalHeader();
    header->setSortIndicatorClearable(true);
    header->setSortIndicator(-1, Qt::AscendingOrder); // arrival order until the user sorts
    m_table->setSortingEnabled(true);
    header->setStretchLastSection(true);
    m_table->sizeColumnsForRecords();

    auto *tools = new QHBoxLayout;
    tools->addWidget(filterLabel);
    tools->addWidget(m_filter, 1);
    tools->addWidget(m_rowInfo);
    tools->addWidget(m_viewProgress);
    tools->addWidget(m_cancelView);
    tools->addSpacing(12);
    tools->addWidget(m_exportButton);
    tools->addWidget(m_clearButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(countersBox);
    layout->addLayout(tools);
    auto *views = new QTabWidget(this);
    views->setObjectName(QStringLiteral("receiverViews"));
    views->addTab(m_table, tr("Rec&ords"));
    views->addTab(m_liveChart, tr("Live &chart"));
    layout->addWidget(views, 1);

    // Filtering 10 M rows takes a moment: wait for a pause in typing, not every keystroke.
    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(250);
    connect(m_filter, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(&m_filterDelay, &QTimer::timeout, this, [this] { m_proxy->setFilter(m_filter->text()); });
    // Typing in the table filters it: the text goes to the end of the filter, and so do the next
    // keys. (A focus reason that keeps the filter's text unselected: the next key adds to it.)
    connect(m_table, &RecordTableView::typedText, this, [this](const QString &text) {
        m_filter->setFocus(Qt::OtherFocusReason);
        m_filter->end(false);
        m_filter->insert(text);
    });
    connect(m_proxy, &RecordViewModel::busyChanged, this, [this](bool busy, const QString &what) {
        m_viewProgress->setVisible(busy);
        m_cancelView->setVisible(busy);
        m_viewProgress->setToolTip(what);
        m_viewProgress->setFormat(busy ? what.left(what.size() - 1) + QStringLiteral(" %p%") : QString());
        if (!busy) {
            // After a cancel the header shows the order the table really has.
            const RowQuery &query = m_proxy->query();
            m_table->horizontalHeader()->setSortIndicator(query.sortColumn, query.order);
        }
        updateRowInfo();
    });
    connect(m_proxy, &RecordViewModel::progressChanged, m_viewProgress, &QProgressBar::setValue);
    connect(m_cancelView, &QPushButton::clicked, m_proxy, &RecordViewModel::cancel);
    // A new order or filter arrives as a layout change, or as rows removed or added at the end.
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &ReceiverPanel::updateRowInfo);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &ReceiverPanel::updateRowInfo);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &ReceiverPanel::updateRowInfo);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_exportSelectedAction->setEnabled(m_table->selectionModel()->hasSelection());
    });
    connect(m_exportAction, &QAction::triggered, this, [this] { chooseExportFile(false); });
    connect(m_exportSelectedAction, &QAction::triggered, this, [this] { chooseExportFile(true); });
    connect(m_clearButton, &QPushButton::clicked, this, &ReceiverPanel::clear);
    connect(m_liveChart, &LiveTransferChart::logged, this, &RolePanel::logged);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &ReceiverPanel::updateRowInfo);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ReceiverPanel::updateRowInfo);
    updateRowInfo();
}

ReceiverPanel::~ReceiverPanel()
{
    if (m_exportThread) { // the file is only replaced when complete: stopping loses nothing
        m_export->cancel = true;
        m_exportThread->wait();
        delete m_exportThread;
    }
}

void ReceiverPanel::attach(TransportEndpoint *endpoint, const TransportMetadata &transport)
{
    m_session = new ReceiverSession(endpoint, transport.id, this);
    m_liveChart->watch(m_session, transport.name);
    connect(m_session, &ReceiverSession::batchesReceived, this, &ReceiverPanel::onBatches);
    connect(m_session, &ReceiverSession::countersChanged, this, &ReceiverPanel::showCounters);
    connect(m_session, &ReceiverSession::problem, this,
            [this](const QString &message) { emit logged(LogView::Severity::Error, message); });
    connect(m_session, &ReceiverSession::senderFinished, this, [this](quint32, quint64 peer) {
        emit logged(LogView::Severity::Info, tr("%1 finished and said goodbye.").arg(Sentences::capitalized(peerName(peer))));
        // A clean goodbye with no frame lost or refused since the last one: earlier problems are over.
        const ReceiverSession::Counters c = counters();
        const qint64 problems = c.lostFrames + c.badFrames;
        if (problems == m_problemsAtLastGoodbye)
            emit transferSucceeded();
        m_problemsAtLastGoodbye = problems;
    });
}

void ReceiverPanel::detach()
{
    if (!m_session)
        return;
    m_session->flush();
    m_previous = combine(m_previous, combine(m_session->counters(), m_clearedAt, -1), 1);
    m_clearedAt = {};
    m_session->disconnect(this);
    m_session->deleteLater();
    m_session = nullptr;
    showCounters();
}

ReceiverSession::Counters ReceiverPanel::counters() const
{
    if (!m_session)
        return m_previous;
    return combine(m_previous, combine(m_session->counters(), m_clearedAt, -1), 1);
}

void ReceiverPanel::onBatches(const RecordBatchList &batches)
{
    if (batches.isEmpty())
        return;
    const qint64 first = batches.constFirst()->receivedAtUs;
    if (m_burstRecords == 0 || first - m_lastReceivedUs > BurstGapUs) {
        m_burstStartUs = first;
        m_burstRecords = 0;
    }
    for (const RecordBatchPtr &batch : batches)
        m_burstRecords += batch->size();
    m_lastReceivedUs = batches.constLast()->receivedAtUs;
    m_model->appendBatches(batches);
}

void ReceiverPanel::showCounters()
{
    const ReceiverSession::Counters c = counters();
    m_received->setText(number(c.records));
    m_frames->setText(number(c.frames));
    m_lost->setText(number(c.lostFrames));
    m_duplicates->setText(number(c.duplicateFrames));
    m_reordered->setText(number(c.reorderedFrames));
    m_bad->setText(number(c.badFrames));
    m_senders->setText(number(c.senders));
    // A burst that fits in one frame has no duration to divide by.
    const qint64 spanUs = m_lastReceivedUs - m_burstStartUs;
    m_rate->setText(m_burstRecords > 0 && spanUs > 0 ? number(qint64(m_burstRecords * 1e6 / double(spanUs)))
                                                     : QStringLiteral("–"));
    for (QLabel *warning : {m_lost, m_duplicates, m_bad})
        warning->setStyleSheet(warning->text() == QLatin1String("0") ? QString() : QStringLiteral("color: #b00020"));
}

void ReceiverPanel::updateRowInfo()
{
    const int all = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    if (shown != all)
        m_rowInfo->setText(tr("%1 of %2 rows match").arg(number(shown), number(all)));
    else
        m_rowInfo->setText(all == 1 ? tr("1 row") : tr("%1 rows").arg(number(all)));
}

qint64 ReceiverPanel::unexportedRows() const
{
    return m_model->rowCount() - m_exportedRows;
}

QString ReceiverPanel::peerName(quint64 peer) const
{
    return m_session ? m_session->peerName(peer) : tr("sender");
}

void ReceiverPanel::clear()
{
    if (m_export)
        return;
    if (m_session) {
        m_session->flush();
        m_clearedAt = m_session->counters();
    }
    m_previous = {};
    m_burstRecords = 0;
    m_exportedRows = 0;
    m_problemsAtLastGoodbye = 0;
    m_model->clear();
    showCounters();
}

void ReceiverPanel::chooseExportFile(bool selectedOnly)
{
    const QString name = QStringLiteral("received-%1.csv").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss")));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export received records"), QDir::home().filePath(name),
                                                      tr("CSV files (*.csv);;All files (*)"));
    if (!path.isEmpty())
        exportCsv(path, selectedOnly);
}

bool ReceiverPanel::exportCsv(const QString &path, bool selectedOnly)
{
    if (m_export)
        return false;
    if (m_session)
        m_session->flush();
    // In the order the table shows; a selection in that order too.
    QVector<qint64> rows;
    if (selectedOnly) {
        QModelIndexList indexes = m_table->selectionModel()->selectedRows();
        std::sort(indexes.begin(), indexes.end());
        rows.reserve(indexes.size());
        for (const QModelIndex &index : std::as_const(indexes))
            rows.append(m_proxy->mapToSource(index).row());
        if (rows.isEmpty()) {
            emit logged(LogView::Severity::Warning, tr("Nothing exported: no rows are selected."));
            return false;
        }
    } else if (!m_proxy->query().isArrivalOrder()) {
        rows = m_proxy->sourceRowsInViewOrder();
    }
    const qint64 count = rows.isEmpty() ? m_model->store().rowCount() : rows.size();
    const bool everyRow = count == m_model->store().rowCount();

    // Written on a worker thread from a snapshot of the rows (no copy of any record): the window
    // keeps painting and receiving, rows arriving meanwhile are simply not part of this file.
    auto job = std::make_shared<ExportJob>();
    m_export = job;
    m_exportAction->setEnabled(false);
    m_clearButton->setEnabled(false);
    auto *dialog = new QProgressDialog(tr("Writing %1 rows to %2…").arg(number(count), QDir::toNativeSeparators(path)),
                                       tr("Cancel"), 0, 100, this);
    dialog->setObjectName(QStringLiteral("exportProgress"));
    dialog->setWindowTitle(tr("Export CSV"));
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setMinimumDuration(400); // small tables finish before a dialog would flash
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QProgressDialog::canceled, this, [job] { job->cancel = true; });
    auto *poll = new QTimer(dialog);
    connect(poll, &QTimer::timeout, dialog, [dialog, job] { dialog->setValue(job->percent.load()); });
    poll->start(100);

    QThread *thread = m_exportThread = QThread::create([job, path, store = m_model->store(), rows] {
        job->result = Csv::exportReceived(path, store, rows, [&job](qint64 done, qint64 total) {
            job->percent = total > 0 ? int(done * 100 / total) : 100;
            return !job->cancel.load();
        });
    });
    const QString orderNote = m_proxy->query().isArrivalOrder() ? tr("in the order they arrived") : tr("in the order the table shows");
    connect(thread, &QThread::finished, this, [this, thread, dialog, job, path, everyRow, count, orderNote] {
        thread->deleteLater();
        m_exportThread = nullptr;
        // Read before closing: QProgressDialog emits canceled() when it closes, which would
        // turn every failure into a cancelled export, a warning the message strip never shows.
        const bool cancelled = job->cancel.load();
        dialog->close();
        m_export.reset();
        m_exportAction->setEnabled(true);
        m_clearButton->setEnabled(true);
        const Csv::Result &result = job->result;
        if (result.ok && everyRow)
            m_exportedRows = count;
        if (result.ok)
            emit logged(LogView::Severity::Info, tr("Exported %1 rows to %2, %3. Cells that start with = + - @ or a tab "
                                                    "begin with an apostrophe there, so no spreadsheet runs them as formulas.")
                                                     .arg(number(result.rows), QDir::toNativeSeparators(path), orderNote));
        else
            emit logged(cancelled ? LogView::Severity::Warning : LogView::Severity::Error, result.error);
        emit exportFinished(result.ok);
    });
    thread->start();
    return true;
}
