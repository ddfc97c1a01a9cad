// SPDX-License-Identifier: GPL-3.0-or-later
// The streaming CSV reader: a file read in chunks gives exactly what the same bytes give in
// memory, wherever the chunk boundaries fall (inside a quoted CRLF, a UTF-8 character, the
// byte-order mark); CsvSource checks a file whole before it sends a record of it.

#include "csv.h"
#include "csvreader.h"
#include "csvsource.h"
#include "employeegenerator.h"
#include "framebuilder.h"
#include "framecodec.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QByteArray header = "id,name,department,title,email,salary,hire_date\r\n";

struct Outcome
{
    EmployeeList records;
    QString error; // empty when every row was read
};

Outcome readWith(CsvReader &reader)
{
    Outcome outcome;
    RecordFields record;
    CsvReader::Status status;
    while ((status = reader.next(&record)) == CsvReader::Status::Record)
        outcome.records.append(record.toEmployee());
    if (status == CsvReader::Status::Error)
        outcome.error = reader.errorString();
    return outcome;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// Every record of a Records frame stream, decoded as a receiver would.
EmployeeList sentRecords(RecordSource &source, int batch)
{
    EmployeeList records;
    FrameBuilder builder;
    quint64 sequence = 0;
    while (source.appendTo(builder, batch) > 0) {
        DecodedFrame decoded;
        if (FrameCodec::decode(builder.seal(++sequence, 1), &decoded) != DecodeError::None)
            return {};
        records += decoded.records;
    }
    return records;
}

} // namespace

class TestCsvReader final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString file(const QByteArray &bytes)
    {
        static int counter = 0;
        const QString path = m_dir.filePath(QStringLiteral("%1.csv").arg(++counter));
        if (!writeFile(path, bytes))
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

private slots:
    void everyChunkSizeReadsTheSame_data()
    {
        QTest::addColumn<QByteArray>("csv");
        QTest::newRow("generated export") << Csv::encode(EmployeeGenerator(2024).take(40));
        QTest::newRow("BOM, LF, extra columns, no final line end")
            << QByteArray("\xEF\xBB\xBF" "ID,Name,Department,Title,Email,Salary,Hire_Date,note\n"
                          "7,\"Multi\r\nline\",,,,\"12.5\",1999-12-31,ignored\n"
                          "\n"
                          "8,x,y,z,w,0,,\"also, ignored\"");
        QTest::newRow("quoted CRLF, doubled quotes, multi-byte text")
            << header + "1,\"Zo\xC3\xAB \"\"Z\"\"\r\n\xE6\x9D\x8E\",\"\xD0\x9E\xD0\xBB\xD0\xB5\xD0\xBD\xD0\xB0\",'=x,"
                        "\xF0\x9F\x98\x80@x,-0.05,2020-02-29\r\n\r\n\r\n2,b,c,d,e,3,\r\n";
        QTest::newRow("bad row after good ones") << header + "1,a,b,c,d,1,\r\n2,\"a\r\nb\",c,d,e,1.234,\r\n";
        QTest::newRow("unterminated quote at the end") << header + "1,a,b,c,d,1,\r\n2,\"open";
        QTest::newRow("carriage return as the last byte") << header + "1,a,b,c,d,1,\r";
        QTest::newRow("header only, split BOM") << QByteArray("\xEF\xBB\xBF") + header;
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("bad header") << QByteArray("\r\n\r\nid,name\r\n");
    }

    void everyChunkSizeReadsTheSame()
    {
        QFETCH(QByteArray, csv);
        // Reading bytes in memory is what Csv::parseEmployees does, held to the import's rules
        // and sentences by tst_csv.
        CsvReader inMemory{QByteArrayView(csv)};
        const Outcome expected = readWith(inMemory);

        const QString path = file(csv);
        for (qsizetype chunk = 1; chunk <= csv.size() + 1; ++chunk) {
            CsvReader reader(path, chunk);
            const Outcome got = readWith(reader);
            QVERIFY2(got.error == expected.error, qPrintable(QStringLiteral("chunk %1: %2").arg(chunk).arg(got.error)));
            QVERIFY2(got.records == expected.records, qPrintable(QStringLiteral("chunk %1").arg(chunk)));
            if (got.error.isEmpty())
                QCOMPARE(reader.bytesRead(), reader.totalBytes());
        }
    }

    void boundaryInsideAQuotedCrlf()
    {
        const QByteArray csv = header + "1,\"two\r\nlines\",b,c,d,1,\r\n";
        const qsizetype cr = csv.indexOf("\r\nlines");
        CsvReader reader(file(csv), cr + 1); // the first chunk ends right after the CR
        const Outcome got = readWith(reader);
        QVERIFY2(got.error.isEmpty(), qPrintable(got.error));
        QCOMPARE(got.records.size(), 1);
        QCOMPARE(got.records.at(0).name, QStringLiteral("two\r\nlines"));
    }

    void boundaryInsideAUtf8Character()
    {
        const QByteArray csv = header + "1,Zo\xC3\xAB,\xE6\x9D\x8E,\xF0\x9F\x98\x80,d,1,\r\n";
        for (const QByteArray &character : {QByteArray("\xC3\xAB"), QByteArray("\xE6\x9D\x8E"), QByteArray("\xF0\x9F\x98\x80")}) {
            const qsizetype middle = csv.indexOf(character) + 1;
            CsvReader reader(file(csv), middle); // the first chunk ends inside the character
            const Outcome got = readWith(reader);
            QVERIFY2(got.error.isEmpty(), qPrintable(got.error));
            QCOMPARE(got.records.size(), 1);
            QCOMPARE(got.records.at(0).name, QString::fromUtf8("Zo\xC3\xAB"));
            QCOMPARE(got.records.at(0).title, QString::fromUtf8("\xF0\x9F\x98\x80"));
        }
    }

    void boundaryInsideTheByteOrderMark()
    {
        const QByteArray csv = "\xEF\xBB\xBF" + header + "5,a,b,c,d,1,\r\n";
        for (qsizetype chunk : {1, 2}) {
            CsvReader reader(file(csv), chunk);
            const Outcome got = readWith(reader);
            QVERIFY2(got.error.isEmpty(), qPrintable(got.error));
            QCOMPARE(got.records.size(), 1);
            QCOMPARE(got.records.at(0).id, 5u);
        }
    }

    void largeFileThroughSmallChunks()
    {
        const EmployeeList employees = EmployeeGenerator(77).take(20000);
        CsvReader reader(file(Csv::encode(employees)), 4096);
        const Outcome got = readWith(reader);
        QVERIFY2(got.error.isEmpty(), qPrintable(got.error));
        QCOMPARE(got.records, employees);
        QCOMPARE(reader.recordsRead(), 20000);
    }

    void runawayQuoteIsRefusedWithinBoundedMemory()
    {
        QByteArray csv = header + "1,a,b,c,d,1,\r\n2,\"";
        csv += QByteArray(CsvReader::MaxRowBytes + 1024, 'x');
        CsvReader reader(file(csv));
        const Outcome got = readWith(reader);
        QCOMPARE(got.records.size(), 1);
        QCOMPARE(got.error, QStringLiteral("Line 3: the record is longer than 16 MiB, so it was not read; "
                                           "a quoted field is probably missing its closing quote."));
    }

    void missingFileIsASentence()
    {
        CsvReader reader(m_dir.filePath(QStringLiteral("nowhere.csv")));
        RecordFields record;
        QCOMPARE(reader.next(&record), CsvReader::Status::Error);
        QVERIFY2(reader.errorString().startsWith(QLatin1String("Cannot read ")), qPrintable(reader.errorString()));
    }

    void salaryBytesReadAsTheFormsText()
    {
        // Every byte around and inside a salary is judged as parseSalary(QString) judges it.
        for (int byte = 0; byte < 256; ++byte) {
            for (const QByteArray &shape : {QByteArray("%12.5"), QByteArray("12.5%"), QByteArray("1%2"), QByteArray("%")}) {
                QByteArray text = shape;
                text.replace('%', QByteArray(1, char(byte)));
                qint64 fromBytes = -1, fromString = -1;
                const bool bytesOk = parseSalary(QLatin1StringView(text), &fromBytes);
                const bool stringOk = parseSalary(QString::fromLatin1(text), &fromString);
                QCOMPARE(bytesOk, stringOk);
                if (bytesOk)
                    QCOMPARE(fromBytes, fromString);
            }
        }
    }

    void sourceChecksBeforeItSends()
    {
        const EmployeeList employees = EmployeeGenerator(5).take(3000);
        CsvSource source(file(Csv::encode(employees)), 1000);
        EmployeeList visited;
        QList<qint64> progress;
        QVERIFY(source.check([&](const RecordFields &r) { visited.append(r.toEmployee()); },
                             [&](qint64 done, qint64 total) {
                                 progress.append(done * 100 / total);
                                 return true;
                             }));
        QCOMPARE(visited, employees);
        QCOMPARE(progress.last(), 100);
        QCOMPARE(source.total(), 3000);
        QCOMPARE(sentRecords(source, 256), employees);
        QVERIFY(source.atEnd());
        QVERIFY(source.errorString().isEmpty());
    }

    void sourceRefusesABadFileBeforeSending()
    {
        QByteArray csv = Csv::encode(EmployeeGenerator(5).take(5000));
        const qint64 badLine = csv.count('\n') + 1; // some titles span two lines
        csv += "5001,a,b,c,d,12.345,\r\n";
        CsvSource source(file(csv));
        QVERIFY(!source.check());
        QCOMPARE(source.errorString(),
                 QStringLiteral("Line %1, column 6: the salary must be a decimal number with at most two decimals.").arg(badLine));
        QVERIFY(source.atEnd());
        FrameBuilder builder;
        QCOMPARE(source.appendTo(builder, 100), 0);
    }

    void sourceSaysWhenTheFileChangedAfterTheCheck()
    {
        const QString path = file(header + "1,a,b,c,d,1,\r\n2,a,b,c,d,1,\r\n");
        CsvSource fewer(path);
        QVERIFY(fewer.check());
        QVERIFY(writeFile(path, header + "1,a,b,c,d,1,\r\n"));
        QCOMPARE(sentRecords(fewer, 10).size(), 1);
        QVERIFY2(fewer.errorString().contains(QLatin1String("changed after it was checked: it held 2 records then and 1 now")),
                 qPrintable(fewer.errorString()));

        CsvSource broken(path);
        QVERIFY(broken.check());
        QVERIFY(writeFile(path, header + "1,a,b,c,d,1,\r\nx,a,b,c,d,1,\r\n"));
        QCOMPARE(sentRecords(broken, 10).size(), 1);
        QCOMPARE(broken.errorString(), QStringLiteral("Line 3, column 1: the id must be a whole number from 0 to 4294967295. "
                                                      "The file changed after it was checked."));
    }

    void checkCanBeCancelled()
    {
        CsvSource source(file(Csv::encode(EmployeeGenerator(5).take(40000))));
        QVERIFY(!source.check({}, [](qint64, qint64) { return false; }));
        QVERIFY2(source.errorString().contains(QLatin1String("was cancelled; nothing was sent")), qPrintable(source.errorString()));
        QVERIFY(source.atEnd());
    }
};

QTEST_GUILESS_MAIN(TestCsvReader)
#include "tst_csvreader.moc"
