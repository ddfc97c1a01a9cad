// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDBusConnection>
#include <QString>

// One endpoint's own connection to the session bus, with the endpoint's object exported on it:
// its own unique name, and closing it releases exactly what the endpoint held on the bus (the
// receiver's well-known name, match rules, pending calls). Released on destruction too.
class DBusEndpointConnection
{
public:
    DBusEndpointConnection() = default;
    DBusEndpointConnection(const DBusEndpointConnection &) = delete;
    DBusEndpointConnection &operator=(const DBusEndpointConnection &) = delete;
    ~DBusEndpointConnection() { release(); }

    // Connects and exports `object` at `path`; false, with a sentence in `error`, otherwise.
    bool open(const QString &path, QObject *object, QString *error);
    void release();
    bool isOpen() const { return !m_name.isEmpty(); }
    QDBusConnection bus() const { return QDBusConnection(m_name); }

private:
    QString m_name;
    QString m_path;
};
