// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordtable.h"

#include "employeetablemodel.h"

#include <QHeaderView>
#include <QTableView>

void configureRecordTable(QTableView *table)
{
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);
    table->verticalHeader()->hide();
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
}

void sizeRecordColumns(QTableView *table)
{
    // The widest id and salary the wire format carries; typical lengths for the text columns.
    const QList<QPair<int, QString>> samples = {
        {EmployeeTableModel::Id, QStringLiteral("4294967295")}, {EmployeeTableModel::Name, QStringLiteral("Marie-Claire Nakamura")},
        {EmployeeTableModel::Department, QStringLiteral("Engineering")}, {EmployeeTableModel::Title, QStringLiteral("Senior Engineer")},
        {EmployeeTableModel::Email, QStringLiteral("marieclaire.nakamura@example")}, {EmployeeTableModel::Salary, QStringLiteral("00000000.00")},
        {EmployeeTableModel::HireDate, QStringLiteral("0000-00-00")}, {EmployeeTableModel::Sequence, QStringLiteral("0000000")},
        {EmployeeTableModel::Transport, QStringLiteral("localsocket")}, {EmployeeTableModel::SentAt, QStringLiteral("00:00:00.000")},
        {EmployeeTableModel::ReceivedAt, QStringLiteral("00:00:00.000")}};
    QHeaderView *header = table->horizontalHeader();
    const QFontMetrics cellMetrics = table->fontMetrics();
    const QFontMetrics headerMetrics = header->fontMetrics();
    for (const auto &[column, sample] : samples) {
        const QString title = table->model()->headerData(column, Qt::Horizontal).toString();
        header->resizeSection(column, qMax(cellMetrics.horizontalAdvance(sample) + 12,
                                           headerMetrics.horizontalAdvance(title) + 28));
    }
}
