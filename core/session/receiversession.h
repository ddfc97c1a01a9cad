// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/session: the two ends of a transfer on top of any endpoint. SenderSession numbers
// frames and keeps the send window; ReceiverSession validates, accounts (lost, duplicate,
// reordered, bad) and acknowledges. Neither knows which mechanism carries the frames.

#include "peernames.h"
#include "recordbatch.h"
#include "transportendpoint.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

class FrameChecker;
struct CheckedFrame;

// Turns a receiving endpoint's frames into records: validates every frame through a
// FrameChecker (large frames off this thread; a bad one is counted, reported with its sentence
// and dropped whole), tracks sequence numbers per sender (gaps = lost frames, repeats =
// duplicates, late arrivals filling a gap = reordered), acknowledges each Records frame, answers
// pings, and hands the validated frames on as RecordBatches, coalesced (at most every
// `flushIntervalMs`) so the model sees few large inserts. No record is copied on the way.
class IPCWCORE_EXPORT ReceiverSession : public QObject
{
    Q_OBJECT
public:
    struct Counters
    {
        qint64 records = 0;
        qint64 frames = 0;
        qint64 lostFrames = 0;      // sequence gaps not (yet) filled
        qint64 duplicateFrames = 0;
        qint64 reorderedFrames = 0;
        qint64 badFrames = 0;
        qint64 senders = 0;         // distinct sender ids seen
        qint64 sendersFinished = 0; // Bye received
    };

    ReceiverSession(TransportEndpoint *endpoint, const QString &transportId, QObject *parent = nullptr);

    const Counters &counters() const { return m_counters; }
    void setFlushInterval(int ms) { m_flushTimer.setInterval(ms); }
    // Default true: received batches are moved into long-lived storage for a model to keep.
    // A receiver that drops every batch at once (counting only) says false.
    void setKeepsBatches(bool keeps);
    // Hands on whatever is buffered now (before export or exit).
    void flush();
    // Frames received but still being validated (large frames, off this thread).
    int framesInCheck() const;
    // The readable name of an endpoint peer, as every message of this session gives it.
    QString peerName(quint64 peer) { return m_peerNames.name(peer); }

signals:
    void batchesReceived(const RecordBatchList &batches);
    void countersChanged(const ReceiverSession::Counters &counters);
    // A bad frame, a broken or refused peer: a sentence for the log.
    void problem(const QString &message);
    // `senderId` said goodbye (Bye) through endpoint peer `peer` (peerName() names it).
    void senderFinished(quint32 senderId, quint64 peer);

private:
    struct SenderState
    {
        quint64 highest = 0;          // highest sequence seen
        QVector<quint64> missing;     // sequences below `highest` not yet seen (bounded)
        qint64 frames = 0;
        qint64 records = 0;
    };

    void onChecked(const CheckedFrame &frame);
    // Counts the sequences after `highest` up to `last` as lost (remembered, so a late one is
    // recognised as reordered) and makes `last` the highest.
    void noteMissingUpTo(SenderState &state, quint64 last);
    // Returns false for a duplicate.
    bool account(SenderState &state, quint64 sequence);

    TransportEndpoint *m_endpoint;
    QString m_transportId;
    QHash<quint32, SenderState> m_senders;
    QHash<quint64, bool> m_peerSaidBye; // per endpoint peer: did it close cleanly?
    QSet<quint64> m_refusedPeers;       // refused and reported, their departure not yet seen
    PeerNames m_peerNames;
    Counters m_counters;
    FrameChecker *m_checker;
    RecordBatchList m_buffer;
    QTimer m_flushTimer;
};
