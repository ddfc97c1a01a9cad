// SPDX-License-Identifier: GPL-3.0-or-later
#include "framestreamreader.h"

#include <QIODevice>

#include <cstring>
#include <limits>

qsizetype FrameStreamReader::nextCommitBytes() const
{
    const qsizetype have = m_frame.size();
    if (m_frameBytes == 0 || have < m_frame.capacity())
        return 0;
    // Grow with what arrived: doubling, from InitialFrameBytes, up to the frame's length. A
    // payload of a power of two would otherwise end with a growth (and a copy) for the header's
    // few bytes: the step that leaves no more than a header to come takes the whole frame.
    qsizetype target = qMin(m_frameBytes, qMax(InitialFrameBytes, 2 * have));
    if (m_frameBytes - target <= Wire::HeaderSize)
        target = m_frameBytes;
    return target - m_frame.capacity();
}

char *FrameStreamReader::room(qsizetype available, qsizetype *fits)
{
    if (m_frameBytes == 0) {
        *fits = qMin(available, Wire::HeaderSize - m_headerHave);
        return m_header + m_headerHave;
    }
    if (const qsizetype grow = nextCommitBytes(); grow > 0) {
        m_frame.reserve(m_frame.capacity() + grow);
        if (m_frame.isEmpty()) { // the first byte after the header: the frame's buffer starts
            m_frame.append(m_header, Wire::HeaderSize);
            m_headerHave = 0;
        }
    }
    const qsizetype have = m_frame.size();
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
        if (m_frameBytes == Wire::HeaderSize) { // no payload: the header is the whole frame
            frames->append(QByteArray(m_header, Wire::HeaderSize));
            m_frameBytes = 0;
            m_headerHave = 0;
        }
        return;
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
    if (device->openMode().testFlag(QIODevice::Unbuffered))
        return readUnbuffered(device);
    return readFrom(device, std::numeric_limits<qsizetype>::max());
}

QByteArrayList FrameStreamReader::readUnbuffered(QIODevice *device)
{
    // A frame with room left is read into directly. Anything else goes through a small staging
    // buffer and feed(), so that memory is still committed only once bytes have arrived.
    QByteArrayList frames;
    while (!failed()) {
        qsizetype asked = StagingBytes;
        qsizetype got = 0;
        if (m_frameBytes > 0 && !m_frame.isEmpty() && nextCommitBytes() == 0) {
            got = readInPlace(device, m_frameBytes, &asked, &frames);
        } else {
            char staging[StagingBytes];
            got = qsizetype(qMax<qint64>(device->read(staging, asked), 0)); // -1: it ended
            frames += feed(staging, got);
        }
        if (got < asked)
            break; // the kernel had no more
    }
    return frames;
}

QByteArrayList FrameStreamReader::readFrom(QIODevice *device, qsizetype commitLimit)
{
    QByteArrayList frames;
    while (!failed()) {
        const qint64 available = device->bytesAvailable();
        if (available <= 0)
            break;
        if (const qsizetype grow = nextCommitBytes(); grow > 0 && committedBytes() + grow > commitLimit)
            break;
        qsizetype asked = 0;
        if (readInPlace(device, qsizetype(available), &asked, &frames) == 0)
            break;
    }
    return frames;
}

qsizetype FrameStreamReader::readInPlace(QIODevice *device, qsizetype available, qsizetype *asked,
                                         QByteArrayList *frames)
{
    char *to = room(available, asked);
    const qsizetype got = qsizetype(qMax<qint64>(device->read(to, *asked), 0)); // -1: it ended
    if (got < *asked && m_frameBytes > 0) // room() sized the frame for `asked`; keep what came
        m_frame.resize(m_frame.size() - (*asked - got));
    if (got > 0)
        commit(got, frames);
    return got;
}

void FrameStreamReader::reset()
{
    m_headerHave = 0;
    m_frame = QByteArray();
    m_frameBytes = 0;
    m_error = DecodeError::None;
}
