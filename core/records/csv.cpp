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

void appendTextField(QByteArray &out, const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
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
void appendPlainField(QByteArray &out, const QString &text)
{
    QByteArray utf8 = text.toUtf8();
    utf8.replace('\t', ' ').replace('\r', ' ').replace('\n', ' ');
    if (needsFormulaGuard(utf8))
        out += '\'';
    out += utf8;
}

template <typename AppendText>
void appendEmployee(QByteArray &out, const Employee &employee, char separator, AppendText appendText)
{
    out += QByteArray::number(employee.id);
    for (const QString *text : {&employee.name, &employee.department, &employee.title, &employee.email}) {
        out += separator;
        appendText(out, *text);
    }
    out += separator;
    out += formatSalary(employee.salaryCents).toLatin1();
    out += separator;
    if (employee.hireDate.isValid())
        out += employee.hireDate.toString(Qt::ISODate).toLatin1();
}

void appendEmployee(QByteArray &out, const Employee &employee)
{
    appendEmployee(out, employee, ',', appendTextField);
}

void appendReceived(QByteArray &out, const ReceivedRecord &record)
{
    appendEmployee(out, record.employee);
    out += ',';
    out += QByteArray::number(record.sequence);
    out += ',';
    appendTextField(out, record.transport);
    out += ',';
    out += QByteArray::number(record.sentAtUs);
    out += ',';
    out += QByteArray::number(record.receivedAtUs);
    out += ',';
    out += QByteArray::number(record.latencyUs());
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
        file.cancelWriting();
        result.ok = false;
        result.error = QStringLiteral("Cannot write %1: %2.").arg(nativePath(path), reason);
        return result;
    };
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());

    QByteArray buffer;
    buffer.reserve(WriteChunkBytes + 64 * 1024);
    buffer += headerBytes(withReceiveColumns);
    buffer += "\r\n";
    const auto flush = [&] {
        const bool written = file.write(buffer) == buffer.size();
        buffer.resize(0); // keeps the capacity for the next chunk
        return written;
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
    RecordView record;
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

Result exportReceived(const QString &path, const ReceivedRecordList &rows, const QVector<int> &selectedRows,
                      const Progress &progress)
{
    if (selectedRows.isEmpty()) {
        return writeAtomically(path, true, rows.size(), progress,
                               [&](QByteArray &out, qint64 row) { appendReceived(out, rows.at(row)); });
    }
    for (int row : selectedRows) {
        if (row < 0 || row >= rows.size()) {
            Result result;
            result.ok = false;
            result.error = QStringLiteral("Cannot write %1: row %2 does not exist.").arg(nativePath(path)).arg(row);
            return result;
        }
    }
    return writeAtomically(path, true, selectedRows.size(), progress, [&](QByteArray &out, qint64 index) {
        appendReceived(out, rows.at(selectedRows.at(index)));
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
