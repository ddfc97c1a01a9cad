// SPDX-License-Identifier: GPL-3.0-or-later
#include "csvreader.h"

#include "csv.h"
#include "formulaguard.h"
#include "wireformat.h"

#include <QDir>

#include <algorithm>
#include <cstring>

namespace {

constexpr int RecordColumns = 7;

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): QString::fromUtf8
// would silently turn bad bytes into U+FFFD and the import would change the data unnoticed.
bool isValidUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const auto *end = p + bytes.size();
    while (p < end) {
        const unsigned char lead = *p;
        if (lead < 0x80) {
            ++p;
            continue;
        }
        int continuation;
        unsigned char min = 0x80, max = 0xBF; // allowed range of the first continuation byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            continuation = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            continuation = 2;
            if (lead == 0xE0)
                min = 0xA0;
            else if (lead == 0xED)
                max = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            continuation = 3;
            if (lead == 0xF0)
                min = 0x90;
            else if (lead == 0xF4)
                max = 0x8F;
        } else {
            return false;
        }
        if (end - p <= continuation)
            return false;
        if (p[1] < min || p[1] > max)
            return false;
        for (int i = 2; i <= continuation; ++i)
            if (p[i] < 0x80 || p[i] > 0xBF)
                return false;
        p += continuation + 1;
    }
    return true;
}

bool parseId(QByteArrayView bytes, quint32 *id)
{
    if (bytes.isEmpty() || bytes.size() > 10)
        return false;
    quint64 value = 0;
    for (char c : bytes) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + quint64(c - '0');
    }
    if (value > 0xFFFFFFFFull)
        return false;
    *id = quint32(value);
    return true;
}

// yyyy-MM-dd, a real date, with a fifth year digit for the years 10000 to 65535 the wire format
// carries; empty is "no hire date" (0/0/0).
bool parseDate(QByteArrayView bytes, RecordFields *record)
{
    if (bytes.isEmpty()) {
        record->hireYear = 0;
        record->hireMonth = 0;
        record->hireDay = 0;
        return true;
    }
    const int yearDigits = int(bytes.size()) - 6;
    if ((yearDigits != 4 && yearDigits != 5) || bytes[yearDigits] != '-' || bytes[yearDigits + 3] != '-')
        return false;
    const auto number = [&](int from, int length, int *value) {
        *value = 0;
        for (int i = from; i < from + length; ++i) {
            if (bytes[i] < '0' || bytes[i] > '9')
                return false;
            *value = *value * 10 + (bytes[i] - '0');
        }
        return true;
    };
    int year, month, day;
    if (!number(0, yearDigits, &year) || !number(yearDigits + 1, 2, &month) || !number(yearDigits + 4, 2, &day))
        return false;
    if (year < 1 || year > 65535 || (yearDigits == 5 && year < 10000) || !QDate::isValid(year, month, day))
        return false;
    record->hireYear = quint16(year);
    record->hireMonth = quint8(month);
    record->hireDay = quint8(day);
    return true;
}

bool isFieldEnd(char c)
{
    return c == ',' || c == '\r' || c == '\n';
}

} // namespace

CsvReader::CsvReader(const QString &path, qsizetype chunkBytes)
    : m_file(path), m_path(QDir::toNativeSeparators(path)), m_chunkBytes(qMax<qsizetype>(1, chunkBytes))
{
    // Read, not mapped: another process truncating a mapped file would crash us with SIGBUS.
    if (!m_file.open(QIODevice::ReadOnly))
        m_error = QStringLiteral("Cannot read %1: %2.").arg(m_path, m_file.errorString());
    else
        m_totalBytes = m_file.size();
}

CsvReader::CsvReader(QByteArrayView data) : m_data(data), m_eof(true), m_totalBytes(data.size()) {}

CsvReader::Status CsvReader::next(RecordFields *record)
{
    if (!m_error.isEmpty())
        return Status::Error;
    if (m_columnCount == 0 && !readHeader())
        return Status::Error;

    switch (readRow()) {
    case Row::End:
        return Status::End;
    case Row::Error:
    case Row::NeedMore:
        return Status::Error;
    case Row::Record:
        break;
    }
    const auto fieldError = [&](qsizetype column, const QString &what) {
        m_error = QStringLiteral("Line %1, column %2: %3").arg(m_rowLine).arg(column).arg(what);
        return Status::Error;
    };
    if (m_fields.size() != m_columnCount) {
        return fieldError(std::min(m_fields.size(), m_columnCount) + 1,
                          QStringLiteral("expected %1 fields, found %2.").arg(m_columnCount).arg(m_fields.size()));
    }
    if (!parseId(fieldBytes(1), &record->id))
        return fieldError(1, QStringLiteral("the id must be a whole number from 0 to 4294967295."));
    QByteArrayView *const texts[] = {&record->name, &record->department, &record->title, &record->email};
    for (int i = 0; i < 4; ++i) {
        const int column = 2 + i;
        QByteArrayView bytes = fieldBytes(column);
        if (!isValidUtf8(bytes))
            return fieldError(column, QStringLiteral("the text is not valid UTF-8."));
        if (Csv::hasFormulaGuard(bytes))
            bytes = bytes.sliced(1);
        if (bytes.size() > Wire::MaxFieldBytes)
            return fieldError(column, QStringLiteral("the text is longer than %1 bytes of UTF-8.").arg(Wire::MaxFieldBytes));
        *texts[i] = bytes;
    }
    const QByteArrayView salary = fieldBytes(6);
    if (!parseSalary(QLatin1StringView(salary.data(), salary.size()), &record->salaryCents))
        return fieldError(6, QStringLiteral("the salary must be a decimal number with at most two decimals."));
    if (!parseDate(fieldBytes(7), record))
        return fieldError(7, QStringLiteral("the hire date must be a real date from 0001-01-01 to 65535-12-31, "
                                            "written as yyyy-MM-dd (a fifth year digit from the year 10000)."));
    ++m_records;
    return Status::Record;
}

bool CsvReader::readHeader()
{
    if (!ensureBytes(3))
        return false;
    if (m_data.sliced(m_pos).startsWith("\xEF\xBB\xBF"))
        m_pos += 3;
    const Row row = readRow();
    if (row == Row::Error || row == Row::NeedMore)
        return false;
    const QByteArray expected = Csv::headerLine(false).toLatin1();
    const QList<QByteArray> expectedNames = expected.split(',');
    bool ok = row == Row::Record && m_fields.size() >= RecordColumns;
    for (int column = 1; ok && column <= RecordColumns; ++column)
        ok = fieldBytes(column).compare(expectedNames[column - 1], Qt::CaseInsensitive) == 0;
    if (!ok) {
        m_error = QStringLiteral("Line %1: the header must start with %2.")
                      .arg(row == Row::Record ? m_rowLine : 1)
                      .arg(QLatin1StringView(expected));
        return false;
    }
    m_columnCount = m_fields.size();
    return true;
}

// One row, reading more of the file whenever the row runs past what is buffered: the row is
// then parsed again from its start, which costs one row per chunk.
CsvReader::Row CsvReader::readRow()
{
    for (;;) {
        const qsizetype start = m_pos;
        const qint64 line = m_line;
        const Row row = parseRow();
        if (row != Row::NeedMore)
            return row;
        m_pos = start;
        m_line = line;
        if (!refill())
            return Row::Error;
    }
}

CsvReader::Row CsvReader::fail(int column, const QString &what)
{
    m_error = QStringLiteral("Line %1, column %2: %3").arg(m_rowLine).arg(column).arg(what);
    return Row::Error;
}

// RFC 4180 as the import always read it. Wherever a decision needs a byte that is not buffered
// yet, the answer is NeedMore, unless the input has ended.
CsvReader::Row CsvReader::parseRow()
{
    const qsizetype size = m_data.size();
    const char *const data = m_data.data();
    for (;;) { // blank lines
        if (m_pos < size && data[m_pos] == '\n') {
            ++m_pos;
        } else if (m_pos < size && data[m_pos] == '\r') {
            if (m_pos + 1 >= size && !m_eof)
                return Row::NeedMore;
            if (m_pos + 1 >= size || data[m_pos + 1] != '\n')
                break;
            m_pos += 2;
        } else {
            break;
        }
        ++m_line;
    }
    if (m_pos >= size)
        return m_eof ? Row::End : Row::NeedMore;

    m_fields.clear();
    m_rowLine = m_line;
    for (;;) {
        const int column = int(m_fields.size()) + 1;
        if (m_pos >= size && !m_eof)
            return Row::NeedMore;
        FieldSpan field;
        if (m_pos < size && data[m_pos] == '"') {
            field.begin = ++m_pos;
            for (;;) {
                const void *found = std::memchr(data + m_pos, '"', size_t(size - m_pos));
                if (!found)
                    return m_eof ? fail(column, QStringLiteral("unterminated quoted field.")) : Row::NeedMore;
                const qsizetype quote = static_cast<const char *>(found) - data;
                if (quote + 1 >= size && !m_eof)
                    return Row::NeedMore; // a closing quote, or the first of a doubled one?
                m_line += std::count(data + m_pos, data + quote, '\n');
                if (quote + 1 < size && data[quote + 1] == '"') {
                    field.hasDoubledQuotes = true;
                    m_pos = quote + 2;
                    continue;
                }
                field.end = quote;
                m_pos = quote + 1;
                break;
            }
            if (m_pos >= size && !m_eof)
                return Row::NeedMore;
            if (m_pos < size && !isFieldEnd(data[m_pos]))
                return fail(column, QStringLiteral("unexpected text after the closing quote."));
        } else {
            field.begin = m_pos;
            while (m_pos < size && !isFieldEnd(data[m_pos])) {
                if (data[m_pos] == '"')
                    return fail(column, QStringLiteral("a quote may only appear inside a quoted field."));
                ++m_pos;
            }
            if (m_pos >= size && !m_eof)
                return Row::NeedMore;
            field.end = m_pos;
        }
        m_fields.append(field);

        if (m_pos >= size)
            return Row::Record; // the last line end is optional
        const char separator = data[m_pos];
        if (separator == ',') {
            ++m_pos;
            continue;
        }
        if (separator == '\r') {
            if (m_pos + 1 >= size && !m_eof)
                return Row::NeedMore;
            if (m_pos + 1 >= size || data[m_pos + 1] != '\n')
                return fail(column, QStringLiteral("a carriage return outside quotes must be followed by a line feed."));
            ++m_pos;
        }
        ++m_pos;
        ++m_line;
        return Row::Record;
    }
}

// Keeps the unfinished row (from m_pos on), drops what was parsed before it, and reads the
// next chunk after it.
bool CsvReader::refill()
{
    if (m_eof)
        return false;
    const qsizetype kept = m_buffer.size() - m_pos;
    if (kept > MaxRowBytes) {
        m_error = QStringLiteral("Line %1: the record is longer than %2 MiB, so it was not read; "
                                 "a quoted field is probably missing its closing quote.")
                      .arg(m_line).arg(MaxRowBytes >> 20);
        return false;
    }
    std::memmove(m_buffer.data(), m_buffer.constData() + m_pos, size_t(kept));
    m_dataOffset += m_pos;
    m_pos = 0;
    m_buffer.resize(kept + m_chunkBytes);
    const qint64 read = m_file.read(m_buffer.data() + kept, m_chunkBytes);
    if (read < 0) {
        m_error = QStringLiteral("Cannot read %1: %2.").arg(m_path, m_file.errorString());
        return false;
    }
    m_buffer.resize(kept + read);
    m_eof = read == 0;
    m_data = m_buffer;
    return true;
}

// At least `count` bytes buffered after m_pos, or all there is.
bool CsvReader::ensureBytes(qsizetype count)
{
    while (m_data.size() - m_pos < count && !m_eof) {
        if (!refill())
            return false;
    }
    return true;
}

QByteArrayView CsvReader::fieldBytes(int column)
{
    const FieldSpan &field = m_fields[column - 1];
    const QByteArrayView raw = m_data.sliced(field.begin, field.end - field.begin);
    if (!field.hasDoubledQuotes)
        return raw;
    QByteArray &unquoted = m_unquoted[size_t(column - 1)];
    unquoted.resize(0); // keeps the capacity: no allocation per row once warm
    for (qsizetype i = 0; i < raw.size(); ++i) {
        unquoted += raw[i];
        if (raw[i] == '"')
            ++i;
    }
    return unquoted;
}
