// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What both ends of the D-Bus transport agree on (docs/dbus-transport.md): names, paths, the
// interface, limits, and the sentences for what the bus says when it goes wrong.

#include <QDBusConnection>
#include <QDBusError>
#include <QString>

namespace DBusBus {

inline const QString Interface = QStringLiteral("org.ipcworkshop.Transport1");
inline const QString ReceiverPath = QStringLiteral("/org/ipcworkshop/Receiver");
inline const QString SenderPath = QStringLiteral("/org/ipcworkshop/Sender");
inline const QString NamePrefix = QStringLiteral("org.ipcworkshop.Receiver.");
// Error names this transport replies with; the message is a sentence for a person.
inline const QString RefusedError = QStringLiteral("org.ipcworkshop.Error.Refused");
inline const QString BadFrameError = QStringLiteral("org.ipcworkshop.Error.BadFrame");

// Half the protocol's 64 MiB array limit: a frame never meets the limit, and libdbus (which
// stops reading a connection past 63 MiB of messages not yet handled) always takes a whole one.
constexpr qint64 MaxFrameBytes = 32 * 1024 * 1024;
// A call carrying a frame or an answer: generous, since a 32 MiB frame crosses the daemon too.
constexpr int CallTimeoutMs = 30'000;

// The well-known name for a plain-name address; empty and a sentence in `error` if it is not one.
QString receiverName(const QString &address, QString *error);

// A private connection to the session bus for one endpoint (closed with disconnect()): so each
// endpoint has its own unique name and closing one releases exactly what it owned. The connect
// itself is a short local handshake with the bus daemon. Not connected: `error` says why.
QDBusConnection connect(const QString &connectionName, QString *error);
void disconnect(const QString &connectionName);
QString newConnectionName();

// Why the session bus cannot be used here at all (no address to find it by); empty otherwise.
QString noSessionBusReason();

// The other end left the bus (or was never on it): what the bus answers a call to a name
// nobody owns, or a call whose callee disconnected before replying.
bool peerIsGone(const QDBusError &error);

} // namespace DBusBus
