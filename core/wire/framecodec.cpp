// SPDX-License-Identifier: GPL-3.0-or-later
#include "framecodec.h"

#include "framebuilder.h"
#include "recordbatch.h"

#include <QtEndian>

#include <cstring>
#include <limits>

namespace {

using namespace Wire;

// Little-endian writer over a buffer already sized to the frame.
class Writer
{
public:
    explicit Writer(char *data) : m_p(data) {}
    template <typename T> void put(T value)
    {
        qToLittleEndian(value, m_p);
        m_p += sizeof(T);
    }
    void putBytes(QByteArrayView bytes)
    {
        if (!bytes.isEmpty())
            std::memcpy(m_p, bytes.data(), size_t(bytes.size()));
        m_p += bytes.size();
    }

private:
    char *m_p;
};

} // namespace

namespace FrameCodec {

qsizetype encodedRecordSize(const Employee &e)
{
    return MinRecordBytes + e.name.toUtf8().size() + e.department.toUtf8().size()
        + e.title.toUtf8().size() + e.email.toUtf8().size();
}

QByteArray encodeRecords(const Employee *records, qsizetype count, quint64 sequence, quint32 senderId,
                         quint64 timestampUs)
{
    // The caller chose these records for one frame, so it takes them all: no size limit here
    // (one over Wire::MaxFrameBytes is the caller's bug, refused by every receiver as TooLarge).
    FrameBuilder builder(std::numeric_limits<qint64>::max());
    for (qsizetype i = 0; i < count; ++i)
        builder.appendRecord(records[i]);
    return builder.seal(sequence, senderId, timestampUs);
}

QByteArray encodeAck(quint64 sequence, quint32 senderId, quint64 framesReceived, quint64 recordsReceived)
{
    QByteArray frame(HeaderSize + AckPayloadBytes, Qt::Uninitialized);
    Writer w(frame.data() + HeaderSize);
    w.put<quint64>(framesReceived);
    w.put<quint64>(recordsReceived);
    FrameBuilder::writeHeader(frame, FrameType::Ack, sequence, senderId, nowMicroseconds(), 0);
    return frame;
}

QByteArray encodeControl(FrameType type, quint64 sequence, quint32 senderId, QByteArrayView payload,
                         quint64 timestampUs, std::optional<quint32> payloadCrc)
{
    Q_ASSERT(type != FrameType::Records && type != FrameType::Ack);
    QByteArray frame(HeaderSize + payload.size(), Qt::Uninitialized);
    Writer w(frame.data() + HeaderSize);
    w.putBytes(payload);
    FrameBuilder::writeHeader(frame, type, sequence, senderId, timestampUs, 0, payloadCrc);
    return frame;
}

DecodeError verifyFrame(const QByteArray &frame, FrameHeader *header, std::optional<quint32> *payloadCrc)
{
    if (const DecodeError error = peekHeader(frame.constData(), frame.size(), header); error != DecodeError::None)
        return error;
    const qsizetype expected = HeaderSize + qsizetype(header->payloadLength);
    if (frame.size() < expected)
        return DecodeError::Truncated;
    if (frame.size() > expected)
        return DecodeError::TrailingBytes;
    const char *payload = frame.constData() + HeaderSize;
    const quint32 headerSum = crc32(frame.constData(), CrcOffset);
    // A large payload is summed apart from the header, so its own CRC can be handed on.
    const bool keepPayloadSum = payloadCrc && header->payloadLength >= PayloadCrcKeptFromBytes;
    const quint32 payloadSum = keepPayloadSum ? crc32(payload, header->payloadLength) : 0;
    const quint32 crc = keepPayloadSum ? crc32Combine(headerSum, payloadSum, header->payloadLength)
                                       : crc32(payload, header->payloadLength, headerSum);
    if (crc != qFromLittleEndian<quint32>(frame.constData() + CrcOffset))
        return DecodeError::ChecksumMismatch;
    if (payloadCrc)
        *payloadCrc = keepPayloadSum ? std::optional<quint32>(payloadSum) : std::nullopt;
    return DecodeError::None;
}

DecodeError decode(const QByteArray &frame, DecodedFrame *out)
{
    DecodedFrame result;
    FrameHeader &header = result.header;
    if (const DecodeError error = peekHeader(frame.constData(), frame.size(), &header); error != DecodeError::None)
        return error;
    if (header.type == FrameType::Records) {
        RecordBatch batch;
        if (const DecodeError error = indexRecords(frame, &batch); error != DecodeError::None)
            return error;
        result.records.reserve(batch.size());
        for (qsizetype i = 0; i < batch.size(); ++i)
            result.records.append(batch.record(i).toEmployee());
        *out = std::move(result);
        return DecodeError::None;
    }
    if (const DecodeError error = verifyFrame(frame, &header, &result.payloadCrc); error != DecodeError::None)
        return error;
    const char *payload = frame.constData() + HeaderSize;
    switch (header.type) {
    case FrameType::Records:
        break; // indexed above
    case FrameType::Ack:
        if (header.recordCount != 0 || header.payloadLength != AckPayloadBytes)
            return DecodeError::CountMismatch;
        result.ackFrames = qFromLittleEndian<quint64>(payload);
        result.ackRecords = qFromLittleEndian<quint64>(payload + 8);
        break;
    case FrameType::Ping:
    case FrameType::Pong:
    case FrameType::Hello:
    case FrameType::Bye:
        if (header.recordCount != 0)
            return DecodeError::CountMismatch;
        result.frame = frame; // shared, not copied
        break;
    }
    *out = std::move(result);
    return DecodeError::None;
}

} // namespace FrameCodec
