// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QByteArray>
#include <QIODevice>

#include <deque>

#ifdef Q_OS_UNIX

class QSocketNotifier;

// A connected stream socket's descriptor (TCP or Unix domain, POSIX) as a QIODevice that reads
// the kernel the way a bare read() does. QTcpSocket and QLocalSocket ask how many bytes wait
// (ioctl FIONREAD) before every read, a system call of its own for each message; this device,
// woken by the event loop, reads what is there into its buffer, in one call for a message.
//
// It behaves like Qt's sockets where StreamPeers and DeviceFramer rely on them:
// bytesAvailable() is what the buffer holds (no system call), setReadBufferSize() stops reading
// the kernel while that much waits unread (so a peer that is not read is held back by the
// kernel's buffers), write() sends from the calling thread when nothing is queued and queues the
// rest for when the socket is writable, and bytesWritten() reports only that queue draining (as
// with writeFrameToSocket()).
//
// The end of the connection, whether the peer closed it or it failed, is reported once, from
// the event loop, with disconnected(); endReason() then says why. abort(), close() and
// disconnectWhenSent() end it from this side without that signal.
class IPCWCORE_EXPORT DescriptorSocket : public QIODevice
{
    Q_OBJECT
public:
    // Unconnected until adopt() or connectToUnixSocket().
    explicit DescriptorSocket(QObject *parent = nullptr);
    // The same as adopt(descriptor).
    explicit DescriptorSocket(int descriptor, QObject *parent = nullptr);
    ~DescriptorSocket() override;

    // Takes ownership of a connected stream socket's descriptor and makes it non-blocking; ends
    // the connection it had before.
    void adopt(int descriptor);
    // Connects to the Unix domain socket at `path` without waiting (a listening socket accepts
    // at once or refuses); 0, or the errno of the failure: ENOENT (no such socket),
    // ECONNREFUSED (nobody listens), EAGAIN (its backlog is full), ENAMETOOLONG.
    int connectToUnixSocket(const QString &path);

    int descriptor() const { return m_descriptor; }
    bool isConnected() const { return m_descriptor >= 0 && !m_ended; }
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override;
    qint64 bytesToWrite() const override;
    // Once this many bytes wait unread, the kernel is not read until some are; 0: no limit.
    void setReadBufferSize(qint64 bytes);
    // Hands what is queued to the kernel now, as far as it takes it without waiting.
    void flush();
    // Closes the descriptor at once; what is queued is dropped.
    void abort();
    void close() override;
    // Stops reading and closes once what is queued has gone (QLocalSocket::disconnectFromServer).
    void disconnectWhenSent();
    // Why the connection ended: the system's sentence for the error, empty when the peer closed
    // it (a reset, or a send after its close, included: EPIPE, ECONNRESET).
    QString endReason() const { return m_endReason; }

signals:
    void disconnected();

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *data, qint64 size) override;

private:
    void readKernel();
    // Sends from the queue, as much as the kernel takes; returns how many bytes went.
    qint64 sendQueued();
    void enqueue(const char *data, qsizetype size);
    void onWritable();
    // The connection ended (`error` 0: the peer closed it); reported now or from the event loop.
    void ended(int error, bool reportNow);
    void reportEnd();
    void updateReadNotifier();

    int m_descriptor = -1;
    QSocketNotifier *m_readNotifier;
    QSocketNotifier *m_writeNotifier;
    QByteArray m_readBuffer; // bytes read from the kernel, from m_readFrom on
    qsizetype m_readFrom = 0;
    qint64 m_readBufferLimit = 0;
    // Bytes the kernel did not take yet, in pieces as written (small writes joined), the front
    // one from m_writeFrom on: nothing queued is moved or copied again as the queue drains.
    std::deque<QByteArray> m_writeQueue;
    qsizetype m_writeFrom = 0;
    qint64 m_bytesToWrite = 0;
    QString m_endReason;
    int m_deferredError = 0; // a read failed after bytes came in the same turn: reported next turn
    bool m_ended = false;
    bool m_endReported = false;
    bool m_closeWhenSent = false;
    quint64 m_connection = 0; // counts adopt()s: an end reported late belongs to one of them
};

#endif // Q_OS_UNIX
