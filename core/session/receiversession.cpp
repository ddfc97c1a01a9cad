// SPDX-License-Identifier: GPL-3.0-or-later
#include "receiversession.h"

#include "framechecker.h"
#include "framecodec.h"
#include "sentences.h"

#include <algorithm>

namespace {
// Gaps are remembered individually up to this many per sender (so a late frame can be
// recognised as reordered); beyond it they are only counted.
constexpr int MaxTrackedGaps = 65536;
}

ReceiverSession::ReceiverSession(TransportEndpoint *endpoint, const QString &transportId, QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_transportId(transportId),
      m_checker(new FrameChecker(transportId, this))
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(50);
    connect(&m_flushTimer, &QTimer::timeout, this, &ReceiverSession::flush);
    connect(m_endpoint, &TransportEndpoint::frameReceived, m_checker, &FrameChecker::check);
    connect(m_checker, &FrameChecker::checked, this, &ReceiverSession::onChecked);
    connect(m_endpoint, &TransportEndpoint::peerDisconnected, m_checker, &FrameChecker::notePeerGone);
    m_peerNames.follow(m_endpoint, this);
    connect(m_checker, &FrameChecker::peerGone, this, [this](quint64 peer, const QString &reason) {
        // A peer that said Bye left cleanly, one that never sent a frame (a probe) is not news,
        // and neither is one this receiver closed itself (no reason); any other departure is
        // worth a sentence.
        const auto it = m_peerSaidBye.constFind(peer);
        const bool sentFrames = it != m_peerSaidBye.cend();
        const bool saidBye = sentFrames && *it;
        if (sentFrames)
            m_peerSaidBye.erase(it);
        const bool refused = m_refusedPeers.remove(peer); // already reported, with its reason
        if (sentFrames && !saidBye && !reason.isEmpty() && !refused)
            emit problem(QStringLiteral("%1 went away without saying goodbye: %2. It may have crashed; "
                                        "every record it sent in full was kept.")
                             .arg(Sentences::capitalized(m_peerNames.name(peer)), Sentences::clause(reason)));
        m_peerNames.remove(peer);
    });
    // A refusal (a stream out of step, a budget, a time limit, one peer too many) is counted as
    // a bad frame like any other: whatever the peer sent was dropped, not applied.
    connect(m_endpoint, &TransportEndpoint::streamRefused, m_checker, &FrameChecker::notePeerRefused);
    connect(m_checker, &FrameChecker::peerRefused, this, [this](quint64 peer, const QString &reason) {
        const bool announced = m_peerNames.knows(peer);
        ++m_counters.badFrames;
        emit problem(QStringLiteral("%1 was refused and disconnected. %2")
                         .arg(Sentences::capitalized(m_peerNames.name(peer)), reason));
        if (announced)
            m_refusedPeers.insert(peer);
        else
            m_peerNames.remove(peer); // refused as it connected: nothing more will be said of it
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
    });
    // A message transport drops what could not become a frame and keeps the peer: counted and
    // told the same way. An unknown sender is not given a name (a flood of strangers would
    // otherwise fill the table of names).
    connect(m_endpoint, &TransportEndpoint::messageRefused, this, [this](quint64 peer, const QString &reason) {
        ++m_counters.badFrames;
        const QString who = m_peerNames.knows(peer) ? m_peerNames.name(peer) : QStringLiteral("a sender it does not know");
        emit problem(QStringLiteral("Dropped input from %1. %2").arg(who, reason));
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
    });
}

void ReceiverSession::setKeepsBatches(bool keeps)
{
    m_checker->setKeepsBatches(keeps);
}

int ReceiverSession::framesInCheck() const
{
    return m_checker->pending();
}

void ReceiverSession::flush()
{
    m_flushTimer.stop();
    if (!m_buffer.isEmpty()) {
        RecordBatchList batches;
        batches.swap(m_buffer);
        emit batchesReceived(batches);
    }
    emit countersChanged(m_counters);
}

void ReceiverSession::noteMissingUpTo(SenderState &state, quint64 last)
{
    m_counters.lostFrames += qint64(last - state.highest);
    for (quint64 s = state.highest + 1; s <= last && state.missing.size() < MaxTrackedGaps; ++s)
        state.missing.append(s);
    state.highest = last;
}

bool ReceiverSession::account(SenderState &state, quint64 sequence)
{
    if (sequence > state.highest) {
        noteMissingUpTo(state, sequence - 1);
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

void ReceiverSession::onChecked(const CheckedFrame &checked)
{
    const quint64 peer = checked.peer;
    if (checked.error != DecodeError::None) {
        ++m_counters.badFrames;
        emit problem(QStringLiteral("Dropped a bad frame of %1 bytes from %2. %3")
                         .arg(checked.frameBytes).arg(m_peerNames.name(peer), decodeErrorSentence(checked.error)));
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
        return;
    }
    const FrameHeader &h = checked.header;
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
            m_buffer.append(checked.batch);
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
                                                        checked.control.payload(), h.timestampUs,
                                                        checked.control.payloadCrc), peer);
        return;
    case Wire::FrameType::Bye: {
        // Bye carries the next unused sequence: Records frames after the last one seen never
        // came (a lossy mechanism lost the tail). Counted as gaps, so a late one is "reordered".
        auto it = m_senders.find(h.senderId);
        if (it == m_senders.end() && h.sequence > 1) {
            it = m_senders.insert(h.senderId, SenderState());
            ++m_counters.senders;
        }
        if (it != m_senders.end() && h.sequence > it->highest + 1)
            noteMissingUpTo(*it, h.sequence - 1);
        ++m_counters.sendersFinished;
        emit senderFinished(h.senderId, peer);
        break;
    }
    case Wire::FrameType::Hello:
    case Wire::FrameType::Ack:
    case Wire::FrameType::Pong:
        return;
    }
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}
