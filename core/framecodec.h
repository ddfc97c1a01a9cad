// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"
#include "wireformat.h"

#include <QByteArray>
#include <QString>

// Every way a frame from another process can be wrong. Each has its own sentence.
enum class DecodeError {
    None,
    BadMagic,
    UnsupportedVersion,
    UnknownFrameType,
    BadFlags,
    TooLarge,
    Truncated,
    TrailingBytes,
    ChecksumMismatch,
    CountMismatch,
    InvalidText,
    FieldTooLong,
    InvalidDate,
};

IPCWCORE_EXPORT QString decodeErrorSentence(DecodeError error);

struct FrameHeader
{
    Wire::FrameType type = Wire::FrameType::Records;
    quint64 sequence = 0;
    quint64 timestampUs = 0;
    quint32 recordCount = 0;
    quint32 payloadLength = 0;
    quint32 senderId = 0;
};

struct DecodedFrame
{
    FrameHeader header;
    EmployeeList records;  // Records frames only
    QByteArray payload;    // Ping/Pong/Hello payload as sent (empty for Records)
    quint64 ackFrames = 0; // Ack frames only
    quint64 ackRecords = 0;
};

namespace FrameCodec {

IPCWCORE_EXPORT quint64 nowMicroseconds();
IPCWCORE_EXPORT quint32 crc32(const char *data, qsizetype size, quint32 previous = 0);

IPCWCORE_EXPORT QByteArray encodeRecords(const Employee *records, qsizetype count, quint64 sequence,
                                         quint32 senderId, quint64 timestampUs = nowMicroseconds());
inline QByteArray encodeRecords(const EmployeeList &records, quint64 sequence, quint32 senderId)
{
    return encodeRecords(records.constData(), records.size(), sequence, senderId);
}
IPCWCORE_EXPORT QByteArray encodeAck(quint64 sequence, quint32 senderId, quint64 framesReceived,
                                     quint64 recordsReceived);
// Ping, Pong, Hello and Bye: a header and an opaque payload.
IPCWCORE_EXPORT QByteArray encodeControl(Wire::FrameType type, quint64 sequence, quint32 senderId,
                                         const QByteArray &payload = {},
                                         quint64 timestampUs = nowMicroseconds());

// Validates only the fixed header (magic, version, type, flags, length cap): what a stream
// reader needs to know how many bytes to wait for before the CRC can be checked.
IPCWCORE_EXPORT DecodeError peekHeader(const char *data, qsizetype size, FrameHeader *header);

// Full validation: header, exact length, CRC, then every record field. On failure `out` is
// left untouched: a bad frame is never half-applied.
IPCWCORE_EXPORT DecodeError decode(const QByteArray &frame, DecodedFrame *out);

// The encoded size of one record (to size frames against a mechanism's limit).
IPCWCORE_EXPORT qsizetype encodedRecordSize(const Employee &record);

} // namespace FrameCodec
