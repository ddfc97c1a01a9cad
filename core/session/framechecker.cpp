// SPDX-License-Identifier: GPL-3.0-or-later
#include "framechecker.h"

FrameChecker::FrameChecker(const QString &transportId, QObject *parent)
    : QObject(parent), m_transportId(transportId), m_storage(std::make_shared<FrameStorage>())
{
    qRegisterMetaType<CheckedFrame>();
}

FrameChecker::~FrameChecker()
{
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
    }
}

void FrameChecker::setKeepsBatches(bool keeps)
{
    if (keeps != bool(m_storage))
        m_storage = keeps ? std::make_shared<FrameStorage>() : nullptr;
}

CheckedFrame FrameChecker::checkNow(const QByteArray &frame, quint64 peer, qint64 receivedAtUs,
                                    const QString &transportId, FrameStorage *storage)
{
    CheckedFrame result;
    result.peer = peer;
    result.receivedAtUs = receivedAtUs;
    result.frameBytes = frame.size();
    result.error = FrameCodec::peekHeader(frame.constData(), frame.size(), &result.header);
    if (result.error != DecodeError::None)
        return result;
    if (result.header.type == Wire::FrameType::Records) {
        auto batch = std::make_shared<RecordBatch>();
        result.error = FrameCodec::indexRecords(frame, batch.get());
        if (result.error == DecodeError::None) {
            if (storage)
                storage->keep(batch.get());
            batch->receivedAtUs = receivedAtUs;
            batch->transport = transportId;
            result.batch = std::move(batch);
        }
    } else {
        result.error = FrameCodec::decode(frame, &result.control);
    }
    return result;
}

void FrameChecker::ensureWorker()
{
    if (m_thread)
        return;
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("ipcw frame checker"));
    m_worker = new QObject; // a context for queued calls into the thread
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

template <typename Work, typename Deliver>
void FrameChecker::runInOrder(quint64 peer, Work work, Deliver deliver)
{
    ensureWorker();
    ++m_pending;
    ++m_pendingByPeer[peer];
    // One worker thread and queued calls both ways: results return in the order calls went in.
    QMetaObject::invokeMethod(m_worker, [this, peer, work, deliver] {
        auto result = work();
        QMetaObject::invokeMethod(this, [this, peer, deliver, result] {
            --m_pending;
            if (--m_pendingByPeer[peer] == 0)
                m_pendingByPeer.remove(peer);
            deliver(result);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void FrameChecker::check(const QByteArray &frame, quint64 peer)
{
    const qint64 receivedAtUs = qint64(FrameCodec::nowMicroseconds());
    if (pending(peer) == 0 && frame.size() <= InlineLimitBytes) {
        emit checked(checkNow(frame, peer, receivedAtUs, m_transportId, m_storage.get()));
        return;
    }
    runInOrder(peer, [frame, peer, receivedAtUs, transport = m_transportId, storage = m_storage] {
                   return checkNow(frame, peer, receivedAtUs, transport, storage.get());
               },
               [this](const CheckedFrame &result) { emit checked(result); });
}

template <typename Deliver> void FrameChecker::afterPending(quint64 peer, Deliver deliver)
{
    if (pending(peer) == 0) {
        deliver();
        return;
    }
    runInOrder(peer, [] { return 0; }, [deliver](int) { deliver(); });
}

void FrameChecker::notePeerGone(quint64 peer, const QString &reason)
{
    afterPending(peer, [this, peer, reason] { emit peerGone(peer, reason); });
}

void FrameChecker::notePeerRefused(quint64 peer, const QString &reason)
{
    afterPending(peer, [this, peer, reason] { emit peerRefused(peer, reason); });
}
