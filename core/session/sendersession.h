// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"
#include "framebuilder.h"
#include "recordsource.h"
#include "transportendpoint.h"
#include "transportmetadata.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <deque>
#include <memory>

// Sends records over an open sender endpoint. Records are pulled from record sources, in the
// order they were queued, and encoded straight into frames of up to `batchSize` records, each
// built only when the window has room for it: at most `windowFrames` frames unacknowledged and
// the endpoint holding at most 8 MiB unsent. So memory is bounded by the window and the frame
// size, whatever the number of records or the receiver's speed. Frames are numbered 1, 2, 3...
// Over a lossy transport (the clipboard) it does not wait for acks; frames never acknowledged
// by the end are reported as overwritten. Over a one-to-many transport (udp) it waits for no
// ack at all, not even at the end: it sends everything, then Bye, and each receiver counts its
// own losses. A source that fails (a bad CSV row) ends the
// session: what was sent stays sent, the error says how much that was, and Bye follows.
class IPCWCORE_EXPORT SenderSession : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int batchSize = 256;
        int windowFrames = 16;
        qint64 maxFrameBytes = 0;  // 0: the codec's limit; smaller batches are cut to fit
        bool waitForAcks = true;   // false for lossy transports
        bool fanOut = false;       // one to many: Bye follows the last frame, no grace for acks
        int finalAckTimeoutMs = 10000;
    };

    struct Summary
    {
        qint64 recordsSent = 0;
        qint64 framesSent = 0;
        qint64 framesAcked = 0;      // as reported by the receiver's last ack
        qint64 recordsAcked = 0;
        qint64 framesUnacknowledged = 0; // overwritten / lost as far as the sender can tell
        qint64 elapsedMs = 0;
        QString sourceError; // why the records ran out early; empty when every record was sent
        double recordsPerSecond() const;
    };

    SenderSession(TransportEndpoint *endpoint, const Options &options, QObject *parent = nullptr);
    ~SenderSession() override;

    static Options defaultOptionsFor(const TransportCapabilities &caps);

    // Queues a source, which the session owns from now on; its records follow those queued
    // before. Sending starts at once (or when the endpoint connects).
    void send(std::unique_ptr<RecordSource> source);
    // Queues records already held (the form's, tests').
    void send(const EmployeeList &records);
    // Sends Bye once everything queued is acknowledged, then emits finished().
    void finish();

    bool busy() const;
    quint32 senderId() const { return m_senderId; }
    const Summary &summary() const { return m_summary; }

signals:
    // recordsTotal: of every source queued so far; -1 when a source cannot tell.
    void progress(qint64 recordsSent, qint64 recordsAcked, qint64 recordsTotal);
    void finished(const SenderSession::Summary &summary);
    void errorOccurred(const QString &message);

private:
    void pump();
    bool sendNextFrame();
    void stopOnSourceError(const QString &error);
    void onFrame(const QByteArray &frame, quint64 peer);
    void maybeFinish();
    void rearmAckTimer();

    TransportEndpoint *m_endpoint;
    Options m_options;
    quint32 m_senderId;
    std::deque<std::unique_ptr<RecordSource>> m_sources; // the front one is being sent
    qint64 m_recordsFromFrontSource = 0;
    FrameBuilder m_builder;
    qint64 m_recordsTotal = 0; // -1: unknown
    quint64 m_nextSequence = 1;
    quint64 m_highestAcked = 0;
    bool m_finishRequested = false;
    bool m_finished = false;
    Summary m_summary;
    QElapsedTimer m_clock;
    QTimer m_finalAckTimer;
};
