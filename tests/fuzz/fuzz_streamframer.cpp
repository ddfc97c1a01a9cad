// SPDX-License-Identifier: GPL-3.0-or-later
// The stream framer (FrameStreamReader, what DeviceFramer and StreamPeers read sockets and FIFOs
// with): arbitrary bytes, cut into arbitrary reads, through both of its entry points.
//
// Input: one byte n, then n bytes of read sizes (1..256 each, used in turn), one byte for the
// commit limit of the bounded reading, then the stream itself.
#include "fuzzharness.h"

#include "deviceframer.h"
#include "framecodec.h"
#include "framestreamreader.h"

#include <QIODevice>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using Fuzz::require;

struct Reading
{
    QByteArrayList frames;
    DecodeError error = DecodeError::None;
    qsizetype pending = 0;
};

// What the reader holds is paid for by what arrived: never more than the first step (or the
// frame, if smaller) or twice the bytes of the frame so far, whatever its header claims. A step
// that would leave no more than a header's length to come takes the whole frame at once.
void checkMemory(const FrameStreamReader &reader)
{
    if (reader.frameBytes() == 0) {
        require(reader.committedBytes() == 0 || reader.failed(), "nothing is committed between frames");
        return;
    }
    const qsizetype bound = qMin(reader.frameBytes(),
                                 qMax(FrameStreamReader::InitialFrameBytes, 2 * reader.pendingBytes()) + Wire::HeaderSize);
    require(reader.committedBytes() <= bound, "memory grows with what arrived, not with what the header claims");
}

void finish(const FrameStreamReader &reader, Reading *reading)
{
    reading->error = reader.error();
    reading->pending = reader.pendingBytes();
    checkMemory(reader);
}

Reading feedInReads(const QByteArray &stream, const std::vector<qsizetype> &reads)
{
    Reading reading;
    FrameStreamReader reader;
    qsizetype at = 0;
    for (std::size_t step = 0; at < stream.size(); ++step) {
        const qsizetype n = qMin(reads.empty() ? stream.size() : reads[step % reads.size()], stream.size() - at);
        reading.frames += reader.feed(stream.constData() + at, n);
        checkMemory(reader);
        at += n;
    }
    finish(reader, &reading);
    return reading;
}

// The bytes of one read, held as a socket holds them until they are read: sequential, so
// readFrom() sees only bytesAvailable() and read(). One device serves every read of a run: a
// QBuffer per read took most of the fuzzer's time.
class ArrivedBytes final : public QIODevice
{
public:
    ArrivedBytes() { open(QIODevice::ReadOnly | QIODevice::Unbuffered); }
    void arrive(const char *data, qsizetype size)
    {
        m_data = data;
        m_left = size;
    }
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return m_left + QIODevice::bytesAvailable(); }

protected:
    qint64 readData(char *to, qint64 max) override
    {
        const qsizetype n = qsizetype(qMin<qint64>(max, m_left));
        std::memcpy(to, m_data, std::size_t(n));
        m_data += n;
        m_left -= n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    const char *m_data = nullptr;
    qsizetype m_left = 0;
};

// The same reads through readFrom(QIODevice *), as a socket delivers them. With a commit limit
// it stops where a peer over its budget would be left waiting; `stalled` says whether it did.
Reading readFromDevice(const QByteArray &stream, const std::vector<qsizetype> &reads, qsizetype commitLimit,
                       bool *stalled)
{
    Reading reading;
    FrameStreamReader reader;
    *stalled = false;
    ArrivedBytes device;
    qsizetype at = 0;
    for (std::size_t step = 0; at < stream.size() && !reader.failed() && !*stalled; ++step) {
        const qsizetype n = qMin(reads.empty() ? stream.size() : reads[step % reads.size()], stream.size() - at);
        device.arrive(stream.constData() + at, n);
        reading.frames += reader.readFrom(&device, commitLimit);
        require(reader.committedBytes() <= commitLimit, "readFrom never commits beyond its limit");
        checkMemory(reader);
        const qsizetype left = qsizetype(device.bytesAvailable());
        if (left > 0 && !reader.failed()) {
            require(reader.nextCommitBytes() > 0 && reader.committedBytes() + reader.nextCommitBytes() > commitLimit,
                    "readFrom leaves bytes unread only when they would not fit the limit");
            *stalled = true;
        }
        at += n - left;
    }
    finish(reader, &reading);
    return reading;
}

void checkFrames(const QByteArray &stream, const Reading &reading)
{
    qsizetype consumed = 0;
    for (const QByteArray &frame : reading.frames) {
        FrameHeader header;
        require(FrameCodec::peekHeader(frame.constData(), frame.size(), &header) == DecodeError::None,
                "delivered frames have a valid header");
        require(frame.size() == Wire::HeaderSize + qsizetype(header.payloadLength), "delivered frames are whole");
        require(stream.mid(consumed, frame.size()) == frame, "delivered frames are the input, in order");
        consumed += frame.size();
    }
    require(reading.error != DecodeError::Truncated, "a short stream is pending, not failed");
    if (reading.error == DecodeError::None) {
        require(consumed + reading.pending == stream.size(), "no byte lost or duplicated");
        require(DeviceFramer::incompleteFrameNote(reading.pending).isEmpty() == (reading.pending == 0),
                "an unfinished frame is mentioned exactly when there is one");
    } else {
        require(!DeviceFramer::outOfStepSentence(reading.error).isEmpty(), "a stream out of step has a sentence");
    }
}

// The same frames and error; the same bytes pending, unless the stream failed: where it noticed
// (a bad magic after 4 bytes or a whole header) depends on the reads, and nothing pending of a
// failed stream is kept or reported.
bool sameOutcome(const Reading &a, const Reading &b)
{
    return a.frames == b.frames && a.error == b.error && (a.error != DecodeError::None || a.pending == b.pending);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Fuzz::InputReader input(data, size);
    std::vector<qsizetype> reads(input.u8() % 16);
    for (qsizetype &n : reads)
        n = qsizetype(input.u8()) + 1;
    const qsizetype commitLimit = Wire::HeaderSize + qsizetype(input.u8()) * 16;
    const QByteArray stream(reinterpret_cast<const char *>(input.position()), qsizetype(input.remaining()));

    const Reading whole = feedInReads(stream, {});
    checkFrames(stream, whole);

    // Read boundaries must not change the outcome, whichever entry point takes the bytes.
    const Reading chunked = feedInReads(stream, reads);
    require(sameOutcome(chunked, whole), "read sizes do not change what feed() delivers");
    bool stalled = false;
    const Reading device = readFromDevice(stream, reads, std::numeric_limits<qsizetype>::max(), &stalled);
    require(!stalled, "without a limit readFrom takes everything");
    require(sameOutcome(device, whole), "readFrom delivers what feed() delivers");

    // Under a budget it delivers a beginning of the same frames, never anything else.
    const Reading bounded = readFromDevice(stream, reads, commitLimit, &stalled);
    require(bounded.frames.size() <= whole.frames.size(), "a budget never adds frames");
    for (qsizetype i = 0; i < bounded.frames.size(); ++i)
        require(bounded.frames.at(i) == whole.frames.at(i), "a budget delivers the same frames, in order");
    if (!stalled)
        require(bounded.frames == whole.frames && bounded.error == whole.error, "a budget that is never hit changes nothing");
    return 0;
}
