// SPDX-License-Identifier: GPL-3.0-or-later
#include "seqpacketsocket.h"

#include "native/posixpaths.h"

#include <QLocale>
#include <QRegularExpression>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace SeqPacketSocket {

namespace {

// More than any default wmem_max allows; the kernel silently caps the request, and the
// read-back below says what we really got.
constexpr int RequestedSendBufferBytes = 4 * 1024 * 1024;
// af_unix refuses a SOCK_SEQPACKET message longer than the send buffer minus this.
constexpr int KernelMessageOverhead = 32;

QString size(qint64 bytes)
{
    return QLocale::c().toString(bytes);
}

} // namespace

bool socketPathFor(const QString &address, QString *path, QString *folder, QString *error)
{
    static const QRegularExpression plainName(QStringLiteral("^[A-Za-z0-9._-]{1,80}$"));
    if (!plainName.match(address).hasMatch() || address == QLatin1String(".") || address == QLatin1String("..")) {
        *error = QStringLiteral("\"%1\" is not a seqpacket socket name: use up to 80 letters, digits, dots, dashes "
                                "or underscores, for example records.").arg(address);
        return false;
    }
    std::string why;
    const std::string dir = ipcw::native::userRuntimeDir(&why);
    if (dir.empty()) {
        *error = QString::fromStdString(why);
        return false;
    }
    *folder = QString::fromStdString(dir);
    *path = *folder + QStringLiteral("/seqpacket-") + address + QStringLiteral(".sock");
    if (path->toLocal8Bit().size() >= qsizetype(sizeof(sockaddr_un::sun_path))) {
        *error = QStringLiteral("The socket path %1 is longer than the %2 bytes a Unix socket address can hold: "
                                "use a shorter name or a shorter $XDG_RUNTIME_DIR.")
                     .arg(*path).arg(sizeof(sockaddr_un::sun_path) - 1);
        return false;
    }
    return true;
}

sockaddr_un addressOf(const QString &path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray bytes = path.toLocal8Bit();
    std::memcpy(address.sun_path, bytes.constData(), size_t(qMin<qsizetype>(bytes.size(), sizeof address.sun_path - 1)));
    return address;
}

int createSocket(QString *error)
{
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        *error = QStringLiteral("Cannot create a Unix seqpacket socket: %1.").arg(errorText(errno));
    return fd;
}

// Only the send buffer matters: af_unix charges a message in flight to the sender's buffer and
// never consults the receiver's SO_RCVBUF, so there is nothing to gain from setting that one.
QString enlargeSendBuffer(int fd)
{
    int requested = RequestedSendBufferBytes;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &requested, sizeof requested); // capped, never refused
    int granted = 0;
    socklen_t length = sizeof granted;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &granted, &length) != 0)
        return QStringLiteral("Cannot read the socket's send buffer size: %1.").arg(errorText(errno));
    if (granted - KernelMessageOverhead < MaxMessageBytes)
        return QStringLiteral("The kernel grants this socket a send buffer of only %1 bytes, too small for the "
                              "%2-byte messages of this transport. Raise net.core.wmem_max to at least %3 "
                              "(sysctl -w net.core.wmem_max=%3) or use another transport.")
            .arg(size(granted), size(MaxMessageBytes), QString::number((MaxMessageBytes + KernelMessageOverhead + 1) / 2));
    return {};
}

QString kernelLimitProblem()
{
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return QStringLiteral("This system cannot create Unix seqpacket sockets: %1.").arg(errorText(errno));
    const QString problem = enlargeSendBuffer(pair[0]);
    ::close(pair[0]);
    ::close(pair[1]);
    return problem;
}

QString describePeer(int fd)
{
    ucred credentials {};
    socklen_t length = sizeof credentials;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0)
        return QStringLiteral("local process %1").arg(credentials.pid);
    return QStringLiteral("local process");
}

QString errorText(int errnoValue)
{
    return QString::fromLocal8Bit(std::strerror(errnoValue));
}

} // namespace SeqPacketSocket
