// SPDX-License-Identifier: GPL-3.0-or-later
// The sender's and receiver's bookkeeping on hand-delivered frames: windows, acks, gaps,
// duplicates, reordering, bad frames, lossy endings.

#include "csv.h"
#include "csvsource.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "generatorsource.h"
#include "listsource.h"
#include "manualendpoint.h"
#include "receiversession.h"
#include "receivertally.h"
#include "sendersession.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {

DecodedFrame decoded(const QByteArray &frame)
{
    DecodedFrame d;
    const DecodeError error = FrameCodec::decode(frame, &d);
    if (error != DecodeError::None)
        qWarning("%s", qPrintable(decodeErrorSentence(error)));
    return d;
}

QByteArray recordsFrame(quint64 sequence, quint32 senderId = 42, int count = 3)
{
    return FrameCodec::encodeRecords(EmployeeGenerator(sequence).take(count), sequence, senderId);
}

// A source that cannot say how many records it holds, as a stream from elsewhere could not.
class UncountedSource final : public RecordSource
{
public:
    explicit UncountedSource(qint64 count) : m_generated(EmployeeGenerator(1), count) {}
    int appendTo(FrameBuilder &frame, int maxRecords) override { return m_generated.appendTo(frame, maxRecords); }
    bool atEnd() const override { return m_generated.atEnd(); }
    qint64 total() const override { return -1; }
    Progress progress() const override { return {m_generated.progress().done, -1}; }

private:
    GeneratorSource m_generated;
};

EmployeeList recordsIn(const QByteArrayList &frames)
{
    EmployeeList records;
    for (const QByteArray &frame : frames) {
        const DecodedFrame d = decoded(frame);
        if (d.header.type == Wire::FrameType::Records)
            records += d.records;
    }
    return records;
}

qint64 receivedRecords(const QSignalSpy &spy)
{
    qint64 n = 0;
    for (const QList<QVariant> &call : spy)
        for (const RecordBatchPtr &batch : call.at(0).value<RecordBatchList>())
            n += batch->size();
    return n;
}

} // namespace

class TestSessions final : public QObject
{
    Q_OBJECT

private slots:
    void senderKeepsItsWindow()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 10;
        options.windowFrames = 4;
        SenderSession session(&endpoint, options);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(100));
        endpoint.sent.removeFirst(); // the Hello
        // No acks yet: exactly the window is out, nothing more is even encoded.
        QCOMPARE(endpoint.sent.size(), 4);
        QCOMPARE(decoded(endpoint.sent.at(3)).header.sequence, 4u);

        // Acking frame 2 frees two places.
        endpoint.deliver(FrameCodec::encodeAck(2, session.senderId(), 2, 20));
        QCOMPARE(endpoint.sent.size(), 6);
        // Acks for another sender change nothing.
        endpoint.deliver(FrameCodec::encodeAck(6, session.senderId() + 1, 6, 60));
        QCOMPARE(endpoint.sent.size(), 6);
    }

    void senderFinishesWithByeOnceAllAcked()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 50;
        SenderSession session(&endpoint, options);
        QSignalSpy finished(&session, &SenderSession::finished);
        QSignalSpy errors(&session, &SenderSession::errorOccurred);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(100));
        session.finish();
        QCOMPARE(finished.count(), 0);
        endpoint.deliver(FrameCodec::encodeAck(2, session.senderId(), 2, 100));
        QCOMPARE(finished.count(), 1);
        const auto summary = finished.at(0).at(0).value<SenderSession::Summary>();
        QCOMPARE(summary.recordsSent, 100);
        QCOMPARE(summary.framesUnacknowledged, 0);
        QCOMPARE(decoded(endpoint.sent.last()).header.type, Wire::FrameType::Bye);
        QCOMPARE(errors.count(), 0);
    }

    void idleAcknowledgedSenderNeverTimesOut()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.finalAckTimeoutMs = 100;
        SenderSession session(&endpoint, options);
        QSignalSpy errors(&session, &SenderSession::errorOccurred);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(10));
        endpoint.deliver(FrameCodec::encodeAck(1, session.senderId(), 1, 10));
        QTest::qWait(300);
        QCOMPARE(errors.count(), 0);
        QVERIFY(!session.busy());
    }

    void silentReceiverIsReported()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.finalAckTimeoutMs = 100;
        SenderSession session(&endpoint, options);
        QSignalSpy errors(&session, &SenderSession::errorOccurred);
        QSignalSpy finished(&session, &SenderSession::finished);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(10));
        session.finish();
        QTRY_COMPARE(errors.count(), 1);
        QVERIFY2(errors.at(0).at(0).toString().contains(QStringLiteral("stopped acknowledging")),
                 qPrintable(errors.at(0).at(0).toString()));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<SenderSession::Summary>().framesUnacknowledged, 1);
    }

    void lossySenderCountsWhatWasNeverAcked()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 10;
        options.waitForAcks = false;
        options.finalAckTimeoutMs = 100;
        SenderSession session(&endpoint, options);
        QSignalSpy finished(&session, &SenderSession::finished);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(50)); // five frames, all at once
        session.finish();
        // Only frames 2 and 5 got through; the cumulative ack for 5 says two frames arrived.
        endpoint.deliver(FrameCodec::encodeAck(5, session.senderId(), 2, 20));
        QCOMPARE(finished.count(), 1); // the last frame is answered: nothing more to wait for
        QCOMPARE(finished.at(0).at(0).value<SenderSession::Summary>().framesUnacknowledged, 3);
    }

    void fanOutSenderEndsWithByeWithoutWaiting()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        TransportCapabilities caps;
        caps.reliable = false;
        caps.fanOut = true;
        SenderSession::Options options = SenderSession::defaultOptionsFor(caps);
        QVERIFY(options.fanOut);
        QVERIFY(!options.waitForAcks);
        options.batchSize = 10;
        SenderSession session(&endpoint, options);
        QSignalSpy finished(&session, &SenderSession::finished);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(50));
        session.finish();
        // No ack came, and none is waited for: all five frames, then Bye, at once.
        QCOMPARE(finished.count(), 1);
        QCOMPARE(endpoint.sent.size(), 7); // Hello, five Records frames, Bye
        QCOMPARE(decoded(endpoint.sent.last()).header.type, Wire::FrameType::Bye);
        QCOMPARE(decoded(endpoint.sent.last()).header.sequence, 6u);
        QCOMPARE(finished.at(0).at(0).value<SenderSession::Summary>().framesUnacknowledged, 0);
    }

    void tallyCountsTheReceiversTheEndpointAnnounces()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        TransportMetadata udp;
        udp.name = QStringLiteral("UDP");
        udp.capabilities.fanOut = true;
        udp.capabilities.knowsReceivers = true;
        ReceiverTally tally(&endpoint, udp);
        QSignalSpy changed(&tally, &ReceiverTally::changed);
        QVERIFY(tally.known());
        QCOMPARE(tally.count(), 0);
        QCOMPARE(tally.sentence(), QStringLiteral("No receiver heard from yet."));
        endpoint.connectPeer(1, QStringLiteral("receiver pid 10"));
        endpoint.connectPeer(2, QStringLiteral("receiver pid 11"));
        endpoint.connectPeer(2, QStringLiteral("receiver pid 11")); // announced twice: still one receiver
        QCOMPARE(tally.count(), 2);
        QCOMPARE(tally.sentence(), QStringLiteral("2 receivers known."));
        endpoint.disconnectPeer(1, QStringLiteral("it closed"));
        endpoint.disconnectPeer(7, QStringLiteral("never announced")); // not counted, so not uncounted
        QCOMPARE(tally.count(), 1);
        QCOMPARE(tally.sentence(), QStringLiteral("1 receiver known."));
        QCOMPARE(tally.peak(), 2);
        QCOMPARE(tally.peakSentence(), QStringLiteral("At most 2 receivers known at once."));
        QCOMPARE(changed.count(), 3); // only real changes
        QCOMPARE(changed.last().at(0).toInt(), 1);
    }

    void tallySaysWhenTheMechanismCannotTell()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        TransportMetadata clipboard;
        clipboard.name = QStringLiteral("Clipboard");
        clipboard.capabilities.multipleReceivers = true;
        ReceiverTally tally(&endpoint, clipboard);
        endpoint.connectPeer(1, QStringLiteral("someone")); // ignored: the metadata says it cannot tell
        QVERIFY(!tally.known());
        QCOMPARE(tally.count(), -1);
        QCOMPARE(tally.sentence(), QStringLiteral("Clipboard cannot tell how many receivers listen."));
        QCOMPARE(tally.peakSentence(), tally.sentence());
        QCOMPARE(tally.peak(), -1);
    }

    void frameTooLargeIsSplit()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 1000;
        options.maxFrameBytes = 4096;
        SenderSession session(&endpoint, options);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(200));
        endpoint.sent.removeFirst();
        QVERIFY(endpoint.sent.size() > 1);
        for (const QByteArray &frame : std::as_const(endpoint.sent))
            QVERIFY(frame.size() <= 4096);
    }

    void senderEncodesOnlyWhatTheWindowAllows()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 100;
        options.windowFrames = 4;
        SenderSession session(&endpoint, options);
        QSignalSpy progress(&session, &SenderSession::progress);
        endpoint.open();
        auto source = std::make_unique<GeneratorSource>(EmployeeGenerator(1), 100'000'000);
        const GeneratorSource *generator = source.get();
        session.send(std::move(source));
        // A hundred million queued, four frames' worth made: memory follows the window, not N.
        QCOMPARE(endpoint.sent.size(), 1 + 4);
        QCOMPARE(generator->progress().done, 400);
        QCOMPARE(progress.last().at(2).toLongLong(), 100'000'000);
        endpoint.deliver(FrameCodec::encodeAck(1, session.senderId(), 1, 100));
        QCOMPARE(generator->progress().done, 500);
        QCOMPARE(recordsIn(endpoint.sent), EmployeeGenerator(1).take(500));
    }

    void sourcesFollowOneAnotherInOneStream()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 4;
        SenderSession session(&endpoint, options);
        QSignalSpy progress(&session, &SenderSession::progress);
        const EmployeeList first = EmployeeGenerator(5).take(5);
        session.send(first);
        session.send(std::make_unique<GeneratorSource>(EmployeeGenerator(6), 7));
        endpoint.open();
        endpoint.sent.removeFirst(); // the Hello
        QCOMPARE(endpoint.sent.size(), 3); // 4, then 1 + 3 across the two sources, then 4
        QCOMPARE(decoded(endpoint.sent.at(1)).header.recordCount, 4u);
        QCOMPARE(recordsIn(endpoint.sent), first + EmployeeGenerator(6).take(7));
        QCOMPARE(progress.last().at(2).toLongLong(), 12);
    }

    void unknownTotalIsMinusOne()
    {
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession session(&endpoint, SenderSession::Options());
        QSignalSpy progress(&session, &SenderSession::progress);
        QSignalSpy finished(&session, &SenderSession::finished);
        endpoint.open();
        session.send(EmployeeGenerator(1).take(3));
        session.send(std::make_unique<UncountedSource>(10));
        session.finish();
        QCOMPARE(progress.last().at(0).toLongLong(), 13);
        QCOMPARE(progress.last().at(2).toLongLong(), -1);
        endpoint.deliver(FrameCodec::encodeAck(2, session.senderId(), 2, 13)); // two frames: sending began at once
        QCOMPARE(finished.count(), 1);
    }

    void badSourceEndsTheSessionWithBye()
    {
        // A CSV file sent without checking it first: its bad row turns up mid-transfer.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.csv"));
        QByteArray csv = Csv::encode(EmployeeGenerator(2).take(250));
        const qint64 badLine = csv.count('\n') + 1;
        csv += "x251,a,b,c,d,1.00,\r\n251,a,b,c,d,1.00,\r\n";
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly) && file.write(csv) == csv.size());
        }
        ManualEndpoint endpoint(EndpointRole::Sender, QStringLiteral("x"));
        SenderSession::Options options;
        options.batchSize = 100;
        SenderSession session(&endpoint, options);
        QSignalSpy errors(&session, &SenderSession::errorOccurred);
        QSignalSpy finished(&session, &SenderSession::finished);
        endpoint.open();
        session.send(std::make_unique<CsvSource>(path));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).toString(),
                 QStringLiteral("Line %1, column 1: the id must be a whole number from 0 to 4294967295. "
                                "Sending stopped there: the 250 records before it were sent, nothing after it.").arg(badLine));
        QCOMPARE(recordsIn(endpoint.sent), EmployeeGenerator(2).take(250)); // whole frames up to the bad row
        QVERIFY(session.busy());
        // No finish() needed: the session ends by itself once what was sent is acknowledged.
        endpoint.deliver(FrameCodec::encodeAck(3, session.senderId(), 3, 250));
        QCOMPARE(finished.count(), 1);
        const auto summary = finished.at(0).at(0).value<SenderSession::Summary>();
        QCOMPARE(summary.recordsSent, 250);
        QCOMPARE(summary.sourceError, errors.at(0).at(0).toString());
        QCOMPARE(decoded(endpoint.sent.last()).header.type, Wire::FrameType::Bye);
    }

    void receiverCountsGapsDuplicatesAndReordering()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        QSignalSpy records(&session, &ReceiverSession::batchesReceived);
        endpoint.open();
        for (quint64 sequence : {1, 2, 5, 2, 4, 9})
            endpoint.deliver(recordsFrame(sequence));
        session.flush();
        const ReceiverSession::Counters &c = session.counters();
        QCOMPARE(c.frames, 5);        // 1 2 5 4 9: the repeated 2 is not counted twice
        QCOMPARE(c.records, 15);
        QCOMPARE(c.duplicateFrames, 1);
        QCOMPARE(c.reorderedFrames, 1); // 4 filled its gap late
        QCOMPARE(c.lostFrames, 4);      // 3, 6, 7, 8 never came
        QCOMPARE(receivedRecords(records), 15);
        // Every Records frame was acknowledged, duplicates too, with the highest sequence seen.
        QCOMPARE(endpoint.sent.size(), 6);
        QCOMPARE(decoded(endpoint.sent.last()).header.sequence, 9u);
        QCOMPARE(decoded(endpoint.sent.last()).ackFrames, 5u);
    }

    void receiverCountsTheTailByeSaysWasLost()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        endpoint.open();
        endpoint.deliver(recordsFrame(1));
        endpoint.deliver(recordsFrame(2));
        // Bye carries the next unused sequence: 3 and 4 were sent and never came.
        endpoint.deliver(FrameCodec::encodeControl(Wire::FrameType::Bye, 5, 42));
        session.flush();
        QCOMPARE(session.counters().lostFrames, 2);
        QCOMPARE(session.counters().sendersFinished, 1);
        // One of them overtaken by the Bye, not lost after all.
        endpoint.deliver(recordsFrame(4));
        session.flush();
        QCOMPARE(session.counters().lostFrames, 1);
        QCOMPARE(session.counters().reorderedFrames, 1);
        QCOMPARE(session.counters().duplicateFrames, 0);
        QCOMPARE(session.counters().frames, 3);
    }

    void receiverKeepsSendersApart()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        endpoint.open();
        endpoint.deliver(recordsFrame(1, 7), 1);
        endpoint.deliver(recordsFrame(1, 8), 2);
        endpoint.deliver(recordsFrame(2, 7), 1);
        QCOMPARE(session.counters().senders, 2);
        QCOMPARE(session.counters().duplicateFrames, 0);
        QCOMPARE(endpoint.sentTo, (QVector<TransportEndpoint::PeerId>{1, 2, 1}));
        QCOMPARE(decoded(endpoint.sent.at(1)).header.senderId, 8u);
    }

    void badFrameIsCountedAndDroppedWhole()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        QSignalSpy problems(&session, &ReceiverSession::problem);
        QSignalSpy records(&session, &ReceiverSession::batchesReceived);
        endpoint.open();
        QByteArray corrupt = recordsFrame(1);
        corrupt[corrupt.size() - 1] = char(corrupt.at(corrupt.size() - 1) ^ 0x01);
        endpoint.deliver(corrupt);
        session.flush();
        QCOMPARE(session.counters().badFrames, 1);
        QCOMPARE(session.counters().records, 0);
        QCOMPARE(receivedRecords(records), 0);
        QCOMPARE(problems.count(), 1);
        QVERIFY(problems.at(0).at(0).toString().contains(QStringLiteral("Checksum mismatch")));
        QVERIFY(endpoint.sent.isEmpty()); // nothing to acknowledge
    }

    void pingIsAnsweredWithItsOwnPayload()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        endpoint.open();
        endpoint.deliver(FrameCodec::encodeControl(Wire::FrameType::Ping, 77, 5, QByteArray("payload"), 1234), 3);
        QCOMPARE(endpoint.sent.size(), 1);
        const DecodedFrame pong = decoded(endpoint.sent.at(0));
        QCOMPARE(pong.header.type, Wire::FrameType::Pong);
        QCOMPARE(pong.header.sequence, 77u);
        QCOMPARE(pong.header.timestampUs, 1234u);
        QCOMPARE(pong.payload().toByteArray(), QByteArray("payload"));
        QCOMPARE(endpoint.sentTo.at(0), 3u);
    }

    void departureWithoutByeIsReported()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        QSignalSpy problems(&session, &ReceiverSession::problem);
        endpoint.open();
        endpoint.deliver(recordsFrame(1, 7), 1);
        endpoint.deliver(recordsFrame(1, 8), 2);
        endpoint.deliver(FrameCodec::encodeControl(Wire::FrameType::Bye, 2, 8), 2);
        endpoint.disconnectPeer(2, QStringLiteral("the connection was closed"));
        QCOMPARE(problems.count(), 0); // said goodbye: a clean departure
        endpoint.disconnectPeer(1, QStringLiteral("the connection was closed"));
        QCOMPARE(problems.count(), 1);
        QVERIFY(problems.at(0).at(0).toString().contains(QStringLiteral("without saying goodbye")));
        QCOMPARE(session.counters().sendersFinished, 1);
    }

    void refusedPeerIsCountedAndReportedOnce()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        QSignalSpy problems(&session, &ReceiverSession::problem);
        endpoint.open();
        // A peer that sent a good frame, then something the endpoint refused.
        endpoint.connectPeer(1, QStringLiteral("127.0.0.1:5000"));
        endpoint.deliver(recordsFrame(1, 7), 1);
        endpoint.refusePeer(1, QStringLiteral("The stream is out of step and was closed. Bad flags: reserved header bits are set."));
        endpoint.disconnectPeer(1, QStringLiteral("this receiver refused it"));
        QCOMPARE(session.counters().badFrames, 1);
        QCOMPARE(session.counters().records, 3); // what it sent before stays
        QCOMPARE(problems.count(), 1);           // no "went away" on top of the refusal
        QCOMPARE(problems.at(0).at(0).toString(),
                 QStringLiteral("Sender #1 (127.0.0.1:5000) was refused and disconnected. The stream is out of step and "
                                "was closed. Bad flags: reserved header bits are set."));

        // One refused as it connected was never announced: it is named, counted, then forgotten.
        endpoint.refusePeer(9, QStringLiteral("This receiver already serves 64 senders."));
        QCOMPARE(session.counters().badFrames, 2);
        QCOMPARE(problems.count(), 2);
        QVERIFY2(problems.at(1).at(0).toString().startsWith(QStringLiteral("Sender #2 was refused and disconnected. This receiver")),
                 qPrintable(problems.at(1).at(0).toString()));
        QCOMPARE(session.peerName(9), QStringLiteral("sender #3"));
    }

    // A message transport drops a piece it cannot use and keeps the peer: counted, told, and the
    // peer's next frame still counts.
    void refusedMessageIsCountedAndThePeerStays()
    {
        ManualEndpoint endpoint(EndpointRole::Receiver, QStringLiteral("x"));
        ReceiverSession session(&endpoint, QStringLiteral("manual"));
        QSignalSpy problems(&session, &ReceiverSession::problem);
        endpoint.open();
        endpoint.connectPeer(5, QStringLiteral("pid 42"));
        endpoint.refuseMessage(5, QStringLiteral("The sender pid 42 left frame 1 unfinished; it was dropped."));
        endpoint.refuseMessage(0, QStringLiteral("A datagram that no IPC Workshop sender wrote was dropped."));
        endpoint.deliver(recordsFrame(1, 9, 4), 5);
        QCOMPARE(session.counters().badFrames, 2);
        QCOMPARE(session.counters().records, 4);
        QCOMPARE(problems.count(), 2);
        QCOMPARE(problems.at(0).at(0).toString(),
                 QStringLiteral("Dropped input from sender #1 (pid 42). The sender pid 42 left frame 1 unfinished; it was dropped."));
        QVERIFY(problems.at(1).at(0).toString().startsWith(QLatin1String("Dropped input from a sender it does not know.")));
    }
};

QTEST_GUILESS_MAIN(TestSessions)
#include "tst_sessions.moc"
