// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"

// Deterministic sample data: the same seed gives the same records on every platform and run.
// Some fields deliberately hold non-ASCII text, commas, quotes and line breaks so the codec,
// the CSV writer and the table all get exercised.
class IPCWCORE_EXPORT EmployeeGenerator
{
public:
    explicit EmployeeGenerator(quint64 seed = 1, quint32 firstId = 1);

    Employee next();
    EmployeeList take(int count);

private:
    quint64 nextRandom();
    int pick(int bound);

    quint64 m_state;
    quint32 m_nextId;
};
