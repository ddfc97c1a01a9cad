// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QByteArray>
#include <QString>

// Who may talk to a stream receiver, and whether the bytes are encrypted (docs/wire-format.md,
// "Handshake"). Like ReceiverLimits, a process-wide setting: the program sets it from its
// command line or window just before it creates an endpoint, and every stream endpoint reads
// it once, when it is created; so a plugin needs no new API, and two windows in one process
// each keep what they started with. Thread-safe.
struct IPCWCORE_EXPORT ConnectionSecurity
{
    // Shared secret. Receiver: required from every sender when set, and always beyond
    // loopback. Sender: proves it knows it when the receiver asks. Never sent on the wire.
    QByteArray token;
    // Receiver (TCP): serve TLS with this user's self-signed certificate (TlsIdentity).
    bool tls = false;
    // Sender (TCP): connect with TLS and accept only a receiver certificate whose SHA-256 is
    // this (32 bytes). Empty: plain TCP.
    QByteArray pinnedSha256;
    // Sender: how long a receiver has to greet (and to accept the token) once connected.
    int handshakeTimeoutMs = 3000;

    // Tokens shorter than this are refused: the proof of one can be guessed offline.
    static constexpr int MinTokenBytes = 12;

    // The settings endpoints created from now on will use.
    static ConnectionSecurity current();
    static void setCurrent(const ConnectionSecurity &security);

    // "AB:CD:…" (32 bytes as 95 characters), how windows and the command line show a SHA-256.
    static QString fingerprintText(const QByteArray &sha256);
    // Accepts that form, or 64 hex digits without colons; empty on anything else.
    static QByteArray parseFingerprint(const QString &text);
    // Empty when `token` is usable, else why not (a sentence).
    static QString tokenProblem(const QByteArray &token);
};
