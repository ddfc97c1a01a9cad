// SPDX-License-Identifier: GPL-3.0-or-later
#include "tcpendpoints.h"

#include "deviceframer.h"
#include "streampeers.h"

namespace {

// "host:port" with host "localhost", an IPv4 address, "[::1]" or "*" (every interface).
bool parseAddress(const QString &text, QHostAddress *host, quint16 *port, QString *error)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const uint value = colon < 0 ? 0 : text.mid(colon + 1).toUInt(&ok);
    if (colon < 0 || !ok || value == 0 || value > 65535) {
        *error = QStringLiteral("\"%1\" is not a TCP address: write host:port, for example 127.0.0.1:47001.").arg(text);
        return false;
    }
    QString name = text.left(colon);
    if (name.startsWith(QLatin1Char('[')) && name.endsWith(QLatin1Char(']')))
        name = name.mid(1, name.size() - 2);
    if (name == QLatin1String("*") || name.isEmpty())
        *host = QHostAddress::Any;
    else if (name == QLatin1String("localhost"))
        *host = QHostAddress::LocalHost;
    else if (!host->setAddress(name)) {
        *error = QStringLiteral("\"%1\" is not an IP address; use a numeric address such as 127.0.0.1.").arg(name);
        return false;
    }
    *port = quint16(value);
    return true;
}

void tuneSocket(QTcpSocket *socket)
{
    // Frames are written whole; Nagle would only add latency to small ones.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
}

} // namespace

TcpReceiverEndpoint::TcpReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address), m_peers(new StreamPeers(this))
{
    connect(&m_server, &QTcpServer::newConnection, this, &TcpReceiverEndpoint::acceptConnections);
}

void TcpReceiverEndpoint::open()
{
    QHostAddress host;
    quint16 port = 0;
    QString error;
    if (!parseAddress(address(), &host, &port, &error)) {
        fail(error);
        return;
    }
    setState(State::Opening);
    if (!m_server.listen(host, port)) {
        if (m_server.serverError() == QAbstractSocket::AddressInUseError)
            error = QStringLiteral("Port %1 on %2 is already in use: another receiver (or program) is listening there. "
                                   "Pick another port.").arg(port).arg(host.toString());
        else
            error = QStringLiteral("Cannot listen on %1: %2.").arg(address(), m_server.errorString());
        fail(error);
        return;
    }
    setState(State::Listening);
}

void TcpReceiverEndpoint::close()
{
    m_server.close();
    m_peers->dropAll();
    setState(State::Closed);
}

void TcpReceiverEndpoint::acceptConnections()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        tuneSocket(socket);
        const QString description = QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort());
        const PeerId peer = m_peers->add(socket, description);
        connect(socket, &QTcpSocket::disconnected, this, [this, peer, socket] {
            const QAbstractSocket::SocketError e = socket->error();
            m_peers->closed(peer, e == QAbstractSocket::RemoteHostClosedError || e == QAbstractSocket::UnknownSocketError
                                      ? QStringLiteral("the connection was closed")
                                      : socket->errorString());
        });
    }
}

void TcpReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId peer)
{
    m_peers->send(frame, peer);
}

qint64 TcpReceiverEndpoint::queuedBytes() const
{
    return m_peers->queuedBytes();
}

TcpSenderEndpoint::TcpSenderEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address), m_framer(new DeviceFramer(&m_socket, this))
{
    connect(m_framer, &DeviceFramer::frameReady, this, [this](const QByteArray &frame) { emit frameReceived(frame, 0); });
    connect(m_framer, &DeviceFramer::streamCorrupt, this, [this](const QString &sentence) {
        emit errorOccurred(sentence);
        m_socket.abort();
        setState(State::Failed);
    });
    connect(&m_socket, &QTcpSocket::connected, this, [this] {
        tuneSocket(&m_socket);
        setState(State::Connected);
    });
    connect(&m_socket, &QTcpSocket::bytesWritten, this, &TransportEndpoint::bytesWritten);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, &TcpSenderEndpoint::onSocketError);
}

void TcpSenderEndpoint::open()
{
    QHostAddress host;
    quint16 port = 0;
    QString error;
    if (!parseAddress(address(), &host, &port, &error)) {
        fail(error);
        return;
    }
    if (host == QHostAddress::Any)
        host = QHostAddress::LocalHost;
    m_closing = false;
    setState(State::Opening);
    m_socket.connectToHost(host, port);
}

void TcpSenderEndpoint::onSocketError(QAbstractSocket::SocketError error)
{
    if (m_closing)
        return;
    if (state() == State::Opening && error == QAbstractSocket::ConnectionRefusedError)
        emit errorOccurred(QStringLiteral("Nobody is listening on %1: start a receiver there first.").arg(address()));
    else if (error == QAbstractSocket::RemoteHostClosedError)
        emit errorOccurred(QStringLiteral("The receiver at %1 closed the connection.").arg(address()));
    else
        emit errorOccurred(QStringLiteral("Connection to %1 failed: %2.").arg(address(), m_socket.errorString()));
    setState(State::Failed);
}

void TcpSenderEndpoint::close()
{
    m_closing = true;
    if (m_socket.state() == QAbstractSocket::ConnectedState) {
        m_socket.flush();
        m_socket.disconnectFromHost(); // lets queued bytes go out first
    } else {
        m_socket.abort();
    }
    setState(State::Closed);
}

void TcpSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (m_socket.state() == QAbstractSocket::ConnectedState)
        m_socket.write(frame);
}

qint64 TcpSenderEndpoint::queuedBytes() const
{
    return m_socket.bytesToWrite();
}
