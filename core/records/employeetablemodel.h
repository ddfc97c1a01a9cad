// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "receivedrecord.h"

#include <QAbstractTableModel>

// The receiver's table: one row per received record. GUI thread only. Rows arrive in batches
// (appendRecords: one beginInsertRows per call) so a burst of a million records costs a few
// hundred inserts. Sorting and filtering are done by a QSortFilterProxyModel on top.
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

    void appendRecords(const ReceivedRecordList &records);
    void clear();
    const ReceivedRecord &recordAt(int row) const { return m_rows.at(row); }
    const ReceivedRecordList &records() const { return m_rows; }

private:
    ReceivedRecordList m_rows;
};
