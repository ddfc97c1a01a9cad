// SPDX-License-Identifier: GPL-3.0-or-later
// The POSIX native channels (namedpipe, mailslot, filemapping) under their threading contract
// (core/transport/native/channel.h): receive() on one thread while send() runs on another,
// interrupt() from a third at any moment, then close(). Plain C++ with no Qt, so the same file
// runs under ThreadSanitizer (the `tsan` build, tests/sanitizers) with every line it touches
// instrumented; in the normal build it is a concurrency test of its own.
//
// Each mechanism: a receiver and a sender in this process, each with a reader and a writer
// thread, like NativeChannelEndpoint. The sender writes frames of varied sizes (some larger
// than the mechanism's message or ring size, so they are fragmented and meet backpressure),
// the receiver answers each with its header, and both sides check what arrived. Then a sender
// blocked on a receiver that stopped reading is interrupted from another thread.

#include "native/channel.h"

#include "filemapping_posix.h"
#include "mailslot_posix.h"
#include "namedpipe_posix.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using ipcw::native::Channel;
using ipcw::native::Event;
using ipcw::native::Role;

namespace {

constexpr std::size_t HeaderBytes = 40;
constexpr std::size_t SequenceOffset = 8;
constexpr std::size_t PayloadLengthOffset = 28;
constexpr int FramesPerMechanism = 300;

int g_failures = 0;

void fail(const std::string &mechanism, const std::string &what)
{
    std::printf("FAIL %s: %s\n", mechanism.c_str(), what.c_str());
    std::fflush(stdout);
    ++g_failures;
}

void putU32(std::vector<std::uint8_t> &bytes, std::size_t at, std::uint32_t value)
{
    for (int i = 0; i < 4; ++i)
        bytes[at + i] = std::uint8_t(value >> (8 * i));
}

std::uint32_t getU32(const std::vector<std::uint8_t> &bytes, std::size_t at)
{
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
        value |= std::uint32_t(bytes[at + i]) << (8 * i);
    return value;
}

// A frame as the channels see it: a 40-byte header with the payload length at offset 28 (the
// channels read nothing else), the frame's number at offset 8, and a payload whose every byte
// depends on the number, so a byte out of place is seen.
std::vector<std::uint8_t> makeFrame(std::uint32_t number)
{
    static const std::size_t sizes[] = {0, 1, 100, 4000, 9000, 70000, 300000, 3u << 20};
    const std::size_t payload = sizes[number % (sizeof sizes / sizeof *sizes)];
    std::vector<std::uint8_t> frame(HeaderBytes + payload);
    std::memcpy(frame.data(), "IPCW", 4);
    frame[4] = 1;
    putU32(frame, SequenceOffset, number);
    putU32(frame, PayloadLengthOffset, std::uint32_t(payload));
    for (std::size_t i = 0; i < payload; ++i)
        frame[HeaderBytes + i] = std::uint8_t(number * 31 + i);
    return frame;
}

// NativeChannelEndpoint's two ways out: trySend() on the calling thread while nothing waits to
// go before it, otherwise a writer thread that send()s in order. The caller waits once four
// frames are queued, as a sender session's window would.
class SendPath
{
public:
    SendPath(Channel &channel, std::function<void(const std::string &)> problem)
        : m_channel(channel), m_problem(std::move(problem)), m_writer([this] { writeLoop(); })
    {
    }
    ~SendPath() { finish(); }

    void send(std::vector<std::uint8_t> frame, std::uint64_t peer)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_changed.wait(lock, [this] { return m_queue.size() < 4; });
        if (m_queue.empty() && !m_writing) {
            m_writing = true;
            lock.unlock();
            std::string error;
            const bool done = m_channel.trySend(frame.data(), frame.size(), peer, &error);
            lock.lock();
            m_writing = false;
            if (done) {
                ++m_direct;
                if (!error.empty())
                    m_problem("a frame sent directly failed: " + error);
                return;
            }
        }
        m_queue.push_back({std::move(frame), peer});
        m_changed.notify_all();
    }
    // Sends what is queued, then stops the writer.
    void finish()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_finishing = true;
        }
        m_changed.notify_all();
        if (m_writer.joinable())
            m_writer.join();
    }
    int direct() const { return m_direct; }

private:
    void writeLoop()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            m_changed.wait(lock, [this] { return m_finishing || !m_queue.empty(); });
            if (m_queue.empty())
                return;
            auto [frame, peer] = std::move(m_queue.front());
            m_queue.pop_front();
            m_writing = true;
            lock.unlock();
            const std::string error = m_channel.send(frame.data(), frame.size(), peer);
            if (!error.empty())
                m_problem("a queued frame failed: " + error);
            lock.lock();
            m_writing = false;
            m_changed.notify_all();
        }
    }

    Channel &m_channel;
    std::function<void(const std::string &)> m_problem;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::pair<std::vector<std::uint8_t>, std::uint64_t>> m_queue;
    bool m_writing = false;
    bool m_finishing = false;
    int m_direct = 0; // only the calling thread touches it
    std::thread m_writer;
};

std::string addressFor(const std::string &mechanism)
{
    return "tsan-" + mechanism + "-" + std::to_string(::getpid());
}

using Clock = std::chrono::steady_clock;

// Opens the sender while another thread lets the receiver take events, as a real receiver
// always does (a named pipe's sender waits for the receiver to accept it). No frame can arrive
// before the sender is open, so nothing but connection events is taken here.
std::string openSenderWhileReceiving(Channel &receiver, Channel &sender, const std::string &address)
{
    std::atomic<bool> opened{false};
    std::thread listening([&] {
        while (!opened)
            receiver.receive(50);
    });
    const std::string error = sender.open(Role::Sender, address);
    opened = true;
    listening.join();
    return error;
}

// Frames out, answers back, both sides on two threads each.
void transferBothWays(const std::string &mechanism, const std::function<std::unique_ptr<Channel>()> &make)
{
    const std::string address = addressFor(mechanism);
    std::unique_ptr<Channel> receiver = make();
    if (std::string error = receiver->open(Role::Receiver, address); !error.empty())
        return fail(mechanism, "the receiver did not open: " + error);
    std::unique_ptr<Channel> sender = make();
    if (std::string error = openSenderWhileReceiving(*receiver, *sender, address); !error.empty()) {
        receiver->close();
        return fail(mechanism, "the sender did not open: " + error);
    }

    std::atomic<int> framesReceived{0};
    std::atomic<int> answersReceived{0};
    std::atomic<bool> receiverFailed{false};
    std::mutex problemsMutex;
    std::vector<std::string> problems;
    auto problem = [&](const std::string &text) {
        std::lock_guard<std::mutex> lock(problemsMutex);
        problems.push_back(text);
    };

    // Answers go out from the receiving thread and frames from the sending one, each through a
    // SendPath: trySend() there, send() on its writer thread, never both at once.
    SendPath receiverOut(*receiver, [&](const std::string &text) { problem("the receiver could not answer: " + text); });
    SendPath senderOut(*sender, [&](const std::string &text) { problem("the sender: " + text); });
    std::thread receiverReader([&] {
        std::uint32_t expected = 0;
        while (framesReceived.load() < FramesPerMechanism) {
            Event event = receiver->receive(2000);
            if (event.kind == Event::Kind::Frame) {
                const std::uint32_t number = getU32(event.frame, SequenceOffset);
                if (number != expected || event.frame != makeFrame(number))
                    problem("frame " + std::to_string(expected) + " arrived as frame " + std::to_string(number)
                            + " of " + std::to_string(event.frame.size()) + " bytes");
                expected = number + 1;
                std::vector<std::uint8_t> answer(event.frame.begin(), event.frame.begin() + HeaderBytes);
                putU32(answer, PayloadLengthOffset, 0);
                receiverOut.send(std::move(answer), event.peer);
                ++framesReceived;
            } else if (event.kind == Event::Kind::Timeout || event.kind == Event::Kind::Error
                       || event.kind == Event::Kind::Interrupted || event.kind == Event::Kind::Refused) {
                problem("the receiver stopped after " + std::to_string(framesReceived.load()) + " frames: "
                        + (event.text.empty() ? "timeout or interrupt" : event.text));
                receiverFailed = true;
                break;
            }
        }
    });
    std::thread senderWriter([&] {
        for (int n = 0; n < FramesPerMechanism && !receiverFailed; ++n)
            senderOut.send(makeFrame(std::uint32_t(n)), 0);
    });
    std::thread senderReader([&] {
        while (answersReceived.load() < FramesPerMechanism) {
            Event event = sender->receive(2000);
            if (event.kind == Event::Kind::Frame) {
                const std::uint32_t number = getU32(event.frame, SequenceOffset);
                if (number != std::uint32_t(answersReceived.load()))
                    problem("answer " + std::to_string(answersReceived.load()) + " came back for frame "
                            + std::to_string(number));
                ++answersReceived;
            } else if (event.kind != Event::Kind::PeerConnected) {
                problem("the sender stopped waiting for answers after " + std::to_string(answersReceived.load())
                        + ": " + (event.text.empty() ? "timeout or interrupt" : event.text));
                break;
            }
        }
    });

    senderWriter.join();
    senderReader.join();
    receiverReader.join();
    senderOut.finish();
    receiverOut.finish();
    sender->interrupt();
    receiver->interrupt();
    sender->close();
    receiver->close();

    for (const std::string &text : problems)
        fail(mechanism, text);
    if (framesReceived.load() != FramesPerMechanism || answersReceived.load() != FramesPerMechanism)
        fail(mechanism, std::to_string(framesReceived.load()) + " frames and " + std::to_string(answersReceived.load())
                            + " answers arrived of " + std::to_string(FramesPerMechanism));
    else
        std::printf("ok %s: %d frames there and back, up to 3 MiB each (%d frames and %d answers sent by trySend)\n",
                    mechanism.c_str(), FramesPerMechanism, senderOut.direct(), receiverOut.direct());
}

// A sender blocked because the receiver stopped reading returns promptly once another thread
// interrupts it, and so does a receiver blocked with nothing to read.
void interruptUnblocks(const std::string &mechanism, const std::function<std::unique_ptr<Channel>()> &make)
{
    const std::string address = addressFor(mechanism) + "-interrupt";
    std::unique_ptr<Channel> receiver = make();
    std::unique_ptr<Channel> sender = make();
    if (std::string error = receiver->open(Role::Receiver, address); !error.empty())
        return fail(mechanism, "the receiver did not open: " + error);
    if (std::string error = openSenderWhileReceiving(*receiver, *sender, address); !error.empty()) {
        receiver->close();
        return fail(mechanism, "the sender did not open: " + error);
    }
    std::atomic<bool> senderReturned{false};
    std::thread senderWriter([&] {
        // Far more than any of the mechanisms buffers, so send() blocks on backpressure.
        const std::vector<std::uint8_t> frame = makeFrame(7); // 3 MiB
        for (int n = 0; n < 64 && !senderReturned; ++n)
            if (!sender->send(frame.data(), frame.size(), 0).empty())
                break;
        senderReturned = true;
    });
    std::atomic<bool> senderReaderReturned{false};
    std::thread senderReader([&] {
        sender->receive(-1);
        senderReaderReturned = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (senderReturned)
        fail(mechanism, "64 frames of 3 MiB fitted into the mechanism with nobody reading: no backpressure");
    const auto interruptedAt = Clock::now();
    sender->interrupt();
    senderWriter.join();
    senderReader.join();
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - interruptedAt).count();
    if (waited > 2000)
        fail(mechanism, "send() and receive() took " + std::to_string(waited) + " ms to return after interrupt()");
    else
        std::printf("ok %s: a blocked send() and receive() returned %lld ms after interrupt()\n", mechanism.c_str(),
                    static_cast<long long>(waited));
    std::thread receiverInterrupt([&] { receiver->interrupt(); });
    receiverInterrupt.join();
    if (receiver->receive(-1).kind != Event::Kind::Interrupted)
        fail(mechanism, "receive() after interrupt() did not return Interrupted at once");
    sender->close();
    receiver->close();
}

} // namespace

int main()
{
    const std::vector<std::pair<std::string, std::function<std::unique_ptr<Channel>()>>> mechanisms = {
        {"namedpipe", [] { return std::unique_ptr<Channel>(new ipcw::native::NamedPipeChannelPosix); }},
        {"mailslot", [] { return std::unique_ptr<Channel>(new MailslotChannelPosix); }},
        {"filemapping", [] { return std::unique_ptr<Channel>(new FileMappingChannelPosix); }},
    };
    for (const auto &[mechanism, make] : mechanisms) {
        transferBothWays(mechanism, make);
        interruptUnblocks(mechanism, make);
    }
    std::printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "PASSED", g_failures);
    return g_failures ? 1 : 0;
}
