// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Wire format v1: the bytes every transport moves. Documented for other implementers in
// docs/wire-format.md; keep the two in step.
//
// A frame is a 40-byte header followed by `payloadLength` bytes of payload. All integers are
// little-endian. The CRC-32 (IEEE 802.3, as zlib's crc32) covers header bytes 0..35 followed by
// the payload.

#include "ipcwcore_export.h"

#include <QtGlobal>

namespace Wire {

constexpr quint32 Magic = 0x57435049;          // bytes "IPCW" on the wire
constexpr quint16 Version = 1;
constexpr int HeaderSize = 40;
constexpr int CrcOffset = 36;

// Limits are checked before any allocation on the decoding side.
constexpr quint32 MaxPayloadBytes = 64u * 1024u * 1024u;
constexpr quint32 MaxFrameBytes = HeaderSize + MaxPayloadBytes;
constexpr int MaxFieldBytes = 4096;            // one UTF-8 text field, encoded
constexpr int MinRecordBytes = 4 + 8 + 4 + 4 * 2; // id, salary, date, four empty strings

enum class FrameType : quint8 {
    Records = 1, // payload: recordCount records
    Ack = 2,     // sequence = highest records sequence seen; payload: AckPayload
    Ping = 3,    // payload: opaque bytes, echoed by the Pong
    Pong = 4,
    Hello = 5,   // payload: UTF-8 description of the sender (program, pid, host)
    Bye = 6,     // empty; the sender is done and closes cleanly
};

constexpr int AckPayloadBytes = 16; // u64 frames received, u64 records received (cumulative)

// Header field offsets (bytes from the start of the frame).
namespace Offset {
constexpr int Magic = 0;          // u32
constexpr int Version = 4;        // u16
constexpr int Type = 6;           // u8
constexpr int Flags = 7;          // u8, must be 0 in v1
constexpr int Sequence = 8;       // u64
constexpr int Timestamp = 16;     // u64, microseconds since the Unix epoch (UTC), sender's clock
constexpr int RecordCount = 24;   // u32
constexpr int PayloadLength = 28; // u32
constexpr int SenderId = 32;      // u32, random per sending session, never 0 for Records
constexpr int Crc = 36;           // u32
} // namespace Offset

} // namespace Wire
