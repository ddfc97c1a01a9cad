// SPDX-License-Identifier: GPL-3.0-or-later
#include "samplereservoir.h"
#include "transfermeter.h"

#include <QTest>

#include <cmath>

namespace {

constexpr qint64 Ms = 1000; // the meter counts microseconds

} // namespace

// The live chart's sampler on known inputs: rates and percentiles per interval, the sender's
// totals, and memory that stays bounded however long a transfer runs.
class TestTransferMeter final : public QObject
{
    Q_OBJECT

private slots:
    void reservoirIsExactWhileItHoldsEverything();
    void reservoirStaysBoundedAndUnbiased();
    void rateIsRecordsPerIntervalLength();
    void percentilesAreThoseOfTheIntervalsFrames();
    void pauseGivesZeroRateAndNoLatency();
    void lateFrameCountsInTheOpenInterval();
    void senderPointsCarrySentAndAcknowledged();
    void finishClosesThePartialIntervalOnce();
    void totalsCoverTheWholeTransfer();
    void restartForgetsTheLastTransfer();
    void longTransferStaysBoundedAndWhole();
    void mergingKeepsTheWorstP99();
};

void TestTransferMeter::reservoirIsExactWhileItHoldsEverything()
{
    SampleReservoir r(1000);
    QVERIFY(std::isnan(r.percentile(50)));
    for (int v = 1000; v >= 1; --v) // order does not matter
        r.add(v);
    QCOMPARE(r.seen(), 1000);
    QCOMPARE(r.size(), 1000);
    QCOMPARE(r.percentile(50), 500.0);
    QCOMPARE(r.percentile(99), 990.0);
    QCOMPARE(r.percentile(100), 1000.0);
    r.add(5000); // one more: still 1000 kept
    QCOMPARE(r.size(), 1000);
    r.clear();
    QCOMPARE(r.seen(), 0);
    QVERIFY(std::isnan(r.percentile(99)));
}

void TestTransferMeter::reservoirStaysBoundedAndUnbiased()
{
    SampleReservoir r(1024);
    for (int v = 1; v <= 1'000'000; ++v)
        r.add(v);
    QCOMPARE(r.seen(), 1'000'000);
    QCOMPARE(r.size(), 1024);
    // A uniform sample of 1..10^6: its median within a few percent of the true one.
    QVERIFY2(std::abs(r.percentile(50) - 500'000) < 50'000, qPrintable(QString::number(r.percentile(50))));
    QVERIFY2(r.percentile(99) > 970'000, qPrintable(QString::number(r.percentile(99))));
}

void TestTransferMeter::rateIsRecordsPerIntervalLength()
{
    TransferMeter meter(100 * Ms, 240);
    meter.restart(0);
    for (int i = 0; i < 10; ++i) // 10 frames of 100 records in the first 100 ms
        meter.addFrame(i * 10 * Ms, 100, 2 * Ms);
    QVERIFY(meter.points().empty()); // the interval is still open
    meter.addFrame(150 * Ms, 50, 2 * Ms); // closes the first
    QCOMPARE(meter.points().size(), size_t(1));
    QCOMPARE(meter.points().at(0).seconds, 0.1);
    QCOMPARE(meter.points().at(0).recordsPerSecond, 10'000.0);
    QCOMPARE(meter.points().at(0).frames, 10);
    meter.advanceTo(200 * Ms);
    QCOMPARE(meter.points().size(), size_t(2));
    QCOMPARE(meter.points().at(1).seconds, 0.2);
    QCOMPARE(meter.points().at(1).recordsPerSecond, 500.0);
}

void TestTransferMeter::percentilesAreThoseOfTheIntervalsFrames()
{
    TransferMeter meter(1000 * Ms, 240);
    meter.restart(0);
    for (int latency = 100; latency >= 1; --latency) // 1..100 ms, one frame each
        meter.addFrame((100 - latency) * Ms, 10, latency * Ms);
    for (int i = 0; i < 20; ++i) // the next second: every frame 7 ms
        meter.addFrame(1000 * Ms + i * Ms, 10, 7 * Ms);
    meter.advanceTo(2000 * Ms);
    QCOMPARE(meter.points().size(), size_t(2));
    QCOMPARE(meter.points().at(0).latencyP50Ms, 50.0);
    QCOMPARE(meter.points().at(0).latencyP99Ms, 99.0);
    QCOMPARE(meter.points().at(1).latencyP50Ms, 7.0);
    QCOMPARE(meter.points().at(1).latencyP99Ms, 7.0);
}

void TestTransferMeter::pauseGivesZeroRateAndNoLatency()
{
    TransferMeter meter(100 * Ms, 240);
    meter.restart(0);
    meter.addFrame(10 * Ms, 100, Ms);
    meter.addFrame(450 * Ms, 100, Ms); // nothing between 100 and 400 ms
    QCOMPARE(meter.points().size(), size_t(4));
    for (size_t i = 1; i < 4; ++i) {
        QCOMPARE(meter.points().at(i).recordsPerSecond, 0.0);
        QVERIFY(std::isnan(meter.points().at(i).latencyP50Ms));
        QVERIFY(std::isnan(meter.points().at(i).latencyP99Ms));
        QCOMPARE(meter.points().at(i).frames, 0);
    }
}

void TestTransferMeter::lateFrameCountsInTheOpenInterval()
{
    TransferMeter meter(100 * Ms, 240);
    meter.restart(0);
    meter.advanceTo(250 * Ms); // two intervals closed, empty
    meter.addFrame(50 * Ms, 30, Ms); // stamped in the past: time does not run back
    meter.advanceTo(300 * Ms);
    QCOMPARE(meter.points().size(), size_t(3));
    QCOMPARE(meter.points().at(0).recordsPerSecond, 0.0);
    QCOMPARE(meter.points().at(2).recordsPerSecond, 300.0);
}

void TestTransferMeter::senderPointsCarrySentAndAcknowledged()
{
    TransferMeter meter(100 * Ms, 240);
    meter.restart(0);
    meter.setProgress(20 * Ms, 512, 0);
    meter.setProgress(60 * Ms, 1024, 256);
    meter.setProgress(130 * Ms, 1024, 1024);
    meter.advanceTo(200 * Ms);
    QCOMPARE(meter.points().size(), size_t(2));
    QCOMPARE(meter.points().at(0).sent, 1024);
    QCOMPARE(meter.points().at(0).acked, 256);
    QCOMPARE(meter.points().at(0).recordsPerSecond, 2560.0); // acknowledged per second
    QCOMPARE(meter.points().at(1).acked, 1024);
    QCOMPARE(meter.points().at(1).recordsPerSecond, 7680.0);
    QVERIFY(std::isnan(meter.points().at(1).latencyP50Ms)); // a sender measures no latency
    const TransferMeter::Totals totals = meter.totals();
    QCOMPARE(totals.sent, 1024);
    QCOMPARE(totals.acked, 1024);
    QCOMPARE(totals.records, 0);
    QCOMPARE(totals.seconds, 0.13);
    QCOMPARE(totals.recordsPerSecond(), 1024 / 0.13);
}

void TestTransferMeter::finishClosesThePartialIntervalOnce()
{
    TransferMeter meter(100 * Ms, 240);
    meter.restart(0);
    meter.addFrame(30 * Ms, 40, Ms);
    meter.addFrame(120 * Ms, 40, Ms);
    QCOMPARE(meter.points().size(), size_t(1));
    meter.finish(meter.lastActivityUs());
    QCOMPARE(meter.points().size(), size_t(2));
    QCOMPARE(meter.points().at(1).seconds, 0.2);
    QCOMPARE(meter.points().at(1).recordsPerSecond, 400.0);
    meter.finish(meter.lastActivityUs());
    meter.finish(meter.lastActivityUs() + 50 * Ms);
    QCOMPARE(meter.points().size(), size_t(2));
}

void TestTransferMeter::totalsCoverTheWholeTransfer()
{
    TransferMeter meter(100 * Ms, 240);
    QVERIFY(!meter.isStarted());
    QVERIFY(std::isnan(meter.totals().latencyP50Ms));
    meter.addFrame(5'000 * Ms, 256, 3 * Ms); // the first frame starts the transfer
    QVERIFY(meter.isStarted());
    QCOMPARE(meter.startUs(), 5'000 * Ms);
    for (int i = 1; i <= 99; ++i)
        meter.addFrame(5'000 * Ms + i * 20 * Ms, 256, (i >= 98 ? 40 : 3) * Ms); // two slow frames
    const TransferMeter::Totals totals = meter.totals();
    QCOMPARE(totals.records, 100 * 256);
    QCOMPARE(totals.frames, 100);
    QCOMPARE(totals.seconds, 1.98);
    QCOMPARE(totals.recordsPerSecond(), 100 * 256 / 1.98);
    QCOMPARE(totals.latencyP50Ms, 3.0);
    QCOMPARE(totals.latencyP99Ms, 40.0); // nearest rank 99 of 100: the first slow frame
}

void TestTransferMeter::restartForgetsTheLastTransfer()
{
    TransferMeter meter(100 * Ms, 240);
    meter.restart(0);
    meter.addFrame(10 * Ms, 100, Ms);
    meter.finish(10 * Ms);
    QCOMPARE(meter.points().size(), size_t(1));
    meter.restart(60'000 * Ms);
    QVERIFY(meter.points().empty());
    QCOMPARE(meter.totals().records, 0);
    QCOMPARE(meter.intervalUs(), 100 * Ms);
    meter.addFrame(60'050 * Ms, 7, 9 * Ms);
    meter.finish(meter.lastActivityUs());
    QCOMPARE(meter.points().size(), size_t(1));
    QCOMPARE(meter.points().at(0).seconds, 0.1);
    QCOMPARE(meter.totals().latencyP50Ms, 9.0);
}

void TestTransferMeter::longTransferStaysBoundedAndWhole()
{
    // Ten hours at 100 frames of 256 records a second: 3.6 million frames.
    TransferMeter meter(250 * Ms, 240);
    meter.restart(0);
    constexpr qint64 Frames = 3'600'000;
    for (qint64 i = 0; i < Frames; ++i)
        meter.addFrame(i * 10 * Ms, 256, 2 * Ms);
    meter.finish(meter.lastActivityUs());
    const std::vector<TransferMeter::Point> &points = meter.points();
    QVERIFY2(points.size() <= size_t(meter.maxPoints()), qPrintable(QString::number(points.size())));
    QVERIFY(points.size() >= size_t(meter.maxPoints() / 2));
    QVERIFY(meter.intervalUs() > 250 * Ms);
    // Still the whole transfer, at a steady 25,600 records/s, in equal steps.
    QVERIFY(points.back().seconds >= 36'000.0);
    const double step = double(meter.intervalUs()) / 1e6;
    for (size_t i = 0; i + 1 < points.size(); ++i) {
        QCOMPARE(points.at(i).seconds, step * double(i + 1));
        QCOMPARE(points.at(i).recordsPerSecond, 25'600.0);
        QCOMPARE(points.at(i).latencyP99Ms, 2.0);
    }
    QCOMPARE(meter.totals().records, Frames * 256);
    QCOMPARE(meter.totals().frames, Frames);
}

void TestTransferMeter::mergingKeepsTheWorstP99()
{
    TransferMeter meter(100 * Ms, 4);
    meter.restart(0);
    meter.addFrame(10 * Ms, 10, 1 * Ms);
    meter.addFrame(110 * Ms, 10, 50 * Ms); // a spike in the second interval
    meter.addFrame(120 * Ms, 10, 1 * Ms);
    meter.addFrame(210 * Ms, 10, 1 * Ms);
    meter.addFrame(310 * Ms, 10, 1 * Ms);
    meter.advanceTo(400 * Ms); // the fourth point: merged into two
    QCOMPARE(meter.points().size(), size_t(2));
    QCOMPARE(meter.intervalUs(), 200 * Ms);
    QCOMPARE(meter.points().at(0).seconds, 0.2);
    QCOMPARE(meter.points().at(0).frames, 3);
    QCOMPARE(meter.points().at(0).latencyP99Ms, 50.0);
    QCOMPARE(meter.points().at(0).recordsPerSecond, 150.0);
    QCOMPARE(meter.points().at(1).latencyP99Ms, 1.0);
    // The next interval is as long as the merged ones.
    meter.addFrame(450 * Ms, 10, 1 * Ms);
    meter.advanceTo(600 * Ms);
    QCOMPARE(meter.points().size(), size_t(3));
    QCOMPARE(meter.points().at(2).seconds, 0.6);
    QCOMPARE(meter.points().at(2).recordsPerSecond, 50.0);
}

QTEST_GUILESS_MAIN(TestTransferMeter)
#include "tst_transfermeter.moc"
