// SPDX-License-Identifier: GPL-3.0-or-later
#include "dbussenderendpoint.h"

#include "connectionsecurity.h"
#include "dbusbus.h"
#include "frameheader.h"
#include "handshake.h"

#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QTimer>

DBusSenderEndpoint::DBusSenderEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Sender, address),
      m_inbox([this](const QByteArray &frame, const QString &caller) { return deliver(frame, caller); }, {}, this),
      m_receiverWatcher(this)
{
    m_receiverWatcher.setWatchMode(QDBusServiceWatcher::WatchForUnregistration);
    connect(&m_receiverWatcher, &QDBusServiceWatcher::serviceUnregistered, this, [this](const QString &name) {
        if (name == m_receiver && state() == State::Connected)
            fail(wentAwaySentence());
    });
}

void DBusSenderEndpoint::open()
{
    setState(State::Opening);
    QTimer::singleShot(0, this, &DBusSenderEndpoint::connectNow);
}

void DBusSenderEndpoint::connectNow()
{
    if (state() != State::Opening)
        return;
    QString error;
    m_busName = DBusBus::receiverName(address(), &error);
    if (m_busName.isEmpty() || !m_connection.open(DBusBus::SenderPath, &m_inbox, &error))
        return fail(error);

    // The receiver speaks first, as on the stream transports: its Hello is Attach's reply.
    const QDBusMessage call = QDBusMessage::createMethodCall(m_busName, DBusBus::ReceiverPath, DBusBus::Interface,
                                                             QStringLiteral("Attach"));
    auto *watcher = new QDBusPendingCallWatcher(m_connection.bus().asyncCall(call, ConnectionSecurity::current().handshakeTimeoutMs), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *done) {
        done->deleteLater();
        if (state() != State::Opening)
            return;
        if (done->isError())
            return fail(attachFailure(done->error()));
        attached(done->reply());
    });
}

void DBusSenderEndpoint::attached(const QDBusMessage &reply)
{
    const QList<QVariant> arguments = reply.arguments();
    Handshake::ReceiverHello hello;
    QString why = QStringLiteral("its answer was not a byte array");
    if (reply.signature() != QLatin1String("ay")
        || !Handshake::decodeReceiverHello(arguments.value(0).toByteArray(), &hello, &why))
        return fail(QStringLiteral("The program owning the D-Bus name %1 is not an IPC Workshop receiver this version can "
                                   "talk to: %2.").arg(m_busName, why));
    if (hello.tokenRequired)
        return fail(QStringLiteral("The receiver on the D-Bus name %1 asks for an access token, which the D-Bus transport "
                                   "does not carry: the session bus admits only your own processes.").arg(m_busName));
    m_receiver = reply.service();
    // Its unique name leaving the bus is how a receiver that dies or closes is seen.
    m_receiverWatcher.setConnection(m_connection.bus());
    m_receiverWatcher.addWatchedService(m_receiver);
    setState(State::Connected);
}

QString DBusSenderEndpoint::attachFailure(const QDBusError &error) const
{
    if (DBusBus::peerIsGone(error))
        return QStringLiteral("Nobody is receiving on the D-Bus name %1: start a receiver first.").arg(m_busName);
    switch (error.type()) {
    case QDBusError::NoReply:
    case QDBusError::Timeout:
        return QStringLiteral("The program owning the D-Bus name %1 did not answer as an IPC Workshop receiver within %2 ms.")
            .arg(m_busName).arg(ConnectionSecurity::current().handshakeTimeoutMs);
    case QDBusError::UnknownMethod:
    case QDBusError::UnknownObject:
    case QDBusError::UnknownInterface:
        return QStringLiteral("The program owning the D-Bus name %1 is not an IPC Workshop receiver (%2).")
            .arg(m_busName, error.message());
    default:
        break;
    }
    if (error.name() == DBusBus::RefusedError)
        return error.message(); // the receiver's own sentence
    return QStringLiteral("The receiver on the D-Bus name %1 could not be reached: %2").arg(m_busName, error.message());
}

QString DBusSenderEndpoint::wentAwaySentence() const
{
    return QStringLiteral("The receiver on the D-Bus name %1 went away: its connection %2 left the session bus.")
        .arg(m_busName, m_receiver);
}

DBusFrameInbox::Refusal DBusSenderEndpoint::deliver(const QByteArray &frame, const QString &caller)
{
    if (state() != State::Connected || caller != m_receiver)
        return {DBusBus::RefusedError, QStringLiteral("This sender takes answers only from its receiver.")};
    FrameHeader header;
    const DecodeError error = FrameCodec::peekHeader(frame.constData(), frame.size(), &header);
    if (error != DecodeError::None || frame.size() != qsizetype(Wire::HeaderSize) + qsizetype(header.payloadLength)) {
        const QString why = error != DecodeError::None ? decodeErrorSentence(error)
                                                       : QStringLiteral("The call did not hold exactly one frame.");
        // Deferred: failing closes the connection, which must not happen inside its own delivery.
        QTimer::singleShot(0, this, [this, why] {
            if (state() == State::Connected)
                fail(QStringLiteral("The receiver on the D-Bus name %1 sent an answer that is not an IPC Workshop frame: %2")
                         .arg(m_busName, why));
        });
        return {DBusBus::BadFrameError, why};
    }
    emit frameReceived(frame, 0);
    return {};
}

void DBusSenderEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() != State::Connected)
        return;
    if (frame.size() > DBusBus::MaxFrameBytes)
        return fail(QStringLiteral("A %1-byte frame is larger than the D-Bus transport carries (%2 bytes); it was not sent.")
                        .arg(frame.size()).arg(DBusBus::MaxFrameBytes));
    QDBusMessage call = QDBusMessage::createMethodCall(m_receiver, DBusBus::ReceiverPath, DBusBus::Interface, QStringLiteral("Deliver"));
    call << frame;
    const qint64 bytes = frame.size();
    m_queuedBytes += bytes;
    auto *watcher = new QDBusPendingCallWatcher(m_connection.bus().asyncCall(call, DBusBus::CallTimeoutMs), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, bytes](QDBusPendingCallWatcher *done) {
        done->deleteLater();
        m_queuedBytes -= bytes;
        if (state() != State::Connected)
            return;
        if (done->isError()) {
            const QDBusError error = done->error();
            if (DBusBus::peerIsGone(error))
                return fail(wentAwaySentence());
            if (error.type() == QDBusError::NoReply || error.type() == QDBusError::Timeout)
                return fail(QStringLiteral("The receiver on the D-Bus name %1 did not take a frame within %2 s.")
                                .arg(m_busName).arg(DBusBus::CallTimeoutMs / 1000));
            if (error.name() == DBusBus::RefusedError || error.name() == DBusBus::BadFrameError)
                return fail(QStringLiteral("The receiver on the D-Bus name %1 refused a frame: %2").arg(m_busName, error.message()));
            return fail(QStringLiteral("A frame to the receiver on the D-Bus name %1 was not delivered: %2")
                            .arg(m_busName, error.message()));
        }
        emit bytesWritten();
    });
}

void DBusSenderEndpoint::close()
{
    m_connection.release();
    m_queuedBytes = 0;
    setState(State::Closed);
}
