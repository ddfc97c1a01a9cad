// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A D-Bus session bus of one's own, for the benchmark's dbus rows and their floor and for the
// tests: a `dbus-daemon --session` child in a temporary folder, named in this process's
// DBUS_SESSION_BUS_ADDRESS (which every process started meanwhile inherits) while the object
// lives. The user's bus is never measured or disturbed; the variable gets its old value back
// and the daemon is stopped when the object goes.

#include "ipcwcore_export.h"

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

class IPCWCORE_EXPORT PrivateSessionBus
{
public:
    PrivateSessionBus() = default;
    PrivateSessionBus(const PrivateSessionBus &) = delete;
    PrivateSessionBus &operator=(const PrivateSessionBus &) = delete;
    ~PrivateSessionBus();

    // False, with a sentence in `error`, if the daemon did not come up; nothing changes then.
    bool start(QString *error);
    QString address() const { return m_address; }

private:
    QTemporaryDir m_dir;
    QProcess m_daemon;
    QString m_address;
    bool m_hadAddress = false;
    QByteArray m_previousAddress;
};
