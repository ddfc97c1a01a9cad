// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"
#include "frameheader.h"
#include "recordfields.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>
#include <vector>

// One record inside a validated frame, read in place (RecordFields is the same record once
// its fields are taken apart, as a sender builds frames from). Cheap to copy (a pointer); valid as long
// as the RecordBatch it came from. Nothing is decoded until a field is asked for, and a text
// field becomes a QString only through text().
class IPCWCORE_EXPORT RecordView
{
public:
    enum class Text { Name, Department, Title, Email };

    explicit RecordView(const char *record) : m_record(record) {}

    quint32 id() const;
    qint64 salaryCents() const;
    QDate hireDate() const;           // invalid for "no hire date" (all zero on the wire)
    QByteArrayView utf8(Text field) const;
    QString text(Text field) const;
    // Every field at once, as the CSV writer and the frame builder take them.
    RecordFields fields() const;
    Employee toEmployee() const;

private:
    const char *m_record;
};

// A Records frame after full validation, kept as it arrived: the frame's bytes (never decoded
// into objects) plus where each record starts. About 4 bytes of index per record and no heap
// object per record; facts of the frame (sequence, sender, timestamps, transport) are stored
// once here, not once per row. Immutable once made, so any thread may read a batch that another
// thread holds.
struct IPCWCORE_EXPORT RecordBatch
{
    // The frame and its index live in `owner`: the buffer the frame arrived in, or a block of
    // the receiver's FrameStorage once it keeps the batch.
    std::shared_ptr<const void> owner;
    const char *frame = nullptr;
    qsizetype frameSize = 0;
    const quint32 *offsets = nullptr; // of each record, from the start of `frame`
    qsizetype count = 0;
    quint64 sequence = 0;
    quint32 senderId = 0;
    qint64 sentAtUs = 0;     // sender's clock, microseconds since the epoch
    qint64 receivedAtUs = 0; // receiver's clock
    QString transport;       // plugin id, e.g. "tcp"

    qsizetype size() const { return count; }
    RecordView record(qsizetype index) const { return RecordView(frame + offsets[index]); }
    const char *recordBytes(qsizetype index) const { return frame + offsets[index]; }
    qint64 latencyUs() const { return receivedAtUs - sentAtUs; }
};

using RecordBatchPtr = std::shared_ptr<const RecordBatch>;
using RecordBatchList = QVector<RecordBatchPtr>;

namespace FrameCodec {

// Full validation of a Records frame (header, exact length, CRC, count, and every field:
// lengths, UTF-8, dates) without making an object per record. On success `out` holds the frame
// (shared with `frame`, not copied) and the index; on failure it is left untouched: never
// half-applied. For Records frames only
// (other types: decode()); another type is refused as UnknownFrameType.
IPCWCORE_EXPORT DecodeError indexRecords(const QByteArray &frame, RecordBatch *out);

// Records made here rather than received (the sender's own table, tests), encoded and indexed
// as a receiver would index them.
IPCWCORE_EXPORT RecordBatchPtr batchOf(const Employee *records, qsizetype count, quint64 sequence,
                                       const QString &transport, qint64 sentAtUs, qint64 receivedAtUs);
inline RecordBatchPtr batchOf(const EmployeeList &records, quint64 sequence, const QString &transport,
                              qint64 sentAtUs, qint64 receivedAtUs)
{
    return batchOf(records.constData(), records.size(), sequence, transport, sentAtUs, receivedAtUs);
}

// A hire date as the wire carries it: all zero for "none", else what QDate::isValid() accepts
// (proleptic Gregorian, years 1..65535), decided without QDate's calendar code.
IPCWCORE_EXPORT bool isValidWireDate(quint16 year, quint8 month, quint8 day);

// RFC 3629 UTF-8 as QStringDecoder accepts it: no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequence. NUL and U+FEFF are ordinary characters.
IPCWCORE_EXPORT bool isValidUtf8(const char *data, qsizetype size);

} // namespace FrameCodec
