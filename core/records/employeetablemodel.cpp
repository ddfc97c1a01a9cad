// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeetablemodel.h"

#include <QDateTime>

namespace {

QString localTimeOfDay(qint64 microsecondsSinceEpoch)
{
    return QDateTime::fromMSecsSinceEpoch(microsecondsSinceEpoch / 1000).toString(QStringLiteral("hh:mm:ss.zzz"));
}

bool isNumeric(int column)
{
    switch (column) {
    case EmployeeTableModel::Id:
    case EmployeeTableModel::Salary:
    case EmployeeTableModel::Sequence:
    case EmployeeTableModel::LatencyUs:
        return true;
    default:
        return false;
    }
}

} // namespace

EmployeeTableModel::EmployeeTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int EmployeeTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_store.rowCount());
}

int EmployeeTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EmployeeTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int column = index.column();
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter
                                                                   : Qt::AlignLeft | Qt::AlignVCenter));
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    return cell(m_store.locate(index.row()), column, role);
}

QVariant EmployeeTableModel::cell(const RecordStore::Location &at, int column, int role)
{
    const RecordView record = at.record();
    const RecordBatch &batch = *at.batch;
    const bool display = role == Qt::DisplayRole;
    switch (column) {
    case Id:
        return record.id();
    case Name:
        return record.text(RecordView::Text::Name);
    case Department:
        return record.text(RecordView::Text::Department);
    case Title:
        return record.text(RecordView::Text::Title);
    case Email:
        return record.text(RecordView::Text::Email);
    case Salary:
        return display ? QVariant(formatSalary(record.salaryCents())) : QVariant(record.salaryCents());
    case HireDate:
        return display ? QVariant(record.hireDate().toString(Qt::ISODate)) : QVariant(record.hireDate());
    case Sequence:
        return batch.sequence;
    case Transport:
        return batch.transport;
    case SentAt:
        return display ? QVariant(localTimeOfDay(batch.sentAtUs)) : QVariant(batch.sentAtUs);
    case ReceivedAt:
        return display ? QVariant(localTimeOfDay(batch.receivedAtUs)) : QVariant(batch.receivedAtUs);
    case LatencyUs:
        return batch.latencyUs();
    default:
        return {};
    }
}

QVariant EmployeeTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id: return tr("ID");
    case Name: return tr("Name");
    case Department: return tr("Department");
    case Title: return tr("Title");
    case Email: return tr("Email");
    case Salary: return tr("Salary");
    case HireDate: return tr("Hire date");
    case Sequence: return tr("Sequence");
    case Transport: return tr("Transport");
    case SentAt: return tr("Sent at");
    case ReceivedAt: return tr("Received at");
    case LatencyUs: return tr("Latency (µs)");
    default: return {};
    }
}

void EmployeeTableModel::appendBatches(const RecordBatchList &batches)
{
    qint64 rows = 0;
    for (const RecordBatchPtr &batch : batches)
        rows += batch->size();
    if (rows == 0)
        return;
    const int first = int(m_store.rowCount());
    beginInsertRows({}, first, first + int(rows) - 1);
    m_store.append(batches);
    endInsertRows();
}

void EmployeeTableModel::clear()
{
    beginResetModel();
    m_store.clear();
    endResetModel();
}
