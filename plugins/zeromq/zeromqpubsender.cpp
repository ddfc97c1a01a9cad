// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqpubsender.h"

#include "connectionsecurity.h"
#include "zeromqsocket.h"
#include "zeromqwire.h"

#include <QFile>

#include <zmq.h>

namespace {
// A closing publisher still holds every frame a slow subscriber has not taken (up to the
// high-water mark): a subscriber that keeps reading gets them and the Bye, which tells it
// what it missed; one that stalls this long loses the tail without being told how much.
constexpr int CloseLingerMs = 10'000;
} // namespace

ZeroMqPubSender::ZeroMqPubSender(const QString &address) : TransportEndpoint(EndpointRole::Sender, address)
{
    m_settle.setSingleShot(true);
    connect(&m_settle, &QTimer::timeout, this, [this] {
        m_deadline.stop();
        setState(State::Connected);
    });
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        if (state() != State::Opening || m_subscribers > 0)
            return;
        close();
        fail(QStringLiteral("No zeromq-pubsub receiver subscribed at %1 within %2 s: start the receivers first (a "
                            "publisher nobody subscribed to drops every frame).")
                 .arg(m_address.place()).arg(m_deadline.interval() / 1000.0));
    });
}

ZeroMqPubSender::~ZeroMqPubSender() = default;

void ZeroMqPubSender::open()
{
    if (const QString error = ZeroMqAddress::parse(address(), QStringLiteral("zeromq-pubsub"), &m_address); !error.isEmpty())
        return fail(error);
    // Subscribers cannot be challenged one by one: better no sender than one that seems protected.
    const ConnectionSecurity security = ConnectionSecurity::current();
    if (!security.token.isEmpty() || !security.pinnedSha256.isEmpty())
        return fail(QStringLiteral("zeromq-pubsub carries no access token and no TLS: anyone who reaches the address could "
                                   "subscribe. Send without them, or use zeromq (acknowledged), which checks a token."));
    if (m_address.leavesMachine())
        return fail(QStringLiteral("zeromq-pubsub cannot check who subscribes, so it publishes only on this machine: use "
                                   "tcp://127.0.0.1:port or an ipc name, or zeromq (acknowledged) with an access token "
                                   "to reach other machines."));
    m_deadline.setInterval(security.handshakeTimeoutMs);
    setState(State::Opening);
    QTimer::singleShot(0, this, &ZeroMqPubSender::start);
}

void ZeroMqPubSender::start()
{
    if (state() != State::Opening)
        return;
    QString error;
    m_socket = new ZeroMqSocket(ZMQ_XPUB, this, &error);
    if (!error.isEmpty())
        return fail(error);
    m_socket->setOption(ZMQ_XPUB_VERBOSER, 1); // every join and every leave, not only the first and last
    m_socket->setOption64(ZMQ_MAXMSGSIZE, ZeroMqWire::maxFrameBytes());
    connect(m_socket, &ZeroMqSocket::readable, this, &ZeroMqPubSender::readMessages);
    if (const QString problem = m_socket->bindPrivately(m_address, QStringLiteral("zeromq-pubsub sender")); !problem.isEmpty()) {
        m_socket->deleteLater(); // not bound: close() must not remove another's socket file
        m_socket = nullptr;
        return fail(problem);
    }
    m_deadline.start();
    m_socket->pumpLater();
}

void ZeroMqPubSender::readMessages()
{
    ZeroMqSocket::Message m;
    while (m_socket && m_socket->receive(&m)) {
        const QByteArray &data = m.parts.front();
        // A subscription is one byte 1 (join) or 0 (leave) and the topic; frames begin "IPCW".
        if (!data.isEmpty() && (data.at(0) == 1 || data.at(0) == 0)) {
            if (data.at(0) == 1) {
                m_subscriberIds.append(++m_lastSubscriberId);
                emit peerConnected(m_lastSubscriberId, QStringLiteral("a receiver subscribed at %1").arg(m_address.place()));
            } else if (!m_subscriberIds.isEmpty()) {
                emit peerDisconnected(m_subscriberIds.takeLast(), QStringLiteral("a receiver unsubscribed"));
            }
            m_subscribers = int(m_subscriberIds.size());
            if (state() == State::Opening && data.at(0) == 1)
                m_settle.start(SettleMs); // each newcomer restarts the wait
            continue;
        }
        // An answer that is not a whole frame is dropped: a fan-out sender only counts answers.
        if (m.partCount == 1 && state() == State::Connected && ZeroMqWire::frameProblem(data, ZeroMqWire::maxFrameBytes()).isEmpty())
            emit frameReceived(data, 0);
    }
}

void ZeroMqPubSender::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() == State::Connected && m_socket)
        m_socket->send({frame}); // PUB never waits: a full subscriber queue drops the frame
}

void ZeroMqPubSender::close()
{
    m_settle.stop();
    m_deadline.stop();
    if (m_socket) {
        m_socket->close(CloseLingerMs);
        m_socket->deleteLater();
        m_socket = nullptr;
        if (m_address.ipc)
            QFile::remove(m_address.socketPath);
    }
    setState(State::Closed);
}
