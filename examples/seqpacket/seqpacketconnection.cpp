// SPDX-License-Identifier: GPL-3.0-or-later
#include "seqpacketconnection.h"

#include "frameheader.h"
#include "seqpacketsocket.h"

#include <QPointer>
#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// Messages read per wake-up: enough to empty a full send buffer of small frames, few enough
// that one busy sender cannot starve the other peers and the rest of the event loop. The
// notifier is level-triggered, so whatever is left is read on the next pass.
constexpr int MessagesPerWakeUp = 64;

// A large message needs a large kernel buffer; when the kernel cannot find one right now
// (ENOBUFS), the socket still polls writable, so wait a little instead of watching it.
constexpr int MemoryRetryMs = 20;

} // namespace

SeqPacketConnection::SeqPacketConnection(int fd, QObject *parent)
    : QObject(parent),
      m_fd(fd),
      m_readNotifier(new QSocketNotifier(fd, QSocketNotifier::Read, this)),
      m_writeNotifier(new QSocketNotifier(fd, QSocketNotifier::Write, this))
{
    m_writeNotifier->setEnabled(false); // only while frames wait for room
    m_memoryRetryTimer.setSingleShot(true);
    m_memoryRetryTimer.setInterval(MemoryRetryMs);
    connect(&m_memoryRetryTimer, &QTimer::timeout, this, &SeqPacketConnection::writeQueued);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &SeqPacketConnection::readMessages);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &SeqPacketConnection::writeQueued);
}

SeqPacketConnection::~SeqPacketConnection()
{
    release();
}

void SeqPacketConnection::send(const QByteArray &frame)
{
    if (m_fd < 0)
        return;
    if (m_queue.isEmpty()) {
        const SendResult result = sendNow(frame);
        if (result == SendResult::Sent)
            return;
        if (result == SendResult::Failed)
            return hangUp(m_sendError, true);
    }
    m_queue.enqueue(frame);
    m_queuedBytes += frame.size();
    if (!m_memoryRetryTimer.isActive())
        m_writeNotifier->setEnabled(true);
}

void SeqPacketConnection::shutdown()
{
    while (m_fd >= 0 && !m_queue.isEmpty() && sendNow(m_queue.head()) == SendResult::Sent)
        m_queuedBytes -= m_queue.dequeue().size();
    release();
}

// A SOCK_SEQPACKET send is all or nothing: the whole frame becomes one message, or nothing is
// sent and the same frame is tried again later.
SeqPacketConnection::SendResult SeqPacketConnection::sendNow(const QByteArray &frame)
{
    for (;;) {
        if (::send(m_fd, frame.constData(), size_t(frame.size()), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
            return SendResult::Sent;
        const int error = errno;
        if (error == EINTR)
            continue;
        if (error == EAGAIN || error == EWOULDBLOCK)
            return SendResult::WouldBlock;
        if (error == ENOBUFS || error == ENOMEM) {
            m_memoryRetryTimer.start();
            return SendResult::OutOfMemory;
        }
        if (error == EPIPE || error == ECONNRESET)
            m_sendError = QStringLiteral("was closed by the other end");
        else if (error == EMSGSIZE)
            m_sendError = QStringLiteral("refused a frame of %1 bytes as too large for the socket's send buffer (%2)")
                              .arg(frame.size()).arg(SeqPacketSocket::errorText(error));
        else
            m_sendError = QStringLiteral("failed while sending: %1").arg(SeqPacketSocket::errorText(error));
        return SendResult::Failed;
    }
}

void SeqPacketConnection::writeQueued()
{
    bool wrote = false;
    while (!m_queue.isEmpty()) {
        const SendResult result = sendNow(m_queue.head());
        if (result == SendResult::WouldBlock || result == SendResult::OutOfMemory)
            break;
        if (result == SendResult::Failed)
            return hangUp(m_sendError, false);
        m_queuedBytes -= m_queue.dequeue().size();
        wrote = true;
    }
    m_writeNotifier->setEnabled(!m_queue.isEmpty() && !m_memoryRetryTimer.isActive());
    if (wrote)
        emit bytesWritten();
}

void SeqPacketConnection::readMessages()
{
    // A slot of frameReceived may close the endpoint and delete this connection.
    const QPointer<SeqPacketConnection> alive(this);
    for (int i = 0; i < MessagesPerWakeUp && alive && m_fd >= 0; ++i) {
        if (!readOne())
            break;
    }
}

bool SeqPacketConnection::readOne()
{
    // MSG_PEEK | MSG_TRUNC gives the length of the next message without taking it, so the
    // frame is read straight into a buffer of its own size, and a message over the limit is
    // noticed before anything is allocated for it.
    ssize_t length;
    do
        length = ::recv(m_fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    while (length < 0 && errno == EINTR);
    if (length < 0) {
        const int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK)
            return false;
        hangUp(error == ECONNRESET ? QStringLiteral("was reset by the other end")
                                   : QStringLiteral("failed while reading: %1").arg(SeqPacketSocket::errorText(error)),
               false);
        return false;
    }
    if (length == 0) {
        // End of file. (An empty message reads the same; it is not a frame either.)
        hangUp(QStringLiteral("was closed by the other end"), false);
        return false;
    }

    if (length > SeqPacketSocket::MaxMessageBytes) {
        char discard;
        ::recv(m_fd, &discard, 1, MSG_TRUNC | MSG_DONTWAIT); // takes the whole message off the queue
        emit badMessage(QStringLiteral("a message of %1 bytes, over this transport's limit of %2 (it was not read)")
                            .arg(length).arg(SeqPacketSocket::MaxMessageBytes),
                        QString());
        return true;
    }

    QByteArray message(length, Qt::Uninitialized);
    ssize_t received;
    do
        received = ::recv(m_fd, message.data(), size_t(length), MSG_DONTWAIT);
    while (received < 0 && errno == EINTR);
    if (received != length) {
        hangUp(QStringLiteral("failed while reading a message it had announced: %1")
                   .arg(SeqPacketSocket::errorText(received < 0 ? errno : EIO)),
               false);
        return false;
    }

    // Only the header is looked at here, and only so that what goes on is exactly one frame;
    // the receiving session checks the CRC and every record.
    FrameHeader header;
    DecodeError error = FrameCodec::peekHeader(message.constData(), message.size(), &header);
    if (error == DecodeError::None && message.size() != qsizetype(Wire::HeaderSize) + header.payloadLength)
        error = message.size() < qsizetype(Wire::HeaderSize) + header.payloadLength ? DecodeError::Truncated
                                                                                    : DecodeError::TrailingBytes;
    if (error != DecodeError::None) {
        emit badMessage(QStringLiteral("a message of %1 bytes that is not a frame").arg(message.size()),
                        decodeErrorSentence(error));
        return true;
    }
    emit frameReceived(message);
    return true;
}

void SeqPacketConnection::hangUp(const QString &reason, bool fromCallerStack)
{
    release();
    // Inside send() the caller is in the middle of its own work (a session sending a frame):
    // tell it from the event loop instead of under its feet.
    if (fromCallerStack)
        QTimer::singleShot(0, this, [this, reason] { emit hungUp(reason); });
    else
        emit hungUp(reason);
}

void SeqPacketConnection::release()
{
    if (m_fd < 0)
        return;
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    m_memoryRetryTimer.stop();
    ::close(m_fd);
    m_fd = -1;
    m_queue.clear();
    m_queuedBytes = 0;
}
