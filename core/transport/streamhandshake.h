// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connectionsecurity.h"

#include <QObject>
#include <QTimer>

class QIODevice;

// The sender's half of the stream handshake (docs/wire-format.md, "Handshake"), for a stream
// plugin's sender endpoint: once its connection is up (and encrypted, with TLS), start();
// hand it every frame read until finished(); say Connected on succeeded(), and give up with
// the sentence of failed(). A program that accepts the connection and never greets, greets
// wrongly, or refuses the access token fails within ConnectionSecurity::handshakeTimeoutMs.
class IPCWCORE_EXPORT StreamHandshake : public QObject
{
    Q_OBJECT
public:
    // `where` completes "The program <where> …": "at 127.0.0.1:47001", "on the local socket \"x\"".
    // The token and timeout are ConnectionSecurity::current()'s.
    StreamHandshake(QIODevice *device, const QString &where, QObject *parent = nullptr);

    // The connection is up (its TLS handshake, if any, may still be under way): the deadline runs.
    void start();
    // TLS is up: a token proof is bound to the receiver's certificate.
    void setCertificateSha256(const QByteArray &sha256) { m_certificateSha256 = sha256; }
    bool finished() const { return m_step == Step::Done || m_step == Step::Failed; }
    void handleFrame(const QByteArray &frame);
    // What to say when the connection closes or goes out of step before the handshake ended.
    QString interruptedSentence(const QString &detail) const;

signals:
    void succeeded();
    void failed(const QString &sentence);

private:
    enum class Step { Idle, AwaitingGreeting, AwaitingVerdict, Done, Failed };
    void fail(const QString &sentence);
    void succeed();

    QIODevice *m_device;
    QString m_where;
    ConnectionSecurity m_security;
    QByteArray m_certificateSha256;
    Step m_step = Step::Idle;
    QTimer m_deadline;
};
