// SPDX-License-Identifier: GPL-3.0-or-later
#include "seqpacketreceiverendpoint.h"

#include "seqpacketconnection.h"
#include "seqpacketsocket.h"

#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// Budgets: what senders can make this receiver hold. Each connection costs a descriptor and
// its kernel buffers; replies (acks, pongs) wait in memory only while a sender does not read.
constexpr int MaxPeers = 64;
constexpr qint64 ReplyBudgetBytes = 4 * 1024 * 1024;

// Receivers starting at the same moment take turns (see listenNow()); a turn lasts
// microseconds, so a second of waiting means something is wrong.
constexpr int FolderLockRetryMs = 20;
constexpr int FolderLockAttempts = 50;

// After accept() fails for lack of descriptors or memory, the listening socket stays readable:
// wait this long before trying again instead of spinning.
constexpr int AcceptRetryMs = 1000;

} // namespace

SeqPacketReceiverEndpoint::SeqPacketReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address)
{
}

SeqPacketReceiverEndpoint::~SeqPacketReceiverEndpoint()
{
    releaseAll();
}

void SeqPacketReceiverEndpoint::open()
{
    releaseAll();
    m_lockAttempts = 0;
    // Every result comes from the event loop, never from inside open(): the caller connects
    // its slots and may start its loop after calling open().
    setState(State::Opening);
    QTimer::singleShot(0, this, &SeqPacketReceiverEndpoint::listenNow);
}

void SeqPacketReceiverEndpoint::listenNow()
{
    if (state() != State::Opening)
        return; // closed meanwhile
    QString error;
    if (!SeqPacketSocket::socketPathFor(address(), &m_socketPath, &m_folder, &error))
        return fail(error);

    // Probing, removing a stale file and binding must be one step: two receivers that both
    // found the same stale file would otherwise each remove it, and the first one's fresh
    // socket with it. They take turns on a lock of the private folder, held only for that step.
    m_folderLockFd = ::open(m_folder.toLocal8Bit().constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_folderLockFd < 0)
        return fail(QStringLiteral("Cannot open the folder %1: %2.").arg(m_folder, SeqPacketSocket::errorText(errno)));
    if (::flock(m_folderLockFd, LOCK_EX | LOCK_NB) != 0) {
        const int lockError = errno;
        ::close(m_folderLockFd);
        m_folderLockFd = -1;
        if (lockError == EWOULDBLOCK && ++m_lockAttempts < FolderLockAttempts) {
            QTimer::singleShot(FolderLockRetryMs, this, &SeqPacketReceiverEndpoint::listenNow);
            return;
        }
        return fail(lockError == EWOULDBLOCK
                        ? QStringLiteral("Another receiver has been starting in %1 for over a second; try again.").arg(m_folder)
                        : QStringLiteral("Cannot lock the folder %1: %2.").arg(m_folder, SeqPacketSocket::errorText(lockError)));
    }
    error = claimSocketFile();
    if (error.isEmpty())
        error = bindAndListen();
    ::close(m_folderLockFd); // also ends the lock
    m_folderLockFd = -1;
    if (!error.isEmpty()) {
        releaseAll();
        return fail(error);
    }
    setState(State::Listening);
}

QString SeqPacketReceiverEndpoint::claimSocketFile()
{
    const QByteArray path = m_socketPath.toLocal8Bit();
    struct stat existing {};
    if (::lstat(path.constData(), &existing) != 0) {
        if (errno == ENOENT)
            return {};
        return QStringLiteral("Cannot look at %1: %2.").arg(m_socketPath, SeqPacketSocket::errorText(errno));
    }
    if (!S_ISSOCK(existing.st_mode))
        return QStringLiteral("%1 exists and is not a socket, so it is not this transport's; remove it or pick another name.")
            .arg(m_socketPath);

    // Whoever answers is alive. A file nobody listens on any more (ECONNREFUSED) was left by
    // a receiver that crashed or was killed: it is ours to replace.
    QString error;
    const int probe = SeqPacketSocket::createSocket(&error);
    if (probe < 0)
        return error;
    const sockaddr_un target = SeqPacketSocket::addressOf(m_socketPath);
    const int connected = ::connect(probe, reinterpret_cast<const sockaddr *>(&target), sizeof target);
    const int probeError = errno;
    ::close(probe);
    if (connected == 0 || probeError == EAGAIN) // EAGAIN: alive, with a full backlog
        return QStringLiteral("The seqpacket socket \"%1\" (%2) is already in use by a running receiver. "
                              "Stop that receiver or pick another name.").arg(address(), m_socketPath);
    if (probeError == ENOENT)
        return {}; // gone since lstat()
    if (probeError == EPROTOTYPE)
        return QStringLiteral("%1 is a socket of another kind (not SOCK_SEQPACKET), so another program owns it; "
                              "pick another name.").arg(m_socketPath);
    if (probeError != ECONNREFUSED)
        return QStringLiteral("Cannot tell whether a receiver owns %1: %2.").arg(m_socketPath, SeqPacketSocket::errorText(probeError));
    if (::unlink(path.constData()) != 0 && errno != ENOENT)
        return QStringLiteral("Cannot remove %1, left behind by a receiver that is gone: %2.")
            .arg(m_socketPath, SeqPacketSocket::errorText(errno));
    return {};
}

QString SeqPacketReceiverEndpoint::bindAndListen()
{
    QString error;
    m_listenFd = SeqPacketSocket::createSocket(&error);
    if (m_listenFd < 0)
        return error;
    const QByteArray path = m_socketPath.toLocal8Bit();
    const sockaddr_un local = SeqPacketSocket::addressOf(m_socketPath);
    if (::bind(m_listenFd, reinterpret_cast<const sockaddr *>(&local), sizeof local) != 0) {
        if (errno == EADDRINUSE)
            return QStringLiteral("The seqpacket socket \"%1\" (%2) is already in use by a running receiver. "
                                  "Stop that receiver or pick another name.").arg(address(), m_socketPath);
        return QStringLiteral("Cannot create the socket %1: %2.").arg(m_socketPath, SeqPacketSocket::errorText(errno));
    }
    struct stat created {};
    if (::stat(path.constData(), &created) == 0) {
        m_socketDevice = created.st_dev;
        m_socketInode = created.st_ino;
    }
    // The folder is already private (0700); 0600 keeps the socket so if it is ever moved. Done
    // before listen(), so no connection can come in while it is wider.
    if (::chmod(path.constData(), 0600) != 0)
        return QStringLiteral("Cannot make %1 private (mode 0600): %2.").arg(m_socketPath, SeqPacketSocket::errorText(errno));
    if (::listen(m_listenFd, SOMAXCONN) != 0)
        return QStringLiteral("Cannot listen on %1: %2.").arg(m_socketPath, SeqPacketSocket::errorText(errno));
    m_acceptNotifier = new QSocketNotifier(m_listenFd, QSocketNotifier::Read, this);
    connect(m_acceptNotifier, &QSocketNotifier::activated, this, &SeqPacketReceiverEndpoint::acceptConnections);
    return {};
}

void SeqPacketReceiverEndpoint::acceptConnections()
{
    while (m_listenFd >= 0) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int error = errno;
            if (error == EINTR || error == ECONNABORTED)
                continue;
            if (error == EAGAIN || error == EWOULDBLOCK)
                return;
            m_acceptNotifier->setEnabled(false);
            QTimer::singleShot(AcceptRetryMs, m_acceptNotifier, [notifier = m_acceptNotifier] { notifier->setEnabled(true); });
            emit errorOccurred(QStringLiteral("Cannot accept a sender on the seqpacket socket \"%1\": %2. Trying again in a second.")
                                   .arg(address(), SeqPacketSocket::errorText(error)));
            return;
        }
        if (m_peers.size() >= MaxPeers) {
            ::close(fd);
            emit errorOccurred(QStringLiteral("Refused a sender on the seqpacket socket \"%1\": %2 senders are connected "
                                              "already, the most this receiver takes.").arg(address()).arg(MaxPeers));
            continue;
        }
        // Replies (pongs) can be as large as any frame.
        if (const QString problem = SeqPacketSocket::enlargeSendBuffer(fd); !problem.isEmpty()) {
            ::close(fd);
            emit errorOccurred(QStringLiteral("Refused a sender on the seqpacket socket \"%1\". %2").arg(address(), problem));
            continue;
        }

        const QString description = SeqPacketSocket::describePeer(fd);
        const PeerId peer = m_nextPeer++;
        auto *connection = new SeqPacketConnection(fd, this);
        m_peers.insert(peer, connection);
        connect(connection, &SeqPacketConnection::frameReceived, this,
                [this, peer](const QByteArray &frame) { emit frameReceived(frame, peer); });
        connect(connection, &SeqPacketConnection::badMessage, this, [this, peer](const QString &what, const QString &why) {
            emit errorOccurred(QStringLiteral("Sender %1 on the seqpacket socket \"%2\" sent %3; it was dropped and the "
                                              "connection stays open. %4").arg(peer).arg(address(), what, why).trimmed());
        });
        connect(connection, &SeqPacketConnection::bytesWritten, this, &TransportEndpoint::bytesWritten);
        connect(connection, &SeqPacketConnection::hungUp, this,
                [this, peer](const QString &reason) { dropPeer(peer, QStringLiteral("the connection ") + reason); });
        emit peerConnected(peer, description);
        if (state() != State::Listening)
            return; // a slot closed this endpoint
    }
}

void SeqPacketReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId peer)
{
    SeqPacketConnection *connection = m_peers.value(peer);
    if (!connection)
        return; // the sender has gone; its peerDisconnected() is out already
    if (frame.size() > SeqPacketSocket::MaxMessageBytes) {
        emit errorOccurred(QStringLiteral("A reply of %1 bytes to sender %2 is larger than the %3 bytes one seqpacket "
                                          "message may carry here; it was not sent.")
                               .arg(frame.size()).arg(peer).arg(SeqPacketSocket::MaxMessageBytes));
        return;
    }
    if (connection->queuedBytes() + frame.size() > ReplyBudgetBytes) {
        // A sender that does not read its replies would make this receiver hold them forever.
        const QString reason = QStringLiteral("was closed by this receiver: the sender left %1 bytes of replies unread")
                                   .arg(connection->queuedBytes());
        // The caller is in the middle of handling a frame: say it from the event loop.
        QTimer::singleShot(0, this, [this, peer, reason] { dropPeer(peer, QStringLiteral("the connection ") + reason); });
        connection->shutdown();
        return;
    }
    connection->send(frame);
}

qint64 SeqPacketReceiverEndpoint::queuedBytes() const
{
    qint64 total = 0;
    for (const SeqPacketConnection *connection : m_peers)
        total += connection->queuedBytes();
    return total;
}

void SeqPacketReceiverEndpoint::dropPeer(PeerId peer, const QString &reason)
{
    SeqPacketConnection *connection = m_peers.take(peer);
    if (!connection)
        return;
    connection->disconnect(this);
    connection->shutdown();
    connection->deleteLater(); // it may be the sender of the signal that brought us here
    emit peerDisconnected(peer, reason);
}

void SeqPacketReceiverEndpoint::close()
{
    const QList<PeerId> peers = m_peers.keys();
    for (PeerId peer : peers)
        dropPeer(peer, QStringLiteral("this receiver was closed"));
    releaseAll();
    setState(State::Closed);
}

void SeqPacketReceiverEndpoint::releaseAll()
{
    qDeleteAll(m_peers);
    m_peers.clear();
    delete m_acceptNotifier;
    m_acceptNotifier = nullptr;
    if (m_listenFd >= 0) {
        // Remove the file before closing the socket, and only if it is still the one we bound:
        // a receiver started after us must find either our live socket or nothing.
        const QByteArray path = m_socketPath.toLocal8Bit();
        struct stat current {};
        if (::lstat(path.constData(), &current) == 0 && current.st_dev == m_socketDevice && current.st_ino == m_socketInode)
            ::unlink(path.constData());
        ::close(m_listenFd);
        m_listenFd = -1;
    }
    m_socketDevice = 0;
    m_socketInode = 0;
    if (m_folderLockFd >= 0) {
        ::close(m_folderLockFd);
        m_folderLockFd = -1;
    }
}
