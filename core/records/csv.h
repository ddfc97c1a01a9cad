// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"
#include "recordstore.h"

#include <QString>
#include <functional>

// RFC 4180 CSV: UTF-8, a header row, CRLF line ends, fields quoted when they hold a comma,
// quote, CR or LF. The first seven columns are always
//   id,name,department,title,email,salary,hire_date
// so an exported file imports back into the sender unchanged, for every value the wire format
// carries (years up to 65535 take a fifth digit). Text that a spreadsheet would run as a
// formula (starting with = + - @ TAB CR) is written with a leading apostrophe, which import
// strips again. docs/csv-format.md is the full description, for other programs.
namespace Csv {

using Progress = std::function<bool(qint64 done, qint64 total)>; // return false to cancel

struct IPCWCORE_EXPORT Result
{
    bool ok = true;
    QString error; // "Line 12, column 3: unterminated quoted field." / "Cannot write ...: reason"
    qint64 rows = 0;
};

IPCWCORE_EXPORT QString headerLine(bool withReceiveColumns);
IPCWCORE_EXPORT QByteArray encode(const EmployeeList &employees); // header + rows, in memory
// The same rows tab-separated with LF line ends, for a spreadsheet's paste (text/plain): tabs and
// line breaks inside a field become spaces, the formula guard is the same.
IPCWCORE_EXPORT QByteArray encodeTabSeparated(const EmployeeList &employees);

// Atomic (QSaveFile): the target is replaced only when every row was written.
IPCWCORE_EXPORT Result exportEmployees(const QString &path, const EmployeeList &employees,
                                       const Progress &progress = {});
// The seven record columns followed by sequence, transport, sent_at, received_at, latency_us.
// `rows` lists store rows in the order to write them (a view's order, a selection); empty: every
// row in arrival order. Reads the store only, so it may run on a worker thread over a snapshot.
IPCWCORE_EXPORT Result exportReceived(const QString &path, const RecordStore &store,
                                      const QVector<qint64> &rows = {}, const Progress &progress = {});

// Reads the seven record columns (extra columns are ignored); the first malformed row stops
// the import with its line and column.
IPCWCORE_EXPORT Result importEmployees(const QString &path, EmployeeList *out);
IPCWCORE_EXPORT Result parseEmployees(const QByteArray &utf8, EmployeeList *out);

} // namespace Csv
