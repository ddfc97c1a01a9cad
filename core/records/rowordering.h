// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "largememory.h"
#include "recordstore.h"

#include <QString>

#include <atomic>
#include <functional>
#include <vector>

// How the user wants the receiver's table shown: sorted by a column, filtered by text, or both.
struct IPCWCORE_EXPORT RowQuery
{
    static constexpr int AllTextColumns = -1;

    int sortColumn = -1; // EmployeeTableModel::Column; -1: arrival order
    Qt::SortOrder order = Qt::AscendingOrder;
    QString filterText;  // case-insensitive substring; empty: every row
    int filterColumn = AllTextColumns;

    bool sorts() const { return sortColumn >= 0; }
    bool filters() const { return !filterText.isEmpty(); }
    bool isArrivalOrder() const { return !sorts() && !filters(); }
    bool operator==(const RowQuery &other) const;
    bool operator!=(const RowQuery &other) const { return !(*this == other); }
};

// One row of a sorted or filtered view: the store row and its sort key, taken once, so
// comparisons never search the store. 16 bytes a row.
struct RowEntry
{
    union {
        qint64 number;          // numeric columns
        const char *record;     // record text columns: the record, read in place
        const RecordBatch *batch; // the transport column
    } key;
    quint32 row;
};

// The work behind RecordViewModel, free of any model so it runs on a worker thread over a
// RecordStore snapshot and can be tested alone. Sorting is stable (ties keep arrival order),
// text sorts by Unicode code point (the UTF-8 bytes), numbers and dates by value, and the
// filter matches the text case-insensitively in the record's text columns (and the id when
// the text is digits), or in one chosen column.
class IPCWCORE_EXPORT RowOrdering
{
public:
    // Orders of 10 M rows are 160 MB, rewritten at every merge: huge pages (see LargeMemory).
    using Entries = std::vector<RowEntry, LargeMemory::Allocator<RowEntry>>;
    using Shifts = std::vector<quint32, LargeMemory::Allocator<quint32>>;
    // Called now and then with the fraction done (0..1); return false to stop.
    using Progress = std::function<bool(double)>;

    explicit RowOrdering(const RowQuery &query);

    // The view of rows [fromRow, store.rowCount()): filtered, then sorted. Empty and
    // `*cancelled` set when progress() said stop.
    Entries build(const RecordStore &store, qint64 fromRow, const Progress &progress, bool *cancelled) const;
    // `existing` and `added` both sorted: the merged view. `insertedBefore[i]` is how many
    // added entries land before existing entry i (for moving persistent indexes).
    Entries merge(const Entries &existing, const Entries &added, Shifts *insertedBefore) const;

    bool matches(const RecordStore::Location &at) const;

private:
    RowEntry entryFor(quint32 row, const RecordStore::Location &at) const;
    // Appends the entries of rows [fromRow, toRow) that match; false when progress(rows done)
    // said stop.
    bool take(const RecordStore &store, qint64 fromRow, qint64 toRow, Entries *entries,
              const std::function<bool(qint64)> &progress) const;
    bool less(const RowEntry &a, const RowEntry &b) const;
    void sortEntries(Entries &entries) const;
    bool fieldContains(QByteArrayView utf8) const;

    RowQuery m_query;
    enum class KeyKind { Number, RecordText, Transport } m_kind = KeyKind::Number;
    int m_textField = 0;            // RecordView::Text, for RecordText
    QByteArray m_asciiNeedle;       // lower-case ASCII needle: matched on the bytes directly
    bool m_needleIsAscii = true;
    bool m_needleIsDigits = false;
    bool m_needleNeedsNonAscii = false; // only non-ASCII text can match
};
