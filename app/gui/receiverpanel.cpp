// SPDX-License-Identifier: GPL-3.0-or-later
#include "receiverpanel.h"

#include "csv.h"
#include "employeetablemodel.h"

#include <QAction>
#include <QCheckBox>
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
#include <QProgressDialog>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
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
      m_proxy(new QSortFilterProxyModel(this)),
      m_filter(new QLineEdit(this)),
      m_rowInfo(new QLabel(this)),
      m_selectedOnly(new QCheckBox(tr("Only &selected rows"), this)),
      m_exportButton(new QPushButton(tr("&Export CSV…"), this)),
      m_clearButton(new QPushButton(tr("Clea&r"), this)),
      m_exportAction(new QAction(tr("&Export CSV…"), this)),
      m_table(new QTableView(this))
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
                              tr("Frames that arrived a second time and were dropped"));
    m_reordered = addCounter(grid, 4, tr("Reordered"), QStringLiteral("reorderedCounter"),
                             tr("Frames that arrived after a later one"));
    m_bad = addCounter(grid, 5, tr("Bad frames"), QStringLiteral("badFrameCounter"),
                       tr("Frames that failed validation (magic, version, lengths, checksum) and were dropped whole"));
    m_senders = addCounter(grid, 6, tr("Senders"), QStringLiteral("sendersCounter"),
                           tr("Distinct sending sessions seen"));
    m_rate = addCounter(grid, 7, tr("Records/s"), QStringLiteral("rateCounter"),
                        tr("Average rate of the last burst: from its first frame to its latest"));
    m_rate->setText(QStringLiteral("–"));

    m_filter->setObjectName(QStringLiteral("filterEdit"));
    m_filter->setPlaceholderText(tr("Show only rows containing…"));
    m_filter->setClearButtonEnabled(true);
    auto *filterLabel = new QLabel(tr("F&ilter:"), this);
    filterLabel->setBuddy(m_filter);
    m_rowInfo->setObjectName(QStringLiteral("rowInfo"));
    m_selectedOnly->setObjectName(QStringLiteral("selectedOnlyCheck"));
    m_selectedOnly->setEnabled(false);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    m_exportButton->setToolTip(tr("Write the table to a CSV file (Ctrl+E)"));
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_clearButton->setObjectName(QStringLiteral("clearButton"));
    m_clearButton->setToolTip(tr("Remove every row and reset the counters"));

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(EmployeeTableModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_table->setObjectName(QStringLiteral("receivedTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    // Fixed row heights keep a million rows cheap to lay out.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView *header = m_table->horizontalHeader();
    header->setSortIndicatorClearable(true);
    header->setSortIndicator(-1, Qt::AscendingOrder); // arrival order until the user sorts
    m_table->setSortingEnabled(true);
    header->setStretchLastSection(true);
    // Wide enough for typical content and the header with its sort arrow; the rest is elided.
    const QList<QPair<int, QString>> samples = {
        {EmployeeTableModel::Id, QStringLiteral("0000000")}, {EmployeeTableModel::Name, QStringLiteral("Marie-Claire Nakamura")},
        {EmployeeTableModel::Department, QStringLiteral("Engineering")}, {EmployeeTableModel::Title, QStringLiteral("Senior Engineer")},
        {EmployeeTableModel::Email, QStringLiteral("marieclaire.nakamura@example")}, {EmployeeTableModel::Salary, QStringLiteral("0000000.00")},
        {EmployeeTableModel::HireDate, QStringLiteral("0000-00-00")}, {EmployeeTableModel::Sequence, QStringLiteral("0000000")},
        {EmployeeTableModel::Transport, QStringLiteral("localsocket")}, {EmployeeTableModel::SentAt, QStringLiteral("00:00:00.000")},
        {EmployeeTableModel::ReceivedAt, QStringLiteral("00:00:00.000")}};
    const QFontMetrics cellMetrics = m_table->fontMetrics();
    const QFontMetrics headerMetrics = header->fontMetrics();
    for (const auto &[column, sample] : samples) {
        const QString title = m_model->headerData(column, Qt::Horizontal).toString();
        header->resizeSection(column, qMax(cellMetrics.horizontalAdvance(sample) + 12,
                                           headerMetrics.horizontalAdvance(title) + 28));
    }

    auto *tools = new QHBoxLayout;
    tools->addWidget(filterLabel);
    tools->addWidget(m_filter, 1);
    tools->addWidget(m_rowInfo);
    tools->addSpacing(12);
    tools->addWidget(m_selectedOnly);
    tools->addWidget(m_exportButton);
    tools->addWidget(m_clearButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(countersBox);
    layout->addLayout(tools);
    layout->addWidget(m_table, 1);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterFixedString(text);
        updateRowInfo();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_selectedOnly->setEnabled(m_table->selectionModel()->hasSelection());
    });
    connect(m_exportButton, &QPushButton::clicked, m_exportAction, &QAction::trigger);
    connect(m_exportAction, &QAction::triggered, this, &ReceiverPanel::chooseExportFile);
    connect(m_clearButton, &QPushButton::clicked, this, &ReceiverPanel::clear);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &ReceiverPanel::updateRowInfo);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ReceiverPanel::updateRowInfo);
    updateRowInfo();
}

void ReceiverPanel::attach(TransportEndpoint *endpoint, const TransportMetadata &transport)
{
    m_session = new ReceiverSession(endpoint, transport.id, this);
    connect(m_session, &ReceiverSession::recordsReceived, this, &ReceiverPanel::onRecords);
    connect(m_session, &ReceiverSession::countersChanged, this, &ReceiverPanel::showCounters);
    connect(m_session, &ReceiverSession::problem, this,
            [this](const QString &message) { emit logged(LogView::Severity::Error, message); });
    connect(m_session, &ReceiverSession::senderFinished, this, [this](quint32 senderId) {
        emit logged(LogView::Severity::Info, tr("Sending session %1 finished and said goodbye.").arg(senderId));
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

void ReceiverPanel::onRecords(const ReceivedRecordList &records)
{
    if (records.isEmpty())
        return;
    const qint64 first = records.constFirst().receivedAtUs;
    if (m_burstRecords == 0 || first - m_lastReceivedUs > BurstGapUs) {
        m_burstStartUs = first;
        m_burstRecords = 0;
    }
    m_burstRecords += records.size();
    m_lastReceivedUs = records.constLast().receivedAtUs;
    m_model->appendRecords(records);
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

void ReceiverPanel::clear()
{
    if (m_exporting)
        return;
    if (m_session) {
        m_session->flush();
        m_clearedAt = m_session->counters();
    }
    m_previous = {};
    m_burstRecords = 0;
    m_model->clear();
    showCounters();
}

void ReceiverPanel::chooseExportFile()
{
    const QString name = QStringLiteral("received-%1.csv").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss")));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export received records"), QDir::home().filePath(name),
                                                      tr("CSV files (*.csv);;All files (*)"));
    if (!path.isEmpty())
        exportCsv(path, m_selectedOnly->isEnabled() && m_selectedOnly->isChecked());
}

bool ReceiverPanel::exportCsv(const QString &path, bool selectedOnly)
{
    if (m_exporting)
        return false;
    if (m_session)
        m_session->flush();
    // A snapshot (implicitly shared, so no copy): rows arriving while the export runs detach
    // the model's list instead of moving the one being written.
    const ReceivedRecordList rows = m_model->records();
    QVector<int> selected;
    if (selectedOnly) {
        const QModelIndexList indexes = m_table->selectionModel()->selectedRows();
        selected.reserve(indexes.size());
        for (const QModelIndex &index : indexes)
            selected.append(m_proxy->mapToSource(index).row());
        std::sort(selected.begin(), selected.end());
        if (selected.isEmpty()) {
            emit logged(LogView::Severity::Warning, tr("Nothing exported: no rows are selected."));
            return false;
        }
    }

    QProgressDialog dialog(tr("Writing %1 rows to %2…")
                               .arg(number(selected.isEmpty() ? rows.size() : selected.size()),
                                    QDir::toNativeSeparators(path)),
                           tr("Cancel"), 0, 100, this);
    dialog.setObjectName(QStringLiteral("exportProgress"));
    dialog.setWindowTitle(tr("Export CSV"));
    dialog.setWindowModality(Qt::WindowModal);
    dialog.setMinimumDuration(400); // small tables finish before a dialog would flash
    dialog.setValue(0);
    m_exporting = true;
    m_exportAction->setEnabled(false);
    m_clearButton->setEnabled(false);
    const Csv::Result result = Csv::exportReceived(path, rows, selected, [&dialog](qint64 done, qint64 total) {
        dialog.setValue(total > 0 ? int(done * 100 / total) : 100);
        // Keeps the window painting and receiving while a large table is written.
        QCoreApplication::processEvents();
        return !dialog.wasCanceled();
    });
    const bool cancelled = dialog.wasCanceled();
    dialog.reset();
    m_exporting = false;
    m_exportAction->setEnabled(true);
    m_clearButton->setEnabled(true);

    if (!result.ok) {
        emit logged(cancelled ? LogView::Severity::Warning : LogView::Severity::Error, result.error);
        return false;
    }
    emit logged(LogView::Severity::Info, tr("Exported %1 rows to %2.").arg(number(result.rows), QDir::toNativeSeparators(path)));
    return true;
}
