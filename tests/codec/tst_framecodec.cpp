// SPDX-License-Identifier: GPL-3.0-or-later
#include "employee.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "framestorage.h"
#include "framestreamreader.h"
#include "recordbatch.h"

#include <QBuffer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStringDecoder>
#include <QStandardPaths>
#include <QTest>
#include <QThread>
#include <QtEndian>

#include <algorithm>
#include <zlib.h>
#include <limits>

using Wire::FrameType;

// Found by QCOMPARE through argument-dependent lookup: failures name the error, not a number.
char *toString(DecodeError error)
{
    static const char *const names[] = {"None", "BadMagic", "UnsupportedVersion", "UnknownFrameType",
                                        "BadFlags", "TooLarge", "Truncated", "TrailingBytes",
                                        "ChecksumMismatch", "CountMismatch", "InvalidText",
                                        "FieldTooLong", "InvalidDate"};
    const auto index = std::size_t(error);
    return qstrdup(index < std::size(names) ? names[index] : "?");
}

namespace {

// The frame the document annotates byte by byte (docs/wire-format.md, "A complete frame").
// The same bytes are checked three ways: the C++ encoder, the document's table, and the
// document's Python sender.
constexpr char GoldenHex[] =
    "4950435701000100010000000000000000401e18240a0600010000003600000078563412740da1ba"
    "2a00000040e2010000000000e507030f04005a6fc3ab03005226440800456e67696e6565720f007a"
    "6f65406578616d706c652e636f6d";
constexpr quint64 GoldenSequence = 1;
constexpr quint32 GoldenSenderId = 0x12345678;
constexpr quint64 GoldenTimestampUs = 1700000000000000ull; // 2023-11-14 22:13:20 UTC

Employee goldenEmployee()
{
    Employee e;
    e.id = 42;
    e.salaryCents = 123456;
    e.hireDate = QDate(2021, 3, 15);
    e.name = QString::fromUtf8("Zoë");
    e.department = QStringLiteral("R&D");
    e.title = QStringLiteral("Engineer");
    e.email = QStringLiteral("zoe@example.com");
    return e;
}

constexpr quint64 FixedTimestampUs = 1234567890123456ull;

QByteArray encode(const EmployeeList &records, quint64 sequence = 7, quint32 senderId = 0xC0FFEE)
{
    return FrameCodec::encodeRecords(records.constData(), records.size(), sequence, senderId, FixedTimestampUs);
}

Employee employeeNamed(const QString &name)
{
    Employee e;
    e.id = 1;
    e.name = name;
    e.department = QStringLiteral("D");
    e.title = QStringLiteral("T");
    e.email = QStringLiteral("e@x");
    e.salaryCents = 100;
    e.hireDate = QDate(2000, 1, 2);
    return e;
}

template <typename T> void patch(QByteArray &frame, int offset, T value)
{
    qToLittleEndian<T>(value, frame.data() + offset);
}

template <typename T> T field(const QByteArray &frame, int offset)
{
    return qFromLittleEndian<T>(frame.constData() + offset);
}

// After a deliberate edit, make the CRC right again so the check under test is the one that fails.
QByteArray resealed(QByteArray frame)
{
    quint32 crc = FrameCodec::crc32(frame.constData(), Wire::CrcOffset);
    crc = FrameCodec::crc32(frame.constData() + Wire::HeaderSize, frame.size() - Wire::HeaderSize, crc);
    patch<quint32>(frame, Wire::Offset::Crc, crc);
    return frame;
}

// Makes the header agree with a payload that was grown or shrunk, then reseals.
QByteArray withPayload(QByteArray frame, const QByteArray &payload)
{
    frame.truncate(Wire::HeaderSize);
    frame.append(payload);
    patch<quint32>(frame, Wire::Offset::PayloadLength, quint32(payload.size()));
    return resealed(frame);
}

const QList<DecodeError> allErrors = {
    DecodeError::BadMagic, DecodeError::UnsupportedVersion, DecodeError::UnknownFrameType,
    DecodeError::BadFlags, DecodeError::TooLarge, DecodeError::Truncated, DecodeError::TrailingBytes,
    DecodeError::ChecksumMismatch, DecodeError::CountMismatch, DecodeError::InvalidText,
    DecodeError::FieldTooLong, DecodeError::InvalidDate,
};

// Recognisable contents the decoder must not touch when it refuses a frame.
DecodedFrame sentinelFrame()
{
    DecodedFrame f;
    f.header.type = FrameType::Pong;
    f.header.sequence = 0xDEADBEEF;
    f.header.timestampUs = 7;
    f.header.recordCount = 3;
    f.header.payloadLength = 9;
    f.header.senderId = 99;
    f.records = {employeeNamed(QStringLiteral("sentinel"))};
    f.frame = "sentinel";
    f.payloadCrc = 13;
    f.ackFrames = 11;
    f.ackRecords = 12;
    return f;
}

bool sameFrame(const DecodedFrame &a, const DecodedFrame &b)
{
    return a.header.type == b.header.type && a.header.sequence == b.header.sequence
        && a.header.timestampUs == b.header.timestampUs && a.header.recordCount == b.header.recordCount
        && a.header.payloadLength == b.header.payloadLength && a.header.senderId == b.header.senderId
        && a.records == b.records && a.frame == b.frame && a.payloadCrc == b.payloadCrc
        && a.ackFrames == b.ackFrames
        && a.ackRecords == b.ackRecords;
}

void verifySentence(DecodeError error)
{
    const QString sentence = decodeErrorSentence(error);
    QVERIFY2(!sentence.isEmpty(), "every error needs a sentence the UI can show");
    QVERIFY2(sentence.endsWith(QLatin1Char('.')), qPrintable(sentence));
    for (DecodeError other : allErrors) {
        if (other != error)
            QVERIFY2(decodeErrorSentence(other) != sentence, qPrintable(sentence));
    }
}

// The common tail of every error test: the exact error, its own sentence, output untouched.
void verifyRejected(const QByteArray &frame, DecodeError expected)
{
    DecodedFrame out = sentinelFrame();
    QCOMPARE(FrameCodec::decode(frame, &out), expected);
    QVERIFY2(sameFrame(out, sentinelFrame()), "a refused frame must leave the output untouched");
    verifySentence(expected);
}

DecodedFrame decodeOrFail(const QByteArray &frame, bool *ok)
{
    DecodedFrame out;
    const DecodeError error = FrameCodec::decode(frame, &out);
    *ok = error == DecodeError::None;
    if (!*ok)
        qWarning("decode failed: %s", qPrintable(decodeErrorSentence(error)));
    return out;
}

QByteArray utf8(const char *text)
{
    return QByteArray(text);
}

// Several frames of every type, as a stream transport would carry them back to back.
QByteArrayList mixedFrames()
{
    EmployeeGenerator generator(11);
    return {
        FrameCodec::encodeControl(FrameType::Hello, 0, 5, "ipcworkshop test"),
        encode(generator.take(3), 1, 5),
        encode({}, 2, 5),
        encode(generator.take(40), 3, 5),
        FrameCodec::encodeAck(3, 5, 3, 43),
        FrameCodec::encodeControl(FrameType::Ping, 9, 5, QByteArray(300, '\0')),
        FrameCodec::encodeControl(FrameType::Pong, 9, 5, QByteArray(300, '\0')),
        encode({employeeNamed(QString(4096, QLatin1Char('n')))}, 4, 5),
        FrameCodec::encodeControl(FrameType::Bye, 5, 5),
    };
}

QByteArray parseHexColumn(const QString &text, const QString &begin, const QString &end, bool *found)
{
    const qsizetype from = text.indexOf(begin);
    const qsizetype to = text.indexOf(end, from);
    *found = from >= 0 && to > from;
    QByteArray bytes;
    if (!*found)
        return bytes;
    static const QRegularExpression hexPairs(QStringLiteral("^([0-9a-f]{2})( [0-9a-f]{2})*$"));
    const QStringList lines = text.mid(from, to - from).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        const QStringList cells = line.split(QLatin1Char('|'));
        if (cells.size() < 4)
            continue;
        // Column 2 of the table holds the bytes; header and separator rows do not match.
        const QString cell = cells.at(2).trimmed().remove(QLatin1Char('`'));
        if (hexPairs.match(cell).hasMatch())
            bytes += QByteArray::fromHex(cell.toLatin1());
    }
    return bytes;
}

} // namespace

class TestFrameCodec final : public QObject
{
    Q_OBJECT

private slots:
    // The validator the receiver runs on every text field
    void utf8ValidatorAgreesWithQt();
    void crc32AgreesWithZlib();
    void indexedRecordsReadBackEveryField();
    // Round trips
    void roundTripGeneratedRecords();
    void roundTripEmptyBatch();
    void nullHireDate();
    void extremeValues();
    void byteOrderMarkIsKeptInText();
    void encodedRecordSizeMatchesEncoder();
    void ackRoundTrip();
    void controlRoundTrip_data();
    void controlRoundTrip();
    void successReplacesWholeOutput();

    // The wire format itself, pinned to the document
    void goldenFrame();
    void goldenFrameMatchesDocument();
    void documentPythonSenderMatchesGolden();

    // One test per DecodeError
    void badMagic();
    void unsupportedVersion();
    void unknownFrameType_data();
    void unknownFrameType();
    void badFlags();
    void tooLarge_data();
    void tooLarge();
    void truncated_data();
    void truncated();
    void trailingBytes();
    void checksumMismatch();
    void countMismatch_data();
    void countMismatch();
    void invalidText_data();
    void invalidText();
    void fieldTooLong();
    void invalidDate_data();
    void invalidDate();
    void errorSentences();

    // Hostile input in bulk
    void hugeRecordCountFailsWithoutAllocating();
    void randomGarbageIsRefused();
    void everyTruncationIsRefused();
    void everySingleBitFlipIsDetected();
    void laterBadRecordLeavesOutputUntouched();

    // FrameStreamReader
    void streamWholeAtOnce();
    void streamByteByByte();
    void streamRandomChunks();
    void wireDatesAgreeWithQDate();
    void storedBatchesOutliveTheirStorage();
    void streamFromDeviceAndLargeFrames();
    void streamCommitsMemoryAsBytesArrive();
    void streamStopsAtCommitLimit();
    void streamGarbageFailsWithBadMagic();
    void streamBadHeaderFailsEarly();
    void streamPendingBytesAfterPartialFrame();
    void streamLeavesChecksumToDecoder();

    // Salary text, which travels as integer cents
    void formatSalary_data();
    void formatSalary();
    void parseSalary_data();
    void parseSalary();
    void salaryTextRoundTrip();
};

void TestFrameCodec::roundTripGeneratedRecords()
{
    const EmployeeList records = EmployeeGenerator(2024).take(500);
    // The generator's awkward text is the point of this test: make sure it is really there.
    bool nonAscii = false, comma = false, quote = false, newline = false;
    for (const Employee &e : records) {
        const QString all = e.name + e.department + e.title + e.email;
        nonAscii |= std::any_of(all.begin(), all.end(), [](QChar c) { return c.unicode() > 0x7F; });
        comma |= all.contains(QLatin1Char(','));
        quote |= all.contains(QLatin1Char('"'));
        newline |= all.contains(QLatin1Char('\n'));
    }
    QVERIFY(nonAscii && comma && quote && newline);

    const QByteArray frame = encode(records, 77, 0xABCDEF01);
    bool ok = false;
    const DecodedFrame out = decodeOrFail(frame, &ok);
    QVERIFY(ok);
    QCOMPARE(out.header.type, FrameType::Records);
    QCOMPARE(out.header.sequence, quint64(77));
    QCOMPARE(out.header.senderId, quint32(0xABCDEF01));
    QCOMPARE(out.header.timestampUs, FixedTimestampUs);
    QCOMPARE(out.header.recordCount, quint32(records.size()));
    QCOMPARE(out.header.payloadLength, quint32(frame.size() - Wire::HeaderSize));
    QCOMPARE(out.records.size(), records.size());
    for (qsizetype i = 0; i < records.size(); ++i)
        QVERIFY2(out.records.at(i) == records.at(i), qPrintable(QString::number(i)));
    QVERIFY(out.frame.isEmpty());
}

void TestFrameCodec::roundTripEmptyBatch()
{
    const QByteArray frame = encode({});
    QCOMPARE(frame.size(), Wire::HeaderSize);
    bool ok = false;
    const DecodedFrame out = decodeOrFail(frame, &ok);
    QVERIFY(ok);
    QCOMPARE(out.header.recordCount, quint32(0));
    QVERIFY(out.records.isEmpty());
}

void TestFrameCodec::nullHireDate()
{
    Employee e = employeeNamed(QStringLiteral("Nobody"));
    e.hireDate = QDate();
    const QByteArray frame = encode({e});
    // 0/0/0 on the wire, right after id (4) and salary (8).
    QCOMPARE(field<quint32>(frame, Wire::HeaderSize + 12), quint32(0));
    bool ok = false;
    const DecodedFrame out = decodeOrFail(frame, &ok);
    QVERIFY(ok);
    QVERIFY(out.records.at(0).hireDate.isNull());
    QVERIFY(out.records.at(0) == e);
}

void TestFrameCodec::extremeValues()
{
    EmployeeList records;
    Employee e = employeeNamed(QString());
    e.department.clear();
    e.title.clear();
    e.email.clear();
    e.id = 0;
    e.salaryCents = std::numeric_limits<qint64>::min();
    e.hireDate = QDate(1, 1, 1);
    records << e;
    e.id = 0xFFFFFFFFu;
    e.salaryCents = std::numeric_limits<qint64>::max();
    e.hireDate = QDate(65535, 12, 31); // the largest year a u16 holds
    records << e;
    e.id = 12;
    e.salaryCents = -1;
    e.hireDate = QDate(2024, 2, 29);
    e.name = QString(Wire::MaxFieldBytes, QLatin1Char('x'));
    // 1365 three-byte euro signs plus one ASCII byte: exactly 4096 bytes of UTF-8.
    e.department = QString(1365, QChar(0x20AC)) + QLatin1Char('!');
    e.title = QString::fromUtf8("\xF0\x9F\x98\x80").repeated(1024); // 4-byte sequences, surrogate pairs in UTF-16
    e.email = QString(QChar(0)) + QStringLiteral("nul inside"); // NUL is valid UTF-8
    records << e;
    QCOMPARE(e.department.toUtf8().size(), Wire::MaxFieldBytes);
    QCOMPARE(e.title.toUtf8().size(), Wire::MaxFieldBytes);

    bool ok = false;
    const DecodedFrame out = decodeOrFail(encode(records), &ok);
    QVERIFY(ok);
    QCOMPARE(out.records.size(), records.size());
    for (qsizetype i = 0; i < records.size(); ++i)
        QVERIFY2(out.records.at(i) == records.at(i), qPrintable(QString::number(i)));
}

void TestFrameCodec::byteOrderMarkIsKeptInText()
{
    // U+FEFF is an ordinary character inside a field; a UTF-8 decoder that skips an initial
    // BOM would silently change the record.
    const Employee e = employeeNamed(QString(QChar(0xFEFF)) + QStringLiteral("Ada"));
    bool ok = false;
    const DecodedFrame out = decodeOrFail(encode({e}), &ok);
    QVERIFY(ok);
    QCOMPARE(out.records.at(0).name, e.name);
}

void TestFrameCodec::encodedRecordSizeMatchesEncoder()
{
    const EmployeeList records = EmployeeGenerator(5).take(50);
    qsizetype total = Wire::HeaderSize;
    for (const Employee &e : records)
        total += FrameCodec::encodedRecordSize(e);
    QCOMPARE(encode(records).size(), total);
}

void TestFrameCodec::ackRoundTrip()
{
    const QByteArray frame = FrameCodec::encodeAck(0xFFFFFFFFFFull, 0x01020304, 123456789012ull, 0xFFFFFFFFFFFFFFFFull);
    QCOMPARE(frame.size(), Wire::HeaderSize + Wire::AckPayloadBytes);
    bool ok = false;
    const DecodedFrame out = decodeOrFail(frame, &ok);
    QVERIFY(ok);
    QCOMPARE(out.header.type, FrameType::Ack);
    QCOMPARE(out.header.sequence, 0xFFFFFFFFFFull);
    QCOMPARE(out.header.senderId, quint32(0x01020304));
    QCOMPARE(out.header.recordCount, quint32(0));
    QCOMPARE(out.ackFrames, 123456789012ull);
    QCOMPARE(out.ackRecords, 0xFFFFFFFFFFFFFFFFull);
    QVERIFY(out.records.isEmpty());
}

void TestFrameCodec::controlRoundTrip_data()
{
    QTest::addColumn<FrameType>("type");
    QTest::addColumn<QByteArray>("payload");
    QByteArray binary(256, Qt::Uninitialized);
    for (int i = 0; i < binary.size(); ++i)
        binary[i] = char(i);
    QTest::newRow("ping empty") << FrameType::Ping << QByteArray();
    QTest::newRow("ping binary") << FrameType::Ping << binary;
    QTest::newRow("ping 1 MiB") << FrameType::Ping << QByteArray(1 << 20, 'p');
    QTest::newRow("pong binary") << FrameType::Pong << binary;
    const qsizetype kept = FrameCodec::PayloadCrcKeptFromBytes;
    QTest::newRow("pong, CRC kept") << FrameType::Pong << binary.repeated(int(kept / binary.size()));
    QTest::newRow("pong, a byte too small to keep its CRC") << FrameType::Pong << QByteArray(kept - 1, 'q');
    QTest::newRow("hello") << FrameType::Hello << QString::fromUtf8("ipcworkshop sender 42 on hôst").toUtf8();
    QTest::newRow("bye") << FrameType::Bye << QByteArray();
}

void TestFrameCodec::controlRoundTrip()
{
    QFETCH(FrameType, type);
    QFETCH(QByteArray, payload);
    const QByteArray frame = FrameCodec::encodeControl(type, 99, 3, payload, FixedTimestampUs);
    bool ok = false;
    const DecodedFrame out = decodeOrFail(frame, &ok);
    QVERIFY(ok);
    QCOMPARE(out.header.type, type);
    QCOMPARE(out.header.sequence, quint64(99));
    QCOMPARE(out.header.senderId, quint32(3));
    QCOMPARE(out.header.timestampUs, FixedTimestampUs);
    QCOMPARE(out.payload().toByteArray(), payload);
    // A large payload's own CRC is kept, and an echo that reuses it seals the same bytes.
    QCOMPARE(out.payloadCrc.has_value(), payload.size() >= FrameCodec::PayloadCrcKeptFromBytes);
    if (out.payloadCrc)
        QCOMPARE(*out.payloadCrc, FrameCodec::crc32(payload.constData(), payload.size()));
    QCOMPARE(FrameCodec::encodeControl(type, 99, 3, out.payload(), FixedTimestampUs, out.payloadCrc), frame);
    QVERIFY(out.records.isEmpty());
}

void TestFrameCodec::successReplacesWholeOutput()
{
    // A reused DecodedFrame must not keep an earlier frame's ack counters or payload.
    DecodedFrame out = sentinelFrame();
    QCOMPARE(FrameCodec::decode(encode({employeeNamed(QStringLiteral("A"))}), &out), DecodeError::None);
    QCOMPARE(out.ackFrames, quint64(0));
    QCOMPARE(out.ackRecords, quint64(0));
    QVERIFY(out.frame.isEmpty());
    QVERIFY(out.payload().isEmpty());
    QCOMPARE(out.records.size(), 1);
}

void TestFrameCodec::goldenFrame()
{
    const Employee e = goldenEmployee();
    const QByteArray frame = FrameCodec::encodeRecords(&e, 1, GoldenSequence, GoldenSenderId, GoldenTimestampUs);
    QCOMPARE(frame.toHex(), QByteArray(GoldenHex));
    bool ok = false;
    const DecodedFrame out = decodeOrFail(QByteArray::fromHex(GoldenHex), &ok);
    QVERIFY(ok);
    QVERIFY(out.records.at(0) == e);
    QCOMPARE(out.header.timestampUs, GoldenTimestampUs);
}

void TestFrameCodec::goldenFrameMatchesDocument()
{
    QFile doc(QStringLiteral(IPCW_SOURCE_DIR "/docs/wire-format.md"));
    QVERIFY2(doc.open(QIODevice::ReadOnly), qPrintable(doc.fileName()));
    const QString text = QString::fromUtf8(doc.readAll());
    bool found = false;
    const QByteArray bytes = parseHexColumn(text, QStringLiteral("<!-- golden-frame-begin"),
                                            QStringLiteral("<!-- golden-frame-end"), &found);
    QVERIFY2(found, "the annotated dump lost its markers");
    QCOMPARE(bytes.toHex(), QByteArray(GoldenHex));
}

void TestFrameCodec::documentPythonSenderMatchesGolden()
{
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    // python3 is one of the packages scripts/install-deps.sh installs: its absence is a broken
    // setup, not a reason to leave the document unchecked.
    QVERIFY2(!python.isEmpty(), "python3 is not installed: run scripts/install-deps.sh");
    QFile doc(QStringLiteral(IPCW_SOURCE_DIR "/docs/wire-format.md"));
    QVERIFY(doc.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(doc.readAll());
    static const QRegularExpression block(
        QStringLiteral("<!-- python-sender-begin -->\\s*```python\\n(.*?)```\\s*<!-- python-sender-end -->"),
        QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpressionMatch match = block.match(text);
    QVERIFY2(match.hasMatch(), "the Python sender lost its markers");

    QProcess process;
    process.start(python, {QStringLiteral("-c"), match.captured(1)});
    QVERIFY(process.waitForFinished(30000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    QCOMPARE(process.readAllStandardOutput().trimmed(), QByteArray(GoldenHex));
}

void TestFrameCodec::badMagic()
{
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    frame[3] = 'X'; // "IPCX"
    verifyRejected(resealed(frame), DecodeError::BadMagic);
}

void TestFrameCodec::unsupportedVersion()
{
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    patch<quint16>(frame, Wire::Offset::Version, 2);
    verifyRejected(resealed(frame), DecodeError::UnsupportedVersion);
}

void TestFrameCodec::unknownFrameType_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("0") << 0;
    QTest::newRow("7") << 7;
    QTest::newRow("255") << 255;
}

void TestFrameCodec::unknownFrameType()
{
    QFETCH(int, type);
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    patch<quint8>(frame, Wire::Offset::Type, quint8(type));
    verifyRejected(resealed(frame), DecodeError::UnknownFrameType);
}

void TestFrameCodec::badFlags()
{
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    patch<quint8>(frame, Wire::Offset::Flags, 0x80);
    verifyRejected(resealed(frame), DecodeError::BadFlags);
}

void TestFrameCodec::tooLarge_data()
{
    QTest::addColumn<quint32>("payloadLength");
    QTest::newRow("64 MiB + 1") << Wire::MaxPayloadBytes + 1;
    QTest::newRow("4 GiB - 1") << quint32(0xFFFFFFFFu);
}

void TestFrameCodec::tooLarge()
{
    QFETCH(quint32, payloadLength);
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    patch<quint32>(frame, Wire::Offset::PayloadLength, payloadLength);
    verifyRejected(resealed(frame), DecodeError::TooLarge);
}

void TestFrameCodec::truncated_data()
{
    const QByteArray golden = QByteArray::fromHex(GoldenHex);
    QTest::addColumn<QByteArray>("frame");
    QTest::newRow("nothing") << QByteArray();
    QTest::newRow("half a magic") << golden.left(2);
    QTest::newRow("39 header bytes") << golden.left(Wire::HeaderSize - 1);
    QTest::newRow("header only") << golden.left(Wire::HeaderSize);
    QTest::newRow("one byte short") << golden.chopped(1);
    // The limit itself is allowed, so a 64 MiB claim over a short buffer is merely short.
    QByteArray atLimit = golden;
    patch<quint32>(atLimit, Wire::Offset::PayloadLength, Wire::MaxPayloadBytes);
    QTest::newRow("claims exactly 64 MiB") << resealed(atLimit);
}

void TestFrameCodec::truncated()
{
    QFETCH(QByteArray, frame);
    verifyRejected(frame, DecodeError::Truncated);
}

void TestFrameCodec::trailingBytes()
{
    verifyRejected(QByteArray::fromHex(GoldenHex) + '\0', DecodeError::TrailingBytes);
}

void TestFrameCodec::checksumMismatch()
{
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    frame[frame.size() - 1] = char(frame.at(frame.size() - 1) ^ 0x01);
    verifyRejected(frame, DecodeError::ChecksumMismatch);
}

void TestFrameCodec::countMismatch_data()
{
    QTest::addColumn<QByteArray>("frame");
    const QByteArray two = encode({employeeNamed(QStringLiteral("A")), employeeNamed(QStringLiteral("B"))});

    QByteArray more = two;
    patch<quint32>(more, Wire::Offset::RecordCount, 3);
    QTest::newRow("count says 3, payload holds 2") << resealed(more);

    QByteArray fewer = two;
    patch<quint32>(fewer, Wire::Offset::RecordCount, 1);
    QTest::newRow("count says 1, payload holds 2") << resealed(fewer);

    QTest::newRow("record cut inside a string")
        << withPayload(two, two.mid(Wire::HeaderSize).chopped(1));
    QByteArray tooSmall = encode({});
    patch<quint32>(tooSmall, Wire::Offset::RecordCount, 1);
    QTest::newRow("count 1, 23-byte payload") << withPayload(tooSmall, QByteArray(Wire::MinRecordBytes - 1, '\0'));

    QByteArray zeroCount = encode({});
    patch<quint32>(zeroCount, Wire::Offset::RecordCount, 1);
    QTest::newRow("count 1, empty payload") << resealed(zeroCount);

    const QByteArray ack = FrameCodec::encodeAck(1, 2, 3, 4);
    QByteArray ackWithCount = ack;
    patch<quint32>(ackWithCount, Wire::Offset::RecordCount, 1);
    QTest::newRow("ack with a record count") << resealed(ackWithCount);
    QTest::newRow("ack payload 15 bytes") << withPayload(ack, ack.mid(Wire::HeaderSize).chopped(1));
    QTest::newRow("ack payload 17 bytes") << withPayload(ack, ack.mid(Wire::HeaderSize) + '\0');

    for (FrameType type : {FrameType::Ping, FrameType::Pong, FrameType::Hello, FrameType::Bye}) {
        QByteArray control = FrameCodec::encodeControl(type, 1, 2, "x");
        patch<quint32>(control, Wire::Offset::RecordCount, 1);
        QTest::addRow("control type %d with a record count", int(type)) << resealed(control);
    }
}

void TestFrameCodec::countMismatch()
{
    QFETCH(QByteArray, frame);
    verifyRejected(frame, DecodeError::CountMismatch);
}

void TestFrameCodec::invalidText_data()
{
    QTest::addColumn<QByteArray>("replacement"); // four bytes put in place of the name "AAAA"
    // Short fields are checked in one pass over all four, long ones one by one.
    QTest::addColumn<int>("nameLength");
    for (int length : {4, 300}) {
        const QByteArray size = length == 4 ? "short name" : "long name";
        QTest::newRow("0xFF byte, " + size) << utf8("\xFF" "AAA") << length;
        QTest::newRow("lone continuation byte, " + size) << utf8("\x80" "AAA") << length;
        QTest::newRow("overlong slash, " + size) << utf8("\xC0\xAF" "AA") << length;
        QTest::newRow("UTF-16 surrogate, " + size) << utf8("\xED\xA0\x80" "A") << length;
        QTest::newRow("above U+10FFFF, " + size) << utf8("\xF4\x90\x80\x80") << length;
    }
    QTest::newRow("sequence cut at field end") << utf8("AA\xE2\x82") << 4;
}

void TestFrameCodec::invalidText()
{
    QFETCH(QByteArray, replacement);
    QFETCH(int, nameLength);
    QByteArray frame = encode({employeeNamed(QString(nameLength - 4, QLatin1Char('n')) + QStringLiteral("AAAA"))});
    const qsizetype at = frame.indexOf("AAAA");
    QVERIFY(at > Wire::HeaderSize);
    frame.replace(at, 4, replacement);
    verifyRejected(resealed(frame), DecodeError::InvalidText);
}

void TestFrameCodec::fieldTooLong()
{
    Employee e = employeeNamed(QString(Wire::MaxFieldBytes, QLatin1Char('x')));
    QByteArray frame = encode({e});
    const int nameLength = Wire::HeaderSize + 4 + 8 + 4;
    QCOMPARE(field<quint16>(frame, nameLength), quint16(Wire::MaxFieldBytes));
    patch<quint16>(frame, nameLength, Wire::MaxFieldBytes + 1);
    verifyRejected(resealed(frame), DecodeError::FieldTooLong);
}

void TestFrameCodec::invalidDate_data()
{
    QTest::addColumn<int>("year");
    QTest::addColumn<int>("month");
    QTest::addColumn<int>("day");
    QTest::newRow("30 February") << 2021 << 2 << 30;
    QTest::newRow("29 February, not a leap year") << 2100 << 2 << 29;
    QTest::newRow("month 13") << 2021 << 13 << 1;
    QTest::newRow("day 0") << 2021 << 1 << 0;
    QTest::newRow("month 0") << 2021 << 0 << 1;
    QTest::newRow("year 0") << 0 << 1 << 1;
    QTest::newRow("only the day set") << 0 << 0 << 5;
}

void TestFrameCodec::invalidDate()
{
    QFETCH(int, year);
    QFETCH(int, month);
    QFETCH(int, day);
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    const int date = Wire::HeaderSize + 4 + 8;
    patch<quint16>(frame, date, quint16(year));
    patch<quint8>(frame, date + 2, quint8(month));
    patch<quint8>(frame, date + 3, quint8(day));
    verifyRejected(resealed(frame), DecodeError::InvalidDate);
}

void TestFrameCodec::errorSentences()
{
    QVERIFY(decodeErrorSentence(DecodeError::None).isEmpty());
    for (DecodeError error : allErrors)
        verifySentence(error);
}

void TestFrameCodec::hugeRecordCountFailsWithoutAllocating()
{
    // 0xFFFFFFFF records would reserve hundreds of GiB; the count must be judged against
    // the payload first. Returning at all is the assertion.
    QByteArray frame = QByteArray::fromHex(GoldenHex);
    patch<quint32>(frame, Wire::Offset::RecordCount, 0xFFFFFFFFu);
    verifyRejected(resealed(frame), DecodeError::CountMismatch);
}

void TestFrameCodec::randomGarbageIsRefused()
{
    QRandomGenerator rng(20240611);
    int deepRecordsParsed = 0;
    int validByChance = 0;
    for (int i = 0; i < 6000; ++i) {
        QByteArray buffer(rng.bounded(0, 400), Qt::Uninitialized);
        for (char &c : buffer)
            c = char(rng.bounded(256));
        const int kind = i % 3;
        if (kind >= 1 && buffer.size() >= 8) {
            // Past the magic: exercise the later header checks too.
            patch<quint32>(buffer, Wire::Offset::Magic, Wire::Magic);
            patch<quint16>(buffer, Wire::Offset::Version, Wire::Version);
            patch<quint8>(buffer, Wire::Offset::Type, quint8(rng.bounded(1, 7)));
            patch<quint8>(buffer, Wire::Offset::Flags, 0);
        }
        if (kind == 2 && buffer.size() >= Wire::HeaderSize) {
            // A consistent, correctly sealed header over random records: the record parser's turn.
            patch<quint8>(buffer, Wire::Offset::Type, quint8(FrameType::Records));
            patch<quint32>(buffer, Wire::Offset::RecordCount, rng.bounded(0u, 4u));
            patch<quint32>(buffer, Wire::Offset::PayloadLength, quint32(buffer.size() - Wire::HeaderSize));
            buffer = resealed(buffer);
            ++deepRecordsParsed;
        }
        DecodedFrame out = sentinelFrame();
        const DecodeError error = FrameCodec::decode(buffer, &out);
        if (kind == 2 && error == DecodeError::None) {
            // A sealed header over 0 records can be genuinely valid; then it must be canonical.
            QCOMPARE(FrameCodec::encodeRecords(out.records.constData(), out.records.size(), out.header.sequence,
                                               out.header.senderId, out.header.timestampUs),
                     buffer);
            ++validByChance;
        } else {
            QVERIFY2(error != DecodeError::None, qPrintable(QString::number(i)));
            QVERIFY(sameFrame(out, sentinelFrame()));
        }
        FrameStreamReader reader;
        reader.feed(buffer);
    }
    QVERIFY(deepRecordsParsed > 1000);
    QVERIFY(validByChance < deepRecordsParsed / 10);
}

void TestFrameCodec::everyTruncationIsRefused()
{
    QByteArrayList frames = mixedFrames();
    frames << QByteArray::fromHex(GoldenHex);
    for (const QByteArray &frame : std::as_const(frames)) {
        DecodedFrame whole;
        QCOMPARE(FrameCodec::decode(frame, &whole), DecodeError::None);
        for (qsizetype n = 0; n < frame.size(); ++n) {
            DecodedFrame out = sentinelFrame();
            QCOMPARE(FrameCodec::decode(frame.left(n), &out), DecodeError::Truncated);
            QVERIFY(sameFrame(out, sentinelFrame()));
        }
    }
}

void TestFrameCodec::everySingleBitFlipIsDetected()
{
    const QByteArray golden = QByteArray::fromHex(GoldenHex);
    for (int bit = 0; bit < golden.size() * 8; ++bit) {
        QByteArray frame = golden;
        frame[bit / 8] = char(frame.at(bit / 8) ^ (1 << (bit % 8)));
        DecodedFrame out = sentinelFrame();
        QVERIFY2(FrameCodec::decode(frame, &out) != DecodeError::None, qPrintable(QString::number(bit)));
        QVERIFY(sameFrame(out, sentinelFrame()));
    }
}

void TestFrameCodec::laterBadRecordLeavesOutputUntouched()
{
    // Two good records, then a bad date in the third: nothing of the first two may leak out.
    EmployeeList records = EmployeeGenerator(3).take(3);
    records[2].id = 0x5EC0DE;
    QByteArray frame = encode(records);
    const qsizetype third = Wire::HeaderSize + FrameCodec::encodedRecordSize(records[0])
        + FrameCodec::encodedRecordSize(records[1]);
    QCOMPARE(field<quint32>(frame, int(third)), quint32(0x5EC0DE));
    patch<quint8>(frame, int(third) + 4 + 8 + 2, 13);
    verifyRejected(resealed(frame), DecodeError::InvalidDate);
}

void TestFrameCodec::streamWholeAtOnce()
{
    const QByteArrayList frames = mixedFrames();
    FrameStreamReader reader;
    QCOMPARE(reader.feed(frames.join()), frames);
    QVERIFY(!reader.failed());
    QCOMPARE(reader.pendingBytes(), 0);
}

void TestFrameCodec::streamByteByByte()
{
    const QByteArrayList frames = mixedFrames();
    const QByteArray stream = frames.join();
    FrameStreamReader reader;
    QByteArrayList got;
    for (char c : stream)
        got += reader.feed(&c, 1);
    QCOMPARE(got, frames);
    QVERIFY(!reader.failed());
    QCOMPARE(reader.pendingBytes(), 0);
}

void TestFrameCodec::streamRandomChunks()
{
    const QByteArrayList frames = mixedFrames();
    const QByteArray stream = frames.join();
    for (quint32 seed = 1; seed <= 50; ++seed) {
        QRandomGenerator rng(seed);
        FrameStreamReader reader;
        QByteArrayList got;
        for (qsizetype at = 0; at < stream.size();) {
            const qsizetype chunk = qMin<qsizetype>(rng.bounded(1, seed % 2 ? 64 : 9000), stream.size() - at);
            got += reader.feed(stream.constData() + at, chunk);
            at += chunk;
        }
        QCOMPARE(got, frames);
        QVERIFY(!reader.failed());
        QCOMPARE(reader.pendingBytes(), 0);
    }
}

void TestFrameCodec::storedBatchesOutliveTheirStorage()
{
    // Batches kept in FrameStorage read back every record, from two threads at once, and keep
    // their blocks alive after the storage itself is gone; a frame over a quarter block gets a
    // block of its own.
    auto storage = std::make_unique<FrameStorage>();
    EmployeeGenerator generator(8);
    QList<EmployeeList> sent;
    for (int records : {1, 4096, 150000, 7, 4096})
        sent.append(generator.take(records));
    QVERIFY(FrameCodec::encodeRecords(sent[2].constData(), sent[2].size(), 1, 1).size() > FrameStorage::BlockBytes / 4);
    std::vector<RecordBatch> kept(size_t(sent.size()));
    std::vector<int> problems(size_t(sent.size()), 0); // written by one thread each, read after
    auto keepSome = [&](int from, int step) { // no QTest macros off the test's thread
        for (int i = from; i < sent.size(); i += step) {
            const QByteArray frame = FrameCodec::encodeRecords(sent[i].constData(), sent[i].size(), quint64(i + 1), 1);
            if (FrameCodec::indexRecords(frame, &kept[size_t(i)]) != DecodeError::None)
                problems[size_t(i)] = 1;
            storage->keep(&kept[size_t(i)]);
            if (kept[size_t(i)].frame == frame.constData()) // must be copied out of the arrival buffer
                problems[size_t(i)] = 2;
        }
    };
    std::unique_ptr<QThread> other(QThread::create([&] { keepSome(1, 2); }));
    other->start();
    keepSome(0, 2);
    QVERIFY(other->wait(60000));
    QCOMPARE(problems, std::vector<int>(size_t(sent.size()), 0));
    storage.reset();
    for (int i = 0; i < sent.size(); ++i) {
        QCOMPARE(kept[size_t(i)].size(), sent[i].size());
        for (qsizetype r = 0; r < sent[i].size(); r += qMax<qsizetype>(1, sent[i].size() / 97))
            QCOMPARE(kept[size_t(i)].record(r).toEmployee(), sent[i].at(r));
        QCOMPARE(kept[size_t(i)].record(sent[i].size() - 1).toEmployee(), sent[i].constLast());
    }
}

void TestFrameCodec::wireDatesAgreeWithQDate()
{
    // Every date the wire can carry: the receiver's own check must say what QDate says.
    qint64 valid = 0;
    for (int year = 0; year <= 65535; ++year)
        for (int month = 0; month <= 255; month += (month == 13 ? 242 : 1))
            for (int day = 0; day <= 255; day += (day == 32 ? 223 : 1)) {
                const bool expected = (year == 0 && month == 0 && day == 0) || QDate::isValid(year, month, day);
                if (FrameCodec::isValidWireDate(quint16(year), quint8(month), quint8(day)) != expected)
                    QFAIL(qPrintable(QStringLiteral("%1-%2-%3").arg(year).arg(month).arg(day)));
                valid += expected;
            }
    QCOMPARE(valid, 65535 * 365 + 65535 / 4 - 65535 / 100 + 65535 / 400 + 1);
}

void TestFrameCodec::streamFromDeviceAndLargeFrames()
{
    // Frames beyond the reader's first commitment (1 MiB) grow as their bytes arrive.
    QByteArrayList frames = mixedFrames();
    frames.insert(1, encode(EmployeeGenerator(4).take(40000))); // about 2.4 MiB
    frames.append(encode(EmployeeGenerator(5).take(17000)));   // about 1 MiB
    QVERIFY(frames.at(1).size() > 2 * FrameStreamReader::InitialFrameBytes);
    const QByteArray stream = frames.join();

    QBuffer device;
    device.setData(stream);
    QVERIFY(device.open(QIODevice::ReadOnly));
    FrameStreamReader whole;
    QCOMPARE(whole.readFrom(&device), frames);
    QCOMPARE(whole.pendingBytes(), 0);

    // Unbuffered (as the TCP sender's socket is): read in as much as fits, never asking
    // bytesAvailable(); small frames through the staging buffer, the large ones into themselves.
    QBuffer unbuffered;
    unbuffered.setData(stream);
    QVERIFY(unbuffered.open(QIODevice::ReadOnly | QIODevice::Unbuffered));
    FrameStreamReader direct;
    QCOMPARE(direct.readFrom(&unbuffered), frames);
    QCOMPARE(direct.pendingBytes(), 0);

    QRandomGenerator rng(77);
    FrameStreamReader chunked;
    QByteArrayList got;
    for (qsizetype at = 0; at < stream.size();) {
        const qsizetype chunk = qMin<qsizetype>(rng.bounded(1, 300000), stream.size() - at);
        got += chunked.feed(stream.constData() + at, chunk);
        at += chunk;
    }
    QCOMPARE(got, frames);
    for (const QByteArray &frame : std::as_const(got))
        QVERIFY(frame.capacity() - frame.size() < 64); // stored as they are: no slack kept per frame
}

void TestFrameCodec::streamCommitsMemoryAsBytesArrive()
{
    // A header promising 60 MiB, then 100 bytes: the reader holds what came, not the promise.
    QByteArray frame = encode(EmployeeGenerator(6).take(1)).left(Wire::HeaderSize);
    patch<quint32>(frame, Wire::Offset::PayloadLength, 60u * 1024 * 1024);
    frame.append(100, 'x');
    FrameStreamReader reader;
    QVERIFY(reader.feed(frame).isEmpty());
    QVERIFY(!reader.failed());
    QCOMPARE(reader.pendingBytes(), Wire::HeaderSize + 100);
    QVERIFY(reader.committedBytes() <= FrameStreamReader::InitialFrameBytes + 64);
    QVERIFY(reader.feed(QByteArray(3 * 1024 * 1024, 'y')).isEmpty());
    QVERIFY(reader.committedBytes() <= 8 * 1024 * 1024); // doubling what arrived, never 60 MiB

    // The same from an unbuffered device, which is read before anyone knows what it holds.
    QBuffer device;
    device.setData(frame);
    QVERIFY(device.open(QIODevice::ReadOnly | QIODevice::Unbuffered));
    FrameStreamReader unbuffered;
    QVERIFY(unbuffered.readFrom(&device).isEmpty());
    QCOMPARE(unbuffered.pendingBytes(), Wire::HeaderSize + 100);
    QVERIFY(unbuffered.committedBytes() <= FrameStreamReader::InitialFrameBytes + 64);
    device.buffer().append(3 * 1024 * 1024, 'y');
    QVERIFY(unbuffered.readFrom(&device).isEmpty());
    QCOMPARE(unbuffered.pendingBytes(), Wire::HeaderSize + 100 + 3 * 1024 * 1024);
    QVERIFY(unbuffered.committedBytes() <= 8 * 1024 * 1024);
}

void TestFrameCodec::streamStopsAtCommitLimit()
{
    // A receiver's budget (StreamPeers) caps what the reader may commit; what does not fit
    // stays in the device until the reader is called again with more room.
    constexpr qsizetype MiB = 1024 * 1024;
    const QByteArray frame = FrameCodec::encodeControl(FrameType::Ping, 1, 1, QByteArray(4 * MiB, 'p'));
    QBuffer device;
    device.setData(frame);
    QVERIFY(device.open(QIODevice::ReadOnly));
    FrameStreamReader reader;

    // An accepted header commits nothing yet; the first byte after it needs 1 MiB.
    QVERIFY(reader.readFrom(&device, 0).isEmpty());
    QVERIFY(!reader.failed());
    QCOMPARE(reader.frameBytes(), frame.size());
    QCOMPARE(reader.pendingBytes(), Wire::HeaderSize);
    QCOMPARE(reader.committedBytes(), 0);
    QCOMPARE(reader.nextCommitBytes(), FrameStreamReader::InitialFrameBytes);
    QCOMPARE(device.pos(), qint64(Wire::HeaderSize));

    // 3 MiB: room for 1 MiB, then 2 MiB. The step after takes the whole frame at once rather
    // than 4 MiB and then the header's 40 bytes (one copy of the frame fewer).
    QVERIFY(reader.readFrom(&device, 3 * MiB).isEmpty());
    QVERIFY(reader.pendingBytes() >= 2 * MiB);
    QVERIFY(reader.committedBytes() <= 3 * MiB);
    QCOMPARE(reader.committedBytes() + reader.nextCommitBytes(), frame.size());
    QVERIFY(device.bytesAvailable() > 0);

    QCOMPARE(reader.readFrom(&device, frame.size() + 64), QByteArrayList{frame});
    QCOMPARE(reader.committedBytes(), 0);
    QCOMPARE(reader.pendingBytes(), 0);
    QCOMPARE(reader.nextCommitBytes(), 0);
}

void TestFrameCodec::streamGarbageFailsWithBadMagic()
{
    const QByteArray first = FrameCodec::encodeControl(FrameType::Hello, 0, 1, "hi");
    const QByteArray garbage("GET / HTTP/1.1\r\nHost: example\r\n\r\n");
    FrameStreamReader reader;
    // The frame before the garbage is delivered; the reader stops at the garbage.
    QCOMPARE(reader.feed(first + garbage), QByteArrayList{first});
    QVERIFY(reader.failed());
    QCOMPARE(reader.error(), DecodeError::BadMagic);
    QVERIFY(reader.feed(FrameCodec::encodeControl(FrameType::Bye, 1, 1)).isEmpty());

    // Byte by byte, the verdict comes as soon as four bytes of magic can be judged.
    FrameStreamReader slow;
    for (int i = 0; i < 3; ++i)
        QVERIFY(slow.feed(garbage.constData() + i, 1).isEmpty());
    QVERIFY(!slow.failed());
    slow.feed(garbage.constData() + 3, 1);
    QCOMPARE(slow.error(), DecodeError::BadMagic);

    slow.reset();
    QVERIFY(!slow.failed());
    QCOMPARE(slow.pendingBytes(), 0);
    QCOMPARE(slow.feed(first), QByteArrayList{first});
}

void TestFrameCodec::streamBadHeaderFailsEarly()
{
    // A header that promises more than the cap is refused at 40 bytes, not after 64 MiB.
    QByteArray header = QByteArray::fromHex(GoldenHex).left(Wire::HeaderSize);
    patch<quint32>(header, Wire::Offset::PayloadLength, 0xFFFFFFF0u);
    FrameStreamReader reader;
    QVERIFY(reader.feed(header).isEmpty());
    QCOMPARE(reader.error(), DecodeError::TooLarge);

    QByteArray versioned = QByteArray::fromHex(GoldenHex);
    patch<quint16>(versioned, Wire::Offset::Version, 9);
    FrameStreamReader second;
    QVERIFY(second.feed(versioned).isEmpty());
    QCOMPARE(second.error(), DecodeError::UnsupportedVersion);
}

void TestFrameCodec::streamPendingBytesAfterPartialFrame()
{
    const QByteArray a = QByteArray::fromHex(GoldenHex);
    const QByteArray b = encode(EmployeeGenerator(9).take(5));
    FrameStreamReader reader;
    QCOMPARE(reader.feed(a + b.left(10)), QByteArrayList{a});
    QCOMPARE(reader.pendingBytes(), 10);
    QVERIFY(reader.feed(b.mid(10, 50)).isEmpty());
    QCOMPARE(reader.pendingBytes(), 60);
    QCOMPARE(reader.feed(b.mid(60)), QByteArrayList{b});
    QCOMPARE(reader.pendingBytes(), 0);
    QVERIFY(!reader.failed());

    reader.feed(b.left(45));
    QCOMPARE(reader.pendingBytes(), 45); // what a peer that died mid-frame leaves behind
    reader.reset();
    QCOMPARE(reader.pendingBytes(), 0);
}

void TestFrameCodec::streamLeavesChecksumToDecoder()
{
    // The reader only frames; a corrupted frame still comes out whole, and decode() refuses it.
    QByteArray bad = QByteArray::fromHex(GoldenHex);
    bad[Wire::HeaderSize + 1] = char(bad.at(Wire::HeaderSize + 1) ^ 0x40);
    const QByteArray good = FrameCodec::encodeControl(FrameType::Bye, 2, 1);
    FrameStreamReader reader;
    const QByteArrayList got = reader.feed(bad + good);
    QCOMPARE(got, (QByteArrayList{bad, good}));
    DecodedFrame out;
    QCOMPARE(FrameCodec::decode(got.at(0), &out), DecodeError::ChecksumMismatch);
    QCOMPARE(FrameCodec::decode(got.at(1), &out), DecodeError::None);
}

void TestFrameCodec::formatSalary_data()
{
    QTest::addColumn<qint64>("cents");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << QStringLiteral("0.00");
    QTest::newRow("five cents") << qint64(5) << QStringLiteral("0.05");
    QTest::newRow("minus five cents") << qint64(-5) << QStringLiteral("-0.05");
    QTest::newRow("one unit") << qint64(100) << QStringLiteral("1.00");
    QTest::newRow("ordinary") << qint64(123456) << QStringLiteral("1234.56");
    QTest::newRow("negative") << qint64(-123450) << QStringLiteral("-1234.50");
    QTest::newRow("max") << std::numeric_limits<qint64>::max() << QStringLiteral("92233720368547758.07");
    QTest::newRow("min") << std::numeric_limits<qint64>::min() << QStringLiteral("-92233720368547758.08");
}

void TestFrameCodec::formatSalary()
{
    QFETCH(qint64, cents);
    QFETCH(QString, text);
    QCOMPARE(::formatSalary(cents), text);
}

void TestFrameCodec::parseSalary_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("cents");
    QTest::newRow("whole") << QStringLiteral("1234") << true << qint64(123400);
    QTest::newRow("one decimal") << QStringLiteral("1234.5") << true << qint64(123450);
    QTest::newRow("two decimals") << QStringLiteral("1234.56") << true << qint64(123456);
    QTest::newRow("leading zero decimal") << QStringLiteral("0.05") << true << qint64(5);
    QTest::newRow("negative cents") << QStringLiteral("-0.05") << true << qint64(-5);
    QTest::newRow("minus zero") << QStringLiteral("-0") << true << qint64(0);
    QTest::newRow("surrounding spaces") << QStringLiteral("  12.30\t") << true << qint64(1230);
    QTest::newRow("leading zeros") << QStringLiteral("007") << true << qint64(700);
    QTest::newRow("max") << QStringLiteral("92233720368547758.07") << true << std::numeric_limits<qint64>::max();
    QTest::newRow("min") << QStringLiteral("-92233720368547758.08") << true << std::numeric_limits<qint64>::min();
    QTest::newRow("one cent over max") << QStringLiteral("92233720368547758.08") << false << qint64(0);
    QTest::newRow("one cent under min") << QStringLiteral("-92233720368547758.09") << false << qint64(0);
    QTest::newRow("far too many digits") << QStringLiteral("123456789012345678901") << false << qint64(0);
    QTest::newRow("empty") << QString() << false << qint64(0);
    QTest::newRow("spaces only") << QStringLiteral("   ") << false << qint64(0);
    QTest::newRow("minus only") << QStringLiteral("-") << false << qint64(0);
    QTest::newRow("double minus") << QStringLiteral("--1") << false << qint64(0);
    QTest::newRow("plus sign") << QStringLiteral("+1") << false << qint64(0);
    QTest::newRow("dot only") << QStringLiteral(".") << false << qint64(0);
    QTest::newRow("no whole part") << QStringLiteral(".5") << false << qint64(0);
    QTest::newRow("trailing dot") << QStringLiteral("1.") << false << qint64(0);
    QTest::newRow("three decimals") << QStringLiteral("1.234") << false << qint64(0);
    QTest::newRow("comma decimal") << QStringLiteral("1,50") << false << qint64(0);
    QTest::newRow("thousands separator") << QStringLiteral("1,000.00") << false << qint64(0);
    QTest::newRow("exponent") << QStringLiteral("1e3") << false << qint64(0);
    QTest::newRow("two dots") << QStringLiteral("1.2.3") << false << qint64(0);
    QTest::newRow("space after minus") << QStringLiteral("- 1") << false << qint64(0);
    QTest::newRow("currency sign") << QStringLiteral("$5") << false << qint64(0);
    QTest::newRow("Arabic-Indic digits") << QString::fromUtf8("١٢٣") << false << qint64(0);
    QTest::newRow("fullwidth digits") << QString::fromUtf8("１２") << false << qint64(0);
}

void TestFrameCodec::parseSalary()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(qint64, cents);
    qint64 parsed = -4242;
    QCOMPARE(::parseSalary(text, &parsed), ok);
    QCOMPARE(parsed, ok ? cents : qint64(-4242)); // untouched on failure
}

void TestFrameCodec::salaryTextRoundTrip()
{
    // Whatever arrives on the wire must survive a CSV export and import unchanged.
    QRandomGenerator64 rng(99);
    QList<qint64> values = {0, 1, -1, 99, -99, 100, std::numeric_limits<qint64>::max(),
                            std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::min() + 1};
    for (int i = 0; i < 2000; ++i)
        values << qint64(rng.generate()) << qint64(rng.generate() % 100000000) - 50000000;
    for (qint64 value : std::as_const(values)) {
        qint64 parsed = 0;
        QVERIFY2(::parseSalary(::formatSalary(value), &parsed), qPrintable(::formatSalary(value)));
        QCOMPARE(parsed, value);
    }
}

// FrameCodec::crc32 folds with carry-less multiplication where the processor has it, 64 bytes a
// step, or 256 with VPCLMULQDQ and AVX-512, and takes fewer than 64 bytes (and the tail after
// the last 16-byte block) eight at a time through tables: every length up to 300, around the
// 16-, 64- and 256-byte steps, every alignment, and chained calls must give zlib's value.
void TestFrameCodec::crc32AgreesWithZlib()
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // Which folds this run proves depends on the processor: say so.
    const bool wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq");
    qInfo("This processor folds %s", wide ? "256 bytes a step (VPCLMULQDQ, AVX-512) from 256 bytes on, and 64 a step below"
                                          : __builtin_cpu_supports("pclmul") ? "64 bytes a step (PCLMULQDQ); the 256-byte fold is not run here"
                                                                             : "nothing: zlib computes every CRC");
#endif
    QRandomGenerator random(7);
    // Room for the largest size at the largest offset below: an overrun of zlib's (which
    // AddressSanitizer does not see) went unnoticed until the sums' own tables read it.
    QByteArray bytes(70000 + 16, Qt::Uninitialized);
    for (char &c : bytes)
        c = char(random.bounded(256));
    const auto zlib = [](const char *data, qsizetype size, quint32 previous) {
        return quint32(::crc32(previous, reinterpret_cast<const Bytef *>(data), uInt(size)));
    };
    QList<qsizetype> sizes;
    for (qsizetype size = 0; size <= 300; ++size)
        sizes << size;
    sizes << 511 << 512 << 513 << 527 << 1000 << 4096 << 4111 << 65536 << 69999;
    for (qsizetype size : std::as_const(sizes)) {
        for (int offset = 0; offset < 16; offset += 5) {
            const char *data = bytes.constData() + offset;
            QCOMPARE(FrameCodec::crc32(data, size), zlib(data, size, 0));
            QCOMPARE(FrameCodec::crc32(data, size, 0xDEADBEEF), zlib(data, size, 0xDEADBEEF));
        }
    }
    // As the codec uses it: the header's first 36 bytes, then the payload.
    const quint32 chained = FrameCodec::crc32(bytes.constData() + 36, 5000, FrameCodec::crc32(bytes.constData(), 36));
    QCOMPARE(chained, zlib(bytes.constData() + 36, 5000, zlib(bytes.constData(), 36, 0)));
    // And as an echo uses it: the header's CRC combined with the payload's own, each size twice
    // in a row with other bytes (the operator for the last size is kept).
    for (qsizetype size : {0, 1, 63, 4096, 65536}) {
        for (qsizetype at : {36, 1000}) {
            const quint32 payloadCrc = FrameCodec::crc32(bytes.constData() + at, size);
            QCOMPARE(FrameCodec::crc32Combine(FrameCodec::crc32(bytes.constData(), 36), payloadCrc, size),
                     zlib(bytes.constData() + at, size, zlib(bytes.constData(), 36, 0)));
        }
    }
}

// FrameCodec::isValidUtf8 replaces a QStringDecoder per field on the hot path: it must give the
// same verdict on anything, including every way UTF-8 goes wrong near its boundaries.
void TestFrameCodec::utf8ValidatorAgreesWithQt()
{
    const auto qtAccepts = [](const QByteArray &bytes) {
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString decoded = decoder.decode(bytes); // decode() is lazy: converting runs it
        return !decoder.hasError();
    };
    // Interesting bytes: ASCII, continuation bytes, every lead, and the limits of each range.
    const unsigned char alphabet[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                      0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    QRandomGenerator random(20261201);
    int accepted = 0;
    for (int round = 0; round < 200000; ++round) {
        QByteArray bytes;
        const int length = int(random.bounded(1, 14));
        for (int i = 0; i < length; ++i)
            bytes += char(alphabet[random.bounded(int(sizeof alphabet))]);
        if (random.bounded(2))
            bytes.prepend("plain ascii text"); // the eight-bytes-at-a-time path, then the slow one
        const bool ours = FrameCodec::isValidUtf8(bytes.constData(), bytes.size());
        QVERIFY2(ours == qtAccepts(bytes), bytes.toHex(' ').constData());
        accepted += ours;
    }
    QVERIFY(accepted > 1000); // the alphabet makes valid text too, not only garbage
}

void TestFrameCodec::indexedRecordsReadBackEveryField()
{
    EmployeeList records = EmployeeGenerator(4).take(50);
    records[3].hireDate = QDate();
    records[4].name = QString(QChar(0xFEFF)) + QStringLiteral("Ada");
    records[5].title = QString(QChar(0)) + QStringLiteral("nul");
    records[6].salaryCents = std::numeric_limits<qint64>::min();
    records[7].hireDate = QDate(65535, 12, 31);
    const QByteArray frame = FrameCodec::encodeRecords(records.constData(), records.size(), 9, 77, 123456);
    RecordBatch batch;
    QCOMPARE(FrameCodec::indexRecords(frame, &batch), DecodeError::None);
    QCOMPARE(batch.size(), records.size());
    QCOMPARE(batch.sequence, 9u);
    QCOMPARE(batch.senderId, 77u);
    QCOMPARE(batch.sentAtUs, 123456);
    QCOMPARE(batch.frame, frame.constData()); // kept as it came, not copied
    for (qsizetype i = 0; i < records.size(); ++i)
        QCOMPARE(batch.record(i).toEmployee(), records.at(i));

    // A bad frame leaves the batch as it was: never half-applied.
    QByteArray corrupt = frame;
    corrupt[corrupt.size() - 1] = char(corrupt.back() ^ 1);
    RecordBatch untouched;
    QCOMPARE(FrameCodec::indexRecords(corrupt, &untouched), DecodeError::ChecksumMismatch);
    QCOMPARE(untouched.size(), 0);
    QVERIFY(!untouched.frame && !untouched.owner);
}

QTEST_GUILESS_MAIN(TestFrameCodec)
#include "tst_framecodec.moc"
