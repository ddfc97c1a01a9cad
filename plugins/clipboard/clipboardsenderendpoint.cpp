// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboardsenderendpoint.h"

#include "clipboardchannel.h"
#include "clipboardformats.h"

ClipboardSenderEndpoint::ClipboardSenderEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address)
{
    m_settle.setSingleShot(true);
    m_settle.setInterval(SettleMs);
    connect(&m_settle, &QTimer::timeout, this, &ClipboardSenderEndpoint::release);
    m_firstReply.setSingleShot(true);
    m_firstReply.setInterval(FirstReplyMs);
    connect(&m_firstReply, &QTimer::timeout, this, &ClipboardSenderEndpoint::nobodyReplied);
}

void ClipboardSenderEndpoint::open()
{
    setState(State::Opening);
    // Results come from the event loop, never from inside open().
    QTimer::singleShot(0, this, [this] {
        if (state() != State::Opening)
            return;
        if (!ClipboardFormats::parseAddress(address(), &m_paced)) {
            fail(ClipboardFormats::badAddressSentence(address()));
            return;
        }
        QString error;
        m_channel = ClipboardChannel::create(ClipboardChannel::Watch::Replies, this, &error);
        if (!m_channel) {
            fail(error);
            return;
        }
        connect(m_channel, &ClipboardChannel::replyArrived, this, &ClipboardSenderEndpoint::readReply);
        connect(m_channel, &ClipboardChannel::failed, this, [this](const QString &sentence) {
            close();
            fail(sentence);
        });
        // The clipboard cannot tell whether anyone is listening: acks will.
        setState(State::Connected);
    });
}

void ClipboardSenderEndpoint::close()
{
    if (m_channel) {
        // Later: close() may be called from one of its signals.
        m_channel->disconnect(this);
        m_channel->deleteLater();
        m_channel = nullptr;
    }
    m_settle.stop();
    m_firstReply.stop();
    m_queue.clear();
    m_queueBytes = 0;
    m_shownBytes = 0;
    setState(State::Closed);
}

void ClipboardSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() != State::Connected)
        return;
    m_queue.enqueue(frame);
    m_queueBytes += frame.size();
    publishQueued();
}

qint64 ClipboardSenderEndpoint::queuedBytes() const
{
    return m_queueBytes + m_shownBytes;
}

void ClipboardSenderEndpoint::publishQueued()
{
    while (!m_queue.isEmpty() && !(m_paced && m_shownBytes > 0)) {
        const QByteArray frame = m_queue.dequeue();
        m_queueBytes -= frame.size();
        if (FrameCodec::peekHeader(frame.constData(), frame.size(), &m_shown) != DecodeError::None)
            m_shown = FrameHeader{Wire::FrameType::Hello};
        m_channel->offerFrame(frame);
        // Hello is only a courtesy: the first Records frame may replace it without waiting.
        if (m_shown.type == Wire::FrameType::Hello) {
            m_shownBytes = 0;
            continue;
        }
        m_shownBytes = frame.size();
        m_settle.start();
        if (!m_replied && m_shown.type == Wire::FrameType::Records && !m_firstReply.isActive())
            m_firstReply.start();
    }
}

void ClipboardSenderEndpoint::release()
{
    m_settle.stop();
    m_shownBytes = 0;
    publishQueued();
    emit bytesWritten();
}

bool ClipboardSenderEndpoint::answers(const FrameHeader &reply) const
{
    if (m_shownBytes == 0 || reply.senderId != m_shown.senderId)
        return false;
    if (m_shown.type == Wire::FrameType::Records)
        return reply.type == Wire::FrameType::Ack && reply.sequence >= m_shown.sequence; // acks are cumulative
    if (m_shown.type == Wire::FrameType::Ping)
        return reply.type == Wire::FrameType::Pong && reply.sequence == m_shown.sequence;
    return false;
}

void ClipboardSenderEndpoint::readReply(const QByteArray &reply)
{
    if (state() != State::Connected)
        return;
    // A notification can come for a reply already read: it arrived once.
    if (reply.isEmpty() || reply == m_lastReply)
        return;
    m_lastReply = reply;
    m_replied = true;
    m_firstReply.stop();
    FrameHeader header;
    // Release first: what the session sends in answer to this reply (the next frame, Bye) must
    // not be taken for the frame just answered.
    if (FrameCodec::peekHeader(reply.constData(), reply.size(), &header) == DecodeError::None && answers(header))
        release();
    emit frameReceived(reply, 0);
}

void ClipboardSenderEndpoint::nobodyReplied()
{
    if (m_replied || state() != State::Connected)
        return;
    close();
    emit errorOccurred(QStringLiteral("Nobody acknowledged the first frame on the clipboard within %1 s: start a receiver "
                                      "first, in the same desktop session (the same DISPLAY).").arg(FirstReplyMs / 1000));
    setState(State::Failed);
}
