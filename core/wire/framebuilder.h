// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "frameheader.h"
#include "recordfields.h"

#include <QByteArray>
#include <QStringEncoder>

#include <optional>

// Builds Records frames one at a time, in place: records are encoded straight into the frame's
// buffer (no per-record allocation), and seal() writes the header and the CRC-32 once, over the
// finished frame. The one encoder of records: FrameCodec::encodeRecords uses it too.
//
// A frame stays within `maxFrameBytes`, except that its first record is always taken whatever
// its size, so a record never waits for a frame it fits. Callers that send pass
// min(mechanism's maximum message size, Wire::MaxFrameBytes).
class IPCWCORE_EXPORT FrameBuilder
{
public:
    explicit FrameBuilder(qint64 maxFrameBytes = Wire::MaxFrameBytes);

    // Appends one record; false, leaving the frame as it was, when it would not fit.
    bool appendRecord(const RecordFields &record);
    // The same from an Employee, its text encoded to UTF-8 directly into the frame.
    bool appendRecord(const Employee &record);

    quint32 recordCount() const { return m_recordCount; }
    qint64 frameBytes() const { return m_frame.size(); }
    qint64 maxFrameBytes() const { return m_maxFrameBytes; }

    // Completes the frame (header, CRC-32) and hands it over; the builder is then empty and
    // ready for the next frame. The timestamp says when the frame was built (wire-format.md).
    QByteArray seal(quint64 sequence, quint32 senderId, quint64 timestampUs = FrameCodec::nowMicroseconds());

    // Fills in the header of a frame whose payload already follows its first Wire::HeaderSize
    // bytes, CRC-32 last: how every frame, of any type, is completed. A payload whose CRC is
    // already known (an echo of a checked frame) is not summed again.
    static void writeHeader(QByteArray &frame, Wire::FrameType type, quint64 sequence, quint32 senderId,
                            quint64 timestampUs, quint32 recordCount,
                            std::optional<quint32> payloadCrc = std::nullopt);

private:
    void startFrame(qsizetype capacityHint);

    qint64 m_maxFrameBytes;
    QByteArray m_frame;
    quint32 m_recordCount = 0;
    QStringEncoder m_utf8;
};
