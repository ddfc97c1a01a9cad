// SPDX-License-Identifier: GPL-3.0-or-later
// The POSIX named-pipe wire: the hello lines anyone of the same user can write to the shared
// .connect FIFO, and the frame stream on a sender's .up FIFO, cut as the backend cuts it.
//
// Input: a u16 length and that many bytes of .connect traffic, one byte n and n read sizes
// (1..256 each, used in turn), then the .up stream.
#include "fuzzharness.h"

#include "../common/countingframestore.h"
#include "namedpipehello.h"
#include "namedpipewire.h"

#include <deque>
#include <string>
#include <vector>

namespace {

using Fuzz::require;
namespace np = ipcw::native::namedpipe;
using Frames = std::deque<std::vector<std::uint8_t>>;

void checkConnectLines(const std::uint8_t *data, std::size_t size, const std::vector<std::size_t> &reads)
{
    std::string pending;
    std::size_t at = 0;
    for (std::size_t step = 0; at < size; ++step) {
        const std::size_t n = std::min(reads.empty() ? size : reads[step % reads.size()], size - at);
        pending.append(reinterpret_cast<const char *>(data + at), n);
        at += n;
        for (const std::string &line : np::takeConnectLines(pending)) {
            require(line.find('\n') == std::string::npos, "a line holds no line break");
            np::HelloLine hello;
            if (!np::parseHelloLine(line, &hello))
                continue;
            // What is accepted is exactly what a sender writes: nothing else can name a FIFO.
            require("hello " + hello.pid + " " + hello.token == line, "an accepted hello is spelled one way only");
            require(hello.token.find_first_not_of("0123456789-") == std::string::npos && hello.token.size() <= 40,
                    "the token can only name a FIFO in our folder");
        }
        require(pending.size() <= np::MaxHelloLine, "an unfinished line is bounded");
        require(pending.find('\n') == std::string::npos, "every whole line is taken");
    }
}

struct Cut
{
    Frames frames;
    std::string error;
    std::size_t pending = 0;
};

// As the backend reads: into a staging buffer, or straight into a frame when `direct` says so,
// large frames in buffers of `store` when one is given.
Cut cutStream(const std::uint8_t *data, std::size_t size, const std::vector<std::size_t> &reads, bool direct,
              CountingFrameStore *store = nullptr)
{
    Cut cut;
    np::FrameCutter cutter;
    cutter.setFrameStore(store);
    np::FrameCutter::Frames frames;
    std::size_t at = 0;
    for (std::size_t step = 0; at < size && cut.error.empty(); ++step) {
        std::size_t n = std::min(reads.empty() ? size : reads[step % reads.size()], size - at);
        std::size_t room = 0;
        std::uint8_t *into = cutter.payloadRoom(&room);
        if (direct && into) {
            n = std::min(n, room);
            std::memcpy(into, data + at, n);
            cutter.payloadArrived(n, frames);
        } else {
            cut.error = cutter.cut(data + at, n, frames);
        }
        at += n;
        require(cutter.committedBytes() <= std::max(np::FrameCutter::InitialFrameBytes, 2 * cutter.pendingBytes()),
                "memory grows with what arrived, not with what the header claims");
    }
    cut.pending = cutter.pendingBytes();
    for (ipcw::native::FrameBytes &frame : frames) {
        require(frame.stored() == (store && frame.size() >= ipcw::native::FrameBytes::StoredFromBytes),
                "a frame is in the store's buffer exactly when one is lent and the frame is large");
        cut.frames.emplace_back(frame.data(), frame.data() + frame.size());
    }
    return cut;
}

void checkFrames(const std::uint8_t *data, std::size_t size, const Cut &cut)
{
    std::size_t consumed = 0;
    for (const std::vector<std::uint8_t> &frame : cut.frames) {
        require(np::checkOutgoingFrame(frame.data(), frame.size()).empty(), "a delivered frame is one a sender may send");
        require(consumed + frame.size() <= size && std::equal(frame.begin(), frame.end(), data + consumed),
                "delivered frames are the input, in order");
        consumed += frame.size();
    }
    if (cut.error.empty())
        require(consumed + cut.pending == size, "no byte lost or duplicated");
    require(cut.pending < np::MaxFrameBytes, "a frame under way is within the limit");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Fuzz::InputReader input(data, size);
    std::size_t connectBytes = 0;
    const std::uint8_t *connect = input.take(input.u16(), &connectBytes);
    std::vector<std::size_t> reads(input.u8() % 16);
    for (std::size_t &n : reads)
        n = std::size_t(input.u8()) + 1;
    checkConnectLines(connect, connectBytes, reads);

    const std::uint8_t *stream = input.position();
    const std::size_t streamBytes = input.remaining();
    const Cut whole = cutStream(stream, streamBytes, {}, false);
    checkFrames(stream, streamBytes, whole);
    const Cut staged = cutStream(stream, streamBytes, reads, false);
    const Cut direct = cutStream(stream, streamBytes, reads, true);
    CountingFrameStore store;
    const Cut stored = cutStream(stream, streamBytes, reads, true, &store);
    require(store.live == 0, "no buffer of the store outlives its frame");
    for (const Cut *other : {&staged, &direct, &stored})
        require(other->frames == whole.frames && other->error == whole.error && other->pending == whole.pending,
                "read sizes and direct reads do not change the frames");
    return 0;
}
