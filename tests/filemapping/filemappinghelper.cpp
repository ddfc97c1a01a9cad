// SPDX-License-Identifier: GPL-3.0-or-later
// The other process of tst_filemapping, in plain C++ on the POSIX backend:
//   send ADDRESS COUNT LARGEST TAG  sends COUNT test frames, then checks that COUNT replies came
//                                   back and all carry TAG (replies are routed to their sender)
//   pingpong ADDRESS COUNT LARGEST TAG  the same in lock step: each frame only once the reply
//                                   to the one before came back
//   flood ADDRESS LARGEST TAG       sends test frames until killed
//   hang ADDRESS                    sends 3 frames, then reserves a record, half fills it and
//                                   sleeps: a sender killed mid-write
//   receive ADDRESS                 a receiver that reads and drops frames until killed
// Prints one line when it is ready to be killed ("listening", "sending", "reserved").

#include "filemapping_posix.h"
#include "testframes.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>

using ipcw::native::Event;
using ipcw::native::Role;
using namespace ipcw::native::shm;

namespace {

int fail(const std::string &why)
{
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
}

void ready(const char *line)
{
    std::printf("%s\n", line);
    std::fflush(stdout);
}

int send(const std::string &address, std::uint32_t count, std::size_t largest, std::uint32_t tag)
{
    FileMappingChannelPosix channel;
    if (std::string error = channel.open(Role::Sender, address); !error.empty())
        return fail(error);
    std::uint32_t replies = 0;
    std::string replyError;
    std::thread reader([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (replies < count && replyError.empty() && std::chrono::steady_clock::now() < until) {
            const Event e = channel.receive(1000);
            std::uint32_t replyTag = 0, index = 0;
            if (e.kind == Event::Kind::Frame) {
                if (!TestFrames::check(e.frame.data(), e.frame.size(), &replyTag, &index) || replyTag != tag)
                    replyError = "a reply for tag " + std::to_string(replyTag) + " reached sender " + std::to_string(tag);
                ++replies;
            } else if (e.kind == Event::Kind::PeerGone || e.kind == Event::Kind::Error) {
                replyError = e.text;
            }
        }
    });
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::vector<std::uint8_t> frame = TestFrames::make(tag, i, TestFrames::sizeFor(i, largest));
        if (std::string error = channel.send(frame.data(), frame.size(), 0); !error.empty()) {
            channel.interrupt();
            reader.join();
            return fail(error);
        }
    }
    reader.join();
    channel.close();
    if (!replyError.empty())
        return fail(replyError);
    if (replies != count)
        return fail("only " + std::to_string(replies) + " of " + std::to_string(count) + " replies came back");
    return 0;
}

int pingPong(const std::string &address, std::uint32_t count, std::size_t largest, std::uint32_t tag)
{
    FileMappingChannelPosix channel;
    if (std::string error = channel.open(Role::Sender, address); !error.empty())
        return fail(error);
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::vector<std::uint8_t> frame = TestFrames::make(tag, i, TestFrames::sizeFor(i, largest));
        if (std::string error = channel.send(frame.data(), frame.size(), 0); !error.empty())
            return fail(error);
        const Event e = channel.receive(5000);
        std::uint32_t replyTag = 0, index = 0;
        if (e.kind != Event::Kind::Frame)
            return fail("no reply to frame " + std::to_string(i) + " within 5 s. " + e.text);
        if (!TestFrames::check(e.frame.data(), e.frame.size(), &replyTag, &index) || replyTag != tag || index != i)
            return fail("the reply to frame " + std::to_string(i) + " is not its own");
    }
    channel.close();
    return 0;
}

int flood(const std::string &address, std::size_t largest, std::uint32_t tag)
{
    FileMappingChannelPosix channel;
    if (std::string error = channel.open(Role::Sender, address); !error.empty())
        return fail(error);
    for (std::uint32_t i = 0;; ++i) {
        const std::vector<std::uint8_t> frame = TestFrames::make(tag, i, TestFrames::sizeFor(i, largest));
        if (std::string error = channel.send(frame.data(), frame.size(), 0); !error.empty())
            return fail(error);
        if (i == 0)
            ready("sending");
    }
}

int hang(const std::string &address)
{
    FileMappingChannelPosix channel;
    if (std::string error = channel.open(Role::Sender, address); !error.empty())
        return fail(error);
    for (std::uint32_t i = 0; i < 3; ++i) {
        const std::vector<std::uint8_t> frame = TestFrames::make(77, i, 1000);
        if (std::string error = channel.send(frame.data(), frame.size(), 0); !error.empty())
            return fail(error);
    }
    ShmSession &session = *channel.session();
    ShmRing ring = session.dataRing();
    RecordMeta meta;
    meta.slot = std::uint32_t(session.slot());
    meta.generation = session.generation();
    meta.kind = RecordKind::Chunk;
    meta.flags = FirstChunk | LastChunk;
    meta.frameBytes = meta.chunkBytes = 1000;
    ShmRing::Reservation reservation;
    if (!ring.tryReserve(meta, channel.waiter(), &reservation))
        return fail("no room to reserve a record");
    const std::vector<std::uint8_t> frame = TestFrames::make(77, 3, 1000);
    ring.fill(reservation, 0, frame.data(), 500);
    ready("reserved");
    for (;;)
        pause();
}

int receive(const std::string &address)
{
    FileMappingChannelPosix channel;
    if (std::string error = channel.open(Role::Receiver, address); !error.empty())
        return fail(error);
    ready("listening");
    for (;;)
        if (channel.receive(-1).kind == Event::Kind::Error)
            return 1;
}

} // namespace

int main(int argc, char **argv)
{
    const std::string mode = argc > 2 ? argv[1] : "";
    if (mode == "send" && argc == 6)
        return send(argv[2], std::uint32_t(std::atoi(argv[3])), std::size_t(std::atol(argv[4])), std::uint32_t(std::atoi(argv[5])));
    if (mode == "pingpong" && argc == 6)
        return pingPong(argv[2], std::uint32_t(std::atoi(argv[3])), std::size_t(std::atol(argv[4])), std::uint32_t(std::atoi(argv[5])));
    if (mode == "flood" && argc == 5)
        return flood(argv[2], std::size_t(std::atol(argv[3])), std::uint32_t(std::atoi(argv[4])));
    if (mode == "hang" && argc == 3)
        return hang(argv[2]);
    if (mode == "receive" && argc == 3)
        return receive(argv[2]);
    return fail("usage: ipcw_filemapping_helper send|pingpong|flood|hang|receive ADDRESS ...");
}
