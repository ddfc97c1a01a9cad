// SPDX-License-Identifier: GPL-3.0-or-later
#include "csv.h"

#include "csvreader.h"
#include "formulaguard.h"

#include <QByteArrayView>
#include <QDir>
#include <QSaveFile>

#include <algorithm>

namespace Csv {
namespace {

constexpr qint64 ProgressInterval = 10000;
// Rows are gathered in memory and written in chunks this big: few system calls, bounded memory.
constexpr qsizetype WriteChunkBytes = 1 << 20;
constexpr qint64 MaxImportBytes = qint64(2) * 1024 * 1024 * 1024;

const char *const recordHeader = "id,name,department,title,email,salary,hire_date";
const char *const receiveHeader = "sequence,transport,sent_at_us,received_at_us,latency_us";

QString nativePath(const QString &path)
{
    return QDir::toNativeSeparators(path);
}

void appendTextField(QByteArray &out, QByteArrayView utf8)
{
    const bool guard = needsFormulaGuard(utf8);
    const bool quote = std::any_of(utf8.cbegin(), utf8.cend(),
                                   [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
    if (!quote) {
        if (guard)
            out += '\'';
        out += utf8;
        return;
    }
    out += '"';
    if (guard)
        out += '\'';
    for (char c : utf8) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

// Tab-separated text (the clipboard's text/plain, which spreadsheets paste as cells): no
// quoting exists there, so tabs and line breaks inside a field become spaces; the formula guard
// is the CSV's.
void appendPlainField(QByteArray &out, QByteArrayView utf8)
{
    if (needsFormulaGuard(utf8))
        out += '\'';
    for (char c : utf8)
        out += (c == '\t' || c == '\r' || c == '\n') ? ' ' : c;
}

void appendDecimal(QByteArray &out, quint64 value, int minDigits = 1)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = char('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (; n < minDigits; ++n)
        digits[n] = '0';
    while (n > 0)
        out += digits[--n];
}

// As formatSalary(), without a QString per row.
void appendSalary(QByteArray &out, qint64 cents)
{
    const quint64 magnitude = cents < 0 ? quint64(0) - quint64(cents) : quint64(cents);
    if (cents < 0)
        out += '-';
    appendDecimal(out, magnitude / 100);
    out += '.';
    appendDecimal(out, magnitude % 100, 2);
}

// YYYY-MM-DD, and the same form for the years 10000 to 65535 the wire format allows (where
// QDate's ISO text would be empty and the date silently lost). 0-0-0, no date, is empty.
void appendDate(QByteArray &out, quint16 year, quint8 month, quint8 day)
{
    if (year == 0 && month == 0 && day == 0)
        return;
    appendDecimal(out, year, 4);
    out += '-';
    appendDecimal(out, month, 2);
    out += '-';
    appendDecimal(out, day, 2);
}

template <typename AppendText>
void appendEmployee(QByteArray &out, const RecordFields &fields, char separator, AppendText appendText)
{
    appendDecimal(out, fields.id);
    for (QByteArrayView text : {fields.name, fields.department, fields.title, fields.email}) {
        out += separator;
        appendText(out, text);
    }
    out += separator;
    appendSalary(out, fields.salaryCents);
    out += separator;
    appendDate(out, fields.hireYear, fields.hireMonth, fields.hireDay);
}

template <typename AppendText>
void appendEmployee(QByteArray &out, const Employee &e, char separator, AppendText appendText)
{
    const QByteArray name = e.name.toUtf8(), department = e.department.toUtf8(), title = e.title.toUtf8(),
                     email = e.email.toUtf8();
    const QDate date = e.hireDate;
    RecordFields fields;
    fields.id = e.id;
    fields.salaryCents = e.salaryCents;
    if (date.isValid()) {
        fields.hireYear = quint16(date.year());
        fields.hireMonth = quint8(date.month());
        fields.hireDay = quint8(date.day());
    }
    fields.name = name;
    fields.department = department;
    fields.title = title;
    fields.email = email;
    appendEmployee(out, fields, separator, appendText);
}

void appendEmployee(QByteArray &out, const Employee &employee)
{
    appendEmployee(out, employee, ',', appendTextField);
}

void appendReceived(QByteArray &out, const RecordStore::Location &at)
{
    const RecordBatch &batch = *at.batch;
    appendEmployee(out, at.record().fields(), ',', appendTextField);
    out += ',';
    appendDecimal(out, batch.sequence);
    out += ',';
    appendTextField(out, batch.transport.toUtf8());
    out += ',';
    out += QByteArray::number(batch.sentAtUs);
    out += ',';
    out += QByteArray::number(batch.receivedAtUs);
    out += ',';
    out += QByteArray::number(batch.latencyUs());
}

QByteArray headerBytes(bool withReceiveColumns)
{
    QByteArray header(recordHeader);
    if (withReceiveColumns) {
        header += ',';
        header += receiveHeader;
    }
    return header;
}

// Writes `count` rows produced by appendRow(out, i) to path through a QSaveFile, so the target
// is only replaced once every row is on disk.
template <typename AppendRow>
Result writeAtomically(const QString &path, bool withReceiveColumns, qint64 count,
                       const Progress &progress, AppendRow appendRow)
{
    Result result;
    QSaveFile file(path);
    const auto fail = [&](const QString &reason) {
        // Qt reports a full disk as a ResourceError (ENOSPC); say it in a user's words.
        const bool diskFull = file.error() == QFileDevice::ResourceError;
        file.cancelWriting();
        result.ok = false;
        result.error = diskFull ? QStringLiteral("Cannot write %1: the disk is full (%2). Any file already there was "
                                                 "left unchanged; free some space or export to another place.")
                                      .arg(nativePath(path), reason)
                                : QStringLiteral("Cannot write %1: %2.").arg(nativePath(path), reason);
        return result;
    };
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());

    QByteArray buffer;
    buffer.reserve(WriteChunkBytes + 64 * 1024);
    buffer += headerBytes(withReceiveColumns);
    buffer += "\r\n";
    // A short write sets no error (Qt returns what fit, as write(2) does): write the rest, and
    // the call that cannot write anything reports why, such as a full disk.
    const auto flush = [&] {
        qsizetype done = 0;
        while (done < buffer.size()) {
            const qint64 n = file.write(buffer.constData() + done, buffer.size() - done);
            if (n <= 0)
                return false;
            done += qsizetype(n);
        }
        buffer.resize(0); // keeps the capacity for the next chunk
        return true;
    };
    for (qint64 row = 0; row < count; ++row) {
        appendRow(buffer, row);
        buffer += "\r\n";
        if (buffer.size() >= WriteChunkBytes && !flush())
            return fail(file.errorString());
        if (progress && (row + 1) % ProgressInterval == 0 && !progress(row + 1, count)) {
            file.cancelWriting();
            result.ok = false;
            result.error = QStringLiteral("Export cancelled.");
            return result;
        }
    }
    if (!flush())
        return fail(file.errorString());
    if (progress && !progress(count, count)) {
        file.cancelWriting();
        result.ok = false;
        result.error = QStringLiteral("Export cancelled.");
        return result;
    }
    if (!file.commit())
        return fail(file.errorString());
    result.rows = count;
    return result;
}

// The whole input as Employee values: a failed import is never half-applied.
Result readAll(CsvReader &reader, EmployeeList *out)
{
    Result result;
    EmployeeList employees;
    RecordFields record;
    CsvReader::Status status;
    while ((status = reader.next(&record)) == CsvReader::Status::Record)
        employees.append(record.toEmployee());
    if (status == CsvReader::Status::Error) {
        result.ok = false;
        result.error = reader.errorString();
        return result;
    }
    result.rows = employees.size();
    if (out)
        *out = std::move(employees);
    return result;
}

} // namespace

QString headerLine(bool withReceiveColumns)
{
    return QString::fromLatin1(headerBytes(withReceiveColumns));
}

QByteArray encode(const EmployeeList &employees)
{
    QByteArray out = headerBytes(false);
    out += "\r\n";
    for (const Employee &employee : employees) {
        appendEmployee(out, employee);
        out += "\r\n";
    }
    return out;
}

QByteArray encodeTabSeparated(const EmployeeList &employees)
{
    QByteArray out = headerBytes(false).replace(',', '\t');
    out += '\n';
    for (const Employee &employee : employees) {
        appendEmployee(out, employee, '\t', appendPlainField);
        out += '\n';
    }
    return out;
}

Result exportEmployees(const QString &path, const EmployeeList &employees, const Progress &progress)
{
    return writeAtomically(path, false, employees.size(), progress,
                           [&](QByteArray &out, qint64 row) { appendEmployee(out, employees.at(row)); });
}

Result exportReceived(const QString &path, const RecordStore &store, const QVector<qint64> &rows,
                      const Progress &progress)
{
    if (rows.isEmpty()) {
        // Arrival order: walk the batches rather than search for every row.
        RecordStore::Location at{store.rowCount() > 0 ? store.batches().constFirst().get() : nullptr, 0};
        qsizetype batchIndex = 0;
        return writeAtomically(path, true, store.rowCount(), progress, [&](QByteArray &out, qint64) {
            if (at.index == at.batch->size())
                at = RecordStore::Location{store.batches().at(++batchIndex).get(), 0};
            appendReceived(out, at);
            ++at.index;
        });
    }
    for (qint64 row : rows) {
        if (row < 0 || row >= store.rowCount()) {
            Result result;
            result.ok = false;
            result.error = QStringLiteral("Cannot write %1: row %2 does not exist.").arg(nativePath(path)).arg(row);
            return result;
        }
    }
    return writeAtomically(path, true, rows.size(), progress, [&](QByteArray &out, qint64 index) {
        appendReceived(out, store.locate(rows.at(index)));
    });
}

Result importEmployees(const QString &path, EmployeeList *out)
{
    CsvReader reader(path);
    // Every row is kept as an Employee here, so the file's size is still capped; CsvReader
    // itself streams files of any size.
    if (reader.errorString().isEmpty() && reader.totalBytes() > MaxImportBytes) {
        Result result;
        result.ok = false;
        result.error = QStringLiteral("Cannot import %1: the file is %2 MiB and files over 2 GiB are refused.")
                           .arg(nativePath(path))
                           .arg(reader.totalBytes() / (1024 * 1024));
        return result;
    }
    return readAll(reader, out);
}

Result parseEmployees(const QByteArray &utf8, EmployeeList *out)
{
    CsvReader reader{QByteArrayView(utf8)};
    return readAll(reader, out);
}

} // namespace Csv
