// SPDX-License-Identifier: GPL-3.0-or-later
#include "dbusendpointconnection.h"

#include "dbusbus.h"

bool DBusEndpointConnection::open(const QString &path, QObject *object, QString *error)
{
    release();
    const QString name = DBusBus::newConnectionName();
    QDBusConnection connection = DBusBus::connect(name, error);
    if (!connection.isConnected())
        return false;
    m_name = name;
    m_path = path;
    if (!connection.registerObject(path, object, QDBusConnection::ExportAllSlots)) {
        *error = QStringLiteral("Cannot export the object %1 on the D-Bus session bus.").arg(path);
        release();
        return false;
    }
    return true;
}

void DBusEndpointConnection::release()
{
    if (m_name.isEmpty())
        return;
    QDBusConnection(m_name).unregisterObject(m_path);
    DBusBus::disconnect(m_name);
    m_name.clear();
}
