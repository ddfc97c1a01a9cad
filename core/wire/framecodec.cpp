// SPDX-License-Identifier: GPL-3.0-or-later
#include "framecodec.h"

#include "framebuilder.h"

#include <QStringDecoder>
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
    void putBytes(const QByteArray &bytes)
    {
        std::memcpy(m_p, bytes.constData(), size_t(bytes.size()));
        m_p += bytes.size();
    }

private:
    char *m_p;
};

// Bounds-checked little-endian reader: every read says whether the bytes were there.
class Reader
{
public:
    Reader(const char *data, qsizetype size) : m_p(data), m_end(data + size) {}
    template <typename T> bool get(T *value)
    {
        if (m_end - m_p < qsizetype(sizeof(T)))
            return false;
        *value = qFromLittleEndian<T>(m_p);
        m_p += sizeof(T);
        return true;
    }
    bool getBytes(qsizetype n, const char **bytes)
    {
        if (m_end - m_p < n)
            return false;
        *bytes = m_p;
        m_p += n;
        return true;
    }
    bool atEnd() const { return m_p == m_end; }

private:
    const char *m_p;
    const char *m_end;
};

DecodeError readText(Reader &r, QString *out)
{
    quint16 length = 0;
    if (!r.get(&length))
        return DecodeError::CountMismatch;
    if (length > MaxFieldBytes)
        return DecodeError::FieldTooLong;
    const char *bytes = nullptr;
    if (!r.getBytes(length, &bytes))
        return DecodeError::CountMismatch;
    // ConvertInitialBom: a leading U+FEFF is field content, not a byte-order mark to drop.
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    *out = decoder.decode(QByteArrayView(bytes, length));
    if (decoder.hasError())
        return DecodeError::InvalidText;
    return DecodeError::None;
}

DecodeError readRecord(Reader &r, Employee *e)
{
    quint16 year = 0;
    quint8 month = 0, day = 0;
    if (!r.get(&e->id) || !r.get(&e->salaryCents) || !r.get(&year) || !r.get(&month) || !r.get(&day))
        return DecodeError::CountMismatch;
    if (year == 0 && month == 0 && day == 0) {
        e->hireDate = QDate();
    } else {
        e->hireDate = QDate(year, month, day);
        if (!e->hireDate.isValid())
            return DecodeError::InvalidDate;
    }
    for (QString *field : {&e->name, &e->department, &e->title, &e->email}) {
        if (const DecodeError error = readText(r, field); error != DecodeError::None)
            return error;
    }
    return DecodeError::None;
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

QByteArray encodeControl(FrameType type, quint64 sequence, quint32 senderId, const QByteArray &payload,
                         quint64 timestampUs)
{
    Q_ASSERT(type != FrameType::Records && type != FrameType::Ack);
    QByteArray frame(HeaderSize + payload.size(), Qt::Uninitialized);
    Writer w(frame.data() + HeaderSize);
    w.putBytes(payload);
    FrameBuilder::writeHeader(frame, type, sequence, senderId, timestampUs, 0);
    return frame;
}

DecodeError decode(const QByteArray &frame, DecodedFrame *out)
{
    FrameHeader header;
    if (const DecodeError error = peekHeader(frame.constData(), frame.size(), &header); error != DecodeError::None)
        return error;
    const qsizetype expected = HeaderSize + qsizetype(header.payloadLength);
    if (frame.size() < expected)
        return DecodeError::Truncated;
    if (frame.size() > expected)
        return DecodeError::TrailingBytes;

    quint32 crc = crc32(frame.constData(), CrcOffset);
    crc = crc32(frame.constData() + HeaderSize, header.payloadLength, crc);
    if (crc != qFromLittleEndian<quint32>(frame.constData() + CrcOffset))
        return DecodeError::ChecksumMismatch;

    const char *payload = frame.constData() + HeaderSize;
    DecodedFrame result;
    result.header = header;
    switch (header.type) {
    case FrameType::Records: {
        // Cap the count by what the payload could possibly hold before reserving memory.
        if (header.recordCount > header.payloadLength / MinRecordBytes)
            return DecodeError::CountMismatch;
        result.records.reserve(header.recordCount);
        Reader r(payload, header.payloadLength);
        for (quint32 i = 0; i < header.recordCount; ++i) {
            Employee e;
            if (const DecodeError error = readRecord(r, &e); error != DecodeError::None)
                return error;
            result.records.append(std::move(e));
        }
        if (!r.atEnd())
            return DecodeError::CountMismatch;
        break;
    }
    case FrameType::Ack: {
        if (header.recordCount != 0 || header.payloadLength != AckPayloadBytes)
            return DecodeError::CountMismatch;
        Reader r(payload, header.payloadLength);
        r.get(&result.ackFrames);
        r.get(&result.ackRecords);
        break;
    }
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
