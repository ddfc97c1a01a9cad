// SPDX-License-Identifier: GPL-3.0-or-later
#include "rowordering.h"

#include "employeetablemodel.h"
#include "recordfields.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <atomic>
#include <thread>

namespace {

using Column = EmployeeTableModel::Column;
using Text = RecordView::Text;

// Progress is reported (and cancellation noticed) every this many rows.
constexpr qint64 ProgressStride = 1 << 16;
// Below this, sorting on two threads costs more than it saves.
constexpr size_t ParallelSortMinimum = 1 << 16;

bool isRecordText(int column, int *field)
{
    switch (column) {
    case Column::Name: *field = int(Text::Name); return true;
    case Column::Department: *field = int(Text::Department); return true;
    case Column::Title: *field = int(Text::Title); return true;
    case Column::Email: *field = int(Text::Email); return true;
    default: return false;
    }
}

qint64 numberKey(int column, const RecordStore::Location &at)
{
    const RecordView record = at.record();
    switch (column) {
    case Column::Id: return record.id();
    case Column::Salary: return record.salaryCents();
    case Column::HireDate: {
        const QDate date = record.hireDate();
        return date.isValid() ? date.toJulianDay() : std::numeric_limits<qint64>::min(); // no date first
    }
    case Column::Sequence: return qint64(at.batch->sequence);
    case Column::SentAt: return at.batch->sentAtUs;
    case Column::ReceivedAt: return at.batch->receivedAtUs;
    case Column::LatencyUs: return at.batch->latencyUs();
    default: return 0;
    }
}

int compareBytes(QByteArrayView a, QByteArrayView b)
{
    const int common = std::memcmp(a.data(), b.data(), size_t(qMin(a.size(), b.size())));
    if (common != 0)
        return common;
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

// `needle` is lower-case ASCII. Non-ASCII bytes of `haystack` never equal an ASCII byte, so
// matching on bytes is exact for ASCII needles (the rare Unicode folds to ASCII letters, such as
// U+212A KELVIN SIGN to "k", are not matched).
bool containsAsciiCaseInsensitive(QByteArrayView haystack, const QByteArray &needle)
{
    const qsizetype last = haystack.size() - needle.size();
    for (qsizetype i = 0; i <= last; ++i) {
        qsizetype j = 0;
        while (j < needle.size() && asciiLower(haystack[i + j]) == needle[j])
            ++j;
        if (j == needle.size())
            return true;
    }
    return false;
}

} // namespace

bool RowQuery::operator==(const RowQuery &o) const
{
    return sortColumn == o.sortColumn && (sortColumn < 0 || order == o.order) && filterText == o.filterText
        && (filterText.isEmpty() || filterColumn == o.filterColumn);
}

RowOrdering::RowOrdering(const RowQuery &query) : m_query(query)
{
    if (isRecordText(query.sortColumn, &m_textField))
        m_kind = KeyKind::RecordText;
    else if (query.sortColumn == Column::Transport)
        m_kind = KeyKind::Transport;
    const QString needle = query.filterText;
    m_needleIsAscii = std::all_of(needle.cbegin(), needle.cend(), [](QChar c) { return c.unicode() < 0x80; });
    m_needleIsDigits = !needle.isEmpty() && std::all_of(needle.cbegin(), needle.cend(), [](QChar c) { return c.isDigit(); });
    if (m_needleIsAscii)
        m_asciiNeedle = needle.toLower().toLatin1();
    // Non-ASCII characters whose case folding is non-ASCII too (not U+212A KELVIN SIGN, U+017F
    // LONG S and the like, which match ASCII letters).
    m_needleNeedsNonAscii = std::any_of(needle.cbegin(), needle.cend(), [](QChar c) {
        return c.unicode() >= 0x80 && QString(c).toCaseFolded().front().unicode() >= 0x80
            && QString(c).toUpper().front().unicode() >= 0x80 && QString(c).toLower().front().unicode() >= 0x80;
    });
}

RowEntry RowOrdering::entryFor(quint32 row, const RecordStore::Location &at) const
{
    RowEntry entry;
    entry.row = row;
    switch (m_kind) {
    case KeyKind::Number: entry.key.number = m_query.sorts() ? numberKey(m_query.sortColumn, at) : 0; break;
    case KeyKind::RecordText: entry.key.record = at.batch->recordBytes(at.index); break;
    case KeyKind::Transport: entry.key.batch = at.batch; break;
    }
    return entry;
}

bool RowOrdering::less(const RowEntry &a, const RowEntry &b) const
{
    int order = 0;
    switch (m_kind) {
    case KeyKind::Number:
        order = a.key.number < b.key.number ? -1 : (a.key.number > b.key.number ? 1 : 0);
        break;
    case KeyKind::RecordText:
        order = compareBytes(RecordView(a.key.record).utf8(Text(m_textField)),
                             RecordView(b.key.record).utf8(Text(m_textField)));
        break;
    case KeyKind::Transport:
        order = a.key.batch->transport.compare(b.key.batch->transport);
        break;
    }
    if (m_query.order == Qt::DescendingOrder)
        order = -order;
    return order != 0 ? order < 0 : a.row < b.row; // ties keep arrival order
}

void RowOrdering::sortEntries(Entries &entries) const
{
    if (!m_query.sorts())
        return; // rows were taken in arrival order
    const auto comparator = [this](const RowEntry &a, const RowEntry &b) { return less(a, b); };
    if (entries.size() < ParallelSortMinimum) {
        std::sort(entries.begin(), entries.end(), comparator);
        return;
    }
    // Two halves on two threads, then one merge: about half the time on a two-core machine.
    const auto middle = entries.begin() + std::ptrdiff_t(entries.size() / 2);
    std::thread firstHalf([&] { std::sort(entries.begin(), middle, comparator); });
    std::sort(middle, entries.end(), comparator);
    firstHalf.join();
    std::inplace_merge(entries.begin(), middle, entries.end(), comparator);
}

bool RowOrdering::fieldContains(QByteArrayView utf8) const
{
    if (m_needleIsAscii)
        return containsAsciiCaseInsensitive(utf8, m_asciiNeedle);
    // A needle with a letter that stays non-ASCII in every case cannot be in ASCII text: most
    // fields are, and are spared decoding.
    if (m_needleNeedsNonAscii && std::all_of(utf8.cbegin(), utf8.cend(), [](char c) { return quint8(c) < 0x80; }))
        return false;
    return RecordFields::text(utf8).contains(m_query.filterText, Qt::CaseInsensitive);
}

bool RowOrdering::matches(const RecordStore::Location &at) const
{
    if (!m_query.filters())
        return true;
    const RecordView record = at.record();
    int field = 0;
    if (m_query.filterColumn == RowQuery::AllTextColumns) {
        for (Text text : {Text::Name, Text::Department, Text::Title, Text::Email})
            if (fieldContains(record.utf8(text)))
                return true;
        return m_needleIsDigits && QByteArray::number(record.id()).contains(m_asciiNeedle);
    }
    if (isRecordText(m_query.filterColumn, &field))
        return fieldContains(record.utf8(Text(field)));
    // Any other column: its text as the table shows it.
    return EmployeeTableModel::cell(at, m_query.filterColumn, Qt::DisplayRole)
        .toString().contains(m_query.filterText, Qt::CaseInsensitive);
}

bool RowOrdering::take(const RecordStore &store, qint64 fromRow, qint64 toRow, Entries *entries,
                       const std::function<bool(qint64)> &progress) const
{
    const RecordBatchList &batches = store.batches();
    qsizetype b = store.batchIndexOf(fromRow);
    qint64 row = fromRow;
    for (; b < batches.size() && row < toRow; ++b) {
        const RecordBatch *batch = batches.at(b).get();
        const qint64 first = store.firstRowOf(b);
        const qsizetype end = qsizetype(qMin<qint64>(batch->size(), toRow - first));
        for (qsizetype i = qsizetype(row - first); i < end; ++i, ++row) {
            const RecordStore::Location at{batch, i};
            if (matches(at))
                entries->push_back(entryFor(quint32(row), at));
            if ((row - fromRow) % ProgressStride == 0 && progress && !progress(row - fromRow))
                return false;
        }
    }
    return true;
}

RowOrdering::Entries RowOrdering::build(const RecordStore &store, qint64 fromRow, const Progress &progress,
                                        bool *cancelled) const
{
    *cancelled = false;
    const qint64 rows = store.rowCount() - fromRow;
    if (rows <= 0)
        return {};
    // Taking keys (and filtering) is about half the work of a sort and all of a filter: two
    // threads take a half each, the first one reporting for both.
    const double takeShare = m_query.sorts() ? 0.5 : 1.0;
    const qint64 middle = rows < qint64(ParallelSortMinimum) ? store.rowCount() : fromRow + rows / 2;
    Entries entries, second;
    if (!m_query.filters())
        entries.reserve(size_t(rows));
    std::atomic<bool> stop{false};
    std::thread secondHalf;
    if (middle < store.rowCount()) {
        second.reserve(m_query.filters() ? 0 : size_t(store.rowCount() - middle));
        secondHalf = std::thread([&] {
            take(store, middle, store.rowCount(), &second, [&stop](qint64) { return !stop.load(); });
        });
    }
    const bool taken = take(store, fromRow, middle, &entries, [&](qint64 done) {
        const bool goOn = !progress || progress(takeShare * double(done) / double(middle - fromRow));
        if (!goOn)
            stop = true;
        return goOn;
    });
    if (secondHalf.joinable())
        secondHalf.join();
    if (!taken || (progress && !progress(takeShare))) {
        *cancelled = true;
        return {};
    }
    entries.insert(entries.end(), second.begin(), second.end());
    sortEntries(entries);
    return entries;
}

RowOrdering::Entries RowOrdering::merge(const Entries &existing, const Entries &added,
                                        Shifts *insertedBefore) const
{
    Entries merged;
    merged.reserve(existing.size() + added.size());
    insertedBefore->assign(existing.size(), 0);
    size_t a = 0;
    for (size_t e = 0; e < existing.size(); ++e) {
        // In arrival order (filter only) every new row comes after every older one.
        while (m_query.sorts() && a < added.size() && less(added[a], existing[e]))
            merged.push_back(added[a++]);
        (*insertedBefore)[e] = quint32(a);
        merged.push_back(existing[e]);
    }
    merged.insert(merged.end(), added.begin() + std::ptrdiff_t(a), added.end());
    return merged;
}
