// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "dbusendpointconnection.h"
#include "dbusframeinbox.h"
#include "transportendpoint.h"

#include <QDBusError>
#include <QDBusServiceWatcher>

// Attaches to the receiver that owns org.ipcworkshop.Receiver.<address> and from then on calls
// its unique name, so a receiver started later under the same name never gets the rest of a
// transfer meant for one that died. Every call is asynchronous; a frame counts in queuedBytes()
// until the receiver's reply says it was taken. Answers arrive as Deliver calls to this
// connection's own object, accepted only from that receiver.
class DBusSenderEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit DBusSenderEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return m_queuedBytes; }

private:
    void connectNow();
    void attached(const QDBusMessage &reply);
    DBusFrameInbox::Refusal deliver(const QByteArray &frame, const QString &caller);
    QString attachFailure(const QDBusError &error) const;
    QString wentAwaySentence() const;

    QString m_busName;
    QString m_receiver; // the receiver's unique name, once attached
    DBusFrameInbox m_inbox;
    QDBusServiceWatcher m_receiverWatcher;
    qint64 m_queuedBytes = 0;
    // Last, so it is released before the objects exported on it go.
    DBusEndpointConnection m_connection;
};
