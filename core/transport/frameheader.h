// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The fixed 40-byte frame header as a plugin sees it: enough to cut a byte stream into frames,
// to tell a Records frame from an Ack, and to name what is wrong with bytes that are not a
// frame. Records themselves are encoded and decoded once, in core (never by a plugin).

#include "wireformat.h"

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

namespace FrameCodec {

IPCWCORE_EXPORT quint64 nowMicroseconds();
IPCWCORE_EXPORT quint32 crc32(const char *data, qsizetype size, quint32 previous = 0);
// The CRC-32 of A followed by B, from crc32(A), crc32(B) and B's length (zlib's crc32_combine):
// a frame whose payload's CRC is known is summed over its header alone.
IPCWCORE_EXPORT quint32 crc32Combine(quint32 crcOfFirst, quint32 crcOfSecond, qsizetype secondSize);

// Validates only the fixed header (magic, version, type, flags, length cap): what a stream
// reader needs to know how many bytes to wait for before the CRC can be checked.
IPCWCORE_EXPORT DecodeError peekHeader(const char *data, qsizetype size, FrameHeader *header);

} // namespace FrameCodec
