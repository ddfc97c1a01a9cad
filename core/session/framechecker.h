// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "framecodec.h"
#include "framestorage.h"
#include "recordbatch.h"

#include <QHash>
#include <QObject>
#include <QThread>

// What the receiver learns from one frame once it is checked: either the reason it is bad, or
// its header with the indexed records (Records) or the decoded control frame (anything else).
struct CheckedFrame
{
    quint64 peer = 0;
    qint64 receivedAtUs = 0;
    qsizetype frameBytes = 0;
    DecodeError error = DecodeError::None;
    FrameHeader header;
    RecordBatchPtr batch;   // Records
    DecodedFrame control;   // Ack, Ping, Pong, Hello, Bye
};
Q_DECLARE_METATYPE(CheckedFrame)

// Validates frames for a ReceiverSession, each peer's in its arrival order. A small frame is
// checked at once on the caller's thread (cheaper than a thread hop, and round trips stay at the
// mechanism's floor); a large one, and everything behind it from the same peer while it is being
// checked, goes to a worker thread, so the event loop never waits on a frame whatever its size.
// Results come back through checked(), always in the order each peer's frames were given; other
// peers are not held up by one peer's large frame (a ping answered behind someone else's 64 MiB
// would measure the checker, not the mechanism).
class IPCWCORE_EXPORT FrameChecker : public QObject
{
    Q_OBJECT
public:
    // Frames up to this size are checked inline when nothing is queued (about 30 µs of work).
    static constexpr qsizetype InlineLimitBytes = 64 * 1024;

    explicit FrameChecker(const QString &transportId, QObject *parent = nullptr);
    ~FrameChecker() override;

    // Whether record batches are moved into long-lived FrameStorage (the default: the receiver
    // keeps them) or left in the buffers they arrived in (a receiver that drops them at once).
    void setKeepsBatches(bool keeps);

    void check(const QByteArray &frame, quint64 peer);
    // A peer left: reported through peerGone() after every frame it sent before leaving.
    void notePeerGone(quint64 peer, const QString &reason);
    // The endpoint refused a peer: reported through peerRefused() after every frame it sent
    // before that.
    void notePeerRefused(quint64 peer, const QString &reason);
    // Frames handed to the worker and not yet returned.
    int pending() const { return m_pending; }
    int pending(quint64 peer) const { return m_pendingByPeer.value(peer); }

    // The work itself, on whichever thread runs it.
    static CheckedFrame checkNow(const QByteArray &frame, quint64 peer, qint64 receivedAtUs,
                                 const QString &transportId, FrameStorage *storage);

signals:
    void checked(const CheckedFrame &frame);
    void peerGone(quint64 peer, const QString &reason);
    void peerRefused(quint64 peer, const QString &reason);

private:
    void ensureWorker();
    // Runs `work` on the worker thread, then `deliver` with its result on this object's thread,
    // in the order of the calls; counted as pending for `peer` until delivered.
    template <typename Work, typename Deliver> void runInOrder(quint64 peer, Work work, Deliver deliver);
    // Runs `deliver` once every frame `peer` gave so far has been delivered.
    template <typename Deliver> void afterPending(quint64 peer, Deliver deliver);

    QString m_transportId;
    std::shared_ptr<FrameStorage> m_storage; // shared with work in flight on the worker
    QThread *m_thread = nullptr;
    QObject *m_worker = nullptr; // lives in m_thread
    int m_pending = 0;
    QHash<quint64, int> m_pendingByPeer; // only peers with frames on the worker
};
