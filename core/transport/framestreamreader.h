// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "frameheader.h"

#include <QByteArray>
#include <QByteArrayList>

// Cuts a byte stream (TCP, local socket, FIFO) into whole frames. Only the fixed header is
// read here, to learn the frame's length; records are decoded by the session, once, in core.
// A header that fails validation means the stream is out of step: the caller reports the
// sentence and drops the connection, keeping every frame already delivered.
class IPCWCORE_EXPORT FrameStreamReader
{
public:
    // Appends bytes; returns the frames completed by them (possibly none).
    QByteArrayList feed(const char *data, qsizetype size);
    QByteArrayList feed(const QByteArray &bytes) { return feed(bytes.constData(), bytes.size()); }

    bool failed() const { return m_error != DecodeError::None; }
    DecodeError error() const { return m_error; }
    // Bytes of a frame begun but not finished: non-zero when a peer vanished mid-frame.
    qsizetype pendingBytes() const { return m_buffer.size(); }
    void reset();

private:
    QByteArray m_buffer;
    DecodeError m_error = DecodeError::None;
};
