// SPDX-License-Identifier: GPL-3.0-or-later
#include "localsocketendpoints.h"

#include "descriptorsocket.h"
#include "deviceframer.h"
#include "socketwrite.h"
#include "streamhandshake.h"
#include "streampeers.h"

#include <QRegularExpression>
#include <QTimer>

#include <cerrno>
#include <cstring>

#if !defined(Q_OS_WIN)
#include "native/posixpaths.h"
#endif
#if defined(Q_OS_LINUX)
#include <sys/socket.h>
#endif

namespace {

// How long the receiver waits for an existing socket to answer before calling it live.
constexpr int ProbeTimeoutMs = 300;

// The full server name for QLocalServer/QLocalSocket: on POSIX a socket file in the user's
// 0700 runtime folder (so other users cannot even reach it), on Windows a pipe name.
bool serverNameFor(const QString &address, QString *serverName, QString *error)
{
    static const QRegularExpression plainName(QStringLiteral("^[A-Za-z0-9._-]{1,80}$"));
    if (!plainName.match(address).hasMatch() || address == QLatin1String(".") || address == QLatin1String("..")) {
        *error = QStringLiteral("\"%1\" is not a local socket name: use up to 80 letters, digits, dots, dashes "
                                "or underscores, for example ipcworkshop.").arg(address);
        return false;
    }
#if defined(Q_OS_WIN)
    *serverName = address;
#else
    std::string why;
    const std::string dir = ipcw::native::userRuntimeDir(&why);
    if (dir.empty()) {
        *error = QString::fromStdString(why);
        return false;
    }
    *serverName = QString::fromStdString(dir) + QStringLiteral("/localsocket-") + address + QStringLiteral(".sock");
#endif
    return true;
}

QString describePeer(qintptr descriptor)
{
#if defined(Q_OS_LINUX)
    ucred cred {};
    socklen_t size = sizeof cred;
    if (getsockopt(int(descriptor), SOL_SOCKET, SO_PEERCRED, &cred, &size) == 0)
        return QStringLiteral("local process %1").arg(cred.pid);
#else
    Q_UNUSED(descriptor);
#endif
    return QStringLiteral("local process");
}

} // namespace

void DescriptorLocalServer::incomingConnection(quintptr descriptor)
{
#ifdef Q_OS_UNIX
    m_accepted(descriptor);
#else
    QLocalServer::incomingConnection(descriptor);
#endif
}

LocalSocketReceiverEndpoint::LocalSocketReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address),
      m_server([this](quintptr descriptor) { acceptDescriptor(descriptor); }),
      m_peers(new StreamPeers(this))
{
    // Owner-only: on POSIX Qt binds in a private temporary folder, chmods the socket to 0700
    // and renames it into place; on Windows the pipe's DACL grants only the current user.
    m_server.setSocketOptions(QLocalServer::UserAccessOption);
    connect(&m_server, &QLocalServer::newConnection, this, &LocalSocketReceiverEndpoint::acceptConnections);
}

void LocalSocketReceiverEndpoint::open()
{
    // Results are reported from the event loop, never from inside open(): the caller connects
    // and may start its loop after calling open().
    setState(State::Opening);
    QTimer::singleShot(0, this, &LocalSocketReceiverEndpoint::listenNow);
}

void LocalSocketReceiverEndpoint::listenNow()
{
    if (state() != State::Opening)
        return; // closed meanwhile
    QString name;
    QString error;
    if (!serverNameFor(address(), &name, &error))
        return fail(error);

    // QLocalServer::listen() would silently rename its socket over a live receiver's, and a
    // receiver that crashed leaves its socket file behind: ask whoever is there first.
    {
        QLocalSocket probe;
        probe.connectToServer(name);
        const bool answered = probe.waitForConnected(ProbeTimeoutMs);
        const QLocalSocket::LocalSocketError probeError = probe.error();
        probe.abort();
        if (answered)
            return fail(QStringLiteral("The local socket \"%1\" (%2) is already in use by a running receiver. "
                                       "Stop that receiver or pick another name.").arg(address(), name));
        if (probeError == QLocalSocket::ConnectionRefusedError)
            QLocalServer::removeServer(name); // left behind by a receiver that is gone
        else if (probeError != QLocalSocket::ServerNotFoundError)
            return fail(QStringLiteral("The local socket \"%1\" (%2) exists but did not answer within %3 ms (%4); "
                                       "a busy receiver may own it. Stop it or pick another name.")
                            .arg(address(), name).arg(ProbeTimeoutMs).arg(probe.errorString()));
    }

    if (!m_server.listen(name)) {
        if (m_server.serverError() == QAbstractSocket::AddressInUseError)
            return fail(QStringLiteral("The local socket \"%1\" (%2) is already in use by a running receiver. "
                                       "Stop that receiver or pick another name.").arg(address(), name));
        return fail(QStringLiteral("Cannot listen on the local socket %1: %2.").arg(name, m_server.errorString()));
    }
    setState(State::Listening);
}

void LocalSocketReceiverEndpoint::close()
{
    m_server.close(); // also removes the socket file
    m_peers->dropAll();
    setState(State::Closed);
}

void LocalSocketReceiverEndpoint::acceptConnections()
{
    while (QLocalSocket *socket = m_server.nextPendingConnection()) {
        const PeerId peer = m_peers->add(socket, describePeer(socket->socketDescriptor()));
        connect(socket, &QLocalSocket::disconnected, this, [this, peer, socket] {
            const QLocalSocket::LocalSocketError e = socket->error();
            m_peers->closed(peer, e == QLocalSocket::PeerClosedError || e == QLocalSocket::UnknownSocketError
                                      ? QStringLiteral("the connection was closed")
                                      : socket->errorString());
        });
    }
}

void LocalSocketReceiverEndpoint::acceptDescriptor(quintptr descriptor)
{
#ifdef Q_OS_UNIX
    const QString description = describePeer(qintptr(descriptor));
    m_peers->add(new DescriptorSocket(int(descriptor)), description); // StreamPeers notices its end
#else
    Q_UNUSED(descriptor);
#endif
}

void LocalSocketReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId peer)
{
    m_peers->send(frame, peer);
}

qint64 LocalSocketReceiverEndpoint::queuedBytes() const
{
    return m_peers->queuedBytes();
}

LocalSocketSenderEndpoint::LocalSocketSenderEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address),
      m_framer(new DeviceFramer(&m_socket, this)),
      m_handshake(new StreamHandshake(&m_socket, QStringLiteral("on the local socket \"%1\"").arg(address), this))
{
    connect(m_framer, &DeviceFramer::frameReady, this, [this](const QByteArray &frame) {
        if (state() == State::Connected)
            emit frameReceived(frame, 0);
        else if (!m_handshake->finished())
            m_handshake->handleFrame(frame);
    });
    connect(m_framer, &DeviceFramer::streamCorrupt, this, [this](const QString &sentence) {
        abandon(m_handshake->finished() ? sentence
                                        : m_handshake->interruptedSentence(QStringLiteral("it sent bytes that are not IPC Workshop frames")));
    });
    connect(m_handshake, &StreamHandshake::succeeded, this, [this] { setState(State::Connected); });
    connect(m_handshake, &StreamHandshake::failed, this, &LocalSocketSenderEndpoint::abandon);
    connect(&m_socket, &QIODevice::bytesWritten, this, &TransportEndpoint::bytesWritten);
#ifdef Q_OS_UNIX
    connect(&m_socket, &DescriptorSocket::disconnected, this, &LocalSocketSenderEndpoint::onEnded);
#else
    connect(&m_socket, &QLocalSocket::connected, m_handshake, &StreamHandshake::start);
    connect(&m_socket, &QLocalSocket::errorOccurred, this, &LocalSocketSenderEndpoint::onSocketError);
#endif
}

void LocalSocketSenderEndpoint::abandon(const QString &sentence)
{
    if (state() == State::Failed || state() == State::Closed)
        return;
    m_closing = true; // the abort's own error is not news
    m_socket.abort();
    fail(sentence);
}

void LocalSocketSenderEndpoint::open()
{
    m_closing = false;
    setState(State::Opening);
    // A local connection is made (or refused) at once; the caller expects every result from
    // the event loop.
    QTimer::singleShot(0, this, [this] {
        if (state() != State::Opening)
            return;
        QString error;
        if (!serverNameFor(address(), &m_serverName, &error)) {
            fail(error);
            return;
        }
        connectNow();
    });
}

#ifdef Q_OS_UNIX
void LocalSocketSenderEndpoint::connectNow()
{
    const int error = m_socket.connectToUnixSocket(m_serverName);
    if (error == ENOENT || error == ECONNREFUSED)
        abandon(QStringLiteral("Nobody is receiving on the local socket \"%1\" (%2): start a receiver first.")
                    .arg(address(), m_serverName));
    else if (error == EAGAIN)
        abandon(QStringLiteral("The receiver on the local socket \"%1\" (%2) takes no more connections now: its "
                               "queue of connections waiting to be accepted is full. Try again.").arg(address(), m_serverName));
    else if (error != 0)
        abandon(QStringLiteral("Cannot connect to the local socket \"%1\" (%2): %3.")
                    .arg(address(), m_serverName, QString::fromLocal8Bit(std::strerror(error))));
    else
        m_handshake->start();
}

void LocalSocketSenderEndpoint::onEnded()
{
    if (m_closing)
        return;
    if (!m_socket.endReason().isEmpty())
        abandon(QStringLiteral("The local socket \"%1\" failed: %2.").arg(address(), m_socket.endReason()));
    else if (state() == State::Opening)
        abandon(m_handshake->interruptedSentence(QStringLiteral("it closed the connection")));
    else
        abandon(QStringLiteral("The receiver on the local socket \"%1\" closed the connection.").arg(address()));
}
#else
void LocalSocketSenderEndpoint::connectNow()
{
    m_socket.connectToServer(m_serverName);
}

void LocalSocketSenderEndpoint::onSocketError(QLocalSocket::LocalSocketError error)
{
    if (m_closing)
        return;
    if (state() == State::Opening
        && (error == QLocalSocket::ServerNotFoundError || error == QLocalSocket::ConnectionRefusedError))
        abandon(QStringLiteral("Nobody is receiving on the local socket \"%1\" (%2): start a receiver first.")
                    .arg(address(), m_serverName));
    else if (state() == State::Opening && error == QLocalSocket::PeerClosedError)
        abandon(m_handshake->interruptedSentence(QStringLiteral("it closed the connection")));
    else if (error == QLocalSocket::PeerClosedError)
        abandon(QStringLiteral("The receiver on the local socket \"%1\" closed the connection.").arg(address()));
    else
        abandon(QStringLiteral("The local socket \"%1\" failed: %2.").arg(address(), m_socket.errorString()));
}
#endif

void LocalSocketSenderEndpoint::close()
{
    m_closing = true;
#ifdef Q_OS_UNIX
    m_socket.disconnectWhenSent(); // lets queued bytes go out first
#else
    if (m_socket.state() == QLocalSocket::ConnectedState) {
        m_socket.flush();
        m_socket.disconnectFromServer(); // lets queued bytes go out first
    } else {
        m_socket.abort();
    }
#endif
    setState(State::Closed);
}

void LocalSocketSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() == State::Connected)
        writeFrameToSocket(&m_socket, frame);
}

qint64 LocalSocketSenderEndpoint::queuedBytes() const
{
    return m_socket.bytesToWrite();
}
