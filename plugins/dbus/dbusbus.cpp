// SPDX-License-Identifier: GPL-3.0-or-later
#include "dbusbus.h"

#include <QAtomicInt>
#include <QFileInfo>
#include <QRegularExpression>

namespace DBusBus {

QString receiverName(const QString &address, QString *error)
{
    // One element of a bus name: letters, digits and underscores, not starting with a digit
    // (the D-Bus specification); 200 leaves room for the prefix within the 255-byte limit.
    static const QRegularExpression element(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,199}$"));
    if (!element.match(address).hasMatch()) {
        *error = QStringLiteral("\"%1\" is not a D-Bus receiver name: use up to 200 letters, digits or underscores, "
                                "not starting with a digit, for example ipcworkshop.").arg(address);
        return {};
    }
    return NamePrefix + address;
}

QString noSessionBusReason()
{
    if (!qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        return {};
    // libdbus falls back to the per-user bus socket that systemd --user sessions provide.
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty() && QFileInfo(runtime + QStringLiteral("/bus")).exists())
        return {};
    return QStringLiteral("No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and there is no "
                          "$XDG_RUNTIME_DIR/bus. Run the program inside a desktop session, or start one bus "
                          "for it with dbus-run-session.");
}

QString newConnectionName()
{
    static QAtomicInt counter;
    return QStringLiteral("ipcworkshop-dbus-%1").arg(counter.fetchAndAddRelaxed(1) + 1);
}

QDBusConnection connect(const QString &connectionName, QString *error)
{
    if (const QString reason = noSessionBusReason(); !reason.isEmpty()) {
        *error = reason;
        return QDBusConnection(connectionName);
    }
    QDBusConnection bus = QDBusConnection::connectToBus(QDBusConnection::SessionBus, connectionName);
    if (!bus.isConnected()) {
        const QString address = qEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS",
                                                     QStringLiteral("$XDG_RUNTIME_DIR/bus"));
        *error = QStringLiteral("Cannot reach the D-Bus session bus at %1: %2 Is its dbus-daemon still running? "
                                "Start the program in a live desktop session or under dbus-run-session.")
                     .arg(address, bus.lastError().message().trimmed());
        QDBusConnection::disconnectFromBus(connectionName);
    }
    return bus;
}

void disconnect(const QString &connectionName)
{
    QDBusConnection::disconnectFromBus(connectionName);
}

bool peerIsGone(const QDBusError &error)
{
    if (error.name() == QLatin1String("org.freedesktop.DBus.Error.NameHasNoOwner"))
        return true;
    switch (error.type()) {
    case QDBusError::ServiceUnknown:
        return true;
    case QDBusError::NoReply:
        // The same error name for a timeout; the bus's own text tells a callee that left.
        return error.message().contains(QLatin1String("disconnected"));
    default:
        return false;
    }
}

} // namespace DBusBus
