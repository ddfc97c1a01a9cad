// SPDX-License-Identifier: GPL-3.0-or-later
#include "descriptorsocket.h"

#ifdef Q_OS_UNIX

#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// The first read of a turn asks for this much: many small frames, or one 64 KiB frame with its
// header. A read that fills it asks for twice as much next (a burst takes few calls)...
constexpr qsizetype FirstReadBytes = 64 * 1024 + 64;
// ...up to this much in one turn of the event loop.
constexpr qsizetype ReadBytesPerTurn = 1024 * 1024;
// A write smaller than this joins the queue's last piece when that is as small: many small
// frames queued are one piece, sent in one call; a large frame stays a piece of its own.
constexpr qsizetype JoinWritesBelowBytes = 64 * 1024;
// The most pieces handed to the kernel in one sendmsg().
constexpr int PiecesPerSend = 64;

bool wouldBlock(int error)
{
    return error == EAGAIN || error == EWOULDBLOCK;
}

} // namespace

DescriptorSocket::DescriptorSocket(QObject *parent)
    : QIODevice(parent),
      m_readNotifier(new QSocketNotifier(QSocketNotifier::Read, this)),
      m_writeNotifier(new QSocketNotifier(QSocketNotifier::Write, this))
{
    connect(m_readNotifier, &QSocketNotifier::activated, this, &DescriptorSocket::readKernel);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &DescriptorSocket::onWritable);
}

DescriptorSocket::DescriptorSocket(int descriptor, QObject *parent) : DescriptorSocket(parent)
{
    adopt(descriptor);
}

DescriptorSocket::~DescriptorSocket()
{
    abort();
}

void DescriptorSocket::adopt(int descriptor)
{
    abort();
    ::fcntl(descriptor, F_SETFL, ::fcntl(descriptor, F_GETFL) | O_NONBLOCK);
    ::fcntl(descriptor, F_SETFD, FD_CLOEXEC);
    m_descriptor = descriptor;
    ++m_connection;
    m_readBuffer.clear();
    m_readFrom = 0;
    m_endReason.clear();
    m_deferredError = 0;
    m_ended = m_endReported = m_closeWhenSent = false;
    m_readNotifier->setSocket(descriptor);
    m_writeNotifier->setSocket(descriptor); // setSocket() leaves a notifier disabled
    updateReadNotifier();
    // Unbuffered: QIODevice keeps no buffer of its own in front of this one.
    QIODevice::open(QIODevice::ReadWrite | QIODevice::Unbuffered);
}

int DescriptorSocket::connectToUnixSocket(const QString &path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray name = QFile::encodeName(path);
    if (name.size() >= qsizetype(sizeof address.sun_path))
        return ENAMETOOLONG;
    std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
    const int descriptor = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (descriptor < 0)
        return errno;
    int result;
    do
        result = ::connect(descriptor, reinterpret_cast<const sockaddr *>(&address), sizeof address);
    while (result != 0 && errno == EINTR);
    if (result != 0) {
        const int error = errno;
        ::close(descriptor);
        return error;
    }
    adopt(descriptor);
    return 0;
}

qint64 DescriptorSocket::bytesAvailable() const
{
    return qint64(m_readBuffer.size() - m_readFrom);
}

qint64 DescriptorSocket::bytesToWrite() const
{
    return m_bytesToWrite;
}

void DescriptorSocket::setReadBufferSize(qint64 bytes)
{
    m_readBufferLimit = qMax<qint64>(bytes, 0);
    updateReadNotifier();
}

void DescriptorSocket::updateReadNotifier()
{
    const bool room = m_readBufferLimit == 0 || bytesAvailable() < m_readBufferLimit;
    m_readNotifier->setEnabled(m_descriptor >= 0 && !m_ended && !m_closeWhenSent && room);
}

void DescriptorSocket::readKernel()
{
    if (m_readFrom == m_readBuffer.size()) { // all read: start over at the front
        m_readBuffer.resize(0);
        m_readFrom = 0;
    } else if (m_readFrom > 0) {
        m_readBuffer.remove(0, m_readFrom);
        m_readFrom = 0;
    }
    // A burst (a large frame, many small ones) is read in one turn of the event loop, a chunk
    // at a time, until the kernel has no more, the read buffer is full, or ReadBytesPerTurn.
    qsizetype readNow = 0;
    qsizetype ask = FirstReadBytes;
    int error = 0;
    bool atEnd = false;
    for (;; ask *= 2) {
        qsizetype chunk = qMin(ask, ReadBytesPerTurn - readNow);
        if (m_readBufferLimit > 0)
            chunk = qMin(chunk, qsizetype(m_readBufferLimit - bytesAvailable()));
        if (chunk <= 0)
            break;
        const qsizetype had = m_readBuffer.size();
        m_readBuffer.resize(had + chunk);
        ssize_t got;
        do
            got = ::read(m_descriptor, m_readBuffer.data() + had, size_t(chunk));
        while (got < 0 && errno == EINTR);
        if (got < 0 && !wouldBlock(errno))
            error = errno;
        atEnd = got == 0;
        m_readBuffer.resize(had + qMax<qsizetype>(got, 0));
        if (got > 0)
            readNow += got;
        if (got < chunk)
            break; // the kernel had no more (or the stream ended, or failed)
    }
    if (readNow == 0) {
        if (atEnd || error != 0 || m_deferredError != 0)
            ended(error != 0 ? error : m_deferredError, true);
        else
            updateReadNotifier(); // a full buffer: not watched until some is read
        return;
    }
    // The end, found after bytes, is reported on the next turn: the descriptor stays readable
    // (at its end) and whoever reads the bytes may close this device meanwhile. An error is
    // kept for then, as the kernel reports it once.
    m_deferredError = error;
    updateReadNotifier();
    emit readyRead();
}

qint64 DescriptorSocket::readData(char *data, qint64 maxSize)
{
    const qint64 n = qMin(maxSize, bytesAvailable());
    if (n == 0)
        return m_ended ? -1 : 0;
    std::memcpy(data, m_readBuffer.constData() + m_readFrom, size_t(n));
    m_readFrom += qsizetype(n);
    if (!m_readNotifier->isEnabled())
        updateReadNotifier(); // there may be room to read the kernel again
    return n;
}

qint64 DescriptorSocket::writeData(const char *data, qint64 size)
{
    if (m_descriptor < 0 || m_ended) {
        setErrorString(QStringLiteral("the connection has ended"));
        return -1;
    }
    qint64 sent = 0;
    if (bytesToWrite() == 0) { // nothing queued before it: straight to the kernel
        ssize_t n;
        do
            n = ::send(m_descriptor, data, size_t(size), MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && !wouldBlock(errno)) {
            ended(errno, false); // reported from the event loop, not inside the caller's stack
            return -1;
        }
        sent = qMax<qint64>(n, 0);
    }
    if (sent < size) {
        enqueue(data + sent, qsizetype(size - sent));
        m_writeNotifier->setEnabled(true);
    }
    return size;
}

void DescriptorSocket::enqueue(const char *data, qsizetype size)
{
    if (size < JoinWritesBelowBytes && !m_writeQueue.empty() && m_writeQueue.back().size() < JoinWritesBelowBytes)
        m_writeQueue.back().append(data, size);
    else
        m_writeQueue.emplace_back(data, size);
    m_bytesToWrite += size;
}

qint64 DescriptorSocket::sendQueued()
{
    qint64 sent = 0;
    while (m_descriptor >= 0 && !m_ended && bytesToWrite() > 0) {
        iovec pieces[PiecesPerSend];
        msghdr message {};
        message.msg_iov = pieces;
        size_t offered = 0;
        for (const QByteArray &piece : m_writeQueue) {
            const qsizetype from = message.msg_iovlen == 0 ? m_writeFrom : 0;
            pieces[message.msg_iovlen].iov_base = const_cast<char *>(piece.constData() + from);
            pieces[message.msg_iovlen].iov_len = size_t(piece.size() - from);
            offered += pieces[message.msg_iovlen].iov_len;
            if (++message.msg_iovlen == PiecesPerSend)
                break;
        }
        const ssize_t n = ::sendmsg(m_descriptor, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (!wouldBlock(errno))
                ended(errno, false);
            break;
        }
        sent += n;
        m_bytesToWrite -= n;
        for (qsizetype left = n; left > 0;) { // drop what went, piece by piece
            const qsizetype inFront = m_writeQueue.front().size() - m_writeFrom;
            if (left < inFront) {
                m_writeFrom += left;
                break;
            }
            left -= inFront;
            m_writeQueue.pop_front();
            m_writeFrom = 0;
        }
        if (size_t(n) < offered)
            break; // the kernel's buffer is full: asking again would only hear EAGAIN
    }
    if (bytesToWrite() == 0) {
        m_writeQueue.clear();
        m_writeFrom = 0;
        m_writeNotifier->setEnabled(false);
        if (m_closeWhenSent)
            abort();
    }
    return sent;
}

void DescriptorSocket::onWritable()
{
    if (const qint64 sent = sendQueued(); sent > 0)
        emit bytesWritten(sent);
}

void DescriptorSocket::flush()
{
    sendQueued();
}

void DescriptorSocket::ended(int error, bool reportNow)
{
    if (m_ended)
        return;
    m_ended = true;
    // A send after the peer closed (EPIPE), or the peer closing with our bytes unread
    // (ECONNRESET), is the peer closing the connection, as Qt's sockets report it too.
    if (error != 0 && error != EPIPE && error != ECONNRESET)
        m_endReason = QString::fromLocal8Bit(std::strerror(error));
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    if (reportNow)
        reportEnd();
    else
        QMetaObject::invokeMethod(this, [this, connection = m_connection] {
            if (connection == m_connection) // not a later connection's
                reportEnd();
        }, Qt::QueuedConnection);
}

void DescriptorSocket::reportEnd()
{
    if (m_endReported || m_descriptor < 0)
        return;
    m_endReported = true;
    emit disconnected();
}

void DescriptorSocket::abort()
{
    if (m_descriptor < 0)
        return;
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    ::close(m_descriptor);
    m_descriptor = -1;
    m_ended = true;
    m_closeWhenSent = false;
    m_writeQueue.clear();
    m_writeFrom = 0;
    m_bytesToWrite = 0;
    QIODevice::close();
}

void DescriptorSocket::close()
{
    abort();
}

void DescriptorSocket::disconnectWhenSent()
{
    if (m_descriptor < 0)
        return;
    m_closeWhenSent = true;
    updateReadNotifier();
    sendQueued(); // closes at once when nothing is left
    if (m_ended)
        abort(); // nothing more can go out
}

#endif // Q_OS_UNIX
