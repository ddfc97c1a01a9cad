// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recordbatch.h"

#include <QVector>

#include <algorithm>

// The receiver's records: validated batches in arrival order, addressed by row. Per row it costs
// the record's own bytes plus a 4-byte index (see RecordBatch); per batch a few dozen bytes.
// Append-only. A copy is a snapshot that costs next to nothing (implicitly shared vectors of
// immutable batches): a worker thread sorts, filters or exports a snapshot while the GUI thread
// goes on appending to the original.
class IPCWCORE_EXPORT RecordStore
{
public:
    struct Location
    {
        const RecordBatch *batch = nullptr;
        qsizetype index = 0; // record within the batch
        RecordView record() const { return batch->record(index); }
    };

    void append(const RecordBatchPtr &batch);
    void append(const RecordBatchList &batches);
    void clear();

    qint64 rowCount() const { return m_rowCount; }
    Location locate(qint64 row) const; // row in [0, rowCount())
    RecordView record(qint64 row) const { return locate(row).record(); }

    const RecordBatchList &batches() const { return m_batches; }
    qint64 firstRowOf(qsizetype batchIndex) const { return m_firstRows.at(batchIndex); }
    // Bytes of frames and indexes held, for the benchmark's bytes-per-row figure.
    qint64 heldBytes() const { return m_heldBytes; }

    // Calls visit(row, RecordView, const RecordBatch &) for rows [from, rowCount()) in order:
    // the fast way to walk many rows (no search per row).
    template <typename Visit> void forEach(qint64 from, Visit &&visit) const;

private:
    RecordBatchList m_batches;
    QVector<qint64> m_firstRows;
    qint64 m_rowCount = 0;
    qint64 m_heldBytes = 0;
};

template <typename Visit> void RecordStore::forEach(qint64 from, Visit &&visit) const
{
    if (from >= m_rowCount)
        return;
    qsizetype b = qsizetype(std::upper_bound(m_firstRows.cbegin(), m_firstRows.cend(), from) - m_firstRows.cbegin()) - 1;
    qint64 row = from;
    for (qsizetype i = qsizetype(from - m_firstRows.at(b)); b < m_batches.size(); ++b, i = 0) {
        const RecordBatch &batch = *m_batches.at(b);
        for (; i < batch.size(); ++i, ++row)
            visit(row, batch.record(i), batch);
    }
}
