// SPDX-License-Identifier: GPL-3.0-or-later
// The CSV importer: bytes in memory (CsvReader over a view, Csv::parseEmployees) and the same
// bytes as a file read in small chunks (CsvReader over a path, CsvSource::check), which must
// agree on every record and on the sentence for the first bad row.
//
// Input: one byte for the file reader's chunk size (1..256), then the CSV.
#include "fuzzharness.h"

#include "csv.h"
#include "csvreader.h"
#include "csvsource.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdio>

namespace {

using Fuzz::require;

struct Import
{
    EmployeeList records;
    bool ok = false;
    QString error;
};

Import readAll(CsvReader &reader)
{
    Import import;
    RecordFields fields;
    CsvReader::Status status;
    while ((status = reader.next(&fields)) == CsvReader::Status::Record) {
        for (QByteArrayView text : {fields.name, fields.department, fields.title, fields.email})
            require(text.size() <= Wire::MaxFieldBytes, "an accepted field fits the wire format");
        import.records.append(fields.toEmployee());
        require(reader.bytesRead() <= reader.totalBytes(), "progress never passes the input's size");
    }
    require(reader.recordsRead() == import.records.size(), "every record read is counted");
    import.ok = status == CsvReader::Status::End;
    import.error = reader.errorString();
    require(import.ok == import.error.isEmpty(), "the reading fails exactly when it says why");
    if (import.ok)
        require(reader.bytesRead() == reader.totalBytes(), "a finished reading consumed the whole input");
    return import;
}

// A file of this process's own, rewritten for each input: creating one per input costs more
// than the parsing under test. In memory (/dev/shm) where there is one: truncating a file on a
// disk waits for the disk, and took most of each run. Removed when the process exits normally
// (every run left one behind before).
QString scratchFile()
{
    struct Scratch
    {
        QString path;
        ~Scratch() { std::remove(QFile::encodeName(path).constData()); }
    };
    static const Scratch scratch {QDir(QFileInfo(QStringLiteral("/dev/shm")).isWritable() ? QStringLiteral("/dev/shm")
                                                                                         : QDir::tempPath())
                                      .filePath(QStringLiteral("ipcw-fuzz-csvreader-%1.csv")
                                                    .arg(QCoreApplication::applicationPid()))};
    return scratch.path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Fuzz::InputReader input(data, size);
    const qsizetype chunkBytes = qsizetype(input.u8()) + 1;
    const QByteArray csv(reinterpret_cast<const char *>(input.position()), qsizetype(input.remaining()));

    CsvReader inMemory{QByteArrayView(csv)};
    const Import fromMemory = readAll(inMemory);

    EmployeeList parsed;
    const Csv::Result result = Csv::parseEmployees(csv, &parsed);
    require(result.ok == fromMemory.ok && result.error == fromMemory.error, "parseEmployees agrees with the reader");
    if (result.ok)
        require(parsed == fromMemory.records && result.rows == parsed.size(), "parseEmployees returns every record");

    QFile file(scratchFile());
    require(file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(csv) == csv.size(), "scratch file written");
    file.close();
    CsvReader fromFile(scratchFile(), chunkBytes);
    const Import chunked = readAll(fromFile);
    require(chunked.ok == fromMemory.ok && chunked.records == fromMemory.records,
            "reading in chunks finds the same records");
    // Only the sentence of a row cut short by the end differs: a file can say "unterminated"
    // only once it has seen the end, which both reach here.
    require(chunked.error == fromMemory.error, "reading in chunks finds the same first bad row");

    CsvSource source(scratchFile(), chunkBytes);
    require(source.check() == fromMemory.ok, "the sender's check agrees with the import");
    if (fromMemory.ok) {
        require(source.total() == fromMemory.records.size(), "the sender's check counts every record");
        // What was imported exports and imports back unchanged (docs/csv-format.md).
        EmployeeList again;
        require(Csv::parseEmployees(Csv::encode(fromMemory.records), &again).ok && again == fromMemory.records,
                "imported records export and import back unchanged");
    } else {
        require(!source.errorString().isEmpty(), "a refused file has a sentence");
    }
    return 0;
}
