// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordstore.h"

#include <algorithm>

void RecordStore::append(const RecordBatchPtr &batch)
{
    if (!batch || batch->size() == 0)
        return;
    m_batches.append(batch);
    m_firstRows.append(m_rowCount);
    m_rowCount += batch->size();
    m_heldBytes += batch->frameSize + batch->count * qint64(sizeof(quint32)) + qint64(sizeof(RecordBatch));
}

void RecordStore::append(const RecordBatchList &batches)
{
    m_batches.reserve(m_batches.size() + batches.size());
    m_firstRows.reserve(m_firstRows.size() + batches.size());
    for (const RecordBatchPtr &batch : batches)
        append(batch);
}

void RecordStore::clear()
{
    *this = RecordStore();
}

qsizetype RecordStore::batchIndexOf(qint64 row) const
{
    Q_ASSERT(row >= 0 && row < m_rowCount);
    return qsizetype(std::upper_bound(m_firstRows.cbegin(), m_firstRows.cend(), row) - m_firstRows.cbegin()) - 1;
}

RecordStore::Location RecordStore::locate(qint64 row) const
{
    const qsizetype b = batchIndexOf(row);
    return Location{m_batches.at(b).get(), qsizetype(row - m_firstRows.at(b))};
}
