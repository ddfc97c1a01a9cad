// SPDX-License-Identifier: GPL-3.0-or-later
#include "tlsidentity.h"

#include "selfsignedcertificate.h"

#include <QDir>
#include <QFile>
#include <QLockFile>
#include <QMutex>
#include <QStandardPaths>
#include <QSysInfo>

namespace {

constexpr QFileDevice::Permissions OwnerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
constexpr QFileDevice::Permissions OwnerOnlyFolder = OwnerOnly | QFileDevice::ExeOwner;

// Created 0600 from the first byte: never readable by others, not even for a moment.
bool writePrivateFile(const QString &path, const QByteArray &bytes, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, OwnerOnly) || file.write(bytes) != bytes.size()
        || !file.flush()) {
        *error = QStringLiteral("Cannot write %1: %2.").arg(QDir::toNativeSeparators(path), file.errorString());
        file.close();
        QFile::remove(path);
        return false;
    }
    return true;
}

QByteArray readPrivateFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("Cannot read %1: %2.").arg(QDir::toNativeSeparators(path), file.errorString());
        return {};
    }
    file.setPermissions(OwnerOnly); // one copied in by hand may have been left readable
    return file.readAll();
}

} // namespace

QByteArray TlsIdentity::sha256() const
{
    return certificate.digest(QCryptographicHash::Sha256);
}

QString TlsIdentity::folder()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/ipcworkshop/tls");
}

TlsIdentity TlsIdentity::loadOrCreate(QString *error)
{
    static QMutex threads; // QLockFile guards against other processes only
    const QMutexLocker locker(&threads);

    TlsIdentity identity;
    const QString dir = folder();
    if (!QDir().mkpath(dir) || !QFile::setPermissions(dir, OwnerOnlyFolder)) {
        *error = QStringLiteral("Cannot make the folder %1 for this receiver's TLS certificate.").arg(QDir::toNativeSeparators(dir));
        return identity;
    }
    QLockFile lock(dir + QStringLiteral("/.lock"));
    if (!lock.tryLock(10000)) {
        *error = QStringLiteral("Another IPC Workshop has been making the TLS certificate in %1 for 10 s; try again.")
                     .arg(QDir::toNativeSeparators(dir));
        return identity;
    }
    identity.certificatePath = dir + QStringLiteral("/receiver-certificate.pem");
    identity.keyPath = dir + QStringLiteral("/receiver-key.pem");
    if (!QFile::exists(identity.certificatePath) || !QFile::exists(identity.keyPath)) {
        // Half a pair is worth nothing: start again.
        QFile::remove(identity.certificatePath);
        QFile::remove(identity.keyPath);
        const PemPair made = makeSelfSignedCertificate(
            QStringLiteral("IPC Workshop receiver on %1").arg(QSysInfo::machineHostName()));
        if (!made.error.isEmpty()) {
            *error = QStringLiteral("Cannot make a TLS certificate for this receiver: %1").arg(made.error);
            return identity;
        }
        if (!writePrivateFile(identity.keyPath, made.key, error)
            || !writePrivateFile(identity.certificatePath, made.certificate, error)) {
            QFile::remove(identity.keyPath);
            return identity;
        }
    }
    const QByteArray certificatePem = readPrivateFile(identity.certificatePath, error);
    const QByteArray keyPem = certificatePem.isEmpty() ? QByteArray() : readPrivateFile(identity.keyPath, error);
    if (keyPem.isEmpty())
        return identity;
    identity.certificate = QSslCertificate(certificatePem, QSsl::Pem);
    identity.key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    if (!identity.isValid())
        *error = QStringLiteral("The TLS certificate or key in %1 cannot be read; delete both files and a new pair will "
                                "be made (senders must then pin its new fingerprint).").arg(QDir::toNativeSeparators(dir));
    return identity;
}
