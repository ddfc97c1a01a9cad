// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "dbusendpointconnection.h"
#include "dbusframeinbox.h"
#include "receiverlimits.h"
#include "transportendpoint.h"

#include <QDBusServiceWatcher>
#include <QHash>

// Owns org.ipcworkshop.Receiver.<address> on its own session-bus connection and takes frames
// as Deliver calls. A sender is a peer from its Attach until its unique name leaves the bus.
// Answers go back as Deliver calls to the sender's unique name; each one's reply tells when it
// was taken, which is what bounds the answers waiting for one sender. Everything happens in
// the endpoint's thread, from the event loop.
class DBusReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit DBusReceiverEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return m_unsentBytes; }

private:
    struct Peer
    {
        PeerId id = 0;
        qint64 unsentBytes = 0; // answers sent and not yet taken
    };

    void listenNow();
    void claimName();
    DBusFrameInbox::Refusal attach(const QString &caller, QByteArray *hello);
    DBusFrameInbox::Refusal deliver(const QByteArray &frame, const QString &caller);
    void answerTaken(const QString &caller, qint64 bytes, const QDBusError &error);
    void dropPeer(const QString &caller, const QString &reason);

    const ReceiverLimits m_limits;
    const bool m_tokenAsked;
    QString m_busName;
    DBusFrameInbox m_inbox;
    QDBusServiceWatcher m_peerWatcher;
    QHash<QString, Peer> m_peers; // by unique bus name
    QHash<PeerId, QString> m_callers;
    PeerId m_nextPeer = 0;
    qint64 m_unsentBytes = 0;
    // Last, so it is released before the objects exported on it go.
    DBusEndpointConnection m_connection;
};
