// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/wire: the frame codec. Records go into frames here and come out of them here, once,
// for every mechanism: encoding, and the full validation of every byte another process sent
// (CRC, lengths, every field). The format is docs/wire-format.md; the header a plugin needs is
// in transport/frameheader.h.

#include "employee.h"
#include "frameheader.h"

#include <QByteArray>
#include <QString>

struct DecodedFrame
{
    FrameHeader header;
    EmployeeList records;  // Records frames only
    QByteArray payload;    // Ping/Pong/Hello payload as sent (empty for Records)
    quint64 ackFrames = 0; // Ack frames only
    quint64 ackRecords = 0;
};

namespace FrameCodec {

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

// The frame's header, its exact length and its CRC: everything but the payload's contents.
IPCWCORE_EXPORT DecodeError verifyFrame(const QByteArray &frame, FrameHeader *header);

// Full validation: header, exact length, CRC, then every record field. On failure `out` is
// left untouched: a bad frame is never half-applied.
IPCWCORE_EXPORT DecodeError decode(const QByteArray &frame, DecodedFrame *out);

// The encoded size of one record (to size frames against a mechanism's limit).
IPCWCORE_EXPORT qsizetype encodedRecordSize(const Employee &record);

} // namespace FrameCodec
