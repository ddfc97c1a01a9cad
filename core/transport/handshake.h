// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The bytes of the stream handshake (docs/wire-format.md, "Handshake"): the receiver's Hello,
// which greets every new connection, carries a nonce and says whether an access token is
// required, and later accepts or refuses the sender's proof; and the sender's proof, an
// HMAC-SHA256 of that nonce under the shared token. Both are Hello frames (type 5) with a
// binary payload, so a version 1 peer that predates them reads them as informational Hellos.
// StreamPeers (receiver) and StreamHandshake (sender) use them; a plugin need not.

#include "ipcwcore_export.h"
#include "wireformat.h"

#include <QByteArray>
#include <QString>

namespace Handshake {

constexpr quint8 Version = 1;
constexpr int NonceBytes = 32;
constexpr int ProofBytes = 32;                  // HMAC-SHA256
constexpr int ReceiverHelloFixedBytes = 40;     // before the description
constexpr int ProofPayloadBytes = 8 + ProofBytes;
constexpr int ProofFrameBytes = Wire::HeaderSize + ProofPayloadBytes;
constexpr int MaxDescriptionBytes = 256;

enum class Step : quint8 {
    Greeting = 1, // first frame of every connection
    Accepted = 2, // the sender's proof was right: records are welcome
    Refused = 3,  // the proof was missing or wrong: the receiver closes the connection
};

enum class Refusal : quint8 {
    None = 0,
    NoProof = 1,    // the sender's first frame was not a proof
    WrongProof = 2, // the proof was made with another token
};

struct ReceiverHello
{
    Step step = Step::Greeting;
    bool tokenRequired = false;
    Refusal refusal = Refusal::None;
    QByteArray nonce;    // NonceBytes in a greeting, zeros otherwise
    QString description; // "ipcworkshop receiver, pid 1234 on host": informational
};

IPCWCORE_EXPORT QByteArray encodeReceiverHello(const ReceiverHello &hello);
// True when `frame` is a valid receiver Hello; otherwise false and, in `why`, a clause saying
// what it was instead ("its first frame was a Records frame").
IPCWCORE_EXPORT bool decodeReceiverHello(const QByteArray &frame, ReceiverHello *hello, QString *why);

IPCWCORE_EXPORT QByteArray encodeProof(const QByteArray &proof);
// The ProofBytes of a sender's proof frame; empty when `frame` is not one.
IPCWCORE_EXPORT QByteArray proofIn(const QByteArray &frame);

// HMAC-SHA256(token, nonce ‖ "IPC Workshop access v1" ‖ certificate SHA-256 or 32 zero bytes).
// Binding the certificate the sender saw means a proof made for an impostor's TLS endpoint is
// worth nothing at the real receiver.
IPCWCORE_EXPORT QByteArray proofFor(const QByteArray &token, const QByteArray &nonce,
                                    const QByteArray &certificateSha256 = {});
// Compares in time independent of where the bytes differ.
IPCWCORE_EXPORT bool sameProof(const QByteArray &a, const QByteArray &b);
IPCWCORE_EXPORT QByteArray newNonce();

} // namespace Handshake
