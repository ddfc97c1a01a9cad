// SPDX-License-Identifier: GPL-3.0-or-later
#include "listsource.h"

#include "framebuilder.h"

ListSource::ListSource(EmployeeList records) : m_records(std::move(records)) {}

int ListSource::appendTo(FrameBuilder &frame, int maxRecords)
{
    int appended = 0;
    while (appended < maxRecords && m_next < m_records.size() && frame.appendRecord(m_records.at(m_next))) {
        ++m_next;
        ++appended;
    }
    return appended;
}

bool ListSource::atEnd() const
{
    return m_next == m_records.size();
}

qint64 ListSource::total() const
{
    return m_records.size();
}

RecordSource::Progress ListSource::progress() const
{
    return {m_next, m_records.size()};
}
