// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqsubreceiver.h"

#include "connectionsecurity.h"
#include "zeromqsocket.h"
#include "wireformat.h"
#include "zeromqwire.h"

#include <QTimer>

#include <zmq.h>

#include <algorithm>

ZeroMqSubReceiver::ZeroMqSubReceiver(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address), m_limits(ReceiverLimits::current())
{
    m_frameLimit = std::min<qint64>(ZeroMqWire::maxFrameBytes(), std::max<qint64>(m_limits.maxPendingBytes, Wire::HeaderSize));
}

ZeroMqSubReceiver::~ZeroMqSubReceiver() = default;

void ZeroMqSubReceiver::open()
{
    if (const QString error = ZeroMqAddress::parse(address(), QStringLiteral("zeromq-pubsub"), &m_address); !error.isEmpty())
        return fail(error);
    const ConnectionSecurity security = ConnectionSecurity::current();
    if (!security.token.isEmpty() || security.tls)
        return fail(QStringLiteral("zeromq-pubsub carries no access token and no TLS: a subscriber cannot check who "
                                   "publishes. Start the receiver without them, or use zeromq (acknowledged), which checks a token."));
    if (m_address.leavesMachine())
        return fail(QStringLiteral("zeromq-pubsub subscribes only on this machine, where nobody needs to be "
                                   "authenticated: use tcp://127.0.0.1:port or an ipc name."));
    setState(State::Opening);
    QTimer::singleShot(0, this, &ZeroMqSubReceiver::start);
}

void ZeroMqSubReceiver::start()
{
    if (state() != State::Opening)
        return;
    // The sender makes the file; if it is there already it must be private.
    if (m_address.ipc)
        if (const QString error = ZeroMqIpcFile::check(m_address.socketPath, QString()); !error.isEmpty())
            return fail(error);
    QString error;
    m_socket = new ZeroMqSocket(ZMQ_XSUB, this, &error);
    if (!error.isEmpty())
        return fail(error);
    m_socket->setOption64(ZMQ_MAXMSGSIZE, ZeroMqWire::maxFrameBytes());
    m_socket->setOption(ZMQ_IPV6, 1);
    m_socket->watchPeers(ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
    connect(m_socket, &ZeroMqSocket::readable, this, &ZeroMqSubReceiver::readMessages);
    connect(m_socket, &ZeroMqSocket::peerEvent, this, &ZeroMqSubReceiver::onPeerEvent);
    if (!m_socket->connect(m_address.connectEndpoint()))
        return fail(QStringLiteral("Cannot subscribe to %1: %2.").arg(m_address.place(), ZeroMqSocket::errorText(zmq_errno())));
    m_socket->send({QByteArray(1, '\1')}); // everything; libzmq repeats it on every (re)connection
    setState(State::Listening);
}

ZeroMqSubReceiver::PeerId ZeroMqSubReceiver::currentPeer(int fd)
{
    if (m_peer != 0 && fd != m_peerFd)
        senderGone(QStringLiteral("a new connection replaced its own"));
    if (m_peer == 0) {
        m_peerFd = fd;
        m_peer = m_nextPeerId++;
        emit peerConnected(m_peer, QStringLiteral("the zeromq-pubsub sender at %1").arg(m_address.place()));
    }
    return m_peer;
}

void ZeroMqSubReceiver::senderGone(const QString &reason)
{
    if (m_peer == 0)
        return;
    const PeerId gone = m_peer;
    m_peer = 0;
    emit peerDisconnected(gone, reason);
}

void ZeroMqSubReceiver::readMessages()
{
    ZeroMqSocket::Message m;
    while (m_socket && m_socket->receive(&m)) {
        const PeerId peer = currentPeer(m.sourceFd);
        const QByteArray &data = m.parts.front();
        const QString problem = m.partCount != 1 ? QStringLiteral("it has %1 parts, and a sender publishes each frame as a "
                                                                  "message of one part").arg(m.partCount)
                                                 : ZeroMqWire::frameProblem(data, m_frameLimit);
        if (!problem.isEmpty()) {
            emit messageRefused(peer, QStringLiteral("A message of %1 bytes published at %2 is not one whole frame (%3); it "
                                                     "was dropped.").arg(data.size()).arg(m_address.place(), problem));
            continue;
        }
        emit frameReceived(data, peer);
    }
}

void ZeroMqSubReceiver::onPeerEvent(int event, int fd)
{
    if (event == ZMQ_EVENT_CONNECTED) {
        // A new publisher (or the same one again): the ipc file it made must be private.
        if (m_address.ipc)
            if (const QString error = ZeroMqIpcFile::check(m_address.socketPath, QString()); !error.isEmpty()) {
                close();
                return fail(error);
            }
    } else if (event == ZMQ_EVENT_DISCONNECTED && fd == m_peerFd) {
        // libzmq hands the publisher's last messages (its Bye) to the socket before it reports
        // the close, but the monitor's notifier may fire first: take them from the old sender.
        m_socket->readWaitingNow();
        senderGone(QStringLiteral("its ZeroMQ connection closed"));
    }
}

void ZeroMqSubReceiver::sendFrame(const QByteArray &frame, PeerId peer)
{
    if (state() == State::Listening && m_socket && peer == m_peer && peer != 0)
        m_socket->send({frame}); // up to the publisher; dropped by libzmq when its queue is full
}

void ZeroMqSubReceiver::close()
{
    senderGone(QString()); // closed by this receiver: not news
    if (m_socket) {
        m_socket->close(0);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    setState(State::Closed);
}
