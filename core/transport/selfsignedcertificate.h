// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Not part of the SDK (not installed): TlsIdentity's certificate maker, the one file that
// calls OpenSSL directly, because Qt can use a certificate but not make one.

#include <QByteArray>
#include <QString>

struct PemPair
{
    QByteArray certificate; // PEM "CERTIFICATE"
    QByteArray key;         // PEM "EC PRIVATE KEY" (P-256)
    QString error;          // empty on success
};

// A self-signed X.509 v3 certificate for `commonName`, valid for ten years, signed with SHA-256.
PemPair makeSelfSignedCertificate(const QString &commonName);
