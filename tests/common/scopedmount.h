// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A file system mounted for one test and unmounted when it goes: a small tmpfs to fill up, or
// a view of the kernel's POSIX message queues. Mounting needs root (CAP_SYS_ADMIN); when it
// cannot be done, why() says so in a sentence a skip can print. Linux only, header-only.

#include <QByteArray>
#include <QString>

#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <unistd.h>

class ScopedMount
{
public:
    // mount -t <type> -o <options> <type> <directory>; the directory must exist.
    ScopedMount(const QString &type, const QString &directory, const QString &options = {})
        : m_directory(directory)
    {
        const QByteArray dir = directory.toLocal8Bit(), fsType = type.toLatin1(), data = options.toLatin1();
        if (::mount(fsType.constData(), dir.constData(), fsType.constData(), MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    data.isEmpty() ? nullptr : data.constData())
            == 0) {
            m_mounted = true;
            return;
        }
        const int error = errno;
        m_why = QStringLiteral("cannot mount a %1 on %2 (%3)%4").arg(type, directory, QString::fromLocal8Bit(std::strerror(error)),
                                                                 geteuid() != 0 ? QStringLiteral(": mounting needs root")
                                                                                : QString());
    }
    ~ScopedMount()
    {
        if (m_mounted)
            ::umount2(m_directory.toLocal8Bit().constData(), MNT_DETACH);
    }
    ScopedMount(const ScopedMount &) = delete;
    ScopedMount &operator=(const ScopedMount &) = delete;

    bool mounted() const { return m_mounted; }
    QString why() const { return m_why; }
    QString directory() const { return m_directory; }

private:
    QString m_directory;
    bool m_mounted = false;
    QString m_why;
};
