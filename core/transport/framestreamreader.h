// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "frameheader.h"
#include "native/receivelimits.h"

#include <QByteArray>
#include <QByteArrayList>

class QIODevice;

// Cuts a byte stream (TCP, local socket, FIFO) into whole frames. Only the fixed header is
// read here, to learn the frame's length; records are decoded by the session, once, in core.
// A header that fails validation means the stream is out of step: the caller reports the
// sentence and drops the connection, keeping every frame already delivered.
//
// Bytes go straight into the frame they belong to, once: a frame of 1 MiB is not copied
// again to be cut out of a stream buffer. The frame's memory is committed as its bytes
// arrive, never on the header's word alone: nothing when the header is accepted, then 1 MiB
// with the first byte after it, then doubling with what arrived. A caller with a memory budget
// (StreamPeers) asks readFrom() to stop before committing beyond it.
class IPCWCORE_EXPORT FrameStreamReader
{
public:
    static constexpr qsizetype InitialFrameBytes = qsizetype(ipcw::native::InitialFrameBytes);

    // Appends bytes; returns the frames completed by them (possibly none).
    QByteArrayList feed(const char *data, qsizetype size);
    QByteArrayList feed(const QByteArray &bytes) { return feed(bytes.constData(), bytes.size()); }
    // Reads everything the device has buffered, straight into frames. A device opened
    // QIODevice::Unbuffered (a QTcpSocket connected so reads the kernel itself) is read
    // without asking bytesAvailable() first, which costs a system call of its own there: each
    // read asks for all the room there is and a short one ends the turn. Such a device must
    // not block: a read that finds nothing must return 0, as a socket's does.
    QByteArrayList readFrom(QIODevice *device);
    // The same, but stops before committedBytes() would exceed `commitLimit`: what did not fit
    // stays in the device, and nextCommitBytes() says how much more the next byte needs.
    QByteArrayList readFrom(QIODevice *device, qsizetype commitLimit);

    bool failed() const { return m_error != DecodeError::None; }
    DecodeError error() const { return m_error; }
    // Bytes of a frame begun but not finished: non-zero when a peer vanished mid-frame.
    qsizetype pendingBytes() const { return m_frame.size() + m_headerHave; }
    // Memory held for the unfinished frame: at most InitialFrameBytes or twice what arrived.
    qsizetype committedBytes() const { return m_frame.capacity(); }
    // How much committedBytes() grows before the next byte can be stored (0: there is room).
    qsizetype nextCommitBytes() const;
    // The whole length of the frame being read, once its header was accepted; 0 between frames.
    qsizetype frameBytes() const { return m_frameBytes; }
    void reset();

private:
    // Up to this much is read at once where there is no room in a frame yet (between frames,
    // or before a frame grows): enough for many small frames in one read.
    static constexpr qsizetype StagingBytes = 4096;

    QByteArrayList readUnbuffered(QIODevice *device);
    // Reads up to `available` bytes from `device` where room() says (`asked`: how many that
    // was), keeps what came and moves finished frames out; returns how many bytes came.
    qsizetype readInPlace(QIODevice *device, qsizetype available, qsizetype *asked, QByteArrayList *frames);
    // Where up to `available` next bytes of the stream go (the header, then the frame), and
    // how many fit there.
    char *room(qsizetype available, qsizetype *fits);
    // Takes note that `n` bytes were written where room() said; moves finished frames out.
    void commit(qsizetype n, QByteArrayList *frames);

    char m_header[Wire::HeaderSize] = {};
    qsizetype m_headerHave = 0; // until the frame's buffer exists (its first byte after the header)
    QByteArray m_frame;        // the frame being filled, header included; its size is what arrived
    qsizetype m_frameBytes = 0; // the whole frame's length, once its header was accepted
    DecodeError m_error = DecodeError::None;
};
