// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake.h"

#include "framecodec.h"

#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QtEndian>

#include <cstring>
#include <optional>

namespace Handshake {

namespace {

constexpr char ReceiverTag[4] = {'I', 'P', 'C', 'R'};
constexpr char ProofTag[4] = {'I', 'P', 'C', 'A'};
constexpr char ProofContext[] = "IPC Workshop access v1";
constexpr quint8 TokenRequiredFlag = 0x01;

// The payload of a valid Hello frame, or nothing (with what the frame was in `why`).
std::optional<QByteArray> helloPayload(const QByteArray &frame, QString *why)
{
    DecodedFrame decoded;
    if (const DecodeError error = FrameCodec::decode(frame, &decoded); error != DecodeError::None) {
        if (why)
            *why = QStringLiteral("it sent a bad frame (%1)").arg(decodeErrorSentence(error));
        return std::nullopt;
    }
    if (decoded.header.type != Wire::FrameType::Hello) {
        if (why)
            *why = QStringLiteral("its first frame was of type %1, not a Hello").arg(int(decoded.header.type));
        return std::nullopt;
    }
    return decoded.payload().toByteArray();
}

} // namespace

QByteArray encodeReceiverHello(const ReceiverHello &hello)
{
    const QByteArray description = hello.description.toUtf8().left(MaxDescriptionBytes);
    QByteArray payload(ReceiverHelloFixedBytes + 2 + description.size(), '\0');
    char *p = payload.data();
    memcpy(p, ReceiverTag, 4);
    p[4] = char(Version);
    p[5] = char(hello.step);
    p[6] = char(hello.tokenRequired ? TokenRequiredFlag : 0);
    p[7] = char(hello.refusal);
    if (hello.nonce.size() == NonceBytes)
        memcpy(p + 8, hello.nonce.constData(), NonceBytes);
    qToLittleEndian<quint16>(quint16(description.size()), p + ReceiverHelloFixedBytes);
    memcpy(p + ReceiverHelloFixedBytes + 2, description.constData(), size_t(description.size()));
    return FrameCodec::encodeControl(Wire::FrameType::Hello, 0, 0, payload);
}

bool decodeReceiverHello(const QByteArray &frame, ReceiverHello *hello, QString *why)
{
    const std::optional<QByteArray> payload = helloPayload(frame, why);
    if (!payload)
        return false;
    const char *p = payload->constData();
    if (payload->size() < ReceiverHelloFixedBytes + 2 || memcmp(p, ReceiverTag, 4) != 0) {
        *why = QStringLiteral("its Hello is not a receiver's");
        return false;
    }
    if (quint8(p[4]) != Version) {
        *why = QStringLiteral("it speaks handshake version %1, this program version %2").arg(quint8(p[4])).arg(Version);
        return false;
    }
    const quint8 step = quint8(p[5]);
    const quint16 descriptionBytes = qFromLittleEndian<quint16>(p + ReceiverHelloFixedBytes);
    if (step < quint8(Step::Greeting) || step > quint8(Step::Refused)
        || payload->size() != ReceiverHelloFixedBytes + 2 + descriptionBytes) {
        *why = QStringLiteral("its Hello is malformed");
        return false;
    }
    hello->step = Step(step);
    hello->tokenRequired = (quint8(p[6]) & TokenRequiredFlag) != 0;
    hello->refusal = quint8(p[7]) <= quint8(Refusal::WrongProof) ? Refusal(quint8(p[7])) : Refusal::NoProof;
    hello->nonce = payload->mid(8, NonceBytes);
    hello->description = QString::fromUtf8(p + ReceiverHelloFixedBytes + 2, descriptionBytes);
    return true;
}

QByteArray encodeProof(const QByteArray &proof)
{
    QByteArray payload(ProofPayloadBytes, '\0');
    memcpy(payload.data(), ProofTag, 4);
    payload[4] = char(Version);
    memcpy(payload.data() + 8, proof.constData(), size_t(qMin<qsizetype>(proof.size(), ProofBytes)));
    return FrameCodec::encodeControl(Wire::FrameType::Hello, 0, 0, payload);
}

QByteArray proofIn(const QByteArray &frame)
{
    const std::optional<QByteArray> payload = helloPayload(frame, nullptr);
    if (!payload || payload->size() != ProofPayloadBytes || memcmp(payload->constData(), ProofTag, 4) != 0
        || quint8(payload->at(4)) != Version)
        return {};
    return payload->mid(8);
}

QByteArray proofFor(const QByteArray &token, const QByteArray &nonce, const QByteArray &certificateSha256)
{
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, token);
    mac.addData(nonce);
    mac.addData(ProofContext, qsizetype(sizeof ProofContext - 1));
    mac.addData(certificateSha256.size() == 32 ? certificateSha256 : QByteArray(32, '\0'));
    return mac.result();
}

bool sameProof(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return difference == 0;
}

QByteArray newNonce()
{
    QByteArray nonce(NonceBytes, '\0');
    // The system's cryptographic source: a predictable nonce would let a recorded proof be replayed.
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(nonce.data()),
                                         reinterpret_cast<quint32 *>(nonce.data() + NonceBytes));
    return nonce;
}

} // namespace Handshake
