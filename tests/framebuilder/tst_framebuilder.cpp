// SPDX-License-Identifier: GPL-3.0-or-later
// The one records encoder: byte for byte what the encoder before it wrote, for Employee values
// and for UTF-8 views alike; frames cut at the size limit without ever refusing a first record.

#include "employeegenerator.h"
#include "framebuilder.h"
#include "framecodec.h"

#include <QTest>
#include <QtEndian>

#include <limits>

namespace {

constexpr quint64 Timestamp = 1234567890123456ull;

// The encoder FrameBuilder replaced (each field through QString::toUtf8, header and CRC after),
// kept here as the reference the builder must match byte for byte.
QByteArray previousEncoder(const EmployeeList &records, quint64 sequence, quint32 senderId, quint64 timestampUs)
{
    QByteArray payload;
    const auto put = [&](auto value) {
        char bytes[sizeof(value)];
        qToLittleEndian(value, bytes);
        payload.append(bytes, sizeof(value));
    };
    for (const Employee &e : records) {
        put(quint32(e.id));
        put(qint64(e.salaryCents));
        put(quint16(e.hireDate.isValid() ? e.hireDate.year() : 0));
        put(quint8(e.hireDate.isValid() ? e.hireDate.month() : 0));
        put(quint8(e.hireDate.isValid() ? e.hireDate.day() : 0));
        for (const QString *field : {&e.name, &e.department, &e.title, &e.email}) {
            const QByteArray utf8 = field->toUtf8();
            put(quint16(utf8.size()));
            payload += utf8;
        }
    }
    QByteArray frame(Wire::HeaderSize, Qt::Uninitialized);
    char *h = frame.data();
    qToLittleEndian<quint32>(Wire::Magic, h);
    qToLittleEndian<quint16>(Wire::Version, h + 4);
    h[6] = char(Wire::FrameType::Records);
    h[7] = 0;
    qToLittleEndian<quint64>(sequence, h + 8);
    qToLittleEndian<quint64>(timestampUs, h + 16);
    qToLittleEndian<quint32>(quint32(records.size()), h + 24);
    qToLittleEndian<quint32>(quint32(payload.size()), h + 28);
    qToLittleEndian<quint32>(senderId, h + 32);
    quint32 crc = FrameCodec::crc32(h, Wire::CrcOffset);
    crc = FrameCodec::crc32(payload.constData(), payload.size(), crc);
    qToLittleEndian<quint32>(crc, h + 36);
    return frame + payload;
}

Employee employee(quint32 id, const QString &text)
{
    Employee e;
    e.id = id;
    e.name = text;
    e.department = text;
    e.title = text;
    e.email = text;
    return e;
}

// Records at the edges: empty text, no hire date, extreme numbers, a field of exactly the
// limit, a byte-order mark and NUL as content, four-byte UTF-8, an unpaired surrogate.
EmployeeList awkwardRecords()
{
    EmployeeList list;
    list << employee(0, QString());
    Employee extreme = employee(0xFFFFFFFFu, QStringLiteral("x"));
    extreme.salaryCents = std::numeric_limits<qint64>::min();
    extreme.hireDate = QDate(65535, 12, 31);
    list << extreme;
    Employee first = employee(1, QStringLiteral("a"));
    first.salaryCents = std::numeric_limits<qint64>::max();
    first.hireDate = QDate(1, 1, 1);
    list << first;
    list << employee(2, QString(4096, QLatin1Char('a')));
    list << employee(3, QString(2048, QChar(0x00E9)));
    list << employee(4, QString(QChar(0xFEFF)) + QStringLiteral("bom") + QChar(0) + QStringLiteral("nul"));
    list << employee(5, QString::fromUtf8("\xF0\x9F\x98\x80 emoji, \"quotes\"\r\nline"));
    list << employee(6, QString(QChar(0xD800)) + QStringLiteral(" lone surrogate ") + QChar(0xDC00));
    return list;
}

RecordFields viewOf(const Employee &e, QByteArray utf8[4])
{
    RecordFields v;
    v.id = e.id;
    v.salaryCents = e.salaryCents;
    if (e.hireDate.isValid()) {
        v.hireYear = quint16(e.hireDate.year());
        v.hireMonth = quint8(e.hireDate.month());
        v.hireDay = quint8(e.hireDate.day());
    }
    utf8[0] = e.name.toUtf8();
    utf8[1] = e.department.toUtf8();
    utf8[2] = e.title.toUtf8();
    utf8[3] = e.email.toUtf8();
    v.name = utf8[0];
    v.department = utf8[1];
    v.title = utf8[2];
    v.email = utf8[3];
    return v;
}

} // namespace

class TestFrameBuilder final : public QObject
{
    Q_OBJECT

private slots:
    void matchesThePreviousEncoder_data()
    {
        QTest::addColumn<EmployeeList>("records");
        QTest::newRow("no records") << EmployeeList();
        QTest::newRow("awkward records") << awkwardRecords();
        for (quint64 seed : {1, 2, 7, 2024})
            QTest::addRow("generated, seed %llu", seed) << EmployeeGenerator(seed).take(1000);
    }

    void matchesThePreviousEncoder()
    {
        QFETCH(EmployeeList, records);
        const QByteArray expected = previousEncoder(records, 9, 0xC0FFEE, Timestamp);
        QCOMPARE(FrameCodec::encodeRecords(records.constData(), records.size(), 9, 0xC0FFEE, Timestamp), expected);

        FrameBuilder fromEmployees;
        FrameBuilder fromViews;
        for (const Employee &e : records) {
            QByteArray storage[4];
            QVERIFY(fromEmployees.appendRecord(e));
            QVERIFY(fromViews.appendRecord(viewOf(e, storage)));
        }
        QCOMPARE(fromEmployees.frameBytes(), expected.size());
        QCOMPARE(fromEmployees.seal(9, 0xC0FFEE, Timestamp), expected);
        QCOMPARE(fromViews.seal(9, 0xC0FFEE, Timestamp), expected);
    }

    void framesStayWithinTheLimit()
    {
        const EmployeeList records = EmployeeGenerator(3).take(500);
        const qint64 limit = 2000;
        FrameBuilder builder(limit);
        qsizetype next = 0;
        quint64 sequence = 0;
        while (next < records.size()) {
            const qsizetype first = next;
            while (next < records.size() && builder.appendRecord(records.at(next)))
                ++next;
            QVERIFY(next > first);
            QVERIFY(builder.frameBytes() <= limit);
            const QByteArray frame = builder.seal(++sequence, 5, Timestamp);
            // A refused record left nothing behind: the frame is exactly its records.
            QCOMPARE(frame, previousEncoder(records.mid(first, next - first), sequence, 5, Timestamp));
            // ...and the next record would really not have fitted.
            if (next < records.size())
                QVERIFY(frame.size() + FrameCodec::encodedRecordSize(records.at(next)) > limit);
        }
        QVERIFY(sequence > 10);
    }

    void aFirstRecordIsNeverRefused()
    {
        const Employee big = employee(1, QString(4096, QLatin1Char('b')));
        FrameBuilder builder(100);
        QVERIFY(builder.appendRecord(big));
        QVERIFY(!builder.appendRecord(employee(2, QString())));
        QCOMPARE(builder.recordCount(), 1u);
        QCOMPARE(builder.seal(1, 1, Timestamp), previousEncoder({big}, 1, 1, Timestamp));

        QByteArray storage[4];
        QVERIFY(builder.appendRecord(viewOf(big, storage)));
        QVERIFY(!builder.appendRecord(viewOf(big, storage)));
        QCOMPARE(builder.recordCount(), 1u);
    }

    void sealStartsAFreshFrame()
    {
        const EmployeeList records = EmployeeGenerator(4).take(30);
        FrameBuilder builder;
        for (int frame = 0; frame < 3; ++frame) {
            for (int i = 0; i < 10; ++i)
                QVERIFY(builder.appendRecord(records.at(frame * 10 + i)));
            QCOMPARE(builder.seal(quint64(frame + 1), 3, Timestamp),
                     previousEncoder(records.mid(frame * 10, 10), quint64(frame + 1), 3, Timestamp));
            QCOMPARE(builder.recordCount(), 0u);
            QCOMPARE(builder.frameBytes(), qint64(Wire::HeaderSize));
        }
    }

    void controlFramesShareTheHeaderWriter()
    {
        // Written by FrameBuilder::writeHeader too: the decoder accepts them as they were.
        DecodedFrame ack;
        QCOMPARE(FrameCodec::decode(FrameCodec::encodeAck(5, 6, 7, 8), &ack), DecodeError::None);
        QCOMPARE(ack.header.type, Wire::FrameType::Ack);
        QCOMPARE(ack.ackRecords, 8u);
        DecodedFrame hello;
        QCOMPARE(FrameCodec::decode(FrameCodec::encodeControl(Wire::FrameType::Hello, 0, 6, "hi", Timestamp), &hello),
                 DecodeError::None);
        QCOMPARE(hello.payload().toByteArray(), QByteArray("hi"));
        QCOMPARE(hello.header.timestampUs, Timestamp);
    }
};

QTEST_GUILESS_MAIN(TestFrameBuilder)
#include "tst_framebuilder.moc"
