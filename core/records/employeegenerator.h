// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"

class FrameBuilder;

// Deterministic sample data: the same seed gives the same records on every platform and run.
// Some fields deliberately hold non-ASCII text, commas, quotes and line breaks so the codec,
// the CSV writer and the table all get exercised.
//
// Two ways out, always the same records: next() makes an Employee (for the form, tests and
// previews); appendNext() writes the record's UTF-8 straight into a frame from precomputed
// tables, with no QString and no allocation, which is what sending millions needs.
class IPCWCORE_EXPORT EmployeeGenerator
{
public:
    explicit EmployeeGenerator(quint64 seed = 1, quint32 firstId = 1);

    Employee next();
    EmployeeList take(int count);
    // The record next() would return, appended to `frame`; false (and the generator unmoved)
    // when the frame has no room for it.
    bool appendNext(FrameBuilder &frame);
    // Moves on as if next() had been called `count` times, at no cost.
    void skip(quint64 count);
    // The same records from here on, under other ids: the next one is `id`.
    void setNextId(quint32 id) { m_nextId = id; }
    quint32 nextId() const { return m_nextId; }

private:
    quint64 m_state;
    quint32 m_nextId;
};
