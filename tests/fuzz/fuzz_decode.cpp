// SPDX-License-Identifier: GPL-3.0-or-later
// The frame decoder: whole frames (FrameCodec::decode) and, as a second reading, the same bytes
// as a stream (fuzz_streamframer goes further there).
#include "fuzzharness.h"

#include "framecodec.h"
#include "framestreamreader.h"
#include "handshake.h"

#include <QtEndian>

namespace {

using Fuzz::require;

// Whatever the decoder accepts must be exactly what the encoder would have written: no
// second spelling of a frame slips through, and nothing read is lost or invented.
void checkAccepted(const QByteArray &bytes, const DecodedFrame &frame)
{
    const FrameHeader &h = frame.header;
    require(bytes.size() == Wire::HeaderSize + qsizetype(h.payloadLength), "accepted length matches header");
    switch (h.type) {
    case Wire::FrameType::Records:
        require(frame.records.size() == qsizetype(h.recordCount), "record count matches records");
        require(FrameCodec::encodeRecords(frame.records.constData(), frame.records.size(), h.sequence,
                                          h.senderId, h.timestampUs) == bytes,
                "accepted records frame re-encodes to the same bytes");
        break;
    case Wire::FrameType::Ack: {
        // encodeAck stamps its own time, so compare everything but timestamp and CRC.
        const QByteArray again = FrameCodec::encodeAck(h.sequence, h.senderId, frame.ackFrames, frame.ackRecords);
        require(again.size() == bytes.size(), "ack size");
        require(again.left(Wire::Offset::Timestamp) == bytes.left(Wire::Offset::Timestamp), "ack header start");
        require(again.mid(Wire::Offset::RecordCount, 12) == bytes.mid(Wire::Offset::RecordCount, 12), "ack header end");
        require(again.mid(Wire::HeaderSize) == bytes.mid(Wire::HeaderSize), "ack payload");
        break;
    }
    case Wire::FrameType::Ping:
    case Wire::FrameType::Pong:
    case Wire::FrameType::Hello:
    case Wire::FrameType::Bye:
        require(FrameCodec::encodeControl(h.type, h.sequence, h.senderId, frame.payload(), h.timestampUs) == bytes,
                "accepted control frame re-encodes to the same bytes");
        require(FrameCodec::encodeControl(h.type, h.sequence, h.senderId, frame.payload(), h.timestampUs,
                                          frame.payloadCrc) == bytes,
                "accepted control frame re-encodes to the same bytes with its payload's CRC reused");
        break;
    }
}

void checkDecode(const QByteArray &bytes)
{
    DecodedFrame out;
    out.header.sequence = 0x5E471E1;
    out.frame = "sentinel";
    out.ackFrames = 77;
    const DecodeError error = FrameCodec::decode(bytes, &out);
    if (error == DecodeError::None) {
        checkAccepted(bytes, out);
        return;
    }
    require(!decodeErrorSentence(error).isEmpty(), "every error has a sentence");
    require(out.header.sequence == 0x5E471E1 && out.frame == "sentinel" && out.ackFrames == 77
                && out.records.isEmpty(),
            "a refused frame leaves the output untouched");
}

struct StreamResult
{
    QByteArrayList frames;
    DecodeError error = DecodeError::None;
    qsizetype pending = 0;
};

StreamResult readStream(const QByteArray &bytes, const std::uint8_t *chunkPlan, std::size_t planSize)
{
    StreamResult result;
    FrameStreamReader reader;
    qsizetype at = 0;
    std::size_t step = 0;
    while (at < bytes.size()) {
        const qsizetype chunk = planSize == 0 ? bytes.size() : qsizetype(chunkPlan[step++ % planSize] % 61) + 1;
        const qsizetype n = qMin(chunk, bytes.size() - at);
        result.frames += reader.feed(bytes.constData() + at, n);
        at += n;
    }
    result.error = reader.error();
    result.pending = reader.pendingBytes();
    return result;
}

void checkStream(const QByteArray &bytes)
{
    const StreamResult whole = readStream(bytes, nullptr, 0);
    qsizetype consumed = 0;
    for (const QByteArray &frame : whole.frames) {
        FrameHeader header;
        require(FrameCodec::peekHeader(frame.constData(), frame.size(), &header) == DecodeError::None,
                "delivered frames have a valid header");
        require(frame.size() == Wire::HeaderSize + qsizetype(header.payloadLength), "delivered frames are whole");
        require(bytes.mid(consumed, frame.size()) == frame, "delivered frames are the input, in order");
        consumed += frame.size();
    }
    require(whole.error != DecodeError::Truncated, "a short stream is pending, not failed");
    if (whole.error == DecodeError::None)
        require(consumed + whole.pending == bytes.size(), "no byte lost or duplicated");

    // Chunk boundaries, taken from the input itself, must not change the outcome.
    const StreamResult chunked = readStream(bytes, reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                                            std::size_t(qMin<qsizetype>(bytes.size(), 64)));
    require(chunked.frames == whole.frames, "chunking does not change the frames");
    require(chunked.error == whole.error, "chunking does not change the error");
}

// The handshake's two parsers read the same foreign bytes: whatever they accept must say
// exactly what the encoder would have written.
void checkHandshake(const QByteArray &bytes)
{
    Handshake::ReceiverHello hello;
    QString why;
    if (Handshake::decodeReceiverHello(bytes, &hello, &why)) {
        require(hello.nonce.size() == Handshake::NonceBytes, "a receiver Hello has a whole nonce");
        require(hello.description.toUtf8().size() <= bytes.size(), "a receiver Hello's description fits its frame");
    } else {
        require(!why.isEmpty(), "every refused receiver Hello has a reason");
    }
    const QByteArray proof = Handshake::proofIn(bytes);
    require(proof.isEmpty() || proof.size() == Handshake::ProofBytes, "a proof is empty or whole");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    checkDecode(bytes);
    checkStream(bytes);
    checkHandshake(bytes);
    return 0;
}
