// SPDX-License-Identifier: GPL-3.0-or-later
#include "dbusreceiverendpoint.h"

#include "connectionsecurity.h"
#include "dbusbus.h"
#include "frameheader.h"
#include "handshake.h"

#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QLocale>
#include <QTimer>

namespace {

// RequestName's flag and answers (D-Bus specification): never wait in the name's queue, a
// running receiver keeps its name.
constexpr uint DoNotQueue = 0x4;
constexpr uint PrimaryOwner = 1;
constexpr uint AlreadyOwner = 4;

QString sizeText(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

} // namespace

DBusReceiverEndpoint::DBusReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address),
      m_limits(ReceiverLimits::current()),
      m_tokenAsked(!ConnectionSecurity::current().token.isEmpty()),
      m_inbox([this](const QByteArray &frame, const QString &caller) { return deliver(frame, caller); },
              [this](const QString &caller, QByteArray *hello) { return attach(caller, hello); }, this),
      m_peerWatcher(this)
{
    m_peerWatcher.setWatchMode(QDBusServiceWatcher::WatchForUnregistration);
    connect(&m_peerWatcher, &QDBusServiceWatcher::serviceUnregistered, this, [this](const QString &caller) {
        dropPeer(caller, QStringLiteral("its connection to the D-Bus session bus closed"));
    });
}

void DBusReceiverEndpoint::open()
{
    setState(State::Opening);
    QTimer::singleShot(0, this, &DBusReceiverEndpoint::listenNow);
}

void DBusReceiverEndpoint::listenNow()
{
    if (state() != State::Opening)
        return; // closed meanwhile
    // Better no receiver than one that seems to require a token and admits everyone.
    if (m_tokenAsked)
        return fail(QStringLiteral("The D-Bus transport carries no access token: the session bus itself admits only "
                                   "your own processes. Start the receiver without a token, or use tcp or localsocket."));
    QString error;
    m_busName = DBusBus::receiverName(address(), &error);
    if (m_busName.isEmpty() || !m_connection.open(DBusBus::ReceiverPath, &m_inbox, &error))
        return fail(error);
    m_peerWatcher.setConnection(m_connection.bus());
    claimName();
}

void DBusReceiverEndpoint::claimName()
{
    // Asynchronous, unlike QDBusConnection::registerService(), which waits for the bus.
    QDBusMessage request = QDBusMessage::createMethodCall(QStringLiteral("org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                                                          QStringLiteral("org.freedesktop.DBus"), QStringLiteral("RequestName"));
    request << m_busName << DoNotQueue;
    auto *watcher = new QDBusPendingCallWatcher(m_connection.bus().asyncCall(request), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *call) {
        call->deleteLater();
        if (state() != State::Opening)
            return;
        const QDBusPendingReply<uint> reply = *call;
        if (reply.isError())
            return fail(QStringLiteral("The D-Bus session bus refused the name %1 to this receiver: %2")
                            .arg(m_busName, reply.error().message()));
        if (reply.value() != PrimaryOwner && reply.value() != AlreadyOwner)
            return fail(QStringLiteral("The D-Bus name %1 is already in use by a running receiver. "
                                       "Stop that receiver or pick another name.").arg(m_busName));
        setState(State::Listening);
    });
}

DBusFrameInbox::Refusal DBusReceiverEndpoint::attach(const QString &caller, QByteArray *hello)
{
    if (state() != State::Listening)
        return {DBusBus::RefusedError, QStringLiteral("This receiver is not listening.")};
    if (!m_peers.contains(caller)) {
        if (m_peers.size() >= m_limits.maxPeers) {
            const QString why = QStringLiteral("The receiver on %1 already serves %2 senders, its limit (--max-peers).")
                                    .arg(m_busName).arg(m_limits.maxPeers);
            emit streamRefused(++m_nextPeer, QStringLiteral("%1 The bus connection was %2.").arg(why, caller));
            return {DBusBus::RefusedError, why};
        }
        const PeerId id = ++m_nextPeer;
        m_peers.insert(caller, Peer{id, 0});
        m_callers.insert(id, caller);
        // A sender that leaves without a word is seen by its unique name leaving the bus.
        m_peerWatcher.addWatchedService(caller);
        emit peerConnected(id, QStringLiteral("bus connection %1").arg(caller));
    }
    Handshake::ReceiverHello greeting;
    greeting.description = QStringLiteral("IPC Workshop receiver on D-Bus");
    *hello = Handshake::encodeReceiverHello(greeting);
    return {};
}

DBusFrameInbox::Refusal DBusReceiverEndpoint::deliver(const QByteArray &frame, const QString &caller)
{
    const auto peer = m_peers.constFind(caller);
    if (peer == m_peers.cend()) {
        const QString why = QStringLiteral("A program on the D-Bus session bus (%1) sent %2 bytes to %3 without "
                                           "attaching first; they were dropped.").arg(caller).arg(frame.size()).arg(m_busName);
        emit messageRefused(0, why);
        return {DBusBus::RefusedError, why};
    }
    // QtDBus has the whole message by now; what remains is to pass on exactly one frame.
    QString why;
    FrameHeader header;
    const DecodeError error = FrameCodec::peekHeader(frame.constData(), frame.size(), &header);
    if (frame.size() > DBusBus::MaxFrameBytes || frame.size() > m_limits.maxPendingBytes)
        why = QStringLiteral("Its %1-byte call was larger than this receiver takes (%2).")
                  .arg(frame.size()).arg(sizeText(qMin<qint64>(DBusBus::MaxFrameBytes, m_limits.maxPendingBytes)));
    else if (error != DecodeError::None)
        why = QStringLiteral("Its %1-byte call was not an IPC Workshop frame: %2").arg(frame.size()).arg(decodeErrorSentence(error));
    else if (frame.size() != qsizetype(Wire::HeaderSize) + qsizetype(header.payloadLength))
        why = QStringLiteral("Its %1-byte call did not hold exactly one frame (the header announces %2 bytes).")
                  .arg(frame.size()).arg(qint64(Wire::HeaderSize) + header.payloadLength);
    if (!why.isEmpty()) {
        emit messageRefused(peer->id, why); // the session names the sender
        return {DBusBus::BadFrameError, why};
    }
    emit frameReceived(frame, peer->id);
    return {};
}

void DBusReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId peerId)
{
    const QString caller = m_callers.value(peerId);
    const auto peer = m_peers.find(caller);
    if (state() != State::Listening || peer == m_peers.end())
        return; // gone: dropping is allowed
    if (peer->unsentBytes + frame.size() > m_limits.maxUnsentBytes) {
        emit streamRefused(peerId, QStringLiteral("It left %1 of answers untaken, this receiver's limit (--max-unsent-mib). "
                                                  "The bus connection was %2.").arg(sizeText(peer->unsentBytes), caller));
        dropPeer(caller, QStringLiteral("this receiver refused it"));
        return;
    }
    QDBusMessage call = QDBusMessage::createMethodCall(caller, DBusBus::SenderPath, DBusBus::Interface, QStringLiteral("Deliver"));
    call << frame;
    peer->unsentBytes += frame.size();
    m_unsentBytes += frame.size();
    const qint64 bytes = frame.size();
    auto *watcher = new QDBusPendingCallWatcher(m_connection.bus().asyncCall(call, DBusBus::CallTimeoutMs), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, caller, bytes](QDBusPendingCallWatcher *done) {
        done->deleteLater();
        answerTaken(caller, bytes, done->isError() ? done->error() : QDBusError());
    });
}

void DBusReceiverEndpoint::answerTaken(const QString &caller, qint64 bytes, const QDBusError &error)
{
    const auto peer = m_peers.find(caller);
    if (peer == m_peers.end())
        return; // its bytes left the count when it was dropped
    peer->unsentBytes -= bytes;
    m_unsentBytes -= bytes;
    emit bytesWritten();
    if (error.isValid())
        dropPeer(caller, DBusBus::peerIsGone(error)
                             ? QStringLiteral("its connection to the D-Bus session bus closed")
                             : QStringLiteral("it did not take an answer (%1)").arg(error.message()));
}

void DBusReceiverEndpoint::dropPeer(const QString &caller, const QString &reason)
{
    const auto peer = m_peers.find(caller);
    if (peer == m_peers.end())
        return;
    const PeerId id = peer->id;
    m_unsentBytes -= peer->unsentBytes;
    m_peers.erase(peer);
    m_callers.remove(id);
    m_peerWatcher.removeWatchedService(caller);
    emit peerDisconnected(id, reason);
}

void DBusReceiverEndpoint::close()
{
    const QStringList callers = m_peers.keys();
    for (const QString &caller : callers)
        dropPeer(caller, QStringLiteral("this receiver closed"));
    m_connection.release(); // gives the name back to the bus
    setState(State::Closed);
}
