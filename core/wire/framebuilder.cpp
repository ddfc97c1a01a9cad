// SPDX-License-Identifier: GPL-3.0-or-later
#include "framebuilder.h"

#include <QtEndian>

#include <cstring>

using namespace Wire;

namespace {

// id, salary and hire date: the fixed part that starts every record.
char *putFixed(char *p, quint32 id, qint64 salaryCents, quint16 year, quint8 month, quint8 day)
{
    qToLittleEndian<quint32>(id, p);
    qToLittleEndian<qint64>(salaryCents, p + 4);
    qToLittleEndian<quint16>(year, p + 12);
    p[14] = char(month);
    p[15] = char(day);
    return p + 16;
}

// An over-long field is the caller's bug: sources check their input, and the receiver's
// FieldTooLong check catches what a release build lets through.
char *putText(char *p, QByteArrayView utf8)
{
    Q_ASSERT(utf8.size() <= MaxFieldBytes);
    qToLittleEndian<quint16>(quint16(utf8.size()), p);
    if (!utf8.isEmpty()) // an empty view may have no data pointer, and memcpy must not get null
        std::memcpy(p + 2, utf8.data(), size_t(utf8.size()));
    return p + 2 + utf8.size();
}

} // namespace

FrameBuilder::FrameBuilder(qint64 maxFrameBytes)
    : m_maxFrameBytes(maxFrameBytes), m_utf8(QStringEncoder::Utf8, QStringEncoder::Flag::Stateless)
{
    startFrame(0);
}

// Each frame starts with room for as many bytes as the previous one took: frames of a stream
// are alike, so the buffer rarely grows while records go in.
void FrameBuilder::startFrame(qsizetype capacityHint)
{
    m_frame = QByteArray();
    m_frame.reserve(qMax<qsizetype>(HeaderSize, capacityHint));
    m_frame.resize(HeaderSize);
    m_recordCount = 0;
}

bool FrameBuilder::appendRecord(const RecordFields &r)
{
    const qsizetype start = m_frame.size();
    const qsizetype size = MinRecordBytes + r.name.size() + r.department.size() + r.title.size() + r.email.size();
    if (m_recordCount > 0 && start + size > m_maxFrameBytes)
        return false;
    m_frame.resize(start + size);
    char *p = putFixed(m_frame.data() + start, r.id, r.salaryCents, r.hireYear, r.hireMonth, r.hireDay);
    for (QByteArrayView text : {r.name, r.department, r.title, r.email})
        p = putText(p, text);
    ++m_recordCount;
    return true;
}

bool FrameBuilder::appendRecord(const Employee &e)
{
    const QStringView texts[] = {e.name, e.department, e.title, e.email};
    // The UTF-8 size is known only once encoded: make room for the worst case, encode in
    // place, then give back what was not used.
    qsizetype worstCase = MinRecordBytes;
    for (QStringView text : texts)
        worstCase += m_utf8.requiredSpace(text.size());
    const qsizetype start = m_frame.size();
    m_frame.resize(start + worstCase);
    char *const record = m_frame.data() + start;
    const bool dated = e.hireDate.isValid();
    char *p = putFixed(record, e.id, e.salaryCents, dated ? quint16(e.hireDate.year()) : 0,
                       dated ? quint8(e.hireDate.month()) : 0, dated ? quint8(e.hireDate.day()) : 0);
    for (QStringView text : texts) {
        char *end = m_utf8.appendToBuffer(p + 2, text);
        if (m_utf8.hasError()) {
            // An unpaired surrogate: the encoder wrote U+FFFD, but records have always carried
            // QString::toUtf8()'s '?' for it. Rare enough to take the allocating way.
            m_utf8.resetState();
            const QByteArray utf8 = text.toUtf8();
            std::memcpy(p + 2, utf8.constData(), size_t(utf8.size()));
            end = p + 2 + utf8.size();
        }
        Q_ASSERT(end - (p + 2) <= MaxFieldBytes);
        qToLittleEndian<quint16>(quint16(end - (p + 2)), p);
        p = end;
    }
    const qsizetype size = p - record;
    if (m_recordCount > 0 && start + size > m_maxFrameBytes) {
        m_frame.resize(start);
        return false;
    }
    m_frame.resize(start + size);
    ++m_recordCount;
    return true;
}

QByteArray FrameBuilder::seal(quint64 sequence, quint32 senderId, quint64 timestampUs)
{
    writeHeader(m_frame, FrameType::Records, sequence, senderId, timestampUs, m_recordCount);
    QByteArray frame = std::move(m_frame);
    startFrame(frame.size());
    return frame;
}

void FrameBuilder::writeHeader(QByteArray &frame, FrameType type, quint64 sequence, quint32 senderId,
                               quint64 timestampUs, quint32 recordCount, std::optional<quint32> payloadCrc)
{
    Q_ASSERT(frame.size() >= HeaderSize);
    char *h = frame.data();
    qToLittleEndian<quint32>(Magic, h + Offset::Magic);
    qToLittleEndian<quint16>(Version, h + Offset::Version);
    h[Offset::Type] = char(type);
    h[Offset::Flags] = 0;
    qToLittleEndian<quint64>(sequence, h + Offset::Sequence);
    qToLittleEndian<quint64>(timestampUs, h + Offset::Timestamp);
    qToLittleEndian<quint32>(recordCount, h + Offset::RecordCount);
    qToLittleEndian<quint32>(quint32(frame.size() - HeaderSize), h + Offset::PayloadLength);
    qToLittleEndian<quint32>(senderId, h + Offset::SenderId);
    const qsizetype payloadBytes = frame.size() - HeaderSize;
    const quint32 headerCrc = FrameCodec::crc32(h, CrcOffset);
    const quint32 crc = payloadCrc ? FrameCodec::crc32Combine(headerCrc, *payloadCrc, payloadBytes)
                                   : FrameCodec::crc32(h + HeaderSize, payloadBytes, headerCrc);
    qToLittleEndian<quint32>(crc, h + Offset::Crc);
}
