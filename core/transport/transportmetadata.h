// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

// What a transport plugin declares in its JSON metadata (readable without loading the library
// through QPluginLoader::metaData()). The keys are listed in docs/plugin-sdk.md.
struct IPCWCORE_EXPORT TransportCapabilities
{
    enum class Scope { ThisMachine, Lan, Internet };

    bool reliable = true;        // false: frames may be lost (overwritten, dropped)
    bool ordered = true;
    bool messageOriented = false; // true: the OS keeps message boundaries
    qint64 maxMessageBytes = 0;   // largest frame the plugin accepts (after its own fragmenting)
    qint64 osMessageBytes = 0;    // the OS's own limit per message, 0 when not message-oriented
    Scope scope = Scope::ThisMachine;
    bool duplex = true;
    bool multipleSenders = false;
    bool fanOut = false;          // one sender reaches many receivers: nobody's acks are waited for
    // Several receivers can each get every frame one sender sends (udp multicast; the
    // clipboard, which every receiver on the display reads); implied by fanOut.
    bool multipleReceivers = false;
    // The sender endpoint announces each receiver it hears from (peerConnected) and each that
    // left (peerDisconnected), so a sender can say how many it knows of.
    bool knowsReceivers = false;

    bool reachesManyReceivers() const { return fanOut || multipleReceivers; }
    static QString scopeName(Scope scope);
    QString summary() const; // "reliable, ordered, stream, max 64 MiB, this machine, duplex"
};

struct IPCWCORE_EXPORT TransportMetadata
{
    QString id;             // "tcp": stable, used on the command line
    QString name;           // "TCP"
    QString version;        // plugin version, "1.0.0"
    int apiVersion = 0;     // must equal ITransport's API version
    QStringList platforms;  // "linux", "windows"
    QString description;    // one or two sentences for the UI
    QString defaultAddress; // used when the user gives none
    QString addressHelp;    // "host:port", "queue name", ...
    TransportCapabilities capabilities;

    // Reads the plugin's "MetaData" object; returns an empty string or the reason it is unusable.
    static QString fromJson(const QJsonObject &json, TransportMetadata *out);
    bool supportsThisPlatform() const;
};
