// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The named OS objects the POSIX backends make (see core/transport/native/posixpaths.h): files
// in the per-user runtime folder (lock files, FIFOs, sockets), shared memory segments in
// /dev/shm and POSIX message queues, seen through an mqueue mount. Each is one line,
// "<where>/<name> <type> <mode>", e.g. "shm/ipcworkshop-0-faults1 file 0600", so a list can be
// compared, printed, and says the permissions too. Header-only, for tests.

#include <QDir>
#include <QStringList>

#include <sys/stat.h>

class OsObjects
{
public:
    // runtimeDir: "$XDG_RUNTIME_DIR/ipcworkshop"; mqueueDir: an mqueue mount, or empty when
    // message queues cannot be listed here.
    OsObjects(const QString &runtimeDir, const QString &mqueueDir)
        : m_places{{QStringLiteral("runtime"), runtimeDir}, {QStringLiteral("shm"), QStringLiteral("/dev/shm")}}
    {
        if (!mqueueDir.isEmpty())
            m_places.append({QStringLiteral("mqueue"), mqueueDir});
    }

    // Every object whose name contains `token`, sorted.
    QStringList containing(const QString &token) const
    {
        QStringList found;
        for (const Place &place : m_places) {
            const QDir dir(place.path);
            for (const QString &name : dir.entryList(QDir::AllEntries | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot)) {
                if (name.contains(token))
                    found << QStringLiteral("%1/%2 %3").arg(place.label, name, describe(dir.filePath(name)));
            }
        }
        found.sort();
        return found;
    }

private:
    struct Place
    {
        QString label;
        QString path;
    };

    static QString describe(const QString &path)
    {
        struct stat st {};
        if (::lstat(path.toLocal8Bit().constData(), &st) != 0)
            return QStringLiteral("gone");
        const char *type = S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "socket" : S_ISDIR(st.st_mode) ? "dir" : "file";
        return QStringLiteral("%1 %2").arg(QLatin1String(type)).arg(st.st_mode & 07777, 4, 8, QLatin1Char('0'));
    }

    QVector<Place> m_places;
};
