// SPDX-License-Identifier: GPL-3.0-or-later
#include "sendersession.h"

#include "framecodec.h"
#include "listsource.h"

#include <QRandomGenerator>

namespace {
// Transport-level backpressure: never let an endpoint hold more than this unsent.
constexpr qint64 MaxQueuedBytes = 8 * 1024 * 1024;

qint64 frameLimit(const SenderSession::Options &options)
{
    return options.maxFrameBytes > 0 ? qMin<qint64>(options.maxFrameBytes, Wire::MaxFrameBytes)
                                     : qint64(Wire::MaxFrameBytes);
}
} // namespace

double SenderSession::Summary::recordsPerSecond() const
{
    return elapsedMs > 0 ? recordsSent * 1000.0 / double(elapsedMs) : 0.0;
}

SenderSession::Options SenderSession::defaultOptionsFor(const TransportCapabilities &caps)
{
    Options o;
    o.waitForAcks = caps.reliable && !caps.fanOut;
    o.fanOut = caps.fanOut;
    if (caps.maxMessageBytes > 0)
        o.maxFrameBytes = caps.maxMessageBytes;
    return o;
}

SenderSession::SenderSession(TransportEndpoint *endpoint, const Options &options, QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_options(options), m_builder(frameLimit(options))
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
        if (m_options.waitForAcks) {
            const quint64 unanswered = (m_nextSequence - 1) - m_highestAcked;
            emit errorOccurred(QStringLiteral("The receiver stopped acknowledging: %1 %2 never confirmed within %3 s.")
                                   .arg(unanswered)
                                   .arg(unanswered == 1 ? QStringLiteral("frame was") : QStringLiteral("frames were"))
                                   .arg(m_options.finalAckTimeoutMs / 1000.0));
        }
        m_options.waitForAcks = false;
        m_finishRequested = true;
        m_sources.clear();
        m_recordsFromFrontSource = 0;
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

SenderSession::~SenderSession() = default;

bool SenderSession::busy() const
{
    return !m_finished && (!m_sources.empty() || (m_nextSequence - 1) > m_highestAcked);
}

void SenderSession::send(std::unique_ptr<RecordSource> source)
{
    if (m_summary.framesSent == 0 && m_sources.empty())
        m_clock.restart();
    const qint64 total = source->total();
    m_recordsTotal = total < 0 || m_recordsTotal < 0 ? -1 : m_recordsTotal + total;
    m_sources.push_back(std::move(source));
    m_finished = false;
    pump();
}

void SenderSession::send(const EmployeeList &records)
{
    send(std::make_unique<ListSource>(records));
}

void SenderSession::finish()
{
    m_finishRequested = true;
    rearmAckTimer(); // a lossy session waits a grace period for the last acks from here on
    maybeFinish();
}

void SenderSession::pump()
{
    if (m_endpoint->state() != TransportEndpoint::State::Connected || m_finished)
        return;
    while (!m_sources.empty()) {
        const quint64 inFlight = (m_nextSequence - 1) - m_highestAcked;
        if (m_options.waitForAcks && inFlight >= quint64(m_options.windowFrames))
            break;
        if (m_endpoint->queuedBytes() > MaxQueuedBytes)
            break;
        if (!sendNextFrame())
            break;
    }
    rearmAckTimer();
    emit progress(m_summary.recordsSent, m_summary.recordsAcked, m_recordsTotal);
    maybeFinish();
}

// Fills one frame from the sources in order (a frame may hold the end of one and the start of
// the next) and sends it. False when there was nothing left to send.
bool SenderSession::sendNextFrame()
{
    QString sourceError;
    while (!m_sources.empty() && m_builder.recordCount() < quint32(m_options.batchSize)) {
        RecordSource &source = *m_sources.front();
        m_recordsFromFrontSource += source.appendTo(m_builder, m_options.batchSize - int(m_builder.recordCount()));
        if (!source.atEnd())
            break; // the frame is full
        sourceError = source.errorString();
        if (!sourceError.isEmpty())
            break;
        m_sources.pop_front();
        m_recordsFromFrontSource = 0;
    }
    const quint32 count = m_builder.recordCount();
    if (count > 0) {
        m_endpoint->sendFrame(m_builder.seal(m_nextSequence++, m_senderId));
        m_summary.framesSent += 1;
        m_summary.recordsSent += count;
    }
    if (!sourceError.isEmpty())
        stopOnSourceError(sourceError);
    return count > 0;
}

// The good records before the bad one are sent (they are whole and correct); nothing after it
// is, and the sentence says how far the transfer got.
void SenderSession::stopOnSourceError(const QString &error)
{
    m_summary.sourceError = QStringLiteral("%1 Sending stopped there: the %2 records before it were sent, nothing after it.")
                                .arg(error).arg(m_recordsFromFrontSource);
    m_sources.clear();
    m_recordsFromFrontSource = 0;
    m_finishRequested = true;
    emit errorOccurred(m_summary.sourceError);
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
    if (outstanding && !m_options.fanOut && (m_options.waitForAcks || m_finishRequested))
        m_finalAckTimer.start();
    else
        m_finalAckTimer.stop();
}

void SenderSession::maybeFinish()
{
    if (!m_finishRequested || m_finished || !m_sources.empty())
        return;
    const bool allAcked = m_summary.framesAcked >= m_summary.framesSent;
    if (!allAcked && !m_options.fanOut && (m_options.waitForAcks || m_finalAckTimer.isActive()))
        return;
    m_finished = true;
    m_finalAckTimer.stop();
    m_endpoint->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Bye, m_nextSequence, m_senderId));
    // One to many: acks from some receivers say nothing of the others, so none are counted missing.
    m_summary.framesUnacknowledged = m_options.fanOut ? 0 : m_summary.framesSent - m_summary.framesAcked;
    m_summary.elapsedMs = m_clock.elapsed();
    emit finished(m_summary);
}
