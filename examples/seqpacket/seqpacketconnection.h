// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One connected seqpacket socket, the part both endpoints share: the event loop watches it
// (QSocketNotifier, no thread), each message is read whole and checked to be one frame before
// anyone sees it, and frames are written from the caller's thread, queued only while the
// kernel's send buffer is full.

#include <QByteArray>
#include <QObject>
#include <QQueue>
#include <QTimer>

class QSocketNotifier;

class SeqPacketConnection : public QObject
{
    Q_OBJECT
public:
    // Takes ownership of `fd`, a connected, non-blocking SOCK_SEQPACKET socket.
    explicit SeqPacketConnection(int fd, QObject *parent = nullptr);
    ~SeqPacketConnection() override;

    // Sends at once when nothing is queued; otherwise (or when the kernel says EAGAIN) queues
    // the frame until the socket is writable again. Never blocks.
    void send(const QByteArray &frame);
    qint64 queuedBytes() const { return m_queuedBytes; }
    // Hands what the kernel takes now to it, then releases the socket; the rest is dropped.
    void shutdown();

signals:
    void frameReceived(const QByteArray &frame);
    // A message that is not one frame was dropped; the connection goes on. `what` names it
    // ("a message of 12 bytes that is not a frame"), `why` is the decoder's sentence, if any.
    void badMessage(const QString &what, const QString &why);
    // The queue shrank.
    void bytesWritten();
    // The other end closed, or the socket failed; `reason` completes "the connection …"
    // sentences ("was closed by the other end"). The socket is already released.
    void hungUp(const QString &reason);

private:
    enum class SendResult { Sent, WouldBlock, OutOfMemory, Failed };

    void readMessages();
    void writeQueued();
    SendResult sendNow(const QByteArray &frame);
    bool readOne(); // false: nothing more to read now, or the connection ended
    void hangUp(const QString &reason, bool fromCallerStack);
    void release();

    int m_fd;
    QSocketNotifier *m_readNotifier;
    QSocketNotifier *m_writeNotifier;
    QTimer m_memoryRetryTimer; // the socket is writable, the kernel just had no memory
    QQueue<QByteArray> m_queue;
    qint64 m_queuedBytes = 0;
    QString m_sendError; // why sendNow() returned Failed
};
