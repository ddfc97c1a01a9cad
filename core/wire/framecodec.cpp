// SPDX-License-Identifier: GPL-3.0-or-later
#include "framecodec.h"

#include "recordbatch.h"

#include <QtEndian>

#include <cstring>

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
    void putBytes(const QByteArray &bytes)
    {
        std::memcpy(m_p, bytes.constData(), size_t(bytes.size()));
        m_p += bytes.size();
    }

private:
    char *m_p;
};

QByteArray buildFrame(FrameType type, quint64 sequence, quint64 timestampUs, quint32 recordCount,
                      quint32 senderId, qsizetype payloadSize)
{
    QByteArray frame(HeaderSize + payloadSize, Qt::Uninitialized);
    Writer w(frame.data());
    w.put<quint32>(Magic);
    w.put<quint16>(Version);
    w.put<quint8>(quint8(type));
    w.put<quint8>(0);
    w.put<quint64>(sequence);
    w.put<quint64>(timestampUs);
    w.put<quint32>(recordCount);
    w.put<quint32>(quint32(payloadSize));
    w.put<quint32>(senderId);
    w.put<quint32>(0); // CRC, filled in by sealFrame()
    return frame;
}

void sealFrame(QByteArray &frame)
{
    quint32 crc = FrameCodec::crc32(frame.constData(), CrcOffset);
    crc = FrameCodec::crc32(frame.constData() + HeaderSize, frame.size() - HeaderSize, crc);
    qToLittleEndian<quint32>(crc, frame.data() + CrcOffset);
}

void putText(Writer &w, const QByteArray &utf8)
{
    w.put<quint16>(quint16(utf8.size()));
    w.putBytes(utf8);
}

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
    // Encode the text once, truncating nothing: an over-long field is the caller's bug, caught
    // by Q_ASSERT in debug and by the receiver's FieldTooLong check otherwise.
    QVector<QByteArray> texts;
    texts.reserve(count * 4);
    qsizetype payload = 0;
    for (qsizetype i = 0; i < count; ++i) {
        const Employee &e = records[i];
        for (const QString *field : {&e.name, &e.department, &e.title, &e.email}) {
            texts.append(field->toUtf8());
            Q_ASSERT(texts.last().size() <= MaxFieldBytes);
            payload += texts.last().size();
        }
        payload += MinRecordBytes;
    }
    QByteArray frame = buildFrame(FrameType::Records, sequence, timestampUs, quint32(count), senderId, payload);
    Writer w(frame.data() + HeaderSize);
    for (qsizetype i = 0; i < count; ++i) {
        const Employee &e = records[i];
        w.put<quint32>(e.id);
        w.put<qint64>(e.salaryCents);
        w.put<quint16>(e.hireDate.isValid() ? quint16(e.hireDate.year()) : 0);
        w.put<quint8>(e.hireDate.isValid() ? quint8(e.hireDate.month()) : 0);
        w.put<quint8>(e.hireDate.isValid() ? quint8(e.hireDate.day()) : 0);
        for (int f = 0; f < 4; ++f)
            putText(w, texts.at(i * 4 + f));
    }
    sealFrame(frame);
    return frame;
}

QByteArray encodeAck(quint64 sequence, quint32 senderId, quint64 framesReceived, quint64 recordsReceived)
{
    QByteArray frame = buildFrame(FrameType::Ack, sequence, nowMicroseconds(), 0, senderId, AckPayloadBytes);
    Writer w(frame.data() + HeaderSize);
    w.put<quint64>(framesReceived);
    w.put<quint64>(recordsReceived);
    sealFrame(frame);
    return frame;
}

QByteArray encodeControl(FrameType type, quint64 sequence, quint32 senderId, const QByteArray &payload,
                         quint64 timestampUs)
{
    Q_ASSERT(type != FrameType::Records && type != FrameType::Ack);
    QByteArray frame = buildFrame(type, sequence, timestampUs, 0, senderId, payload.size());
    Writer w(frame.data() + HeaderSize);
    w.putBytes(payload);
    sealFrame(frame);
    return frame;
}

DecodeError verifyFrame(const QByteArray &frame, FrameHeader *header)
{
    if (const DecodeError error = peekHeader(frame.constData(), frame.size(), header); error != DecodeError::None)
        return error;
    const qsizetype expected = HeaderSize + qsizetype(header->payloadLength);
    if (frame.size() < expected)
        return DecodeError::Truncated;
    if (frame.size() > expected)
        return DecodeError::TrailingBytes;
    quint32 crc = crc32(frame.constData(), CrcOffset);
    crc = crc32(frame.constData() + HeaderSize, header->payloadLength, crc);
    if (crc != qFromLittleEndian<quint32>(frame.constData() + CrcOffset))
        return DecodeError::ChecksumMismatch;
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
    if (const DecodeError error = verifyFrame(frame, &header); error != DecodeError::None)
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
        result.payload = frame.mid(HeaderSize);
        break;
    }
    *out = std::move(result);
    return DecodeError::None;
}

} // namespace FrameCodec
