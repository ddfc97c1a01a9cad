// SPDX-License-Identifier: GPL-3.0-or-later
// ipcw-native: the Qt-free test driver for the Win32 backends, built with mingw-w64 and run
// under Wine by tst_wine_transfer. It moves frames as opaque bytes: the Linux side encodes and
// decodes them with the real codec, so a transfer checks the backend and nothing else.
// Usage is printed by `ipcw-native.exe help` and documented in docs/windows.md.

#include "countingframestore.h"
#include "native/registry.h"

#include <windows.h>

#include <psapi.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#ifdef IPCW_NATIVE_NAMEDPIPE
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
    "  ipcw-native.exe platform\n"
    "      Prints \"platform: wine <version>\" under Wine, \"platform: windows\" otherwise.\n"
    "  ipcw-native.exe receive <mechanism> <address> <out.bin> --frames N [--timeout S] [--ack]\n"
    "                 [--refusals K] [--max-pending-mib M] [--peer-timeout-ms T] [--max-peers P] [--slow-ms D]\n"
    "      Opens a receiver, prints \"ready\" once it listens, writes every frame it receives back to\n"
    "      back to out.bin and exits 0 after N frames (2 on timeout, default 120 s; 1 on error).\n"
    "      --ack answers every frame with its 40-byte header, for senders that pace with --wait-ack.\n"
    "      The limits options set the receiver's ReceiveLimits. Each refusal is printed as\n"
    "      \"refused: <sentence>\" (the peer stays) or \"peer refused: <sentence>\" (it was dropped);\n"
    "      with --refusals it exits only once K were seen too. Frames that do not start with the\n"
    "      frame magic are counted (\"foreign frames: N\" at the end), not written or counted in N.\n"
    "      At the end it prints \"peak-growth: B\", how much its peak working set grew after \"ready\",\n"
    "      and \"frames through the store: N\": a backend that can put frames in memory the caller lends\n"
    "      (FrameStoreUser, as the Qt endpoint lends it) is lent some, and N frames came that way.\n"
    "      --slow-ms sleeps that long after each frame, as a busy receiver would.\n"
    "  ipcw-native.exe send <mechanism> <address> <in.bin> [--wait-ack] [--timeout S] [--delay-ms D]\n"
    "      Opens a sender, prints \"connected\" and sends the frames stored back to back in in.bin\n"
    "      (each a 40-byte header whose u32 little-endian payload length sits at offset 28, then the\n"
    "      payload), D ms apart. --wait-ack waits for the receiver's answer before the next frame.\n"
    "  ipcw-native.exe hostile <mechanism> <address> <attack> [--count N] [--bytes B] [--hold-ms H]\n"
    "      Attacks a receiver and prints what happened, one line per step:\n"
    "      peers: opens N senders with the backend itself and holds them H ms (\"sender i: connected\"\n"
    "        or \"sender i: refused: <sentence>\"); one the receiver turned away after it opened\n"
    "        (mailslot) then prints \"sender i: refused: <sentence>\" too.\n"
#ifdef IPCW_NATIVE_NAMEDPIPE
    "      pipe-claims (namedpipe): N messages of B bytes on fresh connections, each with a header\n"
    "        that announces 64 MiB of payload. pipe-big: one well-formed frame of B bytes.\n"
    "        pipe-over-max: one B-byte message whose header announces more than the wire format allows.\n"
#endif
#ifdef IPCW_NATIVE_COPYDATA
    "      copydata-stall (copydata): begins a 2 MiB frame, sends one 512 KiB piece, then holds H ms.\n"
    "      copydata-budget: N sender windows each begin a 1.5 MiB frame and send 1 MiB of it, one\n"
    "        more begins a 64 MiB frame; then holds H ms.\n"
    "      copydata-flood: N threads, each with its own window, send 8 whole 512 KiB messages.\n"
#endif
#ifdef IPCW_NATIVE_NAMEDPIPE
    "  ipcw-native.exe pipe-security <address>\n"
    "      Opens a namedpipe receiver and prints the DACL of its pipe as read back with\n"
    "      GetSecurityInfo: \"dacl: present\", \"aces: N\", one \"ace: <type> <SID>\" per entry and\n"
    "      \"user: <SID>\" for the current user.\n"
    "  ipcw-native.exe second-receiver <address>\n"
    "      Opens a namedpipe receiver, then a second one on the same address while the first still\n"
    "      listens, and prints \"platform: ...\", \"first: listening\" and \"second: refused: <sentence>\"\n"
    "      or \"second: opened\".\n"
#endif
#ifdef IPCW_NATIVE_MAILSLOT
    "  ipcw-native.exe mailslot-large <name> <bytes>\n"
    "      Writes one message of <bytes> bytes straight to a new mailslot (no fragmentation: plain\n"
    "      CreateMailslotW, CreateFileW, WriteFile, then ReadFile into a buffer of the size\n"
    "      GetMailslotInfo gives) and prints \"platform: ...\", \"written: N\" (or \"write-error: ...\"),\n"
    "      \"next-size: N\", \"read: N\" (or \"read-error: ...\") and \"intact: yes|no\".\n"
    "  ipcw-native.exe mailslot-count <name> <messages>\n"
    "      Writes <messages> messages (the i-th, from 0, of 100 + i bytes) to a new mailslot and prints\n"
    "      what GetMailslotInfo says before and after reading one: \"platform: ...\", \"written: N\",\n"
    "      \"count: N\", \"next-size: N\", \"read: N\", \"count-after-read: N\", \"next-size-after-read: N\".\n"
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

// Wine's ntdll exports wine_get_version and Windows' does not. The Linux side skips an
// assertion for a known Wine gap only when this says Wine, so on Windows every one runs.
void printPlatform()
{
    using WineGetVersion = const char *(CDECL *)();
    const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    const FARPROC proc = ntdll ? GetProcAddress(ntdll, "wine_get_version") : nullptr;
    if (proc)
        std::printf("platform: wine %s\n", reinterpret_cast<WineGetVersion>(reinterpret_cast<void *>(proc))());
    else
        std::printf("platform: windows\n");
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
    long refusals = 0;
    double maxPendingMib = -1;
    long peerTimeoutMs = -1;
    long maxPeers = -1;
    long slowMs = 0;
    long delayMs = 0;
    long count = 1;
    long bytes = 100 * 1024;
    long holdMs = 0;
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
        else if (arg == "--refusals" && hasValue)
            options.refusals = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--max-pending-mib" && hasValue)
            options.maxPendingMib = std::wcstod(argv[++i], nullptr);
        else if (arg == "--peer-timeout-ms" && hasValue)
            options.peerTimeoutMs = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--max-peers" && hasValue)
            options.maxPeers = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--slow-ms" && hasValue)
            options.slowMs = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--delay-ms" && hasValue)
            options.delayMs = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--count" && hasValue)
            options.count = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--bytes" && hasValue)
            options.bytes = std::wcstol(argv[++i], nullptr, 10);
        else if (arg == "--hold-ms" && hasValue)
            options.holdMs = std::wcstol(argv[++i], nullptr, 10);
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

std::size_t peakWorkingSet()
{
    PROCESS_MEMORY_COUNTERS counters{};
    counters.cb = sizeof counters;
    return K32GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof counters) ? counters.PeakWorkingSetSize : 0;
}

bool startsWithFrameMagic(const std::vector<std::uint8_t> &frame)
{
    return frame.size() >= HeaderBytes && frame[0] == 'I' && frame[1] == 'P' && frame[2] == 'C' && frame[3] == 'W';
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
    ipcw::native::ReceiveLimits limits;
    if (options.maxPendingMib >= 0)
        limits.maxPendingBytes = std::uint64_t(options.maxPendingMib * double(ipcw::native::ReceiveLimits::MiB));
    if (options.peerTimeoutMs >= 0)
        limits.peerTimeoutMs = int(options.peerTimeoutMs);
    if (options.maxPeers >= 0)
        limits.maxPeers = int(options.maxPeers);
    channel->setReceiveLimits(limits);
    // Lent as NativeChannelEndpoint lends its QByteArray store: a backend that can (FrameStoreUser)
    // puts every frame of FrameBytes::StoredFromBytes or more there, with Event::frame empty.
    CountingFrameStore store;
    long storedFrames = 0;
    auto *storeUser = dynamic_cast<ipcw::native::FrameStoreUser *>(channel.get());
    if (storeUser)
        storeUser->setFrameStore(&store);
    // open() and receive() stay on this thread: backends that own a window only see its
    // messages on the thread that created it.
    error = channel->open(Role::Receiver, options.positional[1]);
    if (!error.empty()) {
        std::fclose(out);
        return fail(error);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    const std::size_t peakAtReady = peakWorkingSet();

    const ULONGLONG deadline = deadlineAfter(options.timeoutSeconds);
    long received = 0;
    long refusals = 0;
    long foreign = 0;
    unsigned long long bytes = 0;
    int code = ExitOk;
    while (received < options.frames || refusals < options.refusals) {
        const int wait = remainingMs(deadline);
        Event event = wait > 0 ? channel->receive(wait) : Event{};
        if (event.kind == Event::Kind::Frame) {
            bool stored = false;
            event.frame = store.frameOf(event, &stored);
            storedFrames += stored ? 1 : 0;
            store.delivered.clear(); // kept no longer than the event: peak-growth counts memory
            store.taken = 0;
        }
        if (event.kind == Event::Kind::Frame && !startsWithFrameMagic(event.frame)) {
            ++foreign;
            if (options.slowMs > 0)
                Sleep(DWORD(options.slowMs));
        } else if (event.kind == Event::Kind::Frame) {
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
            if (options.slowMs > 0)
                Sleep(DWORD(options.slowMs));
        } else if (event.kind == Event::Kind::PeerGone) {
            std::printf("peer gone: %s\n", event.text.c_str());
        } else if (event.kind == Event::Kind::Refused) {
            ++refusals;
            std::printf("refused: %s\n", event.text.c_str());
        } else if (event.kind == Event::Kind::PeerRefused) {
            ++refusals;
            std::printf("peer refused: %s\n", event.text.c_str());
        } else if (event.kind == Event::Kind::Error) {
            code = fail(event.text);
            break;
        } else if (event.kind == Event::Kind::Timeout || remainingMs(deadline) == 0) {
            code = fail("Timed out after " + std::to_string(options.timeoutSeconds) + " s with "
                            + std::to_string(received) + " of " + std::to_string(options.frames) + " frames received and "
                            + std::to_string(refusals) + " of " + std::to_string(options.refusals) + " refusals seen.",
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
    std::printf("refusals: %ld\nforeign frames: %ld\n", refusals, foreign);
    if (storeUser)
        std::printf("frames through the store: %ld\n", storedFrames);
    else
        std::printf("frames through the store: none lent (the backend returns every frame in Event::frame)\n");
    const std::size_t peak = peakWorkingSet();
    std::printf("peak-growth: %zu\n", peak > peakAtReady ? peak - peakAtReady : std::size_t(0));
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
    std::printf("connected\n");
    std::fflush(stdout);

    const ULONGLONG deadline = deadlineAfter(options.timeoutSeconds);
    const std::size_t frames = starts.size() - 1;
    int code = ExitOk;
    for (std::size_t i = 0; i < frames && code == ExitOk; ++i) {
        if (i > 0 && options.delayMs > 0)
            Sleep(DWORD(options.delayMs));
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

// Senders of the backend itself, more than the receiver allows (--max-peers): each says whether
// it got in, and the ones that did stay connected for --hold-ms.
int hostilePeers(const Options &options)
{
    std::vector<std::pair<long, std::unique_ptr<Channel>>> senders;
    for (long i = 1; i <= options.count; ++i) {
        std::string error;
        std::unique_ptr<Channel> channel = channelFor(options.positional[0], &error);
        if (!channel)
            return fail(error);
        error = channel->open(Role::Sender, options.positional[1]);
        if (error.empty()) {
            std::printf("sender %ld: connected\n", i);
            senders.emplace_back(i, std::move(channel));
        } else {
            std::printf("sender %ld: refused: %s\n", i, error.c_str());
        }
        std::fflush(stdout);
    }
    Sleep(DWORD(options.holdMs));
    // A mailslot sender's open() waits for nobody: it hears afterwards that it was turned away.
    for (auto &[number, sender] : senders) {
        const Event event = sender->receive(100);
        if (event.kind == Event::Kind::PeerGone)
            std::printf("sender %ld: refused: %s\n", number, event.text.c_str());
    }
    std::fflush(stdout);
    for (auto &sender : senders)
        sender.second->close();
    return ExitOk;
}

#ifdef IPCW_NATIVE_NAMEDPIPE
// Raw bytes of a frame header: the magic and a payload length, the rest zero.
std::vector<std::uint8_t> claimingMessage(std::size_t bytes, std::uint32_t payload)
{
    std::vector<std::uint8_t> message(bytes < HeaderBytes ? HeaderBytes : bytes, 0);
    std::memcpy(message.data(), "IPCW", 4);
    for (int i = 0; i < 4; ++i)
        message[PayloadLengthOffset + std::size_t(i)] = std::uint8_t(payload >> (8 * i));
    return message;
}

// A client of the receiver's pipe that speaks no protocol: it writes raw messages.
HANDLE openRawPipe(const std::string &address)
{
    const std::wstring name = L"\\\\.\\pipe\\ipcworkshop-" + widen(address);
    for (int attempt = 0; attempt < 40; ++attempt) {
        const HANDLE pipe = CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
        if (pipe != INVALID_HANDLE_VALUE) {
            DWORD mode = PIPE_READMODE_MESSAGE;
            SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr);
            return pipe;
        }
        if (GetLastError() != ERROR_PIPE_BUSY)
            break;
        WaitNamedPipeW(name.c_str(), 250);
    }
    return INVALID_HANDLE_VALUE;
}

int hostilePipe(const Options &options, const std::string &attack)
{
    constexpr std::uint32_t MaxPayload = 64u * 1024u * 1024u;
    const std::size_t bytes = std::size_t(options.bytes);
    std::vector<std::uint8_t> message;
    long messages = 1;
    if (attack == "pipe-claims") {
        message = claimingMessage(bytes, MaxPayload);
        messages = options.count;
    } else if (attack == "pipe-big") {
        message = claimingMessage(bytes, std::uint32_t(bytes - HeaderBytes));
    } else {
        message = claimingMessage(bytes, 0xffffff00u);
    }
    // Every message on a connection of its own, all held until the end: a receiver that drops
    // a sender for a bad message cannot lose the next one with it.
    std::vector<HANDLE> pipes;
    for (long i = 1; i <= messages; ++i) {
        const HANDLE pipe = openRawPipe(options.positional[1]);
        if (pipe == INVALID_HANDLE_VALUE) {
            std::printf("message %ld: cannot connect: error %lu\n", i, GetLastError());
            continue;
        }
        pipes.push_back(pipe);
        DWORD written = 0;
        const bool ok = WriteFile(pipe, message.data(), DWORD(message.size()), &written, nullptr) != 0;
        if (ok)
            std::printf("message %ld: wrote %lu bytes\n", i, written);
        else
            std::printf("message %ld: write failed: error %lu\n", i, GetLastError());
        std::fflush(stdout);
    }
    Sleep(DWORD(options.holdMs));
    for (const HANDLE pipe : pipes)
        CloseHandle(pipe);
    return ExitOk;
}
#endif

#ifdef IPCW_NATIVE_COPYDATA
// The copydata wire protocol, spelled out here as a hostile peer would have to.
constexpr ULONG_PTR CopyDataTag = ULONG_PTR(0x49504357) << 32;
enum CopyDataKind : ULONG_PTR { CdHello = 1, CdWhole = 2, CdBegin = 3, CdPiece = 4, CdBye = 5 };
constexpr std::size_t CopyDataPiece = 512 * 1024;

HWND hostileWindow()
{
    // Registered once, and before any window of the class is made: the flood's threads call this
    // at the same moment, and one that got here while another was still registering made no
    // window (CreateWindowExW failed), so its messages came from no sender at all.
    static const ATOM windowClass = [] {
        WNDCLASSEXW description{};
        description.cbSize = sizeof description;
        description.lpfnWndProc = DefWindowProcW;
        description.hInstance = GetModuleHandleW(nullptr);
        description.lpszClassName = L"IpcWorkshopHostile";
        return RegisterClassExW(&description);
    }();
    if (!windowClass)
        return nullptr;
    return CreateWindowExW(0, L"IpcWorkshopHostile", L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr,
                           GetModuleHandleW(nullptr), nullptr);
}

const char *sendCopyData(HWND target, HWND from, ULONG_PTR kind, const void *data, std::size_t size)
{
    COPYDATASTRUCT message{};
    message.dwData = CopyDataTag | kind;
    message.cbData = DWORD(size);
    message.lpData = const_cast<void *>(data);
    DWORD_PTR result = 0;
    if (!SendMessageTimeoutW(target, WM_COPYDATA, reinterpret_cast<WPARAM>(from), reinterpret_cast<LPARAM>(&message),
                             SMTO_ABORTIFHUNG, 30000, &result))
        return "failed";
    return result == 1 ? "accepted" : result == 0x46554c4c ? "full" : "refused";
}

struct FloodThread
{
    HWND receiver = nullptr;
    long accepted = 0;
    long refused = 0;
    long failed = 0; // SendMessageTimeout gave up (Wine judged the slow receiver hung): maybe never handled
};

DWORD WINAPI floodThread(void *argument)
{
    auto *state = static_cast<FloodThread *>(argument);
    const HWND window = hostileWindow();
    if (!window) {
        std::fprintf(stderr, "A flood thread could not make its sender window (error %lu).\n", GetLastError());
        return 1; // its 8 frames are missing from the counts, which the test checks
    }
    const std::vector<std::uint8_t> zeros(CopyDataPiece, 0);
    sendCopyData(state->receiver, window, CdHello, nullptr, 0);
    for (int i = 0; i < 8; ++i) {
        const std::string verdict = sendCopyData(state->receiver, window, CdWhole, zeros.data(), zeros.size());
        ++(verdict == "accepted" ? state->accepted : verdict == "failed" ? state->failed : state->refused);
    }
    sendCopyData(state->receiver, window, CdBye, nullptr, 0);
    DestroyWindow(window);
    return 0;
}

int hostileCopyData(const Options &options, const std::string &attack)
{
    const HWND receiver = FindWindowExW(HWND_MESSAGE, nullptr, L"IpcWorkshopCopyDataReceiver",
                                        widen(options.positional[1]).c_str());
    if (!receiver)
        return fail("No copydata receiver on \"" + options.positional[1] + "\".");
    const std::vector<std::uint8_t> zeros(CopyDataPiece, 0);
    std::vector<HWND> windows;
    if (attack == "copydata-stall") {
        const HWND window = hostileWindow();
        const std::uint64_t total = 2 * 1024 * 1024;
        std::printf("hello: %s\n", sendCopyData(receiver, window, CdHello, nullptr, 0));
        std::printf("begin: %s\n", sendCopyData(receiver, window, CdBegin, &total, sizeof total));
        std::printf("piece: %s\n", sendCopyData(receiver, window, CdPiece, zeros.data(), zeros.size()));
        windows.push_back(window);
    } else if (attack == "copydata-budget") {
        const std::uint64_t total = 3 * CopyDataPiece;
        for (long i = 1; i <= options.count; ++i) {
            const HWND window = hostileWindow();
            windows.push_back(window);
            std::printf("window %ld hello: %s\n", i, sendCopyData(receiver, window, CdHello, nullptr, 0));
            std::printf("window %ld begin: %s\n", i, sendCopyData(receiver, window, CdBegin, &total, sizeof total));
            for (int piece = 1; piece <= 2; ++piece)
                std::printf("window %ld piece %d: %s\n", i, piece,
                            sendCopyData(receiver, window, CdPiece, zeros.data(), zeros.size()));
            std::fflush(stdout);
        }
        const HWND claimer = hostileWindow();
        windows.push_back(claimer);
        const std::uint64_t claim = 64u * 1024u * 1024u;
        std::printf("claimer hello: %s\n", sendCopyData(receiver, claimer, CdHello, nullptr, 0));
        std::printf("claimer begin: %s\n", sendCopyData(receiver, claimer, CdBegin, &claim, sizeof claim));
    } else {
        std::vector<FloodThread> states(std::size_t(options.count));
        std::vector<HANDLE> threads;
        for (FloodThread &state : states) {
            state.receiver = receiver;
            if (const HANDLE thread = CreateThread(nullptr, 0, floodThread, &state, 0, nullptr))
                threads.push_back(thread);
        }
        for (const HANDLE thread : threads) {
            WaitForSingleObject(thread, INFINITE);
            CloseHandle(thread);
        }
        long accepted = 0;
        long refused = 0;
        long failed = 0;
        for (const FloodThread &state : states) {
            accepted += state.accepted;
            refused += state.refused;
            failed += state.failed;
        }
        std::printf("whole accepted: %ld\nwhole refused: %ld\nwhole failed: %ld\n", accepted, refused, failed);
    }
    std::fflush(stdout);
    Sleep(DWORD(options.holdMs));
    for (const HWND window : windows) {
        sendCopyData(receiver, window, CdBye, nullptr, 0);
        DestroyWindow(window);
    }
    return ExitOk;
}
#endif

int hostile(const Options &options)
{
    if (options.positional.size() != 3)
        return fail(std::string("hostile needs <mechanism> <address> <attack>.\n") + Usage, ExitUsage);
    const std::string &attack = options.positional[2];
    if (attack == "peers")
        return hostilePeers(options);
#ifdef IPCW_NATIVE_NAMEDPIPE
    if (attack == "pipe-claims" || attack == "pipe-big" || attack == "pipe-over-max")
        return hostilePipe(options, attack);
#endif
#ifdef IPCW_NATIVE_COPYDATA
    if (attack == "copydata-stall" || attack == "copydata-budget" || attack == "copydata-flood")
        return hostileCopyData(options, attack);
#endif
    return fail("Unknown attack " + attack + " for this driver.\n" + Usage, ExitUsage);
}

#ifdef IPCW_NATIVE_NAMEDPIPE
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

// FILE_FLAG_FIRST_PIPE_INSTANCE: while one receiver listens, a second one on the same name must
// be refused, not quietly share the name (and half the senders).
int secondReceiver(const Options &options)
{
    if (options.positional.size() != 1)
        return fail(std::string("second-receiver needs <address>.\n") + Usage, ExitUsage);
    printPlatform();
    std::string error;
    std::unique_ptr<Channel> first = channelFor("namedpipe", &error);
    std::unique_ptr<Channel> second = channelFor("namedpipe", &error);
    if (!first || !second)
        return fail(error);
    error = first->open(Role::Receiver, options.positional[0]);
    if (!error.empty())
        return fail("The first receiver did not open: " + error);
    std::printf("first: listening\n");
    error = second->open(Role::Receiver, options.positional[0]);
    if (error.empty())
        std::printf("second: opened\n");
    else
        std::printf("second: refused: %s\n", error.c_str());
    second->close();
    first->close();
    return ExitOk;
}
#endif

#ifdef IPCW_NATIVE_MAILSLOT
std::string systemMessage(DWORD error)
{
    wchar_t *text = nullptr;
    const DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                   nullptr, error, 0, reinterpret_cast<wchar_t *>(&text), 0, nullptr);
    std::string result = n > 0 && text ? narrow(text) : std::string();
    LocalFree(text);
    while (!result.empty() && (result.back() == '\n' || result.back() == '\r' || result.back() == '.'))
        result.pop_back();
    return "error " + std::to_string(error) + (result.empty() ? "" : " (" + result + ")");
}

// Raw mailslot calls, without the backend's fragments, to show what the OS itself does.
struct RawMailslot
{
    HANDLE slot = INVALID_HANDLE_VALUE;
    HANDLE writer = INVALID_HANDLE_VALUE;
    HANDLE event = nullptr;
    ~RawMailslot()
    {
        for (HANDLE h : {writer, slot})
            if (h != INVALID_HANDLE_VALUE)
                CloseHandle(h);
        if (event)
            CloseHandle(event);
    }

    std::string open(const std::string &name)
    {
        const std::wstring path = L"\\\\.\\mailslot\\ipcworkshop-probe\\" + widen(name);
        // Any message size; a read gives up after 2 s, so a message the OS lost cannot hang us.
        slot = CreateMailslotW(path.c_str(), 0, 2000, nullptr);
        if (slot == INVALID_HANDLE_VALUE)
            return "CreateMailslotW failed: " + systemMessage(GetLastError()) + ".";
        writer = CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
        if (writer == INVALID_HANDLE_VALUE)
            return "CreateFileW on the mailslot failed: " + systemMessage(GetLastError()) + ".";
        event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
        if (!event)
            return "CreateEventW failed: " + systemMessage(GetLastError()) + ".";
        return {};
    }

    std::string write(const std::vector<std::uint8_t> &message)
    {
        DWORD written = 0;
        if (!WriteFile(writer, message.data(), DWORD(message.size()), &written, nullptr))
            return "WriteFile failed: " + systemMessage(GetLastError()) + ".";
        if (written != message.size())
            return "WriteFile wrote " + std::to_string(written) + " of " + std::to_string(message.size()) + " bytes.";
        return {};
    }

    // Windows opens a mailslot server asynchronously and Wine synchronously: a waited-for
    // OVERLAPPED read serves both.
    std::string read(std::vector<std::uint8_t> *message)
    {
        OVERLAPPED overlapped{};
        overlapped.hEvent = event;
        ResetEvent(event);
        DWORD got = 0;
        if (!ReadFile(slot, message->data(), DWORD(message->size()), &got, &overlapped)
            && (GetLastError() != ERROR_IO_PENDING || !GetOverlappedResult(slot, &overlapped, &got, TRUE)))
            return "ReadFile failed: " + systemMessage(GetLastError()) + ".";
        message->resize(got);
        return {};
    }

    // GetMailslotInfo's next message size (-1 for none) and message count.
    void info(long long *nextSize, unsigned long *count)
    {
        DWORD next = 0;
        DWORD messages = 0;
        if (!GetMailslotInfo(slot, nullptr, &next, &messages, nullptr)) {
            std::printf("info-error: GetMailslotInfo failed: %s.\n", systemMessage(GetLastError()).c_str());
            next = MAILSLOT_NO_MESSAGE;
        }
        *nextSize = next == MAILSLOT_NO_MESSAGE ? -1 : (long long)next;
        *count = messages;
    }
};

std::vector<std::uint8_t> pattern(std::size_t size, unsigned seed)
{
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = std::uint8_t((i * 31u + seed * 7u + (i >> 8)) & 0xffu);
    return bytes;
}

// One message well over 64 KiB, written and read in one piece.
int mailslotLarge(const Options &options)
{
    const long size = options.positional.size() == 2 ? std::strtol(options.positional[1].c_str(), nullptr, 10) : 0;
    if (size <= 0 || size > 16L * 1024 * 1024)
        return fail(std::string("mailslot-large needs <name> <bytes> (1 to 16 MiB).\n") + Usage, ExitUsage);
    printPlatform();
    RawMailslot mailslot;
    if (const std::string error = mailslot.open(options.positional[0]); !error.empty())
        return fail(error);
    const std::vector<std::uint8_t> message = pattern(std::size_t(size), 1);
    if (const std::string error = mailslot.write(message); !error.empty()) {
        std::printf("write-error: %s\n", error.c_str());
        return ExitOk;
    }
    std::printf("written: %zu\n", message.size());
    long long next = 0;
    unsigned long count = 0;
    mailslot.info(&next, &count);
    std::printf("next-size: %lld\n", next);
    // Sized by GetMailslotInfo, as in Microsoft's own mailslot example.
    std::vector<std::uint8_t> received(next > 0 ? std::size_t(next) : message.size());
    if (const std::string error = mailslot.read(&received); !error.empty()) {
        std::printf("read-error: %s\n", error.c_str());
        return ExitOk;
    }
    std::printf("read: %zu\n", received.size());
    std::printf("intact: %s\n", received == message ? "yes" : "no");
    return ExitOk;
}

// GetMailslotInfo's message count and next size, before and after one read.
int mailslotCount(const Options &options)
{
    const long messages = options.positional.size() == 2 ? std::strtol(options.positional[1].c_str(), nullptr, 10) : 0;
    if (messages < 2 || messages > 1000)
        return fail(std::string("mailslot-count needs <name> <messages> (2 to 1000).\n") + Usage, ExitUsage);
    printPlatform();
    RawMailslot mailslot;
    if (const std::string error = mailslot.open(options.positional[0]); !error.empty())
        return fail(error);
    for (long i = 0; i < messages; ++i)
        if (const std::string error = mailslot.write(pattern(std::size_t(100 + i), unsigned(i))); !error.empty())
            return fail("Message " + std::to_string(i) + ": " + error);
    std::printf("written: %ld\n", messages);
    long long next = 0;
    unsigned long count = 0;
    mailslot.info(&next, &count);
    std::printf("count: %lu\nnext-size: %lld\n", count, next);
    std::vector<std::uint8_t> received(64 * 1024);
    if (const std::string error = mailslot.read(&received); !error.empty())
        return fail(error);
    std::printf("read: %zu\n", received.size());
    mailslot.info(&next, &count);
    std::printf("count-after-read: %lu\nnext-size-after-read: %lld\n", count, next);
    return ExitOk;
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
    if (command == "platform") {
        printPlatform();
        return ExitOk;
    }
    if (command == "receive")
        return receiveFrames(options);
    if (command == "send")
        return sendFrames(options);
    if (command == "hostile")
        return hostile(options);
#ifdef IPCW_NATIVE_NAMEDPIPE
    if (command == "pipe-security")
        return pipeSecurity(options);
    if (command == "second-receiver")
        return secondReceiver(options);
#endif
#ifdef IPCW_NATIVE_MAILSLOT
    if (command == "mailslot-large")
        return mailslotLarge(options);
    if (command == "mailslot-count")
        return mailslotCount(options);
#endif
    if (command == "help" || command == "--help") {
        std::printf("%s", Usage);
        return ExitOk;
    }
    return fail("Unknown command " + command + ".\n" + Usage, ExitUsage);
}
