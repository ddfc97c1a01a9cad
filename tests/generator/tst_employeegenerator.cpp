// SPDX-License-Identifier: GPL-3.0-or-later
// The generator's two ways out give the same records: next() as Employee values, appendNext()
// as UTF-8 straight into frames. Checked through the receiver's own decoder, for many seeds.

#include "employeegenerator.h"
#include "framebuilder.h"
#include "framecodec.h"
#include "generatorsource.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>

namespace {

constexpr quint64 Timestamp = 1700000000000000ull;

// Every record `source` gives, through frames of at most `maxFrameBytes` and `batch` records,
// decoded as a receiver would.
EmployeeList decodedFromFrames(RecordSource &source, qint64 maxFrameBytes, int batch, int *frames = nullptr)
{
    EmployeeList records;
    FrameBuilder builder(maxFrameBytes);
    quint64 sequence = 0;
    while (!source.atEnd()) {
        if (source.appendTo(builder, batch) == 0)
            break;
        const QByteArray frame = builder.seal(++sequence, 1, Timestamp);
        DecodedFrame decoded;
        const DecodeError error = FrameCodec::decode(frame, &decoded);
        if (error != DecodeError::None) {
            qWarning("%s", qPrintable(decodeErrorSentence(error)));
            return {};
        }
        records += decoded.records;
    }
    if (frames)
        *frames = int(sequence);
    return records;
}

} // namespace

class TestEmployeeGenerator final : public QObject
{
    Q_OBJECT

private slots:
    void fastPathMatchesNext_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<quint32>("firstId");
        QTest::addColumn<int>("count");
        for (quint64 seed = 0; seed < 200; ++seed)
            QTest::addRow("seed %llu", seed) << seed << quint32(1) << 300;
        QRandomGenerator random(20240601);
        for (int i = 0; i < 50; ++i) {
            const quint64 seed = random.generate64();
            QTest::addRow("seed %llu", seed) << seed << random.generate() << 300;
        }
        // Ids of every width, and the wrap after 4294967295.
        QTest::newRow("ids from 0") << quint64(5) << quint32(0) << 20;
        QTest::newRow("ids across 9999999999 widths") << quint64(6) << quint32(999999990) << 20;
        QTest::newRow("ids wrapping") << quint64(7) << quint32(0xFFFFFFF0u) << 40;
        // Enough records for every name pair and nearly every hire day to come up.
        QTest::newRow("many records") << quint64(1) << quint32(1) << 200000;
    }

    void fastPathMatchesNext()
    {
        QFETCH(quint64, seed);
        QFETCH(quint32, firstId);
        QFETCH(int, count);
        GeneratorSource source(EmployeeGenerator(seed, firstId), count);
        const EmployeeList fast = decodedFromFrames(source, Wire::MaxFrameBytes, 4096);
        const EmployeeList slow = EmployeeGenerator(seed, firstId).take(count);
        QCOMPARE(fast.size(), slow.size());
        for (int i = 0; i < count; ++i)
            QCOMPARE(fast.at(i), slow.at(i));
    }

    void fullFramesLoseNothing()
    {
        // Small frames refuse records all the time; each refused record opens the next frame.
        GeneratorSource source(EmployeeGenerator(11), 2000);
        int frames = 0;
        const EmployeeList fast = decodedFromFrames(source, 600, 1000, &frames);
        QVERIFY(frames > 200);
        QCOMPARE(fast, EmployeeGenerator(11).take(2000));
    }

    void refusedRecordLeavesTheGeneratorWhereItWas()
    {
        EmployeeGenerator generator(3);
        FrameBuilder builder(Wire::HeaderSize + 1);
        QVERIFY(generator.appendNext(builder)); // a first record always goes in
        QVERIFY(!generator.appendNext(builder));
        QVERIFY(!generator.appendNext(builder));
        EmployeeGenerator expected(3);
        expected.next();
        QCOMPARE(generator.next(), expected.next());
    }

    void sameBytesOnEveryRun()
    {
        const auto frameOf = [] {
            FrameBuilder builder;
            EmployeeGenerator generator(2024);
            for (int i = 0; i < 1000; ++i)
                generator.appendNext(builder);
            return builder.seal(1, 2, Timestamp);
        };
        const QByteArray frame = frameOf();
        QCOMPARE(frameOf(), frame);
        const EmployeeList records = EmployeeGenerator(2024).take(1000);
        QCOMPARE(frame, FrameCodec::encodeRecords(records.constData(), records.size(), 1, 2, Timestamp));
        // Pinned to what the generator produced before the fast path existed: a change to its
        // output shows up here, not in someone's data.
        QCOMPARE(FrameCodec::crc32(frame.constData() + Wire::HeaderSize, frame.size() - Wire::HeaderSize), 2271573471u);
    }

    void keepsItsAwkwardContent()
    {
        const EmployeeList records = EmployeeGenerator(1).take(5000);
        const auto any = [&](auto predicate) { return std::any_of(records.cbegin(), records.cend(), predicate); };
        QVERIFY(any([](const Employee &e) { return e.name.contains(QString::fromUtf8("é")); }));
        QVERIFY(any([](const Employee &e) { return e.name.contains(QString::fromUtf8("李")); }));
        QVERIFY(any([](const Employee &e) { return e.name.contains(QString::fromUtf8("Олена")); }));
        QVERIFY(any([](const Employee &e) { return e.name.contains(QLatin1Char(',')); }));
        QVERIFY(any([](const Employee &e) { return e.name.contains(QLatin1Char('"')); }));
        QVERIFY(any([](const Employee &e) { return e.title.contains(QLatin1Char('\n')); }));
        QVERIFY(any([](const Employee &e) { return e.title.startsWith(QLatin1Char('=')); }));
        QVERIFY(any([](const Employee &e) { return e.email.startsWith(QLatin1String("employee")); }));
    }

    void skipIsTakingWithoutKeeping()
    {
        for (quint64 n : {0, 1, 7, 1000}) {
            EmployeeGenerator skipped(9, 100);
            skipped.skip(n);
            EmployeeGenerator walked(9, 100);
            walked.take(int(n));
            QCOMPARE(skipped.take(5), walked.take(5));
        }
    }

    void sourceCountsAndEnds()
    {
        GeneratorSource source(EmployeeGenerator(1), 10);
        QCOMPARE(source.total(), 10);
        QVERIFY(!source.atEnd());
        FrameBuilder builder;
        QCOMPARE(source.appendTo(builder, 4), 4);
        QCOMPARE(source.progress().done, 4);
        QCOMPARE(source.progress().total, 10);
        QCOMPARE(source.appendTo(builder, 100), 6);
        QVERIFY(source.atEnd());
        QCOMPARE(source.appendTo(builder, 100), 0);
        QCOMPARE(builder.recordCount(), 10u);
        QVERIFY(source.errorString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestEmployeeGenerator)
#include "tst_employeegenerator.moc"
