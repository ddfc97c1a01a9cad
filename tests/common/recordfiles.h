// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What multi-process tests do with a receiver's results: read its exported CSV back, sorted
// by id, and log a process's output line by line. Header-only, for tests.

#include "csv.h"

#include <QString>

#include <algorithm>

namespace RecordFiles {

inline EmployeeList importSortedById(const QString &path)
{
    EmployeeList rows;
    const Csv::Result r = Csv::importEmployees(path, &rows);
    if (!r.ok)
        qWarning("%s", qPrintable(r.error));
    std::sort(rows.begin(), rows.end(), [](const Employee &a, const Employee &b) { return a.id < b.id; });
    return rows;
}

inline void logLines(const QString &text)
{
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        qInfo("%s", qPrintable(line));
}

} // namespace RecordFiles
