// SPDX-License-Identifier: GPL-3.0-or-later
#include "privatesessionbus.h"

bool PrivateSessionBus::start(QString *error)
{
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary folder for a private D-Bus session bus: %1").arg(m_dir.errorString());
        return false;
    }
    // --nofork keeps the daemon our child, so it cannot outlive the benchmark unnoticed.
    m_daemon.start(QStringLiteral("dbus-daemon"), {QStringLiteral("--session"), QStringLiteral("--nofork"),
                                                  QStringLiteral("--print-address"),
                                                  QStringLiteral("--address=unix:dir=") + m_dir.path()});
    if (!m_daemon.waitForStarted(5000)) {
        *error = QStringLiteral("dbus-daemon did not start (%1); install the package dbus-daemon").arg(m_daemon.errorString());
        return false;
    }
    QByteArray line;
    while (!line.contains('\n') && m_daemon.waitForReadyRead(10000))
        line += m_daemon.readAllStandardOutput();
    m_address = QString::fromUtf8(line).trimmed();
    if (m_address.isEmpty()) {
        *error = QStringLiteral("dbus-daemon printed no address: %1").arg(QString::fromLocal8Bit(m_daemon.readAllStandardError()).trimmed());
        m_daemon.kill();
        m_daemon.waitForFinished(5000);
        return false;
    }
    m_hadAddress = qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS");
    m_previousAddress = qgetenv("DBUS_SESSION_BUS_ADDRESS");
    qputenv("DBUS_SESSION_BUS_ADDRESS", m_address.toUtf8());
    return true;
}

PrivateSessionBus::~PrivateSessionBus()
{
    if (m_address.isEmpty())
        return;
    if (m_hadAddress)
        qputenv("DBUS_SESSION_BUS_ADDRESS", m_previousAddress);
    else
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    m_daemon.kill();
    m_daemon.waitForFinished(5000);
}
