// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a zeromq address says (docs/zeromq-transport.md, "Addresses"):
//   records                 a plain name: ipc://, a socket file in the user's 0700 runtime folder
//   ipc://records           the same, written out
//   tcp://127.0.0.1:47010   TCP, loopback; tcp://*:47010 or another interface only when written
// The ipc socket file is R/<kind>-<name>.sock (R = $XDG_RUNTIME_DIR/ipcworkshop), mode 0600;
// `kind` ("zeromq", "zeromq-pubsub") keeps the two modes' files apart.

#include <QByteArray>
#include <QHostAddress>
#include <QString>

struct ZeroMqAddress
{
    bool ipc = true;
    QString name;       // ipc: the plain name
    QString socketPath; // ipc: the socket file
    QHostAddress host;  // tcp: QHostAddress::Any for "*"
    quint16 port = 0;

    // Returns "" or a sentence saying what is wrong and how to write it.
    static QString parse(const QString &text, const QString &kind, ZeroMqAddress *out);
    // The endpoint to bind: "ipc:///run/user/1000/ipcworkshop/zeromq-records.sock", "tcp://127.0.0.1:47010".
    QByteArray bindEndpoint() const;
    // The endpoint to connect to: "*" becomes loopback.
    QByteArray connectEndpoint() const;
    // tcp on an interface other than loopback.
    bool leavesMachine() const;
    // For sentences: "the ipc socket /run/…/zeromq-records.sock", "tcp://127.0.0.1:47010".
    QString place() const;
};

// The ipc socket file, checked as localsocket does it (docs/zeromq-transport.md, "The socket file").
namespace ZeroMqIpcFile {
// Before bind (libzmq would silently unlink a live socket's file): "" when the path is free or
// held a socket nobody answers on (removed), else a sentence. `owner` names who binds there.
QString claim(const QString &path, const QString &owner);
// After bind: makes the file 0600 and checks it is ours and 0600; "" or a sentence.
QString secure(const QString &path);
// Before connecting: "" when it is a socket of ours with mode 0600; a sentence otherwise
// (missing: `missing` is said).
QString check(const QString &path, const QString &missing);
} // namespace ZeroMqIpcFile
