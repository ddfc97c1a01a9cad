// SPDX-License-Identifier: GPL-3.0-or-later
#include "csv.h"

#include "wireformat.h"

#include <QByteArrayView>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QVarLengthArray>

#include <algorithm>
#include <cstring>

namespace Csv {
namespace {

constexpr int RecordColumns = 7;
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

// The formula guard. A spreadsheet runs a cell starting with = + - @ TAB or CR, so such text
// is written behind an apostrophe. Text that already starts with apostrophes before one of
// those characters gets one more, and import removes exactly one from any field of the shape
// '+[=+-@\t\r]: so every string, even "'=x", comes back exactly as it was exported.
bool isFormulaStart(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

qsizetype leadingApostrophes(QByteArrayView bytes)
{
    qsizetype count = 0;
    while (count < bytes.size() && bytes[count] == '\'')
        ++count;
    return count;
}

bool needsFormulaGuard(QByteArrayView bytes)
{
    const qsizetype apostrophes = leadingApostrophes(bytes);
    return apostrophes < bytes.size() && isFormulaStart(bytes[apostrophes]);
}

bool hasFormulaGuard(QByteArrayView bytes)
{
    const qsizetype apostrophes = leadingApostrophes(bytes);
    return apostrophes > 0 && apostrophes < bytes.size() && isFormulaStart(bytes[apostrophes]);
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
// QDate's ISO text would be empty and the date silently lost).
void appendDate(QByteArray &out, QDate date)
{
    if (!date.isValid())
        return;
    appendDecimal(out, quint64(date.year()), 4);
    out += '-';
    appendDecimal(out, quint64(date.month()), 2);
    out += '-';
    appendDecimal(out, quint64(date.day()), 2);
}

// One record's seven CSV columns, whatever holds them (an Employee, a record read in place).
struct RecordFields
{
    quint32 id;
    QByteArrayView texts[4]; // name, department, title, email as UTF-8
    qint64 salaryCents;
    QDate hireDate;
};

template <typename AppendText>
void appendEmployee(QByteArray &out, const RecordFields &fields, char separator, AppendText appendText)
{
    appendDecimal(out, fields.id);
    for (QByteArrayView text : fields.texts) {
        out += separator;
        appendText(out, text);
    }
    out += separator;
    appendSalary(out, fields.salaryCents);
    out += separator;
    appendDate(out, fields.hireDate);
}

template <typename AppendText>
void appendEmployee(QByteArray &out, const Employee &e, char separator, AppendText appendText)
{
    const QByteArray name = e.name.toUtf8(), department = e.department.toUtf8(), title = e.title.toUtf8(),
                     email = e.email.toUtf8();
    appendEmployee(out, RecordFields{e.id, {name, department, title, email}, e.salaryCents, e.hireDate},
                   separator, appendText);
}

void appendEmployee(QByteArray &out, const Employee &employee)
{
    appendEmployee(out, employee, ',', appendTextField);
}

void appendReceived(QByteArray &out, const RecordStore::Location &at)
{
    using Text = RecordView::Text;
    const RecordView r = at.record();
    const RecordBatch &batch = *at.batch;
    appendEmployee(out,
                   RecordFields{r.id(), {r.utf8(Text::Name), r.utf8(Text::Department), r.utf8(Text::Title), r.utf8(Text::Email)},
                                r.salaryCents(), r.hireDate()},
                   ',', appendTextField);
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

struct FieldSpan
{
    qsizetype begin = 0;
    qsizetype end = 0;
    bool hasDoubledQuotes = false;
};

struct Record
{
    QVarLengthArray<FieldSpan, 16> fields;
    qint64 line = 0; // physical line the record starts on, 1-based
};

// Reads RFC 4180 records from a UTF-8 buffer: quoted fields may span lines and hold "" for a
// quote; records end with CRLF or LF; the last line end is optional; blank lines are skipped.
class Reader
{
public:
    explicit Reader(QByteArrayView data) : m_data(data) {}

    enum class Status { Record, End, Error };

    Status next(Record *record, QString *error)
    {
        skipBlankLines();
        if (m_pos >= m_data.size())
            return Status::End;
        record->fields.clear();
        record->line = m_line;
        for (;;) {
            const int column = int(record->fields.size()) + 1;
            const auto fail = [&](const char *what) {
                *error = QStringLiteral("Line %1, column %2: %3").arg(record->line).arg(column).arg(QLatin1String(what));
                return Status::Error;
            };
            FieldSpan field;
            if (m_pos < m_data.size() && m_data[m_pos] == '"') {
                field.begin = ++m_pos;
                for (;;) {
                    const void *found = std::memchr(m_data.data() + m_pos, '"', size_t(m_data.size() - m_pos));
                    if (!found)
                        return fail("unterminated quoted field.");
                    const qsizetype quote = static_cast<const char *>(found) - m_data.data();
                    m_line += std::count(m_data.data() + m_pos, m_data.data() + quote, '\n');
                    if (quote + 1 < m_data.size() && m_data[quote + 1] == '"') {
                        field.hasDoubledQuotes = true;
                        m_pos = quote + 2;
                        continue;
                    }
                    field.end = quote;
                    m_pos = quote + 1;
                    break;
                }
                if (m_pos < m_data.size() && !isFieldEnd(m_data[m_pos]))
                    return fail("unexpected text after the closing quote.");
            } else {
                field.begin = m_pos;
                while (m_pos < m_data.size() && !isFieldEnd(m_data[m_pos])) {
                    if (m_data[m_pos] == '"')
                        return fail("a quote may only appear inside a quoted field.");
                    ++m_pos;
                }
                field.end = m_pos;
            }
            record->fields.append(field);

            if (m_pos >= m_data.size())
                return Status::Record;
            const char separator = m_data[m_pos];
            if (separator == ',') {
                ++m_pos;
                continue;
            }
            if (separator == '\r') {
                if (m_pos + 1 >= m_data.size() || m_data[m_pos + 1] != '\n')
                    return fail("a carriage return outside quotes must be followed by a line feed.");
                ++m_pos;
            }
            ++m_pos;
            ++m_line;
            return Status::Record;
        }
    }

    // The field's bytes with "" turned into ", in scratch only when that is needed.
    QByteArrayView fieldBytes(const FieldSpan &field, QByteArray *scratch) const
    {
        const QByteArrayView raw = m_data.sliced(field.begin, field.end - field.begin);
        if (!field.hasDoubledQuotes)
            return raw;
        scratch->resize(0);
        for (qsizetype i = 0; i < raw.size(); ++i) {
            *scratch += raw[i];
            if (raw[i] == '"')
                ++i;
        }
        return *scratch;
    }

private:
    static bool isFieldEnd(char c) { return c == ',' || c == '\r' || c == '\n'; }

    void skipBlankLines()
    {
        for (;;) {
            if (m_pos < m_data.size() && m_data[m_pos] == '\n') {
                ++m_pos;
            } else if (m_pos + 1 < m_data.size() && m_data[m_pos] == '\r' && m_data[m_pos + 1] == '\n') {
                m_pos += 2;
            } else {
                return;
            }
            ++m_line;
        }
    }

    QByteArrayView m_data;
    qsizetype m_pos = 0;
    qint64 m_line = 1;
};

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

bool parseDate(QByteArrayView bytes, QDate *date)
{
    if (bytes.isEmpty()) {
        *date = QDate();
        return true;
    }
    if (bytes.size() != 10 || bytes[4] != '-' || bytes[7] != '-')
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
    if (!number(0, 4, &year) || !number(5, 2, &month) || !number(8, 2, &day))
        return false;
    const QDate parsed(year, month, day);
    if (!parsed.isValid())
        return false;
    *date = parsed;
    return true;
}

Result parse(QByteArrayView data, EmployeeList *out)
{
    Result result;
    const auto fail = [&](const QString &error) {
        result.ok = false;
        result.error = error;
        return result;
    };
    if (data.startsWith("\xEF\xBB\xBF"))
        data = data.sliced(3);

    Reader reader(data);
    Record record;
    QString error;
    QByteArray scratch;

    const Reader::Status headerStatus = reader.next(&record, &error);
    if (headerStatus == Reader::Status::Error)
        return fail(error);
    const QString headerError = QStringLiteral("Line %1: the header must start with %2.")
                                    .arg(headerStatus == Reader::Status::Record ? record.line : 1)
                                    .arg(QLatin1String(recordHeader));
    if (headerStatus == Reader::Status::End || record.fields.size() < RecordColumns)
        return fail(headerError);
    const QList<QByteArray> expectedNames = QByteArray(recordHeader).split(',');
    for (int column = 0; column < RecordColumns; ++column) {
        const QByteArrayView name = reader.fieldBytes(record.fields[column], &scratch);
        if (name.compare(expectedNames[column], Qt::CaseInsensitive) != 0)
            return fail(headerError);
    }
    const qsizetype columnCount = record.fields.size();

    EmployeeList employees;
    for (;;) {
        const Reader::Status status = reader.next(&record, &error);
        if (status == Reader::Status::End)
            break;
        if (status == Reader::Status::Error)
            return fail(error);
        const auto fieldError = [&](qsizetype column, const QString &what) {
            return fail(QStringLiteral("Line %1, column %2: %3").arg(record.line).arg(column).arg(what));
        };
        if (record.fields.size() != columnCount) {
            return fieldError(std::min(record.fields.size(), columnCount) + 1,
                              QStringLiteral("expected %1 fields, found %2.").arg(columnCount).arg(record.fields.size()));
        }

        Employee employee;
        if (!parseId(reader.fieldBytes(record.fields[0], &scratch), &employee.id))
            return fieldError(1, QStringLiteral("the id must be a whole number from 0 to 4294967295."));
        QString *const texts[] = {&employee.name, &employee.department, &employee.title, &employee.email};
        for (int i = 0; i < 4; ++i) {
            const int column = 2 + i;
            QByteArrayView bytes = reader.fieldBytes(record.fields[column - 1], &scratch);
            if (!isValidUtf8(bytes))
                return fieldError(column, QStringLiteral("the text is not valid UTF-8."));
            if (hasFormulaGuard(bytes))
                bytes = bytes.sliced(1);
            if (bytes.size() > Wire::MaxFieldBytes)
                return fieldError(column, QStringLiteral("the text is longer than %1 bytes of UTF-8.").arg(Wire::MaxFieldBytes));
            *texts[i] = QString::fromUtf8(bytes);
        }
        const QByteArrayView salary = reader.fieldBytes(record.fields[5], &scratch);
        if (!parseSalary(QString::fromLatin1(salary), &employee.salaryCents))
            return fieldError(6, QStringLiteral("the salary must be a decimal number with at most two decimals."));
        if (!parseDate(reader.fieldBytes(record.fields[6], &scratch), &employee.hireDate))
            return fieldError(7, QStringLiteral("the hire date must be a real date written as yyyy-MM-dd."));
        employees.append(std::move(employee));
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
    Result result;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        result.ok = false;
        result.error = QStringLiteral("Cannot read %1: %2.").arg(nativePath(path), file.errorString());
        return result;
    }
    if (file.size() > MaxImportBytes) {
        result.ok = false;
        result.error = QStringLiteral("Cannot import %1: the file is %2 MiB and files over 2 GiB are refused.")
                           .arg(nativePath(path))
                           .arg(file.size() / (1024 * 1024));
        return result;
    }
    // Read, not mapped: another process truncating a mapped file would crash us with SIGBUS.
    const QByteArray contents = file.readAll();
    if (file.error() != QFileDevice::NoError) {
        result.ok = false;
        result.error = QStringLiteral("Cannot read %1: %2.").arg(nativePath(path), file.errorString());
        return result;
    }
    return parse(contents, out);
}

Result parseEmployees(const QByteArray &utf8, EmployeeList *out)
{
    return parse(utf8, out);
}

} // namespace Csv
