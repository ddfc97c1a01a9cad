// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recordfields.h"

#include <QByteArray>
#include <QFile>
#include <QVarLengthArray>

#include <array>

// Reads employee CSV (the format Csv writes: RFC 4180, UTF-8, a header row naming the seven
// record columns first) one checked record at a time. A file is read in chunks, so memory is
// one chunk plus the row being read, whatever the file's size; bytes already in memory are read
// in place. Nothing is allocated per row.
//
// The rules are those of the import: an optional UTF-8 byte-order mark; header names compared
// without case; extra columns ignored, but every row has as many fields as the header; quoted
// fields may span lines and hold "" for a quote; CRLF or LF line ends, the last one optional;
// blank lines skipped; the formula guard's apostrophe removed; text strict UTF-8 of at most
// Wire::MaxFieldBytes bytes; salary as parseSalary() reads it; hire date yyyy-MM-dd or empty.
// The first bad row stops the reading with a sentence naming its line and column.
class IPCWCORE_EXPORT CsvReader
{
public:
    static constexpr qsizetype DefaultChunkBytes = 1 << 20;
    // Only a quote left open makes a row this long; refusing it keeps memory bounded.
    static constexpr qsizetype MaxRowBytes = 16 << 20;

    explicit CsvReader(const QString &path, qsizetype chunkBytes = DefaultChunkBytes);
    explicit CsvReader(QByteArrayView data);

    enum class Status { Record, End, Error };

    // The next record. The header is read and checked by the first call. The views in `record`
    // stay valid until the next call.
    Status next(RecordFields *record);

    // "Line 12, column 3: the id must be ..." or "Cannot read /path: reason."
    const QString &errorString() const { return m_error; }
    qint64 recordsRead() const { return m_records; }
    // Bytes consumed so far, of the whole input's size: the reading's progress.
    qint64 bytesRead() const { return m_dataOffset + m_pos; }
    qint64 totalBytes() const { return m_totalBytes; }

private:
    enum class Row { Record, End, Error, NeedMore };

    struct FieldSpan
    {
        qsizetype begin = 0;
        qsizetype end = 0;
        bool hasDoubledQuotes = false;
    };

    bool readHeader();
    Row readRow();
    Row parseRow();
    bool refill();
    bool ensureBytes(qsizetype count);
    Row fail(int column, const QString &what);
    QByteArrayView fieldBytes(int column);

    QFile m_file;
    QString m_path;
    qsizetype m_chunkBytes = 0;
    QByteArray m_buffer;     // file mode: the unfinished row and the chunk after it
    QByteArrayView m_data;   // what is parsed: m_buffer, or the caller's bytes
    qsizetype m_pos = 0;
    bool m_eof = false;
    qint64 m_line = 1;       // physical line at m_pos, 1-based
    qint64 m_rowLine = 1;    // the line the current row starts on
    QVarLengthArray<FieldSpan, 16> m_fields;
    std::array<QByteArray, 7> m_unquoted; // a field's bytes with "" made ", when it has any
    qsizetype m_columnCount = 0;          // set once the header was read
    qint64 m_records = 0;
    qint64 m_dataOffset = 0; // where m_data starts in the input
    qint64 m_totalBytes = 0;
    QString m_error;
};
