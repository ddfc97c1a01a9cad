// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recordstore.h"

#include <QAbstractTableModel>

// The receiver's table: one row per received record, over a RecordStore. GUI thread only. Rows
// arrive in batches of validated frames (appendBatches: one beginInsertRows per call, no copy of
// any record), so a burst of a million records costs a few hundred inserts; a cell's text is
// decoded only when a view asks for it. Sorting and filtering at scale: RecordViewModel on top.
class IPCWCORE_EXPORT EmployeeTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Id, Name, Department, Title, Email, Salary, HireDate, // the CSV's first seven columns
        Sequence, Transport, SentAt, ReceivedAt, LatencyUs,
        ColumnCount
    };
    Q_ENUM(Column)
    // Qt::UserRole returns the raw sortable value (numbers as numbers, dates as QDate).
    static constexpr int SortRole = Qt::UserRole;

    explicit EmployeeTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The value of one cell as data(SortRole) gives it, from a record read in place: also what
    // the sorting and filtering workers use, off the GUI thread.
    static QVariant cell(const RecordStore::Location &at, int column, int role);

    void appendBatches(const RecordBatchList &batches);
    void clear();
    const RecordStore &store() const { return m_store; }

private:
    RecordStore m_store;
};
