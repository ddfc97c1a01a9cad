// SPDX-License-Identifier: GPL-3.0-or-later
#include "sendersession.h"

#include "framecodec.h"

#include <QRandomGenerator>

namespace {
// Transport-level backpressure: never let an endpoint hold more than this unsent.
constexpr qint64 MaxQueuedBytes = 8 * 1024 * 1024;
}

double SenderSession::Summary::recordsPerSecond() const
{
    return elapsedMs > 0 ? recordsSent * 1000.0 / double(elapsedMs) : 0.0;
}

SenderSession::Options SenderSession::defaultOptionsFor(const TransportCapabilities &caps)
{
    Options o;
    o.waitForAcks = caps.reliable;
    if (caps.maxMessageBytes > 0)
        o.maxFrameBytes = caps.maxMessageBytes;
    return o;
}

SenderSession::SenderSession(TransportEndpoint *endpoint, const Options &options, QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_options(options)
{
    do {
        m_senderId = QRandomGenerator::global()->generate();
    } while (m_senderId == 0);
    m_options.batchSize = qMax(1, m_options.batchSize);
    m_options.windowFrames = qMax(1, m_options.windowFrames);

    // Reliable: silence this long means the receiver stopped answering. Lossy: how long to
    // wait for the last acks before counting the rest as overwritten.
    m_finalAckTimer.setSingleShot(true);
    m_finalAckTimer.setInterval(options.finalAckTimeoutMs);
    connect(&m_finalAckTimer, &QTimer::timeout, this, [this] {
        if (m_options.waitForAcks)
            emit errorOccurred(QStringLiteral("The receiver stopped acknowledging: %1 frames were never confirmed within %2 s.")
                                   .arg((m_nextSequence - 1) - m_highestAcked).arg(m_options.finalAckTimeoutMs / 1000.0));
        m_options.waitForAcks = false;
        m_finishRequested = true;
        m_pending.clear();
        m_pendingOffset = 0;
        maybeFinish();
    });

    connect(m_endpoint, &TransportEndpoint::frameReceived, this, &SenderSession::onFrame);
    connect(m_endpoint, &TransportEndpoint::bytesWritten, this, &SenderSession::pump);
    connect(m_endpoint, &TransportEndpoint::stateChanged, this, [this](TransportEndpoint::State s) {
        if (s == TransportEndpoint::State::Connected) {
            m_endpoint->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Hello, 0, m_senderId,
                                                            QStringLiteral("ipcworkshop sender %1").arg(m_senderId).toUtf8()));
            pump();
        }
    });
    m_clock.start();
}

bool SenderSession::busy() const
{
    return !m_finished && (m_pendingOffset < m_pending.size() || (m_nextSequence - 1) > m_highestAcked);
}

void SenderSession::send(const EmployeeList &records)
{
    if (m_recordsTotal == 0)
        m_clock.restart();
    m_pending += records;
    m_recordsTotal += records.size();
    m_finished = false;
    pump();
}

void SenderSession::finish()
{
    m_finishRequested = true;
    rearmAckTimer(); // a lossy session waits a grace period for the last acks from here on
    maybeFinish();
}

int SenderSession::recordsForNextFrame() const
{
    const int available = int(qMin<qsizetype>(m_options.batchSize, m_pending.size() - m_pendingOffset));
    const qint64 limit = m_options.maxFrameBytes > 0 ? qMin<qint64>(m_options.maxFrameBytes, Wire::MaxFrameBytes)
                                                     : qint64(Wire::MaxFrameBytes);
    // UTF-16 to UTF-8 grows by at most 3/2 per code unit: a cheap bound that avoids encoding
    // twice in the common case where the whole batch clearly fits.
    qint64 bound = Wire::HeaderSize;
    for (int i = 0; i < available; ++i) {
        const Employee &e = m_pending.at(m_pendingOffset + i);
        bound += Wire::MinRecordBytes + 3 * (e.name.size() + e.department.size() + e.title.size() + e.email.size());
    }
    if (bound <= limit)
        return available;
    qint64 exact = Wire::HeaderSize;
    for (int i = 0; i < available; ++i) {
        exact += FrameCodec::encodedRecordSize(m_pending.at(m_pendingOffset + i));
        if (exact > limit)
            return qMax(1, i); // a single record always goes: a frame holds at least one
    }
    return available;
}

void SenderSession::pump()
{
    if (m_endpoint->state() != TransportEndpoint::State::Connected || m_finished)
        return;
    while (m_pendingOffset < m_pending.size()) {
        const quint64 inFlight = (m_nextSequence - 1) - m_highestAcked;
        if (m_options.waitForAcks && inFlight >= quint64(m_options.windowFrames))
            break;
        if (m_endpoint->queuedBytes() > MaxQueuedBytes)
            break;
        const int count = recordsForNextFrame();
        m_endpoint->sendFrame(FrameCodec::encodeRecords(m_pending.constData() + m_pendingOffset, count,
                                                        m_nextSequence++, m_senderId));
        m_pendingOffset += count;
        m_summary.framesSent += 1;
        m_summary.recordsSent += count;
    }
    if (m_pendingOffset == m_pending.size()) {
        m_pending.clear(); // keep memory bounded to what is not sent yet
        m_pendingOffset = 0;
    }
    rearmAckTimer();
    emit progress(m_summary.recordsSent, m_summary.recordsAcked, m_recordsTotal);
    maybeFinish();
}

void SenderSession::onFrame(const QByteArray &frame, quint64)
{
    DecodedFrame decoded;
    if (const DecodeError error = FrameCodec::decode(frame, &decoded); error != DecodeError::None) {
        emit errorOccurred(QStringLiteral("A bad frame came back from the receiver and was dropped. %1").arg(decodeErrorSentence(error)));
        return;
    }
    if (decoded.header.type != Wire::FrameType::Ack || decoded.header.senderId != m_senderId)
        return; // pongs are the benchmark's business; acks for other senders are not ours
    m_highestAcked = qMax(m_highestAcked, decoded.header.sequence);
    m_summary.framesAcked = qint64(decoded.ackFrames);
    m_summary.recordsAcked = qint64(decoded.ackRecords);
    rearmAckTimer();
    pump();
}

// The timer runs only while frames are out and unanswered: an idle, fully acknowledged
// session has nothing to time out.
void SenderSession::rearmAckTimer()
{
    const bool outstanding = (m_nextSequence - 1) > m_highestAcked;
    if (outstanding && (m_options.waitForAcks || m_finishRequested))
        m_finalAckTimer.start();
    else
        m_finalAckTimer.stop();
}

void SenderSession::maybeFinish()
{
    if (!m_finishRequested || m_finished || m_pendingOffset < m_pending.size())
        return;
    const bool allAcked = m_summary.framesAcked >= m_summary.framesSent;
    if (!allAcked && (m_options.waitForAcks || m_finalAckTimer.isActive()))
        return;
    m_finished = true;
    m_finalAckTimer.stop();
    m_endpoint->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Bye, m_nextSequence, m_senderId));
    m_summary.framesUnacknowledged = m_summary.framesSent - m_summary.framesAcked;
    m_summary.elapsedMs = m_clock.elapsed();
    emit finished(m_summary);
}
