// SPDX-License-Identifier: GPL-3.0-or-later
#include "connectionsecurity.h"

#include <QMutex>
#include <QRegularExpression>

namespace {

// Endpoints may be created on other threads (the window's benchmark).
QMutex &securityLock()
{
    static QMutex lock;
    return lock;
}

ConnectionSecurity &processSecurity()
{
    static ConnectionSecurity security;
    return security;
}

} // namespace

ConnectionSecurity ConnectionSecurity::current()
{
    const QMutexLocker locker(&securityLock());
    return processSecurity();
}

void ConnectionSecurity::setCurrent(const ConnectionSecurity &security)
{
    const QMutexLocker locker(&securityLock());
    processSecurity() = security;
}

QString ConnectionSecurity::fingerprintText(const QByteArray &sha256)
{
    return QString::fromLatin1(sha256.toHex(':').toUpper());
}

QByteArray ConnectionSecurity::parseFingerprint(const QString &text)
{
    QString hex = text.trimmed();
    hex.remove(QLatin1Char(':'));
    static const QRegularExpression sha256Hex(QStringLiteral("^[0-9A-Fa-f]{64}$"));
    if (!sha256Hex.match(hex).hasMatch())
        return {};
    return QByteArray::fromHex(hex.toLatin1());
}

QString ConnectionSecurity::tokenProblem(const QByteArray &token)
{
    if (token.size() < MinTokenBytes)
        return QStringLiteral("The access token has %1 characters; use at least %2 (for example the output of "
                             "\"openssl rand -hex 16\"), or anyone who sees one handshake could guess it.")
            .arg(token.size()).arg(MinTokenBytes);
    return {};
}
