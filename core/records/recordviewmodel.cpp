// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordviewmodel.h"

#include "employeetablemodel.h"

#include <QLocale>
#include <QThread>
#include <QThreadPool>

#include <algorithm>
#include <numeric>

namespace {
// New rows are merged into a sorted or filtered view at most this often: each merge rewrites
// the whole order, so at 10 M rows it must stay rare.
constexpr int MergeIntervalMs = 300;
constexpr int ProgressIntervalMs = 100;
// Rows a merge announces per turn of the event loop (a few milliseconds of header work).
constexpr qsizetype ArrivalSliceRows = 65536;

// Frees a large container on a pool thread: giving back 160 MB (the order of 10 M rows) takes
// the kernel tens of milliseconds, which the window would otherwise wait for at every merge.
template <typename Container> void releaseOffThread(Container &&doomed)
{
    auto held = std::make_shared<Container>(std::move(doomed));
    QThreadPool::globalInstance()->start([held]() mutable { held.reset(); });
}
} // namespace

// One sort, filter or merge, computed on a worker thread over a snapshot of the store.
struct RecordViewModel::Job
{
    RowQuery query;
    RecordStore snapshot;
    qint64 fromRow = 0;
    // A merge of the rows from `fromRow` into `existing`, the order shown (left alone meanwhile).
    const RowOrdering::Entries *existing = nullptr;
    std::atomic<bool> cancel{false};
    std::atomic<int> permille{0};
    // Results, read once the thread has finished.
    RowOrdering::Entries arrivals; // a merge's new rows, in order among themselves
    RowOrdering::Entries entries;
    RowOrdering::Shifts insertedBefore;
    bool cancelled = false;

    void run()
    {
        const RowOrdering ordering(query);
        const auto progress = [this](double done) {
            permille.store(int(done * 1000));
            return !cancel.load();
        };
        arrivals = ordering.build(snapshot, fromRow, progress, &cancelled);
        if (!cancelled && existing)
            entries = ordering.merge(*existing, arrivals, &insertedBefore);
        else
            entries = std::move(arrivals);
    }
};

RecordViewModel::RecordViewModel(QObject *parent) : QAbstractProxyModel(parent)
{
    m_progressTimer.setInterval(ProgressIntervalMs);
    connect(&m_progressTimer, &QTimer::timeout, this, [this] {
        if (m_job)
            emit progressChanged(m_job->permille.load() / 10);
    });
    m_announceTimer.setSingleShot(true);
    m_announceTimer.setInterval(0);
    connect(&m_announceTimer, &QTimer::timeout, this, &RecordViewModel::announceArrivals);
    m_mergeTimer.setSingleShot(true);
    m_mergeTimer.setInterval(MergeIntervalMs);
    connect(&m_mergeTimer, &QTimer::timeout, this, &RecordViewModel::mergeArrivals);
}

RecordViewModel::~RecordViewModel()
{
    abandonJob();
}

void RecordViewModel::abandonJob()
{
    if (!m_job)
        return;
    const bool wasMerge = m_job->existing != nullptr;
    m_job->cancel = true;
    if (m_thread) { // else its rows were being announced
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    m_announceTimer.stop();
    m_tail = nullptr;
    m_tailShown = 0;
    m_job.reset();
    if (!wasMerge) {
        m_progressTimer.stop();
        emit busyChanged(false, QString());
    }
}

void RecordViewModel::setSourceModel(QAbstractItemModel *source)
{
    beginResetModel();
    abandonJob(); // it works on the previous source's rows
    if (m_source)
        disconnect(m_source, nullptr, this, nullptr);
    m_source = qobject_cast<EmployeeTableModel *>(source);
    Q_ASSERT(m_source || !source);
    QAbstractProxyModel::setSourceModel(m_source);
    m_shown = m_wanted = RowQuery();
    m_entries.clear();
    m_coveredRows = 0;
    if (m_source) {
        connect(m_source, &QAbstractItemModel::rowsAboutToBeInserted, this, [this](const QModelIndex &, int first, int last) {
            if (passThrough())
                beginInsertRows({}, first, last);
        });
        connect(m_source, &QAbstractItemModel::rowsInserted, this, [this] {
            if (passThrough())
                endInsertRows();
            else if (!m_mergeTimer.isActive())
                m_mergeTimer.start();
        });
        connect(m_source, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
            beginResetModel();
            abandonJob(); // it works on rows that are about to go
        });
        connect(m_source, &QAbstractItemModel::modelReset, this, [this] {
            releaseOffThread(std::move(m_entries));
            m_entries.clear(); // a moved-from vector is valid but unspecified
            m_coveredRows = 0;
            endResetModel();
            startJob();
        });
    }
    endResetModel();
}

void RecordViewModel::sort(int column, Qt::SortOrder order)
{
    m_wanted.sortColumn = column;
    m_wanted.order = order;
    startJob();
}

void RecordViewModel::setFilter(const QString &text, int column)
{
    m_wanted.filterText = text;
    m_wanted.filterColumn = column;
    startJob();
}

void RecordViewModel::cancel()
{
    if (m_job)
        m_job->cancel = true;
    m_wanted = m_shown;
}

QString RecordViewModel::describe(const RowQuery &query, qint64 rows) const
{
    const QString count = QLocale().toString(rows);
    const QString column = query.sorts() ? m_source->headerData(query.sortColumn, Qt::Horizontal).toString() : QString();
    if (query.sorts() && query.filters())
        return tr("Filtering and sorting %1 rows by %2…").arg(count, column);
    if (query.sorts())
        return tr("Sorting %1 rows by %2…").arg(count, column);
    return tr("Filtering %1 rows…").arg(count);
}

void RecordViewModel::startJob()
{
    if (!m_source)
        return;
    if (m_job) {
        if (m_job->query != m_wanted || m_job->existing)
            m_job->cancel = true; // finishJob() starts the wanted one
        return;
    }
    if (m_wanted == m_shown) {
        if (!passThrough() && m_coveredRows < m_source->store().rowCount())
            m_mergeTimer.start();
        return;
    }
    if (m_wanted.isArrivalOrder()) {
        publish({}, 0, m_wanted, nullptr); // nothing to compute
        return;
    }
    auto job = std::make_shared<Job>();
    job->query = m_wanted;
    job->snapshot = m_source->store();
    m_job = job;
    m_thread = QThread::create([job] { job->run(); });
    m_thread->setObjectName(QStringLiteral("ipcw table sort"));
    connect(m_thread, &QThread::finished, this, [this, job] {
        if (m_job == job) // not abandoned meanwhile
            finishJob(job);
    });
    m_thread->start(QThread::LowPriority);
    m_progressTimer.start();
    emit busyChanged(true, describe(job->query, job->snapshot.rowCount()));
    emit progressChanged(0);
}

void RecordViewModel::mergeArrivals()
{
    if (m_job || passThrough() || !m_source || m_coveredRows >= m_source->store().rowCount())
        return;
    auto job = std::make_shared<Job>();
    job->query = m_shown;
    job->snapshot = m_source->store();
    job->fromRow = m_coveredRows;
    job->existing = &m_entries;
    m_job = job;
    m_thread = QThread::create([job] { job->run(); });
    m_thread->setObjectName(QStringLiteral("ipcw table merge"));
    connect(m_thread, &QThread::finished, this, [this, job] {
        if (m_job == job)
            finishJob(job);
    });
    m_thread->start(QThread::LowPriority);
}

void RecordViewModel::finishJob(const std::shared_ptr<Job> &job)
{
    m_thread->deleteLater();
    m_thread = nullptr;
    const bool wasMerge = job->existing != nullptr;
    if (!wasMerge) {
        m_progressTimer.stop();
        emit busyChanged(false, QString());
    }
    if (!job->cancelled && job->query == m_shown && wasMerge) {
        // The job stays current (isBusy(), no other job) until its rows are all shown.
        m_tail = &job->arrivals;
        m_tailShown = 0;
        announceArrivals();
        return;
    }
    m_job.reset();
    if (!job->cancelled && job->query == m_wanted && !wasMerge)
        publish(std::move(job->entries), job->snapshot.rowCount(), job->query, nullptr);
    afterJob(*job);
}

void RecordViewModel::announceArrivals()
{
    // A merge's new rows are announced as inserted at the end, a slice per turn of the event
    // loop: the vertical header grows its per-row state with each insertion, and two million
    // rows at once would hold the window for a quarter of a second. Then one change moves them
    // into place (publish()).
    const std::shared_ptr<Job> job = m_job;
    const qsizetype left = qsizetype(m_tail->size()) - m_tailShown;
    if (left > 0) {
        const int first = rowCount();
        const qsizetype slice = qMin<qsizetype>(left, ArrivalSliceRows);
        beginInsertRows({}, first, first + int(slice) - 1);
        m_tailShown += slice;
        endInsertRows();
        if (m_tailShown < qsizetype(m_tail->size())) {
            m_announceTimer.start();
            return;
        }
    }
    m_job.reset();
    publish(std::move(job->entries), job->snapshot.rowCount(), job->query, &job->insertedBefore);
    afterJob(*job);
}

void RecordViewModel::afterJob(Job &job)
{
    releaseOffThread(std::move(job.insertedBefore));
    releaseOffThread(std::move(job.arrivals));
    releaseOffThread(std::move(job.entries)); // left there when not published
    if (m_wanted != m_shown)
        startJob();
    else if (!passThrough() && m_coveredRows < m_source->store().rowCount())
        job.existing ? m_mergeTimer.start() : mergeArrivals(); // rows that came during a long sort: at once
}

QModelIndexList RecordViewModel::whereTheyGo(const QModelIndexList &persistent, const RowOrdering::Entries &entries,
                                             const RowQuery &query, const RowOrdering::Shifts *insertedBefore) const
{
    QModelIndexList moved;
    moved.reserve(persistent.size());
    std::vector<qint32> viewRowOfSource;
    const bool toPassThrough = query.isArrivalOrder();
    if (!insertedBefore && !toPassThrough && persistent.size() > 1) {
        viewRowOfSource.assign(size_t(m_source->store().rowCount()), -1);
        for (size_t i = 0; i < entries.size(); ++i)
            viewRowOfSource[entries[i].row] = qint32(i);
    }
    for (const QModelIndex &old : persistent) {
        int row = -1;
        if (insertedBefore && size_t(old.row()) < m_entries.size()) {
            row = old.row() + int((*insertedBefore)[size_t(old.row())]);
        } else if (insertedBefore) {
            // On the tail of new rows: after every old row that sorts before it.
            const quint32 arrival = quint32(old.row() - int(m_entries.size()));
            row = int(arrival) + int(std::upper_bound(insertedBefore->cbegin(), insertedBefore->cend(), arrival) - insertedBefore->cbegin());
        } else {
            const quint32 sourceRow = quint32(mapToSource(old).row());
            if (toPassThrough) {
                row = int(sourceRow);
            } else if (!viewRowOfSource.empty()) {
                row = viewRowOfSource[sourceRow];
            } else { // one index: a scan is cheaper than a table of every row
                const auto at = std::find_if(entries.cbegin(), entries.cend(), [&](const RowEntry &e) { return e.row == sourceRow; });
                row = at == entries.cend() ? -1 : int(at - entries.cbegin());
            }
        }
        moved.append(row < 0 ? QModelIndex() : createIndex(row, old.column()));
    }
    return moved;
}

void RecordViewModel::swapIn(RowOrdering::Entries entries, qint64 coveredRows, const RowQuery &query)
{
    m_shown = query;
    releaseOffThread(std::exchange(m_entries, std::move(entries)));
    m_tail = nullptr;
    m_tailShown = 0;
    m_coveredRows = coveredRows;
}

void RecordViewModel::publish(RowOrdering::Entries entries, qint64 coveredRows, const RowQuery &query,
                              const RowOrdering::Shifts *insertedBefore)
{
    // Keep what the user selected or looks at on the same records.
    const QModelIndexList persistent = persistentIndexList();
    if (persistent.size() > 1) {
        // A selection: its ranges are remapped cell by cell, which takes a layout change (and
        // the vertical header then walks its per-row state: about 80 ms at 10 M rows).
        emit layoutAboutToBeChanged();
        const QModelIndexList moved = whereTheyGo(persistentIndexList(), entries, query, insertedBefore);
        swapIn(std::move(entries), coveredRows, query);
        changePersistentIndexList(persistentIndexList(), moved);
        emit layoutChanged();
        return;
    }
    // At most one index to keep (the current cell): the new count is reached by removing or
    // adding rows at the end, and the rows in common only show something else (dataChanged).
    // m_rowLimit holds the count between the steps, so every signal sees a consistent model;
    // the kept index sits on row 0 while its own row might be removed.
    const int before = rowCount();
    const int after = query.isArrivalOrder() ? m_source->rowCount() : int(entries.size());
    const int common = qMin(before, after);
    QModelIndex kept = persistent.value(0);
    const QModelIndex target = kept.isValid() ? whereTheyGo(persistent, entries, query, insertedBefore).constFirst() : QModelIndex();
    const auto keep = [&](const QModelIndex &to) {
        changePersistentIndex(kept, to);
        kept = to;
    };
    if (kept.isValid() && kept.row() >= common && common > 0)
        keep(index(0, kept.column()));
    if (after < before) {
        beginRemoveRows({}, after, before - 1);
        m_rowLimit = after;
        endRemoveRows();
    }
    m_rowLimit = common;
    swapIn(std::move(entries), coveredRows, query);
    if (kept.isValid() && (!target.isValid() || target.row() < common))
        keep(target);
    if (common > 0)
        emit dataChanged(index(0, 0), index(common - 1, columnCount() - 1));
    if (after > before) {
        beginInsertRows({}, before, after - 1);
        m_rowLimit = -1;
        endInsertRows();
        if (kept.isValid() && target.isValid() && target.row() >= common)
            keep(target);
    }
    m_rowLimit = -1;
}

QVector<qint64> RecordViewModel::sourceRowsInViewOrder() const
{
    QVector<qint64> rows(rowCount());
    if (passThrough())
        std::iota(rows.begin(), rows.end(), 0);
    else
        std::transform(m_entries.cbegin(), m_entries.cend(), rows.begin(), [](const RowEntry &e) { return qint64(e.row); });
    return rows;
}

QModelIndex RecordViewModel::mapToSource(const QModelIndex &proxyIndex) const
{
    if (!m_source || !proxyIndex.isValid())
        return {};
    const int row = passThrough() ? proxyIndex.row() : int(entryAt(proxyIndex.row()).row);
    return m_source->index(row, proxyIndex.column());
}

// Linear in the rows shown when sorted or filtered: views rarely ask (selection mapping).
QModelIndex RecordViewModel::mapFromSource(const QModelIndex &sourceIndex) const
{
    if (!m_source || !sourceIndex.isValid())
        return {};
    if (passThrough())
        return index(sourceIndex.row(), sourceIndex.column());
    for (int i = 0, rows = rowCount(); i < rows; ++i)
        if (entryAt(i).row == quint32(sourceIndex.row()))
            return index(i, sourceIndex.column());
    return {};
}

const RowEntry &RecordViewModel::entryAt(int row) const
{
    return size_t(row) < m_entries.size() ? m_entries[size_t(row)] : (*m_tail)[size_t(row) - m_entries.size()];
}

QModelIndex RecordViewModel::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex RecordViewModel::parent(const QModelIndex &) const
{
    return {};
}

int RecordViewModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_source)
        return 0;
    const int rows = passThrough() ? m_source->rowCount() : int(qsizetype(m_entries.size()) + m_tailShown);
    return m_rowLimit < 0 ? rows : qMin(rows, m_rowLimit);
}

int RecordViewModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_source ? 0 : m_source->columnCount();
}

bool RecordViewModel::hasChildren(const QModelIndex &parent) const
{
    return !parent.isValid() && rowCount() > 0;
}
