// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordbatch.h"

#include "framecodec.h"

#include <QtAlgorithms>
#include <QtEndian>

#include <cstring>

using namespace Wire;

namespace {

// Record layout (docs/wire-format.md): u32 id, i64 salary, u16 year, u8 month, u8 day, then four
// texts, each a u16 length and that many UTF-8 bytes.
constexpr int IdOffset = 0;
constexpr int SalaryOffset = 4;
constexpr int YearOffset = 12;
constexpr int MonthOffset = 14;
constexpr int DayOffset = 15;
constexpr int FirstTextOffset = 16;

quint16 textLength(const char *at)
{
    return qFromLittleEndian<quint16>(at);
}

} // namespace

namespace FrameCodec {

bool isValidWireDate(quint16 year, quint8 month, quint8 day)
{
    if (year == 0)
        return month == 0 && day == 0; // all zero: "no hire date"
    if (month < 1 || month > 12 || day < 1)
        return false;
    static constexpr quint8 DaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return day <= DaysIn[month - 1] + (month == 2 && leap ? 1 : 0);
}

} // namespace FrameCodec

namespace {

// Validates one record starting at `at`; on success returns its end, else nullptr and `error`.
const char *validateRecord(const char *at, const char *end, DecodeError *error)
{
    if (end - at < FirstTextOffset) {
        *error = DecodeError::CountMismatch;
        return nullptr;
    }
    if (!FrameCodec::isValidWireDate(qFromLittleEndian<quint16>(at + YearOffset), quint8(at[MonthOffset]), quint8(at[DayOffset]))) {
        *error = DecodeError::InvalidDate;
        return nullptr;
    }
    // Lengths and bounds first; then the text, which is mostly ASCII.
    const char *const texts = at + FirstTextOffset;
    at = texts;
    bool shortFields = true;
    for (int field = 0; field < 4; ++field) {
        if (end - at < 2) {
            *error = DecodeError::CountMismatch;
            return nullptr;
        }
        const quint16 length = textLength(at);
        if (length > MaxFieldBytes) {
            *error = DecodeError::FieldTooLong;
            return nullptr;
        }
        shortFields = shortFields && length < 0x80;
        at += 2;
        if (end - at < length) {
            *error = DecodeError::CountMismatch;
            return nullptr;
        }
        at += length;
    }
    // When every field is under 128 bytes, each length prefix is two bytes below 0x80: plain
    // ASCII to a UTF-8 check, and no sequence can run across one. Then one pass over the whole
    // text region says whether every field is valid.
    if (shortFields) {
        if (FrameCodec::isValidUtf8(texts, at - texts))
            return at;
        *error = DecodeError::InvalidText;
        return nullptr;
    }
    for (const char *field = texts; field < at; field += 2 + textLength(field)) {
        const quint16 length = textLength(field);
        if (!FrameCodec::isValidUtf8(field + 2, length)) {
            *error = DecodeError::InvalidText;
            return nullptr;
        }
    }
    return at;
}

} // namespace

quint32 RecordView::id() const
{
    return qFromLittleEndian<quint32>(m_record + IdOffset);
}

qint64 RecordView::salaryCents() const
{
    return qFromLittleEndian<qint64>(m_record + SalaryOffset);
}

QDate RecordView::hireDate() const
{
    const quint16 year = qFromLittleEndian<quint16>(m_record + YearOffset);
    const quint8 month = quint8(m_record[MonthOffset]);
    const quint8 day = quint8(m_record[DayOffset]);
    return year == 0 && month == 0 && day == 0 ? QDate() : QDate(year, month, day);
}

QByteArrayView RecordView::utf8(Text field) const
{
    const char *at = m_record + FirstTextOffset;
    for (int skip = int(field); skip > 0; --skip)
        at += 2 + textLength(at);
    return QByteArrayView(at + 2, textLength(at));
}

QString RecordView::text(Text field) const
{
    return RecordFields::text(utf8(field));
}

RecordFields RecordView::fields() const
{
    RecordFields f;
    f.id = id();
    f.salaryCents = salaryCents();
    f.hireYear = qFromLittleEndian<quint16>(m_record + YearOffset);
    f.hireMonth = quint8(m_record[MonthOffset]);
    f.hireDay = quint8(m_record[DayOffset]);
    f.name = utf8(Text::Name);
    f.department = utf8(Text::Department);
    f.title = utf8(Text::Title);
    f.email = utf8(Text::Email);
    return f;
}

Employee RecordView::toEmployee() const
{
    return fields().toEmployee();
}

namespace FrameCodec {

bool isValidUtf8(const char *data, qsizetype size)
{
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    const unsigned char *const end = p + size;
    while (p < end) {
        // Most text is ASCII: check eight bytes at a time, and go straight to the first that
        // is not (bytes are read little-endian: the lowest set bit is the earliest byte).
        while (end - p >= 8) {
            quint64 word;
            std::memcpy(&word, p, 8);
            word = qFromLittleEndian(word) & 0x8080808080808080ull;
            if (word) {
                p += qCountTrailingZeroBits(word) / 8;
                break;
            }
            p += 8;
        }
        if (p == end)
            break;
        const unsigned char lead = *p;
        if (lead < 0x80) {
            ++p;
            continue;
        }
        int continuation;
        unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            continuation = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            continuation = 2;
            if (lead == 0xE0)
                low = 0xA0; // overlong
            else if (lead == 0xED)
                high = 0x9F; // surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            continuation = 3;
            if (lead == 0xF0)
                low = 0x90; // overlong
            else if (lead == 0xF4)
                high = 0x8F; // above U+10FFFF
        } else {
            return false; // a continuation byte, an overlong C0/C1 lead, or F5..FF
        }
        if (end - p <= continuation || p[1] < low || p[1] > high)
            return false;
        for (int i = 2; i <= continuation; ++i)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += continuation + 1;
    }
    return true;
}

RecordBatchPtr batchOf(const Employee *records, qsizetype count, quint64 sequence, const QString &transport,
                       qint64 sentAtUs, qint64 receivedAtUs)
{
    auto batch = std::make_shared<RecordBatch>();
    const DecodeError error = indexRecords(encodeRecords(records, count, sequence, 1, quint64(sentAtUs)), batch.get());
    Q_ASSERT(error == DecodeError::None); // the codec's own frames are valid
    Q_UNUSED(error);
    batch->transport = transport;
    batch->receivedAtUs = receivedAtUs;
    return batch;
}

DecodeError indexRecords(const QByteArray &frame, RecordBatch *out)
{
    FrameHeader header;
    if (const DecodeError error = verifyFrame(frame, &header); error != DecodeError::None)
        return error;
    if (header.type != FrameType::Records)
        return DecodeError::UnknownFrameType;
    // Cap the count by what the payload could possibly hold before reserving memory.
    if (header.recordCount > header.payloadLength / MinRecordBytes)
        return DecodeError::CountMismatch;

    std::vector<quint32> offsets;
    offsets.reserve(header.recordCount);
    const char *const begin = frame.constData();
    const char *const end = begin + frame.size();
    const char *at = begin + HeaderSize;
    DecodeError error = DecodeError::None;
    for (quint32 i = 0; i < header.recordCount; ++i) {
        offsets.push_back(quint32(at - begin));
        at = validateRecord(at, end, &error);
        if (!at)
            return error;
    }
    if (at != end)
        return DecodeError::CountMismatch;

    // One allocation keeps both the frame (shared, not copied) and its index alive.
    struct Arrived
    {
        QByteArray frame;
        std::vector<quint32> offsets;
    };
    auto arrived = std::make_shared<Arrived>(Arrived{frame, std::move(offsets)});
    out->frame = arrived->frame.constData();
    out->frameSize = arrived->frame.size();
    out->offsets = arrived->offsets.data();
    out->count = qsizetype(arrived->offsets.size());
    out->owner = std::move(arrived);
    out->sequence = header.sequence;
    out->senderId = header.senderId;
    out->sentAtUs = qint64(header.timestampUs);
    return DecodeError::None;
}

} // namespace FrameCodec
