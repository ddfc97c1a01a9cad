// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connectionsecurity.h"
#include "receiverlimits.h"
#include "transportendpoint.h"

#include <QString>
#include <QStringList>
#include <optional>

// Everything the command line can say, parsed once and shared by the GUI and headless modes.
struct AppOptions
{
    bool listTransports = false;
    bool headless = false;
    std::optional<EndpointRole> role;
    QString transport = QStringLiteral("tcp");
    QString address;          // empty: the transport's default
    qint64 expect = 0;        // receiver: exit once this many records arrived
    int senders = 0;          // receiver: exit once this many senders said goodbye
    QString exportPath;       // receiver: CSV written at the end
    bool discard = false;     // receiver: validate, count and acknowledge, but keep no rows
    bool reportMemory = false; // headless: print resident memory when ready and at the end
    int timeoutSeconds = 0;   // 0: no limit
    qint64 generate = 0;      // sender: N generated employees
    quint64 seed = 1;
    quint32 firstId = 1;
    int batch = 0;            // 0: the session's default
    QString importPath;       // sender: CSV instead of --generate
    bool sendOnStart = false; // GUI sender: send the generated/imported records right away
    bool progress = false;    // headless sender: print a line each time more records are acknowledged
    QStringList pluginFiles;  // extra plugin files to load
    ReceiverLimits limits;    // what a receiver lets its peers make it hold
    // Access token (--token-file, --token, IPCW_TOKEN), TLS (--tls) and the pinned receiver
    // certificate (--pin-sha256) of the stream transports.
    ConnectionSecurity security;

    // Parses the application's arguments; on a usage error returns false with the sentence.
    static bool parse(const QStringList &arguments, AppOptions *out, QString *error);
};

QString roleName(EndpointRole role);
