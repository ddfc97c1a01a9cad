// SPDX-License-Identifier: GPL-3.0-or-later
// ipcw-native: the Qt-free test driver for the Win32 backends, built with mingw-w64 and run
// under Wine by tst_wine_transfer. It moves frames as opaque bytes: the Linux side encodes and
// decodes them with the real codec, so a transfer checks the backend and nothing else.
// Usage is printed by `ipcw-native.exe help` and documented in docs/windows.md.

#include "native/registry.h"

#include <windows.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#ifdef IPCW_NATIVE_PIPE_SECURITY
#include "namedpipe_win32.h"
#endif

using ipcw::native::Channel;
using ipcw::native::Event;
using ipcw::native::Role;

namespace {

// Exit codes the Linux side tells apart.
constexpr int ExitOk = 0;
constexpr int ExitFailed = 1;
constexpr int ExitTimedOut = 2;
constexpr int ExitUsage = 64;

constexpr std::size_t HeaderBytes = 40;
constexpr std::size_t PayloadLengthOffset = 28;
constexpr std::size_t MaxFrameBytes = HeaderBytes + 64u * 1024u * 1024u;

const char Usage[] =
    "Usage:\n"
    "  ipcw-native.exe list\n"
    "      Prints the mechanism ids compiled into this driver, one per line.\n"
    "  ipcw-native.exe receive <mechanism> <address> <out.bin> --frames N [--timeout S] [--ack]\n"
    "      Opens a receiver, prints \"ready\" once it listens, writes every frame it receives back to\n"
    "      back to out.bin and exits 0 after N frames (2 on timeout, default 120 s; 1 on error).\n"
    "      --ack answers every frame with its 40-byte header, for senders that pace with --wait-ack.\n"
    "  ipcw-native.exe send <mechanism> <address> <in.bin> [--wait-ack] [--timeout S]\n"
    "      Opens a sender and sends the frames stored back to back in in.bin (each a 40-byte header\n"
    "      whose u32 little-endian payload length sits at offset 28, then the payload).\n"
    "      --wait-ack waits for the receiver's answer before sending the next frame.\n"
#ifdef IPCW_NATIVE_PIPE_SECURITY
    "  ipcw-native.exe pipe-security <address>\n"
    "      Opens a namedpipe receiver and prints the DACL of its pipe as read back with\n"
    "      GetSecurityInfo: \"dacl: present\", \"aces: N\", one \"ace: <type> <SID>\" per entry and\n"
    "      \"user: <SID>\" for the current user.\n"
#endif
    ;

std::string narrow(const wchar_t *text)
{
    const int size = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    std::string result(std::size_t(size > 0 ? size - 1 : 0), '\0');
    if (size > 1)
        WideCharToMultiByte(CP_UTF8, 0, text, -1, result.data(), size, nullptr, nullptr);
    return result;
}

std::wstring widen(const std::string &text)
{
    const int size = MultiByteToWideChar(CP_UTF8, 0, text.c_str(), -1, nullptr, 0);
    std::wstring result(std::size_t(size > 0 ? size - 1 : 0), L'\0');
    if (size > 1)
        MultiByteToWideChar(CP_UTF8, 0, text.c_str(), -1, result.data(), size);
    return result;
}

int fail(const std::string &sentence, int code = ExitFailed)
{
    std::fprintf(stderr, "%s\n", sentence.c_str());
    return code;
}

struct Options
{
    std::vector<std::string> positional;
    long frames = -1;
    long timeoutSeconds = 120;
    bool ack = false;
    bool waitAck = false;
    std::string error;
};

Options parse(int argc, wchar_t **argv)
{
    Options options;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = narrow(argv[i]);
        const bool hasValue = i + 1 < argc;
        if (arg == "--frames" && hasValue)
            options.frames = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--timeout" && hasValue)
            options.timeoutSeconds = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--ack")
            options.ack = true;
        else if (arg == "--wait-ack")
            options.waitAck = true;
        else if (arg.rfind("--", 0) == 0)
            options.error = "Unknown or incomplete option " + arg + ".";
        else
            options.positional.push_back(arg);
    }
    return options;
}

std::unique_ptr<Channel> channelFor(const std::string &mechanism, std::string *error)
{
    std::unique_ptr<Channel> channel = ipcw::native::makeChannel(mechanism);
    if (!channel)
        *error = "This driver has no backend \"" + mechanism + "\": `ipcw-native.exe list` shows the ones it has.";
    return channel;
}

ULONGLONG deadlineAfter(long seconds)
{
    return GetTickCount64() + ULONGLONG(seconds > 0 ? seconds : 0) * 1000u;
}

int remainingMs(ULONGLONG deadline)
{
    const ULONGLONG now = GetTickCount64();
    return now >= deadline ? 0 : int(deadline - now);
}

int listBackends()
{
    for (auto *r = ipcw::native::channelRegistrations(); r; r = r->next)
        std::printf("%s\n", r->mechanism);
    return ExitOk;
}

int receiveFrames(const Options &options)
{
    if (options.positional.size() != 3 || options.frames < 0)
        return fail(std::string("receive needs <mechanism> <address> <out.bin> --frames N.\n") + Usage, ExitUsage);
    std::string error;
    std::unique_ptr<Channel> channel = channelFor(options.positional[0], &error);
    if (!channel)
        return fail(error);
    FILE *out = _wfopen(widen(options.positional[2]).c_str(), L"wb");
    if (!out)
        return fail("Cannot write " + options.positional[2] + ": " + std::strerror(errno) + ".");
    // open() and receive() stay on this thread: backends that own a window only see its
    // messages on the thread that created it.
    error = channel->open(Role::Receiver, options.positional[1]);
    if (!error.empty()) {
        std::fclose(out);
        return fail(error);
    }
    std::printf("ready\n");
    std::fflush(stdout);

    const ULONGLONG deadline = deadlineAfter(options.timeoutSeconds);
    long received = 0;
    unsigned long long bytes = 0;
    int code = ExitOk;
    while (received < options.frames) {
        const int wait = remainingMs(deadline);
        Event event = wait > 0 ? channel->receive(wait) : Event{};
        if (event.kind == Event::Kind::Frame) {
            if (std::fwrite(event.frame.data(), 1, event.frame.size(), out) != event.frame.size()) {
                code = fail("Writing " + options.positional[2] + " failed: " + std::strerror(errno) + ".");
                break;
            }
            ++received;
            bytes += event.frame.size();
            if (options.ack) {
                const std::size_t size = event.frame.size() < HeaderBytes ? event.frame.size() : HeaderBytes;
                error = channel->send(event.frame.data(), size, event.peer);
                if (!error.empty()) {
                    code = fail("Answering frame " + std::to_string(received) + " failed: " + error);
                    break;
                }
            }
        } else if (event.kind == Event::Kind::PeerConnected) {
            std::printf("peer connected: %s\n", event.text.c_str());
        } else if (event.kind == Event::Kind::PeerGone) {
            std::printf("peer gone: %s\n", event.text.c_str());
        } else if (event.kind == Event::Kind::Error) {
            code = fail(event.text);
            break;
        } else if (event.kind == Event::Kind::Timeout || remainingMs(deadline) == 0) {
            code = fail("Timed out after " + std::to_string(options.timeoutSeconds) + " s with "
                            + std::to_string(received) + " of " + std::to_string(options.frames) + " frames received.",
                        ExitTimedOut);
            break;
        }
        std::fflush(stdout);
    }
    channel->close();
    if (std::fclose(out) != 0 && code == ExitOk)
        code = fail("Closing " + options.positional[2] + " failed: " + std::strerror(errno) + ".");
    if (code == ExitOk)
        std::printf("received %ld frames, %llu bytes\n", received, bytes);
    return code;
}

bool readFrames(const wchar_t *path, std::vector<std::uint8_t> *bytes, std::vector<std::size_t> *starts, std::string *error)
{
    FILE *in = _wfopen(path, L"rb");
    if (!in) {
        *error = std::string("Cannot read the frame file: ") + std::strerror(errno) + ".";
        return false;
    }
    std::uint8_t buffer[65536];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, in)) > 0)
        bytes->insert(bytes->end(), buffer, buffer + got);
    std::fclose(in);
    for (std::size_t offset = 0; offset < bytes->size();) {
        if (bytes->size() - offset < HeaderBytes) {
            *error = "The frame file ends inside a header at byte " + std::to_string(offset) + ".";
            return false;
        }
        const std::uint8_t *p = bytes->data() + offset + PayloadLengthOffset;
        const std::size_t size = HeaderBytes + (std::size_t(p[0]) | std::size_t(p[1]) << 8 | std::size_t(p[2]) << 16
                                                | std::size_t(p[3]) << 24);
        if (size > MaxFrameBytes || size > bytes->size() - offset) {
            *error = "The frame at byte " + std::to_string(offset) + " claims " + std::to_string(size)
                + " bytes, more than the file or the wire format allows.";
            return false;
        }
        starts->push_back(offset);
        offset += size;
    }
    starts->push_back(bytes->size());
    return true;
}

int sendFrames(const Options &options)
{
    if (options.positional.size() != 3)
        return fail(std::string("send needs <mechanism> <address> <in.bin>.\n") + Usage, ExitUsage);
    std::string error;
    std::vector<std::uint8_t> bytes;
    std::vector<std::size_t> starts;
    if (!readFrames(widen(options.positional[2]).c_str(), &bytes, &starts, &error))
        return fail(error);
    std::unique_ptr<Channel> channel = channelFor(options.positional[0], &error);
    if (!channel)
        return fail(error);
    error = channel->open(Role::Sender, options.positional[1]);
    if (!error.empty())
        return fail(error);

    const ULONGLONG deadline = deadlineAfter(options.timeoutSeconds);
    const std::size_t frames = starts.size() - 1;
    int code = ExitOk;
    for (std::size_t i = 0; i < frames && code == ExitOk; ++i) {
        error = channel->send(bytes.data() + starts[i], starts[i + 1] - starts[i], 0);
        if (!error.empty()) {
            code = fail("Sending frame " + std::to_string(i + 1) + " of " + std::to_string(frames) + " failed: " + error);
            break;
        }
        while (options.waitAck) {
            const int wait = remainingMs(deadline);
            const Event event = wait > 0 ? channel->receive(wait) : Event{};
            if (event.kind == Event::Kind::Frame)
                break;
            if (event.kind == Event::Kind::Error || event.kind == Event::Kind::PeerGone) {
                code = fail("Waiting for the answer to frame " + std::to_string(i + 1) + " failed: " + event.text);
                break;
            }
            if (event.kind == Event::Kind::Timeout || remainingMs(deadline) == 0) {
                code = fail("Timed out after " + std::to_string(options.timeoutSeconds)
                                + " s waiting for the answer to frame " + std::to_string(i + 1) + ".",
                            ExitTimedOut);
                break;
            }
        }
    }
    channel->close();
    if (code == ExitOk)
        std::printf("sent %zu frames, %zu bytes\n", frames, bytes.size());
    return code;
}

#ifdef IPCW_NATIVE_PIPE_SECURITY
int pipeSecurity(const Options &options)
{
    if (options.positional.size() != 1)
        return fail(std::string("pipe-security needs <address>.\n") + Usage, ExitUsage);
    std::string error;
    std::unique_ptr<Channel> channel = channelFor("namedpipe", &error);
    if (!channel)
        return fail(error);
    error = channel->open(Role::Receiver, options.positional[0]);
    if (!error.empty())
        return fail(error);
    const std::string report = ipcw::native::describeNamedPipeDacl(*channel);
    channel->close();
    std::printf("%s%s", report.c_str(), !report.empty() && report.back() == '\n' ? "" : "\n");
    return report.rfind("error:", 0) == 0 ? ExitFailed : ExitOk;
}
#endif

} // namespace

int wmain(int argc, wchar_t **argv)
{
    if (argc < 2)
        return fail(Usage, ExitUsage);
    const std::string command = narrow(argv[1]);
    const Options options = parse(argc, argv);
    if (!options.error.empty())
        return fail(options.error + "\n" + Usage, ExitUsage);
    if (command == "list")
        return listBackends();
    if (command == "receive")
        return receiveFrames(options);
    if (command == "send")
        return sendFrames(options);
#ifdef IPCW_NATIVE_PIPE_SECURITY
    if (command == "pipe-security")
        return pipeSecurity(options);
#endif
    if (command == "help" || command == "--help") {
        std::printf("%s", Usage);
        return ExitOk;
    }
    return fail("Unknown command " + command + ".\n" + Usage, ExitUsage);
}
