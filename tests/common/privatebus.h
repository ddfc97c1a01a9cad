// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A private D-Bus session bus for a test: a dbus-daemon of its own, listening in a temporary
// folder, never the user's bus. Its address goes to child processes through
// DBUS_SESSION_BUS_ADDRESS; the daemon is a child of the test (--nofork), so it ends with the
// test even when the test does not get to stop it. Header-only, for tests.

#include <QProcess>
#include <QTemporaryDir>

#include <memory>

class PrivateBus
{
public:
    // Starts the daemon; false, with a sentence in `error`, if it did not come up.
    bool start(QString *error)
    {
        if (!m_dir.isValid()) {
            *error = QStringLiteral("no temporary folder for the private bus");
            return false;
        }
        m_daemon = std::make_unique<QProcess>();
        m_daemon->setProcessChannelMode(QProcess::SeparateChannels);
        m_daemon->start(QStringLiteral("dbus-daemon"), {QStringLiteral("--session"), QStringLiteral("--nofork"),
                                                       QStringLiteral("--print-address"),
                                                       QStringLiteral("--address=unix:dir=") + m_dir.path()});
        if (!m_daemon->waitForStarted(5000)) {
            *error = QStringLiteral("cannot start dbus-daemon (package dbus-daemon, scripts/install-deps.sh): %1")
                         .arg(m_daemon->errorString());
            return false;
        }
        QByteArray line;
        while (!line.contains('\n') && m_daemon->waitForReadyRead(10000))
            line += m_daemon->readAllStandardOutput();
        m_address = QString::fromUtf8(line).trimmed();
        if (m_address.isEmpty()) {
            *error = QStringLiteral("dbus-daemon printed no address: %1").arg(QString::fromUtf8(m_daemon->readAllStandardError()));
            return false;
        }
        return true;
    }

    QString address() const { return m_address; }

    ~PrivateBus()
    {
        if (m_daemon && m_daemon->state() != QProcess::NotRunning) {
            m_daemon->kill();
            m_daemon->waitForFinished(5000);
        }
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_daemon;
    QString m_address;
};
