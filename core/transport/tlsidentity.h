// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QSslCertificate>
#include <QSslKey>

// This user's TLS identity as a receiver: a self-signed certificate and its private key, made
// on first use and kept in $XDG_DATA_HOME/ipcworkshop/tls (folder 0700, files 0600), so its
// fingerprint stays the same from one run to the next and a sender can pin it. The TCP plugin
// serves it; the windows and the command line show its fingerprint.
struct IPCWCORE_EXPORT TlsIdentity
{
    QSslCertificate certificate;
    QSslKey key;
    QString certificatePath;
    QString keyPath;

    bool isValid() const { return !certificate.isNull() && !key.isNull(); }
    // SHA-256 of the certificate (DER): what a sender pins.
    QByteArray sha256() const;

    // Loads the identity, or makes and stores one; on failure an invalid identity and a sentence.
    // Thread-safe, and safe against another process making it at the same moment.
    static TlsIdentity loadOrCreate(QString *error);
    static QString folder();
};
