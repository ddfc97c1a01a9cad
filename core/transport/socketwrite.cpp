// SPDX-License-Identifier: GPL-3.0-or-later
#include "socketwrite.h"

#include <QAbstractSocket>
#include <QByteArray>
#include <QLocalSocket>
#include <QSslSocket>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <sys/socket.h>
#endif

namespace {

// The descriptor to send on directly, or -1 when the bytes must go through Qt: something is
// queued already (order), the socket is not connected, or TLS must encrypt them first.
qintptr directSendDescriptor(QIODevice *socket)
{
#ifdef Q_OS_UNIX
    if (socket->bytesToWrite() > 0)
        return -1;
    if (auto *tls = qobject_cast<QSslSocket *>(socket); tls && tls->mode() != QSslSocket::UnencryptedMode)
        return -1;
    if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        return tcp->state() == QAbstractSocket::ConnectedState ? tcp->socketDescriptor() : -1;
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        return local->state() == QLocalSocket::ConnectedState ? local->socketDescriptor() : -1;
#else
    (void)socket; // Windows: local sockets are named pipes; Qt's write path serves both
#endif
    return -1;
}

qint64 sendNow(qintptr descriptor, const QByteArray &frame)
{
#ifdef Q_OS_UNIX
    ssize_t sent;
    do
        sent = ::send(int(descriptor), frame.constData(), size_t(frame.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    return sent > 0 ? qint64(sent) : 0;
#else
    (void)descriptor;
    (void)frame;
    return 0;
#endif
}

} // namespace

bool writeFrameToSocket(QIODevice *socket, const QByteArray &frame)
{
    const qintptr descriptor = directSendDescriptor(socket);
    const qint64 sent = descriptor >= 0 ? sendNow(descriptor, frame) : 0;
    if (sent == 0)
        return socket->write(frame) >= 0;
    if (sent < frame.size())
        return socket->write(frame.constData() + sent, frame.size() - sent) >= 0;
    return true;
}
