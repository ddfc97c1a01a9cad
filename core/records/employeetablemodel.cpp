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
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EmployeeTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EmployeeTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ReceivedRecord &record = m_rows.at(index.row());
    const Employee &employee = record.employee;
    const int column = index.column();

    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter
                                                                   : Qt::AlignLeft | Qt::AlignVCenter));
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const bool display = role == Qt::DisplayRole;

    switch (column) {
    case Id:
        return employee.id;
    case Name:
        return employee.name;
    case Department:
        return employee.department;
    case Title:
        return employee.title;
    case Email:
        return employee.email;
    case Salary:
        return display ? QVariant(formatSalary(employee.salaryCents)) : QVariant(employee.salaryCents);
    case HireDate:
        return display ? QVariant(employee.hireDate.toString(Qt::ISODate)) : QVariant(employee.hireDate);
    case Sequence:
        return record.sequence;
    case Transport:
        return record.transport;
    case SentAt:
        return display ? QVariant(localTimeOfDay(record.sentAtUs)) : QVariant(record.sentAtUs);
    case ReceivedAt:
        return display ? QVariant(localTimeOfDay(record.receivedAtUs)) : QVariant(record.receivedAtUs);
    case LatencyUs:
        return record.latencyUs();
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

void EmployeeTableModel::appendRecords(const ReceivedRecordList &records)
{
    if (records.isEmpty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(records.size()) - 1);
    if (m_rows.isEmpty())
        m_rows = records; // implicitly shared: the first batch costs no copy
    else
        m_rows += records;
    endInsertRows();
}

void EmployeeTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}
