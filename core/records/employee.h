// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/records: the employee record and everything that makes, shows or stores records: the
// deterministic generator, the CSV reader and writer, and the table model the receiver fills.

#include "ipcwcore_export.h"

#include <QDate>
#include <QMetaType>
#include <QString>
#include <QVector>

// One employee record: the unit every transport moves. Salary is exact (integer cents) so a
// round trip through the wire, CSV and back never changes a value.
struct IPCWCORE_EXPORT Employee
{
    quint32 id = 0;
    QString name;
    QString department;
    QString title;
    QString email;
    qint64 salaryCents = 0;
    QDate hireDate;

    bool operator==(const Employee &other) const;
    bool operator!=(const Employee &other) const { return !(*this == other); }
};

using EmployeeList = QVector<Employee>;

// "1234.56" / "-0.05": the salary as a decimal string, exact.
IPCWCORE_EXPORT QString formatSalary(qint64 cents);
// Parses "1234", "1234.5" or "1234.56" (optional leading '-', surrounding white space allowed);
// false on anything else. The Latin-1 form reads bytes (a CSV field) without making a QString.
IPCWCORE_EXPORT bool parseSalary(const QString &text, qint64 *cents);
IPCWCORE_EXPORT bool parseSalary(QLatin1StringView text, qint64 *cents);

Q_DECLARE_METATYPE(Employee)
