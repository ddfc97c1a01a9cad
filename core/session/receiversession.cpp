// SPDX-License-Identifier: GPL-3.0-or-later
#include "receiversession.h"

#include "framecodec.h"

#include <algorithm>

namespace {
// Gaps are remembered individually up to this many per sender (so a late frame can be
// recognised as reordered); beyond it they are only counted.
constexpr int MaxTrackedGaps = 65536;
}

ReceiverSession::ReceiverSession(TransportEndpoint *endpoint, const QString &transportId, QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_transportId(transportId)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(50);
    connect(&m_flushTimer, &QTimer::timeout, this, &ReceiverSession::flush);
    connect(m_endpoint, &TransportEndpoint::frameReceived, this, &ReceiverSession::onFrame);
    connect(m_endpoint, &TransportEndpoint::peerDisconnected, this, [this](quint64 peer, const QString &reason) {
        // A peer that said Bye left cleanly, one that never sent a frame (a probe) is not news;
        // any other departure is worth a sentence.
        const auto it = m_peerSaidBye.constFind(peer);
        if (it == m_peerSaidBye.cend())
            return;
        const bool saidBye = *it;
        m_peerSaidBye.erase(it);
        if (!saidBye)
            emit problem(QStringLiteral("Sender %1 went away without saying goodbye (%2). It may have crashed; "
                                        "every record it sent in full was kept.").arg(peer).arg(reason));
    });
}

void ReceiverSession::flush()
{
    m_flushTimer.stop();
    if (!m_buffer.isEmpty()) {
        ReceivedRecordList batch;
        batch.swap(m_buffer);
        emit recordsReceived(batch);
    }
    emit countersChanged(m_counters);
}

bool ReceiverSession::account(SenderState &state, quint64 sequence)
{
    if (sequence > state.highest) {
        const quint64 gap = sequence - state.highest - 1;
        m_counters.lostFrames += qint64(gap);
        for (quint64 s = state.highest + 1; s < sequence && state.missing.size() < MaxTrackedGaps; ++s)
            state.missing.append(s);
        state.highest = sequence;
        return true;
    }
    const auto it = std::find(state.missing.begin(), state.missing.end(), sequence);
    if (it == state.missing.end()) {
        ++m_counters.duplicateFrames;
        return false;
    }
    state.missing.erase(it);
    --m_counters.lostFrames;
    ++m_counters.reorderedFrames;
    return true;
}

void ReceiverSession::onFrame(const QByteArray &frame, quint64 peer)
{
    DecodedFrame decoded;
    if (const DecodeError error = FrameCodec::decode(frame, &decoded); error != DecodeError::None) {
        ++m_counters.badFrames;
        emit problem(QStringLiteral("Dropped a bad frame of %1 bytes from sender %2. %3")
                         .arg(frame.size()).arg(peer).arg(decodeErrorSentence(error)));
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
        return;
    }
    const FrameHeader &h = decoded.header;
    m_peerSaidBye.insert(peer, h.type == Wire::FrameType::Bye);
    switch (h.type) {
    case Wire::FrameType::Records: {
        auto it = m_senders.find(h.senderId);
        if (it == m_senders.end()) {
            it = m_senders.insert(h.senderId, SenderState());
            ++m_counters.senders;
        }
        SenderState &state = *it;
        if (account(state, h.sequence)) {
            const qint64 now = qint64(FrameCodec::nowMicroseconds());
            // No exact reserve() here: growing to the exact size on every frame copies the whole
            // coalescing buffer each time (quadratic); append's geometric growth is linear.
            for (Employee &e : decoded.records)
                m_buffer.append(ReceivedRecord{std::move(e), h.sequence, m_transportId, qint64(h.timestampUs), now});
            ++state.frames;
            state.records += h.recordCount;
            ++m_counters.frames;
            m_counters.records += h.recordCount;
        }
        m_endpoint->sendFrame(FrameCodec::encodeAck(state.highest, h.senderId, quint64(state.frames),
                                                    quint64(state.records)), peer);
        break;
    }
    case Wire::FrameType::Ping:
        m_endpoint->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Pong, h.sequence, h.senderId,
                                                        decoded.payload, h.timestampUs), peer);
        return;
    case Wire::FrameType::Bye:
        ++m_counters.sendersFinished;
        emit senderFinished(h.senderId);
        break;
    case Wire::FrameType::Hello:
    case Wire::FrameType::Ack:
    case Wire::FrameType::Pong:
        return;
    }
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}
