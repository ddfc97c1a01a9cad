// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a headless receiver exported (--export), read back for comparison with what was sent.
// Header-only, for tests.

#include "csv.h"
#include "employee.h"

#include <QString>

#include <algorithm>

namespace ReceivedCsv {

// The rows of `path` in id order (a lossy or unordered mechanism delivers them in any order);
// a file that cannot be read gives a warning and no rows, so a comparison fails visibly.
inline EmployeeList sortedById(const QString &path)
{
    EmployeeList rows;
    const Csv::Result r = Csv::importEmployees(path, &rows);
    if (!r.ok)
        qWarning("%s", qPrintable(r.error));
    std::sort(rows.begin(), rows.end(), [](const Employee &a, const Employee &b) { return a.id < b.id; });
    return rows;
}

} // namespace ReceivedCsv
