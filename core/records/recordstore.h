// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recordbatch.h"

#include <QVector>

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
    qsizetype batchIndexOf(qint64 row) const; // row in [0, rowCount())
    // Bytes of frames and indexes held, for the benchmark's bytes-per-row figure.
    qint64 heldBytes() const { return m_heldBytes; }

private:
    RecordBatchList m_batches;
    QVector<qint64> m_firstRows;
    qint64 m_rowCount = 0;
    qint64 m_heldBytes = 0;
};
