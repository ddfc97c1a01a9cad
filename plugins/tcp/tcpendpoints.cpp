// SPDX-License-Identifier: GPL-3.0-or-later
#include "tcpendpoints.h"

#include "descriptorsocket.h"
#include "deviceframer.h"
#include "socketwrite.h"
#include "streamhandshake.h"
#include "streampeers.h"
#include "tlsidentity.h"

#include <QSslServer>
#include <QSslSocket>

#ifdef Q_OS_UNIX
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

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

QString describePeer(const QTcpSocket *socket)
{
    return QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort());
}

#ifdef Q_OS_UNIX
// "address:port" of an accepted descriptor's peer, as describePeer() gives a QTcpSocket's.
QString describePeer(qintptr descriptor)
{
    sockaddr_storage address {};
    socklen_t size = sizeof address;
    if (::getpeername(int(descriptor), reinterpret_cast<sockaddr *>(&address), &size) != 0)
        return QStringLiteral("an unknown address");
    QHostAddress host(reinterpret_cast<const sockaddr *>(&address));
    bool mappedIpv4 = false; // a dual-stack server sees IPv4 peers as ::ffff:a.b.c.d
    if (const quint32 ipv4 = host.toIPv4Address(&mappedIpv4); mappedIpv4)
        host.setAddress(ipv4);
    const quint16 port = address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port)
                                                       : ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
    return QStringLiteral("%1:%2").arg(host.toString()).arg(port);
}
#endif

QTcpServer *plainServer(TcpReceiverEndpoint *endpoint, std::function<void(qintptr)> accepted)
{
#ifdef Q_OS_UNIX
    return new DescriptorTcpServer(std::move(accepted), endpoint);
#else
    Q_UNUSED(accepted);
    return new QTcpServer(endpoint);
#endif
}

} // namespace

TcpReceiverEndpoint::TcpReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address),
      m_security(ConnectionSecurity::current()),
      m_server(m_security.tls ? new QSslServer(this)
                              : plainServer(this, [this](qintptr descriptor) { acceptDescriptor(descriptor); })),
      m_peers(new StreamPeers(this))
{
    // A QSslServer makes a connection pending only once its TLS handshake succeeded.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &TcpReceiverEndpoint::acceptConnections);
    if (auto *tls = qobject_cast<QSslServer *>(m_server)) {
        tls->setHandshakeTimeout(m_peers->limits().peerTimeoutMs);
        connect(tls, &QSslServer::errorOccurred, this, [this](QSslSocket *socket, QAbstractSocket::SocketError) {
            m_peers->refuseConnection(QStringLiteral("The TLS handshake with %1:%2 failed (%3): it may not be an "
                                                     "IPC Workshop sender, or not one that uses TLS.")
                                          .arg(socket->peerAddress().toString()).arg(socket->peerPort())
                                          .arg(socket->errorString()));
        });
    }
}

bool TcpReceiverEndpoint::prepareTls()
{
    auto *tls = qobject_cast<QSslServer *>(m_server);
    if (!tls)
        return true;
    if (!QSslSocket::supportsSsl()) {
        fail(QStringLiteral("TLS is not available: Qt found no TLS backend with OpenSSL 3 (Debian packages "
                            "libqt6network6 and libssl3). Listen without TLS or install them."));
        return false;
    }
    QString error;
    const TlsIdentity identity = TlsIdentity::loadOrCreate(&error);
    if (!identity.isValid()) {
        fail(error);
        return false;
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificate(identity.certificate);
    configuration.setPrivateKey(identity.key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // senders prove themselves with the token
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    tls->setSslConfiguration(configuration);
    m_peers->setCertificateSha256(identity.sha256());
    return true;
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
    if (!host.isLoopback() && !m_peers->tokenRequired()) {
        fail(QStringLiteral("%1 can be reached from other machines, so a receiver there needs an access token that "
                            "senders must prove they know: give one (--token-file FILE or the IPCW_TOKEN variable, or "
                            "the Token field), or listen on 127.0.0.1.").arg(address()));
        return;
    }
    setState(State::Opening);
    if (!prepareTls())
        return;
    if (!m_server->listen(host, port)) {
        if (m_server->serverError() == QAbstractSocket::AddressInUseError)
            error = QStringLiteral("Port %1 on %2 is already in use: another receiver (or program) is listening there. "
                                   "Pick another port.").arg(port).arg(host.toString());
        else
            error = QStringLiteral("Cannot listen on %1: %2.").arg(address(), m_server->errorString());
        fail(error);
        return;
    }
    setState(State::Listening);
}

void TcpReceiverEndpoint::close()
{
    m_server->close();
    m_peers->dropAll();
    setState(State::Closed);
}

void TcpReceiverEndpoint::acceptConnections()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        tuneSocket(socket);
        const PeerId peer = m_peers->add(socket, describePeer(socket));
        connect(socket, &QTcpSocket::disconnected, this, [this, peer, socket] {
            const QAbstractSocket::SocketError e = socket->error();
            m_peers->closed(peer, e == QAbstractSocket::RemoteHostClosedError || e == QAbstractSocket::UnknownSocketError
                                      ? QStringLiteral("the connection was closed")
                                      : socket->errorString());
        });
    }
}

void TcpReceiverEndpoint::acceptDescriptor(qintptr descriptor)
{
#ifdef Q_OS_UNIX
    const int on = 1; // as tuneSocket() does for a QTcpSocket
    ::setsockopt(int(descriptor), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    const QString description = describePeer(descriptor);
    m_peers->add(new DescriptorSocket(int(descriptor)), description); // StreamPeers notices its end
#else
    Q_UNUSED(descriptor);
#endif
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
    : TransportEndpoint(EndpointRole::Sender, address),
      m_security(ConnectionSecurity::current()),
      m_socket(m_security.pinnedSha256.isEmpty() ? new QTcpSocket(this) : new QSslSocket(this)),
      m_framer(new DeviceFramer(m_socket, this)),
      m_handshake(new StreamHandshake(m_socket, QStringLiteral("at %1").arg(address), this))
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
    // Qt's unbuffered socket only records its end: the framer saw a read fail.
    connect(m_framer, &DeviceFramer::streamEnded, this, [this] { onSocketError(m_socket->error()); });
    connect(m_handshake, &StreamHandshake::succeeded, this, [this] { setState(State::Connected); });
    connect(m_handshake, &StreamHandshake::failed, this, &TcpSenderEndpoint::abandon);
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        tuneSocket(m_socket);
        m_handshake->start(); // its deadline covers the TLS handshake too
    });
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket)) {
        // The pin replaces the certificate authorities: a self-signed certificate is expected.
        tls->setPeerVerifyMode(QSslSocket::VerifyNone);
        tls->setProtocol(QSsl::TlsV1_2OrLater);
        connect(tls, &QSslSocket::encrypted, this, &TcpSenderEndpoint::checkPinnedCertificate);
    }
    connect(m_socket, &QTcpSocket::bytesWritten, this, &TransportEndpoint::bytesWritten);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &TcpSenderEndpoint::onSocketError);
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
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket)) {
        if (!QSslSocket::supportsSsl()) {
            fail(QStringLiteral("TLS is not available: Qt found no TLS backend with OpenSSL 3 (Debian packages "
                                "libqt6network6 and libssl3)."));
            return;
        }
        tls->connectToHostEncrypted(host.toString(), port);
    } else {
        // Unbuffered: Qt then reads the kernel only when asked, straight into the frame
        // (FrameStreamReader), instead of asking how much there is (ioctl FIONREAD) and copying
        // it through its own buffer on every wake-up. TLS must decrypt first, so stays buffered.
        m_socket->connectToHost(host, port, QIODevice::ReadWrite | QIODevice::Unbuffered);
    }
}

void TcpSenderEndpoint::checkPinnedCertificate()
{
    const QByteArray seen = static_cast<QSslSocket *>(m_socket)->peerCertificate().digest(QCryptographicHash::Sha256);
    if (seen != m_security.pinnedSha256) {
        abandon(QStringLiteral("The receiver at %1 presented a TLS certificate with SHA-256 %2, not the expected %3; "
                               "nothing was sent. If that receiver made a new certificate, copy its fingerprint again.")
                    .arg(address(), ConnectionSecurity::fingerprintText(seen),
                         ConnectionSecurity::fingerprintText(m_security.pinnedSha256)));
        return;
    }
    m_handshake->setCertificateSha256(seen);
}

void TcpSenderEndpoint::abandon(const QString &sentence)
{
    if (state() == State::Failed || state() == State::Closed)
        return;
    m_closing = true; // the abort's own error is not news
    m_socket->abort();
    fail(sentence);
}

void TcpSenderEndpoint::onSocketError(QAbstractSocket::SocketError error)
{
    if (m_closing)
        return;
    const bool handshaking = state() == State::Opening && m_socket->state() == QAbstractSocket::ConnectedState;
    QString sentence;
    if (state() == State::Opening && error == QAbstractSocket::ConnectionRefusedError)
        sentence = QStringLiteral("Nobody is listening on %1: start a receiver there first.").arg(address());
    else if (error == QAbstractSocket::SslHandshakeFailedError)
        sentence = QStringLiteral("The TLS handshake with %1 failed (%2): is the receiver serving TLS (--tls)?")
                       .arg(address(), m_socket->errorString());
    else if (state() == State::Opening && (handshaking || error == QAbstractSocket::RemoteHostClosedError))
        sentence = m_handshake->interruptedSentence(QStringLiteral("it closed the connection"));
    else if (error == QAbstractSocket::RemoteHostClosedError)
        sentence = QStringLiteral("The receiver at %1 closed the connection.").arg(address());
    else
        sentence = QStringLiteral("Connection to %1 failed: %2.").arg(address(), m_socket->errorString());
    abandon(sentence);
}

void TcpSenderEndpoint::close()
{
    m_closing = true;
    if (m_socket->state() == QAbstractSocket::ConnectedState) {
        m_socket->flush();
        m_socket->disconnectFromHost(); // lets queued bytes go out first
    } else {
        m_socket->abort();
    }
    setState(State::Closed);
}

void TcpSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() == State::Connected && !writeFrameToSocket(m_socket, frame)) // unbuffered: only recorded
        QMetaObject::invokeMethod(this, [this] { onSocketError(m_socket->error()); }, Qt::QueuedConnection);
}

qint64 TcpSenderEndpoint::queuedBytes() const
{
    return m_socket->bytesToWrite();
}
