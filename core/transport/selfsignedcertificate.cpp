// SPDX-License-Identifier: GPL-3.0-or-later
#include "selfsignedcertificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>

namespace {

template <typename T, void (*Free)(T *)>
struct Deleter
{
    void operator()(T *p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertificatePtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

constexpr long TenYearsSeconds = 10L * 365 * 24 * 3600;

QString openSslError(const char *what)
{
    const unsigned long code = ERR_get_error();
    char text[256] = {};
    ERR_error_string_n(code, text, sizeof text);
    return QStringLiteral("OpenSSL could not %1 (%2).").arg(QLatin1String(what), QLatin1String(text));
}

QByteArray drain(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return QByteArray(data, size);
}

} // namespace

PemPair makeSelfSignedCertificate(const QString &commonName)
{
    PemPair result;
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        result.error = openSslError("make a P-256 key");
        return result;
    }
    CertificatePtr certificate(X509_new());
    unsigned char serial[16];
    if (!certificate || RAND_bytes(serial, sizeof serial) != 1) {
        result.error = openSslError("start a certificate");
        return result;
    }
    serial[0] &= 0x7f; // a positive serial number, as RFC 5280 asks
    BIGNUM *serialNumber = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool serialSet = serialNumber && BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate.get()));
    BN_free(serialNumber);

    X509_NAME *name = X509_get_subject_name(certificate.get());
    const QByteArray cn = commonName.toUtf8();
    const bool filled = serialSet && X509_set_version(certificate.get(), 2)
        && X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600)
        && X509_gmtime_adj(X509_getm_notAfter(certificate.get()), TenYearsSeconds)
        && X509_set_pubkey(certificate.get(), key.get())
        && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>("IPC Workshop"), -1, -1, 0)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(cn.constData()), -1, -1, 0)
        && X509_set_issuer_name(certificate.get(), name)
        && X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0;
    if (!filled) {
        result.error = openSslError("sign the certificate");
        return result;
    }

    BioPtr certificateBio(BIO_new(BIO_s_mem()));
    BioPtr keyBio(BIO_new(BIO_s_mem()));
    if (!certificateBio || !keyBio || !PEM_write_bio_X509(certificateBio.get(), certificate.get())
        || !PEM_write_bio_PrivateKey_traditional(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
        result.error = openSslError("write the certificate as PEM");
        return result;
    }
    result.certificate = drain(certificateBio.get());
    result.key = drain(keyBio.get());
    return result;
}
