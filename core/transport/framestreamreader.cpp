// SPDX-License-Identifier: GPL-3.0-or-later
#include "framestreamreader.h"

#include <QIODevice>

#include <cstring>

char *FrameStreamReader::room(qsizetype available, qsizetype *fits)
{
    if (m_frameBytes == 0) {
        *fits = qMin(available, Wire::HeaderSize - m_headerHave);
        return m_header + m_headerHave;
    }
    const qsizetype have = m_frame.size();
    if (have == m_frame.capacity()) // grow with what arrived: doubling, up to the frame's length
        m_frame.reserve(qMin(m_frameBytes, qMax(InitialFrameBytes, 2 * have)));
    *fits = qMin(available, qMin(m_frameBytes, m_frame.capacity()) - have);
    m_frame.resize(have + *fits);
    return m_frame.data() + have;
}

void FrameStreamReader::commit(qsizetype n, QByteArrayList *frames)
{
    if (m_frameBytes == 0) {
        m_headerHave += n;
        FrameHeader header;
        // A partial header is judged too: garbage is refused as soon as its magic can be.
        const DecodeError error = FrameCodec::peekHeader(m_header, m_headerHave, &header);
        if (error == DecodeError::Truncated)
            return;
        if (error != DecodeError::None) {
            m_error = error;
            return;
        }
        m_frameBytes = Wire::HeaderSize + qsizetype(header.payloadLength);
        m_frame = QByteArray();
        m_frame.reserve(qMin(m_frameBytes, InitialFrameBytes));
        m_frame.append(m_header, Wire::HeaderSize);
        m_headerHave = 0;
    }
    if (m_frame.size() == m_frameBytes) {
        frames->append(std::move(m_frame));
        m_frame = QByteArray();
        m_frameBytes = 0;
    }
}

QByteArrayList FrameStreamReader::feed(const char *data, qsizetype size)
{
    QByteArrayList frames;
    while (size > 0 && !failed()) {
        qsizetype fits = 0;
        char *to = room(size, &fits);
        std::memcpy(to, data, size_t(fits));
        commit(fits, &frames);
        data += fits;
        size -= fits;
    }
    return frames;
}

QByteArrayList FrameStreamReader::readFrom(QIODevice *device)
{
    QByteArrayList frames;
    while (!failed()) {
        const qint64 available = device->bytesAvailable();
        if (available <= 0)
            break;
        qsizetype fits = 0;
        char *to = room(qsizetype(available), &fits);
        const qint64 got = qMax<qint64>(device->read(to, fits), 0);
        if (got < fits && m_frameBytes > 0) // room() sized the frame for `fits`; keep what came
            m_frame.resize(m_frame.size() - (fits - qsizetype(got)));
        if (got == 0)
            break;
        commit(qsizetype(got), &frames);
    }
    return frames;
}

void FrameStreamReader::reset()
{
    m_headerHave = 0;
    m_frame = QByteArray();
    m_frameBytes = 0;
    m_error = DecodeError::None;
}
