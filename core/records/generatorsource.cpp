// SPDX-License-Identifier: GPL-3.0-or-later
#include "generatorsource.h"

GeneratorSource::GeneratorSource(const EmployeeGenerator &generator, qint64 count)
    : m_generator(generator), m_count(qMax<qint64>(0, count))
{
}

int GeneratorSource::appendTo(FrameBuilder &frame, int maxRecords)
{
    const int wanted = int(qMin<qint64>(maxRecords, m_count - m_done));
    int appended = 0;
    while (appended < wanted && m_generator.appendNext(frame))
        ++appended;
    m_done += appended;
    return appended;
}

bool GeneratorSource::atEnd() const
{
    return m_done == m_count;
}

qint64 GeneratorSource::total() const
{
    return m_count;
}

RecordSource::Progress GeneratorSource::progress() const
{
    return {m_done, m_count};
}
