// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordtail.h"

RecordTail::RecordTail(int capacity) : m_capacity(qMax(1, capacity)) {}

void RecordTail::add(const RecordFields &record)
{
    if (m_kept.size() < size_t(m_capacity))
        m_kept.emplace_back();
    Kept &kept = m_kept[size_t(m_added % m_capacity)];
    ++m_added;
    kept.text.resize(0); // keeps the capacity
    for (QByteArrayView text : {record.name, record.department, record.title, record.email})
        kept.text.append(text);
    kept.record = record;
    const char *p = kept.text.constData();
    for (QByteArrayView *text : {&kept.record.name, &kept.record.department, &kept.record.title, &kept.record.email}) {
        *text = QByteArrayView(p, text->size());
        p += text->size();
    }
}

EmployeeList RecordTail::employees() const
{
    EmployeeList list;
    list.reserve(qsizetype(m_kept.size()));
    const qint64 oldest = m_added - qint64(m_kept.size());
    for (qint64 i = oldest; i < m_added; ++i)
        list.append(m_kept[size_t(i % m_capacity)].record.toEmployee());
    return list;
}
