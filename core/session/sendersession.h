// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"
#include "transportendpoint.h"
#include "transportmetadata.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

// Sends records over an open sender endpoint: cuts them into frames of `batchSize` records,
// numbers the frames 1, 2, 3... and keeps at most `windowFrames` frames unacknowledged, so
// memory stays bounded whatever the receiver's speed. Over a lossy transport (the clipboard)
// it does not wait for acks; frames never acknowledged by the end are reported as overwritten.
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
        double recordsPerSecond() const;
    };

    SenderSession(TransportEndpoint *endpoint, const Options &options, QObject *parent = nullptr);

    static Options defaultOptionsFor(const TransportCapabilities &caps);

    // Queues records; sending starts at once (or when the endpoint connects).
    void send(const EmployeeList &records);
    // Sends Bye once everything queued is acknowledged, then emits finished().
    void finish();

    bool busy() const;
    quint32 senderId() const { return m_senderId; }
    const Summary &summary() const { return m_summary; }

signals:
    void progress(qint64 recordsSent, qint64 recordsAcked, qint64 recordsTotal);
    void finished(const SenderSession::Summary &summary);
    void errorOccurred(const QString &message);

private:
    void pump();
    void onFrame(const QByteArray &frame, quint64 peer);
    void maybeFinish();
    void rearmAckTimer();
    int recordsForNextFrame() const;

    TransportEndpoint *m_endpoint;
    Options m_options;
    quint32 m_senderId;
    EmployeeList m_pending;
    qsizetype m_pendingOffset = 0;
    qint64 m_recordsTotal = 0;
    quint64 m_nextSequence = 1;
    quint64 m_highestAcked = 0;
    bool m_finishRequested = false;
    bool m_finished = false;
    Summary m_summary;
    QElapsedTimer m_clock;
    QTimer m_finalAckTimer;
};
