// SPDX-License-Identifier: GPL-3.0-or-later
#include "csv.h"
#include "recordbatch.h"
#include "employeegenerator.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

namespace {

const QByteArray header = "id,name,department,title,email,salary,hire_date\r\n";

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// The employees as a receiver stores them: one frame each, numbered from 1, over "tcp".
RecordStore asReceived(const EmployeeList &employees)
{
    RecordStore store;
    quint64 sequence = 1;
    for (const Employee &employee : employees) {
        const qint64 sent = 1'700'000'000'000'000 + qint64(sequence + 1) * 10;
        store.append(FrameCodec::batchOf(EmployeeList{employee}, sequence++, QStringLiteral("tcp"), sent, sent + 42));
    }
    return store;
}

} // namespace

class TestCsv final : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void roundTripsGeneratedEmployees();
    void receivedExportImportsBackAsEmployees();
    void everythingTheWireCarriesRoundTrips();
    void exportsSelectedRowsOnly();
    void formulaGuard();
    void formulaGuardRoundTripsEveryShape();
    void exactBytesOfASmallExport();
    void tabSeparatedTextForSpreadsheets();
    void headerLines();
    void acceptsBomLfExtraColumnsAndNoTrailingNewline();
    void reportsMalformedInput_data();
    void reportsMalformedInput();
    void importErrorNamesTheLineFromAFile();
    void acceptsAFieldOfExactlyTheLimit();
    void missingFileIsASentence();
    void refusesFilesOverTwoGiB();
    void exportIntoMissingFolderCreatesNothing();
    void cancelledExportLeavesTargetUnchanged();
    void exportReportsProgress();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestCsv::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestCsv::roundTripsGeneratedEmployees()
{
    const EmployeeList employees = EmployeeGenerator(2024).take(2000);
    // The generator must really exercise the awkward cases this test is about.
    QVERIFY(std::any_of(employees.cbegin(), employees.cend(), [](const Employee &e) { return e.title == QLatin1String("=Head of Sums"); }));
    QVERIFY(std::any_of(employees.cbegin(), employees.cend(), [](const Employee &e) { return e.title.contains(QLatin1Char('\n')); }));
    QVERIFY(std::any_of(employees.cbegin(), employees.cend(), [](const Employee &e) { return e.name.contains(QLatin1Char('"')); }));

    const QString path = m_dir->filePath(QStringLiteral("employees.csv"));
    const Csv::Result written = Csv::exportEmployees(path, employees);
    QVERIFY2(written.ok, qPrintable(written.error));
    QCOMPARE(written.rows, 2000);

    EmployeeList imported;
    const Csv::Result read = Csv::importEmployees(path, &imported);
    QVERIFY2(read.ok, qPrintable(read.error));
    QCOMPARE(read.rows, 2000);
    QCOMPARE(imported, employees);

    QCOMPARE(readAll(path), Csv::encode(employees));
    EmployeeList parsed;
    QVERIFY(Csv::parseEmployees(Csv::encode(employees), &parsed).ok);
    QCOMPARE(parsed, employees);
}

void TestCsv::receivedExportImportsBackAsEmployees()
{
    const EmployeeList employees = EmployeeGenerator(5).take(300);
    const QString path = m_dir->filePath(QStringLiteral("received.csv"));
    const Csv::Result written = Csv::exportReceived(path, asReceived(employees));
    QVERIFY2(written.ok, qPrintable(written.error));
    QCOMPARE(written.rows, 300);
    QVERIFY(readAll(path).startsWith(Csv::headerLine(true).toUtf8() + "\r\n"));
    QVERIFY(readAll(path).contains(",1,tcp,1700000000000020,1700000000000062,42\r\n"));

    EmployeeList imported;
    const Csv::Result read = Csv::importEmployees(path, &imported);
    QVERIFY2(read.ok, qPrintable(read.error));
    QCOMPARE(imported, employees);
}

// The wire format's edges, through a file exported from received records and imported back:
// years 1 and 65535, a text that starts with U+FEFF (not a byte-order mark inside a field),
// the largest id and salary magnitudes, no hire date.
void TestCsv::everythingTheWireCarriesRoundTrips()
{
    const QString bom = QString(QChar(0xFEFF));
    EmployeeList employees;
    employees << Employee{0, QStringLiteral("Year One"), QString(), QString(), QString(), 0, QDate(1, 1, 1)}
              << Employee{4294967295u, QStringLiteral("Far Future"), QStringLiteral("R&D"), bom + QStringLiteral("Chief"),
                          bom, 922337203685477580LL, QDate(65535, 12, 31)}
              << Employee{7, bom + QStringLiteral("=Sum"), QStringLiteral("+1"), QStringLiteral("@x"), QStringLiteral("-"),
                          -922337203685477580LL, QDate(10000, 1, 1)}
              << Employee{8, QStringLiteral("No Date"), QString(), QString(), QString(), 5, QDate()};
    const QString path = m_dir->filePath(QStringLiteral("edges.csv"));
    QVERIFY(Csv::exportReceived(path, asReceived(employees)).ok);
    EmployeeList imported;
    const Csv::Result read = Csv::importEmployees(path, &imported);
    QVERIFY2(read.ok, qPrintable(read.error));
    QCOMPARE(imported.size(), employees.size());
    for (int i = 0; i < employees.size(); ++i)
        QCOMPARE(imported.at(i), employees.at(i));
}

void TestCsv::exportsSelectedRowsOnly()
{
    const EmployeeList employees = EmployeeGenerator(9).take(10);
    const QString path = m_dir->filePath(QStringLiteral("selected.csv"));
    QVERIFY(Csv::exportReceived(path, asReceived(employees), {7, 2}).ok);
    EmployeeList imported;
    QVERIFY(Csv::importEmployees(path, &imported).ok);
    QCOMPARE(imported, (EmployeeList{employees.at(7), employees.at(2)}));

    const Csv::Result outOfRange = Csv::exportReceived(path, asReceived(employees), {10});
    QVERIFY(!outOfRange.ok);
    QVERIFY2(outOfRange.error.contains(QLatin1String("row 10 does not exist")), qPrintable(outOfRange.error));
}

void TestCsv::formulaGuard()
{
    Employee employee;
    employee.id = 1;
    employee.name = QStringLiteral("Ada");
    employee.title = QStringLiteral("=Head of Sums");
    const QString path = m_dir->filePath(QStringLiteral("guard.csv"));
    QVERIFY(Csv::exportEmployees(path, {employee}).ok);
    QVERIFY(readAll(path).contains(",'=Head of Sums,"));

    EmployeeList imported;
    QVERIFY(Csv::importEmployees(path, &imported).ok);
    QCOMPARE(imported.size(), 1);
    QCOMPARE(imported.first().title, QStringLiteral("=Head of Sums"));
}

void TestCsv::formulaGuardRoundTripsEveryShape()
{
    const QStringList texts = {
        QStringLiteral("=1+1"), QStringLiteral("+1"), QStringLiteral("-1"), QStringLiteral("@SUM(A1)"),
        QStringLiteral("\tindented"), QStringLiteral("\rreturn"), QStringLiteral("'=already guarded"),
        QStringLiteral("''=twice"), QStringLiteral("'plain apostrophe"), QStringLiteral("'"), QString(),
        QStringLiteral("a=b"), QStringLiteral("=\"quoted\", with comma"),
    };
    EmployeeList employees;
    for (const QString &text : texts) {
        Employee employee;
        employee.id = quint32(employees.size());
        employee.name = text;
        employee.department = text;
        employee.title = text;
        employee.email = text;
        employees.append(employee);
    }
    EmployeeList parsed;
    const Csv::Result result = Csv::parseEmployees(Csv::encode(employees), &parsed);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(parsed, employees);
}

void TestCsv::exactBytesOfASmallExport()
{
    Employee ada;
    ada.id = 1;
    ada.name = QStringLiteral("Ada Lovelace");
    ada.department = QStringLiteral("Research & Development");
    ada.title = QStringLiteral("Team \"Lead\"");
    ada.email = QStringLiteral("ada@example.com");
    ada.salaryCents = 123456;
    ada.hireDate = QDate(2020, 1, 2);
    Employee zoe;
    zoe.id = 4294967295u;
    zoe.name = QStringLiteral("Zoë");
    zoe.department = QStringLiteral("Operations, EMEA");
    zoe.title = QStringLiteral("=SUM(A1)");
    zoe.salaryCents = -5;

    const QString path = m_dir->filePath(QStringLiteral("small.csv"));
    QVERIFY(Csv::exportEmployees(path, {ada, zoe}).ok);
    const QByteArray expected =
        "id,name,department,title,email,salary,hire_date\r\n"
        "1,Ada Lovelace,Research & Development,\"Team \"\"Lead\"\"\",ada@example.com,1234.56,2020-01-02\r\n"
        "4294967295,Zo\xC3\xAB,\"Operations, EMEA\",'=SUM(A1),,-0.05,\r\n";
    QCOMPARE(readAll(path), expected);
    QCOMPARE(Csv::encode({ada, zoe}), expected);
}

void TestCsv::tabSeparatedTextForSpreadsheets()
{
    Employee e;
    e.id = 7;
    e.name = QStringLiteral("Tab\there");
    e.department = QStringLiteral("Line\r\nbreak");
    e.title = QStringLiteral("=SUM(A1)");
    e.email = QStringLiteral("a,b@example.com");
    e.salaryCents = 100;
    e.hireDate = QDate(2021, 3, 4);
    QCOMPARE(Csv::encodeTabSeparated({e}),
             QByteArray("id\tname\tdepartment\ttitle\temail\tsalary\thire_date\n"
                        "7\tTab here\tLine  break\t'=SUM(A1)\ta,b@example.com\t1.00\t2021-03-04\n"));
}

void TestCsv::headerLines()
{
    QCOMPARE(Csv::headerLine(false), QStringLiteral("id,name,department,title,email,salary,hire_date"));
    QCOMPARE(Csv::headerLine(true), QStringLiteral("id,name,department,title,email,salary,hire_date,"
                                                   "sequence,transport,sent_at_us,received_at_us,latency_us"));
    QCOMPARE(Csv::encode({}), header);
}

void TestCsv::acceptsBomLfExtraColumnsAndNoTrailingNewline()
{
    const QByteArray csv = "\xEF\xBB\xBF" "ID,Name,Department,Title,Email,Salary,Hire_Date,note\n"
                           "7,\"Multi\r\nline\",,,,\"12.5\",1999-12-31,ignored\n"
                           "\n"
                           "8,x,y,z,w,0,,\"also, ignored\"";
    EmployeeList parsed;
    const Csv::Result result = Csv::parseEmployees(csv, &parsed);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(result.rows, 2);
    QCOMPARE(parsed.size(), 2);
    QCOMPARE(parsed.at(0).id, 7u);
    QCOMPARE(parsed.at(0).name, QStringLiteral("Multi\r\nline"));
    QCOMPARE(parsed.at(0).salaryCents, 1250);
    QCOMPARE(parsed.at(0).hireDate, QDate(1999, 12, 31));
    QCOMPARE(parsed.at(1).email, QStringLiteral("w"));
    QVERIFY(parsed.at(1).hireDate.isNull());
}

void TestCsv::reportsMalformedInput_data()
{
    QTest::addColumn<QByteArray>("csv");
    QTest::addColumn<QString>("error");

    const QByteArray good = "1,Ada,Eng,Boss,a@example.com,1.00,2020-01-01\r\n";
    QTest::newRow("unterminated quote") << header + good + "2,\"Ada,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                        << "Line 3, column 2: unterminated quoted field.";
    QTest::newRow("too few fields") << header + "1,Ada\r\n" << "Line 2, column 3: expected 7 fields, found 2.";
    QTest::newRow("too many fields") << header + "1,Ada,Eng,Boss,a@x,1.00,2020-01-01,extra\r\n"
                                     << "Line 2, column 8: expected 7 fields, found 8.";
    QTest::newRow("bad id") << header + "x1,Ada,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                            << "Line 2, column 1: the id must be a whole number from 0 to 4294967295.";
    QTest::newRow("negative id") << header + "-1,Ada,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                 << "Line 2, column 1: the id must be a whole number from 0 to 4294967295.";
    QTest::newRow("id too big") << header + "4294967296,Ada,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                << "Line 2, column 1: the id must be a whole number from 0 to 4294967295.";
    QTest::newRow("bad salary") << header + good + "2,Ada,Eng,Boss,a@x,12.345,2020-01-01\r\n"
                                << "Line 3, column 6: the salary must be a decimal number with at most two decimals.";
    QTest::newRow("bad date") << header + "1,Ada,Eng,Boss,a@x,1.00,2020-13-01\r\n"
                              << "Line 2, column 7: the hire date must be a real date from 0001-01-01 to 65535-12-31, "
                                 "written as yyyy-MM-dd (a fifth year digit from the year 10000).";
    // A fifth digit only where four are not enough; nothing past what the wire format carries.
    for (const char *date : {"09999-01-01", "65536-01-01", "0000-01-01", "123456-01-01"})
        QTest::newRow(date) << header + "1,Ada,Eng,Boss,a@x,1.00," + date + "\r\n"
                            << "Line 2, column 7: the hire date must be a real date from 0001-01-01 to 65535-12-31, "
                               "written as yyyy-MM-dd (a fifth year digit from the year 10000).";
    QTest::newRow("bad header") << QByteArray("id,name,dept,title,email,salary,hire_date\r\n") + good
                                << "Line 1: the header must start with id,name,department,title,email,salary,hire_date.";
    QTest::newRow("short header") << QByteArray("id,name\r\n")
                                  << "Line 1: the header must start with id,name,department,title,email,salary,hire_date.";
    QTest::newRow("empty") << QByteArray()
                           << "Line 1: the header must start with id,name,department,title,email,salary,hire_date.";
    QTest::newRow("invalid UTF-8") << header + "1,Ada,Eng,Bo\xC3\x28ss,a@x,1.00,2020-01-01\r\n"
                                   << "Line 2, column 4: the text is not valid UTF-8.";
    QTest::newRow("UTF-16 surrogate") << header + "1,\xED\xA0\x80,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                      << "Line 2, column 2: the text is not valid UTF-8.";
    QTest::newRow("field too long") << header + "1,Ada,Eng," + QByteArray(4097, 'a') + ",a@x,1.00,2020-01-01\r\n"
                                    << "Line 2, column 4: the text is longer than 4096 bytes of UTF-8.";
    // The record starts on line 4 because the one before it spans two lines.
    QTest::newRow("line of a record after a multi-line one")
        << header + "1,\"Two\nlines\",Eng,Boss,a@x,1.00,2020-01-01\r\n2,Ada,Eng,Boss,a@x,1.00,2020-02-30\r\n"
        << "Line 4, column 7: the hire date must be a real date from 0001-01-01 to 65535-12-31, "
           "written as yyyy-MM-dd (a fifth year digit from the year 10000).";
    QTest::newRow("quote inside unquoted field") << header + "1,A\"da,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                                 << "Line 2, column 2: a quote may only appear inside a quoted field.";
    QTest::newRow("text after closing quote") << header + "1,\"Ada\"x,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                              << "Line 2, column 2: unexpected text after the closing quote.";
    QTest::newRow("stray carriage return") << header + "1,Ada\r,Eng,Boss,a@x,1.00,2020-01-01\r\n"
                                           << "Line 2, column 2: a carriage return outside quotes must be followed by a line feed.";
}

void TestCsv::reportsMalformedInput()
{
    QFETCH(QByteArray, csv);
    QFETCH(QString, error);

    const EmployeeList untouched = EmployeeGenerator(1).take(1);
    EmployeeList out = untouched;
    const Csv::Result result = Csv::parseEmployees(csv, &out);
    QVERIFY(!result.ok);
    QCOMPARE(result.error, error);
    QCOMPARE(out, untouched); // a failed import is never half-applied
}

void TestCsv::importErrorNamesTheLineFromAFile()
{
    const QString path = m_dir->filePath(QStringLiteral("bad.csv"));
    QVERIFY(writeFile(path, header + "1,Ada,Eng,Boss,a@x,12.345,2020-01-01\r\n"));
    EmployeeList out;
    const Csv::Result result = Csv::importEmployees(path, &out);
    QVERIFY(!result.ok);
    QCOMPARE(result.error, QStringLiteral("Line 2, column 6: the salary must be a decimal number with at most two decimals."));
}

void TestCsv::acceptsAFieldOfExactlyTheLimit()
{
    Employee employee;
    employee.name = QString(4096, QLatin1Char('a'));
    employee.title = QLatin1Char('=') + QString(4095, QLatin1Char('b')); // the guard's apostrophe does not count
    employee.email = QString(2048, QChar(0x00E9));                       // two UTF-8 bytes each
    EmployeeList parsed;
    const Csv::Result result = Csv::parseEmployees(Csv::encode({employee}), &parsed);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(parsed, EmployeeList{employee});
}

void TestCsv::missingFileIsASentence()
{
    const QString path = m_dir->filePath(QStringLiteral("nowhere.csv"));
    EmployeeList out;
    const Csv::Result result = Csv::importEmployees(path, &out);
    QVERIFY(!result.ok);
    QVERIFY2(result.error.startsWith(QLatin1String("Cannot read ") + QDir::toNativeSeparators(path) + QLatin1String(": ")),
             qPrintable(result.error));
    QVERIFY(result.error.endsWith(QLatin1Char('.')));
}

void TestCsv::refusesFilesOverTwoGiB()
{
    const QString path = m_dir->filePath(QStringLiteral("huge.csv"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write(header) == header.size());
        if (!file.resize(qint64(2) * 1024 * 1024 * 1024 + 1)) // sparse: no disk space is used
            QSKIP("This file system cannot hold a sparse 2 GiB file.");
    }
    EmployeeList out;
    const Csv::Result result = Csv::importEmployees(path, &out);
    QVERIFY(!result.ok);
    QVERIFY2(result.error.contains(QLatin1String("over 2 GiB")), qPrintable(result.error));
    QVERIFY(result.error.contains(QDir::toNativeSeparators(path)));
}

void TestCsv::exportIntoMissingFolderCreatesNothing()
{
    const QString folder = m_dir->filePath(QStringLiteral("missing"));
    const QString path = folder + QStringLiteral("/out.csv");
    const Csv::Result result = Csv::exportEmployees(path, EmployeeGenerator(3).take(5));
    QVERIFY(!result.ok);
    QVERIFY2(result.error.startsWith(QLatin1String("Cannot write ") + QDir::toNativeSeparators(path) + QLatin1String(": ")),
             qPrintable(result.error));
    QVERIFY(result.error.endsWith(QLatin1Char('.')));
    QVERIFY(!QFileInfo::exists(folder));
    QCOMPARE(QDir(m_dir->path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden), QStringList());
}

void TestCsv::cancelledExportLeavesTargetUnchanged()
{
    const QString path = m_dir->filePath(QStringLiteral("target.csv"));
    const QByteArray original = "precious\r\n";
    QVERIFY(writeFile(path, original));

    int calls = 0;
    const Csv::Result result = Csv::exportEmployees(path, EmployeeGenerator(4).take(25000), [&](qint64, qint64) {
        ++calls;
        return false;
    });
    QVERIFY(!result.ok);
    QCOMPARE(result.error, QStringLiteral("Export cancelled."));
    QCOMPARE(calls, 1);
    QCOMPARE(readAll(path), original);
    QCOMPARE(QDir(m_dir->path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden),
             QStringList{QStringLiteral("target.csv")});
}

void TestCsv::exportReportsProgress()
{
    QList<QPair<qint64, qint64>> calls;
    const QString path = m_dir->filePath(QStringLiteral("progress.csv"));
    const Csv::Result result = Csv::exportReceived(path, asReceived(EmployeeGenerator(6).take(25000)), {},
                                                   [&](qint64 done, qint64 total) {
                                                       calls.append({done, total});
                                                       return true;
                                                   });
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(result.rows, 25000);
    const QList<QPair<qint64, qint64>> expected = {{10000, 25000}, {20000, 25000}, {25000, 25000}};
    QCOMPARE(calls, expected);
}

QTEST_GUILESS_MAIN(TestCsv)
#include "tst_csv.moc"
