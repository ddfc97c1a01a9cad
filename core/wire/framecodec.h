// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/wire: the frame codec. Records go into frames here and come out of them here, once,
// for every mechanism: encoding, and the full validation of every byte another process sent
// (CRC, lengths, every field). The format is docs/wire-format.md; the header a plugin needs is
// in transport/frameheader.h.

#include "employee.h"
#include "frameheader.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>

struct DecodedFrame
{
    FrameHeader header;
    EmployeeList records;  // Records frames only
    quint64 ackFrames = 0; // Ack frames only
    quint64 ackRecords = 0;

    // Ping, Pong, Hello and Bye: the frame itself, shared with the caller's rather than copied,
    // so a 64 KiB Ping is not copied again to be read or echoed; empty for the other types.
    QByteArray frame;
    // The CRC-32 of the payload alone, which an echo reuses: kept for payloads of
    // FrameCodec::PayloadCrcKeptFromBytes or more, where it spares more than it costs.
    std::optional<quint32> payloadCrc;

    // The payload as sent (empty for Records and Ack), valid while `frame` is.
    QByteArrayView payload() const
    {
        return frame.isEmpty() ? QByteArrayView() : QByteArrayView(frame).sliced(Wire::HeaderSize);
    }
};

namespace FrameCodec {

// From this payload size on, decode() keeps a control frame's payload CRC apart (summing the
// header apart and combining costs about 0.1-0.3 us, as much as summing 16 KiB again).
constexpr qsizetype PayloadCrcKeptFromBytes = 16 * 1024;

IPCWCORE_EXPORT QByteArray encodeRecords(const Employee *records, qsizetype count, quint64 sequence,
                                         quint32 senderId, quint64 timestampUs = nowMicroseconds());
inline QByteArray encodeRecords(const EmployeeList &records, quint64 sequence, quint32 senderId)
{
    return encodeRecords(records.constData(), records.size(), sequence, senderId);
}
IPCWCORE_EXPORT QByteArray encodeAck(quint64 sequence, quint32 senderId, quint64 framesReceived,
                                     quint64 recordsReceived);
// Ping, Pong, Hello and Bye: a header and an opaque payload. `payloadCrc`, when the payload's
// CRC-32 is known (DecodedFrame::payloadCrc of the frame echoed), spares summing it again.
IPCWCORE_EXPORT QByteArray encodeControl(Wire::FrameType type, quint64 sequence, quint32 senderId,
                                         QByteArrayView payload = {},
                                         quint64 timestampUs = nowMicroseconds(),
                                         std::optional<quint32> payloadCrc = std::nullopt);

// The frame's header, its exact length and its CRC: everything but the payload's contents.
// `payloadCrc`, if given, receives the CRC-32 of the payload alone when the payload has
// PayloadCrcKeptFromBytes or more, and nothing otherwise.
IPCWCORE_EXPORT DecodeError verifyFrame(const QByteArray &frame, FrameHeader *header,
                                        std::optional<quint32> *payloadCrc = nullptr);

// Full validation: header, exact length, CRC, then every record field. On failure `out` is
// left untouched: a bad frame is never half-applied.
IPCWCORE_EXPORT DecodeError decode(const QByteArray &frame, DecodedFrame *out);

// The encoded size of one record (to size frames against a mechanism's limit).
IPCWCORE_EXPORT qsizetype encodedRecordSize(const Employee &record);

} // namespace FrameCodec
