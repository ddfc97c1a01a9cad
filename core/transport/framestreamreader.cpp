// SPDX-License-Identifier: GPL-3.0-or-later
#include "framestreamreader.h"

QByteArrayList FrameStreamReader::feed(const char *data, qsizetype size)
{
    QByteArrayList frames;
    if (failed())
        return frames;
    m_buffer.append(data, size);
    qsizetype offset = 0;
    for (;;) {
        FrameHeader header;
        const DecodeError error = FrameCodec::peekHeader(m_buffer.constData() + offset,
                                                         m_buffer.size() - offset, &header);
        if (error == DecodeError::Truncated)
            break; // header not complete yet
        if (error != DecodeError::None) {
            m_error = error;
            break;
        }
        const qsizetype frameSize = Wire::HeaderSize + qsizetype(header.payloadLength);
        if (m_buffer.size() - offset < frameSize)
            break;
        frames.append(m_buffer.mid(offset, frameSize));
        offset += frameSize;
    }
    m_buffer.remove(0, offset);
    return frames;
}

void FrameStreamReader::reset()
{
    m_buffer.clear();
    m_error = DecodeError::None;
}
