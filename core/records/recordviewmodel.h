// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "rowordering.h"

#include <QAbstractProxyModel>
#include <QTimer>

#include <atomic>
#include <memory>

class EmployeeTableModel;
class QThread;

// The receiver's table as the user sees it: sorted by any column and filtered by text, without
// freezing the window at 10 M rows (QSortFilterProxyModel sorts and filters on the GUI thread
// through a QVariant per comparison). Sorting and filtering run on a worker thread over a
// snapshot of the store, with progress and cancel; meanwhile the view shows the previous order.
// While the view is sorted or filtered, arriving rows are sorted and filtered the same way in
// batches on the worker and merged in, a few times a second at most. In arrival order with no
// filter it is a pass-through that costs nothing per row. GUI thread only.
class IPCWCORE_EXPORT RecordViewModel : public QAbstractProxyModel
{
    Q_OBJECT
public:
    explicit RecordViewModel(QObject *parent = nullptr);
    ~RecordViewModel() override;

    // Must be an EmployeeTableModel.
    void setSourceModel(QAbstractItemModel *source) override;

    // The header's sort indicator calls this; a column of -1 returns to arrival order.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    void setFilter(const QString &text, int column = RowQuery::AllTextColumns);
    // The query shown once the work in progress ends.
    const RowQuery &query() const { return m_wanted; }
    bool isBusy() const { return m_job != nullptr; }
    // Stops the sort or filter in progress; the view keeps the order it shows.
    void cancel();

    // Store rows in the order the view shows them (for an export in view order).
    QVector<qint64> sourceRowsInViewOrder() const;

    QModelIndex mapToSource(const QModelIndex &proxyIndex) const override;
    QModelIndex mapFromSource(const QModelIndex &sourceIndex) const override;
    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;

signals:
    // "Sorting 10,000,000 rows by Salary…" while busy; empty when done.
    void busyChanged(bool busy, const QString &what);
    void progressChanged(int percent);

private:
    struct Job;

    bool passThrough() const { return m_shown.isArrivalOrder(); }
    void startJob();
    // Stops the running job and waits for its thread; nothing is published.
    void abandonJob();
    void finishJob(const std::shared_ptr<Job> &job);
    void announceArrivals();
    void afterJob(Job &job);
    void mergeArrivals();
    void publish(RowOrdering::Entries entries, qint64 coveredRows, const RowQuery &query,
                 const RowOrdering::Shifts *insertedBefore);
    // Where the given indexes go once `entries` (a merge when insertedBefore) are shown.
    QModelIndexList whereTheyGo(const QModelIndexList &persistent, const RowOrdering::Entries &entries,
                                const RowQuery &query, const RowOrdering::Shifts *insertedBefore) const;
    void swapIn(RowOrdering::Entries entries, qint64 coveredRows, const RowQuery &query);
    QString describe(const RowQuery &query, qint64 rows) const;
    // The entry shown at `row` (not passing through): the order, then any tail of new rows.
    const RowEntry &entryAt(int row) const;

    EmployeeTableModel *m_source = nullptr;
    RowQuery m_shown;   // what m_entries shows
    RowQuery m_wanted;  // what the user asked for last
    RowOrdering::Entries m_entries; // when not passing through
    // A merge's new rows (its job's arrivals), announced at the end a slice at a time, until
    // the merged order replaces m_entries; m_tailShown of them are shown so far.
    const RowOrdering::Entries *m_tail = nullptr;
    qsizetype m_tailShown = 0;
    QTimer m_announceTimer;
    int m_rowLimit = -1; // while publish() moves between counts: the rows shown, at most
    qint64 m_coveredRows = 0;       // source rows m_entries accounts for
    std::shared_ptr<Job> m_job;
    QThread *m_thread = nullptr;
    QTimer m_progressTimer;
    QTimer m_mergeTimer;
};
