// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqdealersender.h"

#include "connectionsecurity.h"
#include "streamhandshake.h"
#include "zeromqsocket.h"
#include "zeromqwire.h"

#include <QCoreApplication>
#include <QTimer>

#include <zmq.h>

namespace {
// What a closing sender gives its last messages (its Bye) to leave: as long as the stream
// plugins wait for theirs.
constexpr int CloseLingerMs = 500;
} // namespace

ZeroMqDealerSender::ZeroMqDealerSender(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address),
      m_device(new ZeroMqMessageDevice([this](const QByteArray &message) { sendFrame(message, 0); }, this)),
      m_handshake(new StreamHandshake(m_device, QStringLiteral("at the zeromq address %1").arg(address), this))
{
    connect(m_handshake, &StreamHandshake::succeeded, this, [this] { setState(State::Connected); });
    connect(m_handshake, &StreamHandshake::failed, this, [this](const QString &sentence) {
        abandon(m_reached ? sentence
                          : QStringLiteral("Nobody is receiving at the zeromq address %1 (no connection within %2 s): start "
                                           "a receiver there first.")
                                .arg(this->address()).arg(ConnectionSecurity::current().handshakeTimeoutMs / 1000.0));
    });
}

ZeroMqDealerSender::~ZeroMqDealerSender() = default;

void ZeroMqDealerSender::open()
{
    if (const QString error = ZeroMqAddress::parse(address(), QStringLiteral("zeromq"), &m_address); !error.isEmpty())
        return fail(error);
    if (!ConnectionSecurity::current().pinnedSha256.isEmpty())
        return fail(QStringLiteral("The zeromq transport has no TLS, so there is no certificate to pin: leave the "
                                   "fingerprint empty, or use tcp."));
    setState(State::Opening);
    QTimer::singleShot(0, this, &ZeroMqDealerSender::start);
}

void ZeroMqDealerSender::start()
{
    if (state() != State::Opening)
        return;
    if (m_address.ipc)
        if (const QString error = ZeroMqIpcFile::check(
                m_address.socketPath, QStringLiteral("Nobody is receiving on the zeromq address \"%1\" (%2 does not exist): "
                                                     "start a receiver first.").arg(address(), m_address.socketPath));
            !error.isEmpty())
            return fail(error);
    QString error;
    m_socket = new ZeroMqSocket(ZMQ_DEALER, this, &error);
    if (!error.isEmpty())
        return fail(error);
    m_socket->setOption64(ZMQ_MAXMSGSIZE, ZeroMqWire::maxFrameBytes());
    m_socket->setOption(ZMQ_IPV6, 1);
    m_socket->watchPeers(ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
    connect(m_socket, &ZeroMqSocket::readable, this, &ZeroMqDealerSender::readMessages);
    connect(m_socket, &ZeroMqSocket::writable, this, &ZeroMqDealerSender::flushQueue);
    connect(m_socket, &ZeroMqSocket::peerEvent, this, &ZeroMqDealerSender::onPeerEvent);
    if (!m_socket->connect(m_address.connectEndpoint()))
        return abandon(QStringLiteral("Cannot connect to %1: %2.").arg(m_address.place(), ZeroMqSocket::errorText(zmq_errno())));
    // libzmq keeps the Hello until the connection is made; the handshake's deadline runs now.
    m_socket->send({ZeroMqWire::senderHello(QStringLiteral("zeromq sender pid %1").arg(QCoreApplication::applicationPid()))});
    m_handshake->start();
}

void ZeroMqDealerSender::readMessages()
{
    ZeroMqSocket::Message m;
    while (m_socket && m_socket->receive(&m)) {
        const QByteArray &frame = m.parts.front();
        const QString problem = m.partCount != 1 ? QStringLiteral("a message of %1 parts").arg(m.partCount)
                                                 : ZeroMqWire::frameProblem(frame, ZeroMqWire::maxFrameBytes());
        if (!problem.isEmpty()) {
            if (state() == State::Connected)
                abandon(QStringLiteral("The receiver at the zeromq address %1 sent something that is not an IPC Workshop "
                                       "frame (%2); the connection was given up.").arg(address(), problem));
            else
                m_handshake->handleFrame(frame); // says in its own words that this is no receiver
            return;
        }
        if (state() == State::Connected)
            emit frameReceived(frame, 0);
        else if (!m_handshake->finished())
            m_handshake->handleFrame(frame);
    }
}

void ZeroMqDealerSender::sendFrame(const QByteArray &frame, PeerId)
{
    // The handshake's proof goes out before Connected, through the same queue.
    if (!m_socket || (state() != State::Connected && state() != State::Opening))
        return;
    if (m_queue.empty() && m_socket->send({frame}) == 0)
        return;
    m_queue.push_back(frame);
    m_queuedBytes += frame.size();
}

void ZeroMqDealerSender::flushQueue()
{
    const qint64 before = m_queuedBytes;
    while (!m_queue.empty() && m_socket->send({m_queue.front()}) == 0) {
        m_queuedBytes -= m_queue.front().size();
        m_queue.pop_front();
    }
    if (m_queuedBytes < before && state() == State::Connected)
        emit bytesWritten();
}

void ZeroMqDealerSender::onPeerEvent(int event, int)
{
    if (event == ZMQ_EVENT_CONNECTED) {
        m_reached = true;
        return;
    }
    if (event != ZMQ_EVENT_DISCONNECTED || !m_socket)
        return;
    // libzmq hands the receiver's last messages (its last Acks) to the socket before it reports
    // the close, but the monitor's notifier may fire first: take them before giving up.
    m_socket->readWaitingNow();
    if (!m_socket)
        return; // a slot of ours closed this sender, or a message made it give up
    if (state() == State::Connected)
        abandon(QStringLiteral("The receiver at the zeromq address %1 went away (its connection closed).").arg(address()));
    else if (state() == State::Opening)
        abandon(m_handshake->interruptedSentence(QStringLiteral("it closed the connection")));
}

void ZeroMqDealerSender::abandon(const QString &sentence)
{
    if (state() == State::Failed || state() == State::Closed)
        return;
    if (m_socket) {
        m_socket->close(0);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    m_queue.clear();
    m_queuedBytes = 0;
    fail(sentence);
}

void ZeroMqDealerSender::close()
{
    if (m_socket) {
        flushQueue();
        m_socket->close(CloseLingerMs); // libzmq sends what it holds in the background
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    m_queue.clear();
    m_queuedBytes = 0;
    setState(State::Closed);
}
