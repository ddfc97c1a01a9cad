// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recordfields.h"

#include <vector>

// The last `capacity` records of a stream, copied into buffers that are reused: once full, no
// allocation per record, so it can watch a hundred-million-row file go by (the sender's preview).
class IPCWCORE_EXPORT RecordTail
{
public:
    explicit RecordTail(int capacity);

    void add(const RecordFields &record);
    // Oldest first.
    EmployeeList employees() const;

private:
    struct Kept
    {
        RecordFields record; // its text views point into `text`
        QByteArray text;
    };

    int m_capacity;
    std::vector<Kept> m_kept;
    qint64 m_added = 0;
};
