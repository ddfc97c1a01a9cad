// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqaddress.h"

#include "native/posixpaths.h"

#include <QRegularExpression>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

const QString Example = QStringLiteral("ipcworkshop, ipc://ipcworkshop or tcp://127.0.0.1:47010");

QString parseTcp(const QString &text, const QString &rest, ZeroMqAddress *a)
{
    const qsizetype colon = rest.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const uint port = colon < 0 ? 0 : rest.mid(colon + 1).toUInt(&ok);
    if (colon < 0 || !ok || port == 0 || port > 65535)
        return QStringLiteral("\"%1\" is not a zeromq tcp address: write tcp://host:port, for example tcp://127.0.0.1:47010.").arg(text);
    QString host = rest.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (host == QLatin1String("*") || host.isEmpty())
        a->host = QHostAddress(QHostAddress::Any);
    else if (host == QLatin1String("localhost"))
        a->host = QHostAddress(QHostAddress::LocalHost);
    else if (!a->host.setAddress(host))
        return QStringLiteral("\"%1\" is not an IP address; use a numeric address such as 127.0.0.1.").arg(host);
    a->port = quint16(port);
    a->ipc = false;
    return {};
}

} // namespace

QString ZeroMqAddress::parse(const QString &text, const QString &kind, ZeroMqAddress *out)
{
    ZeroMqAddress a;
    if (text.startsWith(QLatin1String("tcp://"))) {
        if (QString error = parseTcp(text, text.mid(6), &a); !error.isEmpty())
            return error;
        *out = a;
        return {};
    }
    const QString name = text.startsWith(QLatin1String("ipc://")) ? text.mid(6) : text;
    // A name, never a path: the file stays in the user's private folder.
    static const QRegularExpression plainName(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (!plainName.match(name).hasMatch() || name == QLatin1String(".") || name == QLatin1String(".."))
        return QStringLiteral("\"%1\" is not a zeromq address: write a name of up to 64 letters, digits, dots, dashes "
                              "or underscores (an ipc:// socket in your private runtime folder), or tcp://host:port; "
                              "for example %2.").arg(text, Example);
    std::string why;
    const std::string dir = ipcw::native::userRuntimeDir(&why);
    if (dir.empty())
        return QString::fromStdString(why);
    a.name = name;
    a.socketPath = QString::fromStdString(dir) + QLatin1Char('/') + kind + QLatin1Char('-') + name + QStringLiteral(".sock");
    if (a.socketPath.toLocal8Bit().size() >= qsizetype(sizeof(sockaddr_un::sun_path)))
        return QStringLiteral("The ipc socket path %1 is longer than the %2 bytes a Unix socket address holds: use a "
                              "shorter name, or a shorter XDG_RUNTIME_DIR.").arg(a.socketPath).arg(sizeof(sockaddr_un::sun_path) - 1);
    *out = a;
    return {};
}

QByteArray ZeroMqAddress::bindEndpoint() const
{
    if (ipc)
        return "ipc://" + socketPath.toLocal8Bit();
    const QString h = host == QHostAddress(QHostAddress::Any) ? QStringLiteral("*")
        : host.protocol() == QAbstractSocket::IPv6Protocol ? QLatin1Char('[') + host.toString() + QLatin1Char(']')
                                                           : host.toString();
    return QStringLiteral("tcp://%1:%2").arg(h).arg(port).toUtf8();
}

QByteArray ZeroMqAddress::connectEndpoint() const
{
    if (!ipc && host == QHostAddress(QHostAddress::Any))
        return QStringLiteral("tcp://127.0.0.1:%1").arg(port).toUtf8();
    return bindEndpoint();
}

bool ZeroMqAddress::leavesMachine() const
{
    return !ipc && !host.isLoopback();
}

QString ZeroMqAddress::place() const
{
    return ipc ? QStringLiteral("the ipc socket %1").arg(socketPath) : QString::fromUtf8(bindEndpoint());
}

namespace ZeroMqIpcFile {

QString claim(const QString &path, const QString &owner)
{
    const QByteArray file = path.toLocal8Bit();
    struct stat st {};
    if (lstat(file.constData(), &st) != 0)
        return errno == ENOENT ? QString() : QStringLiteral("Cannot look at %1: %2.").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
    if (!S_ISSOCK(st.st_mode))
        return QStringLiteral("%1 exists and is not a socket: IPC Workshop did not make it, so it is left alone. Remove "
                              "it or pick another name.").arg(path);
    // Whoever answers there is alive; a refused connection means a crashed owner left the file.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, file.constData(), sizeof address.sun_path - 1);
    const int connected = probe < 0 ? -1 : ::connect(probe, reinterpret_cast<const sockaddr *>(&address), sizeof address);
    const int error = errno;
    if (probe >= 0)
        ::close(probe);
    if (connected == 0)
        return QStringLiteral("The ipc socket %1 is in use by a running %2. Stop it or pick another name.").arg(path, owner);
    if (error != ECONNREFUSED)
        return QStringLiteral("The ipc socket %1 exists but cannot be probed (%2); a busy %3 may own it. Stop it or pick "
                              "another name.").arg(path, QString::fromLocal8Bit(std::strerror(error)), owner);
    if (::unlink(file.constData()) != 0 && errno != ENOENT)
        return QStringLiteral("The ipc socket %1 was left by a %2 that is gone, but it cannot be removed: %3.")
            .arg(path, owner, QString::fromLocal8Bit(std::strerror(errno)));
    return {};
}

QString secure(const QString &path)
{
    const QByteArray file = path.toLocal8Bit();
    if (::chmod(file.constData(), 0600) != 0)
        return QStringLiteral("Cannot make the ipc socket %1 private (mode 0600): %2.").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
    return check(path, QStringLiteral("The ipc socket %1 vanished as it was made.").arg(path));
}

QString check(const QString &path, const QString &missing)
{
    struct stat st {};
    if (lstat(path.toLocal8Bit().constData(), &st) != 0)
        return errno == ENOENT ? missing : QStringLiteral("Cannot look at %1: %2.").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
    if (!S_ISSOCK(st.st_mode))
        return QStringLiteral("%1 is not a socket; refusing to use it.").arg(path);
    if (st.st_uid != getuid())
        return QStringLiteral("The ipc socket %1 belongs to user %2, not to you; refusing to use it.").arg(path).arg(st.st_uid);
    if ((st.st_mode & 0777) != 0600)
        return QStringLiteral("The ipc socket %1 has mode %2, not 0600: other users could reach it. Refusing to use it; "
                              "the receiver that made it should be restarted.")
            .arg(path, QStringLiteral("0%1").arg(st.st_mode & 0777, 3, 8, QLatin1Char('0')));
    return {};
}

} // namespace ZeroMqIpcFile
