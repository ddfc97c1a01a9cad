// SPDX-License-Identifier: GPL-3.0-or-later
#include "frameheader.h"

#include <QtEndian>

#include <chrono>

using namespace Wire;

namespace {

bool isKnownType(quint8 type)
{
    return type >= quint8(FrameType::Records) && type <= quint8(FrameType::Bye);
}

} // namespace

QString decodeErrorSentence(DecodeError error)
{
    switch (error) {
    case DecodeError::None: return QString();
    case DecodeError::BadMagic: return QStringLiteral("Bad magic: the data does not start with \"IPCW\", so it is not an IPC Workshop frame.");
    case DecodeError::UnsupportedVersion: return QStringLiteral("Unsupported version: the frame uses a wire-format version this program does not understand (it speaks version 1).");
    case DecodeError::UnknownFrameType: return QStringLiteral("Unknown frame type: the type byte is not one of records, ack, ping, pong, hello or bye.");
    case DecodeError::BadFlags: return QStringLiteral("Bad flags: reserved header bits are set, which version 1 does not allow.");
    case DecodeError::TooLarge: return QStringLiteral("Too large: the frame declares a payload over the 64 MiB limit and was refused before reading it.");
    case DecodeError::Truncated: return QStringLiteral("Truncated: the frame is shorter than its header says; the rest never arrived.");
    case DecodeError::TrailingBytes: return QStringLiteral("Trailing bytes: the frame is longer than its header says.");
    case DecodeError::ChecksumMismatch: return QStringLiteral("Checksum mismatch: the CRC-32 does not match, so the frame was corrupted on the way.");
    case DecodeError::CountMismatch: return QStringLiteral("Count mismatch: the payload does not hold exactly the number of records the header announces.");
    case DecodeError::InvalidText: return QStringLiteral("Invalid text: a text field is not valid UTF-8.");
    case DecodeError::FieldTooLong: return QStringLiteral("Field too long: a text field is over the 4096-byte limit.");
    case DecodeError::InvalidDate: return QStringLiteral("Invalid date: a hire date is not a real calendar date.");
    }
    return QStringLiteral("Unknown decoding error.");
}

namespace FrameCodec {

quint64 nowMicroseconds()
{
    using namespace std::chrono;
    return quint64(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

DecodeError peekHeader(const char *data, qsizetype size, FrameHeader *header)
{
    if (size < HeaderSize) {
        // Judge the magic as soon as it is there, so garbage is refused early on a stream.
        if (size >= 4 && qFromLittleEndian<quint32>(data) != Magic)
            return DecodeError::BadMagic;
        return DecodeError::Truncated;
    }
    const quint32 magic = qFromLittleEndian<quint32>(data + Offset::Magic);
    const quint16 version = qFromLittleEndian<quint16>(data + Offset::Version);
    const quint8 type = quint8(data[Offset::Type]);
    const quint8 flags = quint8(data[Offset::Flags]);
    const quint32 payloadLength = qFromLittleEndian<quint32>(data + Offset::PayloadLength);
    if (magic != Magic)
        return DecodeError::BadMagic;
    if (version != Version)
        return DecodeError::UnsupportedVersion;
    if (!isKnownType(type))
        return DecodeError::UnknownFrameType;
    if (flags != 0)
        return DecodeError::BadFlags;
    if (payloadLength > MaxPayloadBytes)
        return DecodeError::TooLarge;
    header->type = FrameType(type);
    header->sequence = qFromLittleEndian<quint64>(data + Offset::Sequence);
    header->timestampUs = qFromLittleEndian<quint64>(data + Offset::Timestamp);
    header->recordCount = qFromLittleEndian<quint32>(data + Offset::RecordCount);
    header->payloadLength = payloadLength;
    header->senderId = qFromLittleEndian<quint32>(data + Offset::SenderId);
    return DecodeError::None;
}

} // namespace FrameCodec
