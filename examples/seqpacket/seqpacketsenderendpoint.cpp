// SPDX-License-Identifier: GPL-3.0-or-later
#include "seqpacketsenderendpoint.h"

#include "seqpacketconnection.h"
#include "seqpacketsocket.h"

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// A Unix socket connect fails with EAGAIN only while the receiver's backlog is full, that is
// while it is too busy to accept(); try again for a few seconds before calling it stuck.
constexpr int ConnectRetryMs = 50;
constexpr int ConnectAttempts = 100;

} // namespace

SeqPacketSenderEndpoint::SeqPacketSenderEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address)
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(ConnectRetryMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &SeqPacketSenderEndpoint::connectNow);
}

SeqPacketSenderEndpoint::~SeqPacketSenderEndpoint()
{
    release();
}

void SeqPacketSenderEndpoint::open()
{
    release();
    m_connectAttempts = 0;
    // Results come from the event loop, never from inside open().
    setState(State::Opening);
    m_retryTimer.start(0);
}

void SeqPacketSenderEndpoint::connectNow()
{
    if (state() != State::Opening)
        return;
    QString error, folder;
    if (!SeqPacketSocket::socketPathFor(address(), &m_socketPath, &folder, &error))
        return fail(error);
    if (m_connectingFd < 0) {
        m_connectingFd = SeqPacketSocket::createSocket(&error);
        if (m_connectingFd < 0)
            return fail(error);
        if (const QString problem = SeqPacketSocket::enlargeSendBuffer(m_connectingFd); !problem.isEmpty()) {
            release();
            return fail(problem);
        }
    }

    const sockaddr_un target = SeqPacketSocket::addressOf(m_socketPath);
    int connected;
    do
        connected = ::connect(m_connectingFd, reinterpret_cast<const sockaddr *>(&target), sizeof target);
    while (connected != 0 && errno == EINTR);
    if (connected != 0) {
        const int connectError = errno;
        if (connectError == EAGAIN && ++m_connectAttempts < ConnectAttempts) {
            m_retryTimer.start(ConnectRetryMs);
            return;
        }
        release();
        if (connectError == ENOENT || connectError == ECONNREFUSED)
            return fail(QStringLiteral("Nobody is receiving on the seqpacket socket \"%1\" (%2): start a receiver first.")
                            .arg(address(), m_socketPath));
        if (connectError == EAGAIN)
            return fail(QStringLiteral("The receiver on the seqpacket socket \"%1\" has not accepted a connection for %2 s: "
                                       "it may be stuck. Restart it and try again.")
                            .arg(address()).arg(ConnectRetryMs * ConnectAttempts / 1000.0));
        if (connectError == EPROTOTYPE)
            return fail(QStringLiteral("%1 is a socket of another kind (not SOCK_SEQPACKET): another program owns the name "
                                       "\"%2\". Pick another name on both sides.").arg(m_socketPath, address()));
        return fail(QStringLiteral("Cannot connect to the seqpacket socket %1: %2.")
                        .arg(m_socketPath, SeqPacketSocket::errorText(connectError)));
    }

    m_connection = new SeqPacketConnection(m_connectingFd, this);
    m_connectingFd = -1;
    connect(m_connection, &SeqPacketConnection::frameReceived, this,
            [this](const QByteArray &frame) { emit frameReceived(frame, 0); });
    connect(m_connection, &SeqPacketConnection::badMessage, this, [this](const QString &what, const QString &why) {
        emit errorOccurred(QStringLiteral("The receiver on the seqpacket socket \"%1\" sent %2; it was dropped. %3")
                               .arg(address(), what, why).trimmed());
    });
    connect(m_connection, &SeqPacketConnection::bytesWritten, this, &TransportEndpoint::bytesWritten);
    connect(m_connection, &SeqPacketConnection::hungUp, this, [this](const QString &reason) {
        release();
        fail(QStringLiteral("The connection to the receiver on the seqpacket socket \"%1\" %2: the receiver stopped or "
                            "crashed. Frames not yet acknowledged may be lost; start a receiver and send again.")
                 .arg(address(), reason));
    });
    setState(State::Connected);
}

void SeqPacketSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (!m_connection)
        return;
    if (frame.size() > SeqPacketSocket::MaxMessageBytes) {
        emit errorOccurred(QStringLiteral("A frame of %1 bytes is larger than the %2 bytes one seqpacket message may carry "
                                          "here; it was not sent. Send fewer records per frame.")
                               .arg(frame.size()).arg(SeqPacketSocket::MaxMessageBytes));
        return;
    }
    m_connection->send(frame);
}

qint64 SeqPacketSenderEndpoint::queuedBytes() const
{
    return m_connection ? m_connection->queuedBytes() : 0;
}

void SeqPacketSenderEndpoint::close()
{
    release();
    setState(State::Closed);
}

void SeqPacketSenderEndpoint::release()
{
    m_retryTimer.stop();
    if (m_connection) {
        m_connection->disconnect(this);
        m_connection->shutdown(); // what the kernel takes now still reaches the receiver
        m_connection->deleteLater(); // it may be the sender of the signal that brought us here
        m_connection = nullptr;
    }
    if (m_connectingFd >= 0) {
        ::close(m_connectingFd);
        m_connectingFd = -1;
    }
}
