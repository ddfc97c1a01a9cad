// SPDX-License-Identifier: GPL-3.0-or-later
#include "namedpipe_win32.h"

#include "namedpipewire.h"
#include "native/registry.h"
#include "native/win32text.h"

#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ipcw::native {

namespace {

using namespace namedpipe;

constexpr DWORD PipeBufferBytes = 1 << 20;
constexpr DWORD FirstReadBytes = 64 * 1024; // enough for a typical frame in one ReadFile
constexpr int FramesPerRound = 16;          // per sender before the others get a turn
constexpr std::size_t BytesPerRound = 1 << 20; // likewise: a big message is read over several rounds
// Memory for a message is grown as it arrives: InitialFrameBytes (native/receivelimits.h) once it
// has more than the first read, then twice what arrived, up to the frame's length (as
// namedpipe::FrameCutter does).
// The handshake: the receiver's first message on a new instance.
constexpr std::uint8_t WelcomeByte = 'W';
constexpr std::uint8_t FullByte = 'F'; // it serves --max-peers senders already
constexpr DWORD HandshakeTimeoutMs = 10000;
// WaitForMultipleObjects takes 64 handles: the interrupt, the listening instance, the senders.
constexpr std::size_t MaxSenders = MAXIMUM_WAIT_OBJECTS - 2;
constexpr DWORD BusyWaitStepMs = 250;
constexpr int BusyWaitSteps = 40;

std::string narrow(const wchar_t *text)
{
    const int size = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    std::string result(std::size_t(size > 1 ? size - 1 : 0), '\0');
    if (size > 1)
        WideCharToMultiByte(CP_UTF8, 0, text, -1, result.data(), size, nullptr, nullptr);
    return result;
}

std::string systemMessage(DWORD error)
{
    wchar_t *buffer = nullptr;
    const DWORD length = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM
                                            | FORMAT_MESSAGE_IGNORE_INSERTS,
                                        nullptr, error, 0, reinterpret_cast<wchar_t *>(&buffer), 0, nullptr);
    std::string text = length && buffer ? narrow(buffer) : "error " + std::to_string(error);
    if (buffer)
        LocalFree(buffer);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
        text.pop_back();
    return text + " (error " + std::to_string(error) + ")";
}

class SharedLock
{
public:
    explicit SharedLock(void *lock) : m_lock(static_cast<SRWLOCK *>(lock)) { AcquireSRWLockExclusive(m_lock); }
    ~SharedLock() { ReleaseSRWLockExclusive(m_lock); }
    SharedLock(const SharedLock &) = delete;
    SharedLock &operator=(const SharedLock &) = delete;

private:
    SRWLOCK *m_lock;
};

// The current user's SID as "S-1-5-21-...", or "" with `error` set.
std::string currentUserSid(std::string *error)
{
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
        *error = "Cannot read this process's user: " + systemMessage(GetLastError()) + ".";
        return {};
    }
    DWORD length = 0;
    GetTokenInformation(token, TokenUser, nullptr, 0, &length);
    std::vector<BYTE> buffer(length ? length : 1);
    std::string sid;
    if (GetTokenInformation(token, TokenUser, buffer.data(), length, &length)) {
        wchar_t *text = nullptr;
        if (ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER *>(buffer.data())->User.Sid, &text)) {
            sid = narrow(text);
            LocalFree(text);
        }
    }
    if (sid.empty())
        *error = "Cannot read this process's user SID: " + systemMessage(GetLastError()) + ".";
    CloseHandle(token);
    return sid;
}

// Overlapped operations need their OVERLAPPED and event to outlive the call; these helpers
// finish (or cancel and then finish) an operation so nothing refers to freed memory.
void cancelAndWait(HANDLE handle, OVERLAPPED *overlapped)
{
    DWORD ignored = 0;
    CancelIoEx(handle, overlapped);
    GetOverlappedResult(handle, overlapped, &ignored, TRUE);
}

bool brokenPipe(DWORD error)
{
    return error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA || error == ERROR_PIPE_NOT_CONNECTED;
}

// Writes one short message on a pipe instance nobody else writes to yet (the handshake byte).
// A new instance's buffer is empty, so this finishes at once; a bounded wait all the same.
bool writeHandshake(HANDLE pipe, std::uint8_t byte)
{
    OVERLAPPED overlapped{};
    overlapped.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (!overlapped.hEvent)
        return false;
    DWORD written = 0;
    bool ok = WriteFile(pipe, &byte, 1, nullptr, &overlapped) != 0;
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
        if (WaitForSingleObject(overlapped.hEvent, 1000) == WAIT_OBJECT_0)
            ok = GetOverlappedResult(pipe, &overlapped, &written, FALSE) != 0;
        else
            cancelAndWait(pipe, &overlapped);
    } else if (ok) {
        ok = GetOverlappedResult(pipe, &overlapped, &written, FALSE) != 0;
    }
    CloseHandle(overlapped.hEvent);
    return ok;
}

} // namespace

struct NamedPipeChannelWin32::Connection
{
    Connection()
    {
        readOverlapped.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
        writeOverlapped.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    }
    ~Connection()
    {
        if (readPending)
            cancelAndWait(pipe, &readOverlapped);
        if (pipe != INVALID_HANDLE_VALUE)
            CloseHandle(pipe);
        CloseHandle(readOverlapped.hEvent);
        CloseHandle(writeOverlapped.hEvent);
    }

    HANDLE pipe = INVALID_HANDLE_VALUE;
    std::uint64_t id = 0;
    unsigned long pid = 0;
    OVERLAPPED readOverlapped{};
    OVERLAPPED writeOverlapped{}; // used by send() only, on the writer thread
    bool readPending = false;
    // The frame being read, or (once `frame` holds it) its first read; the size of whichever holds
    // it is what is committed.
    std::vector<std::uint8_t> message;
    // With a FrameStore lent, a frame of FrameBytes::StoredFromBytes or more is put together in
    // the store's buffer, which reaches the session with no copy; `frameBase` is its first byte
    // after its last grow().
    FrameBytes frame;
    std::uint8_t *frameBase = nullptr;
    std::size_t have = 0;
    std::size_t expected = 0; // whole frame size once the header is in, else 0
    bool skipping = false;    // reading the rest of a refused message into the first 64 KiB, to drop it
    std::size_t skipped = 0;  // bytes of it dropped so far
    PendingBudget::Share share; // what `message` holds of the receiver's budget
    std::chrono::steady_clock::time_point lastProgress; // when bytes last came in

    // In the middle of a message: only then does the time limit apply.
    bool midMessage() const { return have > 0 || skipping; }
    std::size_t committed() const { return frame.stored() ? frame.size() : message.size(); }
    // Where byte `offset` of the message goes.
    std::uint8_t *at(std::size_t offset) { return (frame.stored() ? frameBase : message.data()) + offset; }
    // Empties it for the next message; `message` keeps its memory for the next first read.
    void endMessage()
    {
        frame.reset();
        frameBase = nullptr;
        share.release();
        have = 0;
        expected = 0;
    }
};

NamedPipeChannelWin32::NamedPipeChannelWin32()
    : m_interrupt(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
      m_connectEvent(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
      m_connectOverlapped(new OVERLAPPED{}),
      m_lock(new SRWLOCK)
{
    InitializeSRWLock(static_cast<SRWLOCK *>(m_lock));
    static_cast<OVERLAPPED *>(m_connectOverlapped)->hEvent = m_connectEvent;
}

NamedPipeChannelWin32::~NamedPipeChannelWin32()
{
    close();
    CloseHandle(m_interrupt);
    CloseHandle(m_connectEvent);
    delete static_cast<OVERLAPPED *>(m_connectOverlapped);
    delete static_cast<SRWLOCK *>(m_lock);
}

std::string NamedPipeChannelWin32::open(Role role, const std::string &address)
{
    m_role = role;
    const std::size_t q = address.find('?');
    m_name = address.substr(0, q);
    m_remote = false;
    if (!validPipeName(m_name))
        return "The pipe name '" + m_name + "' is not valid: " + InvalidNameRule + ".";
    if (q != std::string::npos) {
        const std::string options = address.substr(q + 1);
        if (options == "remote=1")
            m_remote = true;
        else if (options != "remote=0")
            return "Unknown option '" + options
                   + "' in the named pipe address: the only option is remote=0 or remote=1.";
    }
    if (!m_interrupt || !m_connectEvent)
        return "Cannot create the events the named pipe waits on: " + systemMessage(GetLastError()) + ".";
    m_pipeName = L"\\\\.\\pipe\\ipcworkshop-" + widen(m_name);
    m_budget.setLimit(receiveLimits().maxPendingBytes);
    const std::string error = role == Role::Receiver ? openReceiver() : openSender();
    if (!error.empty())
        close();
    return error;
}

std::string NamedPipeChannelWin32::openReceiver()
{
    std::string error;
    const std::string sid = currentUserSid(&error);
    if (sid.empty())
        return error;
    // Protected DACL with one ACE: generic all for this user, nobody else. Never a NULL DACL.
    const std::wstring sddl = L"D:P(A;;GA;;;" + widen(sid) + L")";
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr))
        return "Cannot build the pipe's security descriptor: " + systemMessage(GetLastError()) + ".";
    m_securityDescriptor = descriptor;
    return createListeningInstance(true);
}

std::string NamedPipeChannelWin32::createListeningInstance(bool first)
{
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), m_securityDescriptor, FALSE};
    const DWORD openMode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const DWORD pipeMode = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT
                           | (m_remote ? PIPE_ACCEPT_REMOTE_CLIENTS : PIPE_REJECT_REMOTE_CLIENTS);
    HANDLE pipe = CreateNamedPipeW(m_pipeName.c_str(), openMode, pipeMode, PIPE_UNLIMITED_INSTANCES, PipeBufferBytes,
                                   PipeBufferBytes, 0, &attributes);
    if (pipe == INVALID_HANDLE_VALUE) {
        const DWORD e = GetLastError();
        if (first && (e == ERROR_ACCESS_DENIED || e == ERROR_PIPE_BUSY))
            return "The named pipe '" + m_name
                   + "' is already in use by a running receiver: stop that receiver or choose another name.";
        return "Cannot create the named pipe " + narrow(m_pipeName.c_str()) + ": " + systemMessage(e) + ".";
    }
    m_listen = pipe;
    auto *overlapped = static_cast<OVERLAPPED *>(m_connectOverlapped);
    if (ConnectNamedPipe(pipe, overlapped)) {
        m_connectPending = false;
        SetEvent(m_connectEvent);
        return {};
    }
    const DWORD e = GetLastError();
    if (e == ERROR_IO_PENDING) {
        m_connectPending = true;
    } else if (e == ERROR_PIPE_CONNECTED) {
        // A sender got in between CreateNamedPipe and ConnectNamedPipe: already connected.
        m_connectPending = false;
        SetEvent(m_connectEvent);
    } else {
        CloseHandle(pipe);
        m_listen = nullptr;
        return "Cannot listen on the named pipe " + narrow(m_pipeName.c_str()) + ": " + systemMessage(e) + ".";
    }
    return {};
}

void NamedPipeChannelWin32::acceptListening()
{
    ULONG pid = 0;
    GetNamedPipeClientProcessId(static_cast<HANDLE>(m_listen), &pid);
    m_connectPending = false;
    ResetEvent(m_connectEvent);
    if (m_connections.size() >= std::size_t(std::max(receiveLimits().maxPeers, 0))) {
        refuseListening(pid);
        return;
    }
    auto connection = std::make_shared<Connection>();
    connection->pipe = static_cast<HANDLE>(m_listen);
    connection->id = m_nextPeerId++;
    connection->pid = pid;
    connection->lastProgress = std::chrono::steady_clock::now();
    m_listen = nullptr;
    if (!writeHandshake(connection->pipe, WelcomeByte)) {
        // It went away before it was welcomed: nothing to announce, listen for the next one.
        connection.reset();
        if (std::string error = createListeningInstance(false); !error.empty()) {
            Event failure;
            failure.kind = Event::Kind::Error;
            failure.text = error;
            m_events.push(std::move(failure));
        }
        return;
    }
    {
        SharedLock lock(m_lock);
        m_connections[connection->id] = connection;
    }
    Event event;
    event.kind = Event::Kind::PeerConnected;
    event.peer = connection->id;
    event.text = "process " + std::to_string(connection->pid); // its name; the session says "connected"
    m_events.push(std::move(event));
    readFrom(connection, false);
    if (m_connections.size() < MaxSenders) {
        if (std::string error = createListeningInstance(false); !error.empty()) {
            Event failure;
            failure.kind = Event::Kind::Error;
            failure.text = error;
            m_events.push(std::move(failure));
        }
    }
}

void NamedPipeChannelWin32::refuseListening(unsigned long pid)
{
    const HANDLE pipe = static_cast<HANDLE>(m_listen);
    m_listen = nullptr;
    // Closed without DisconnectNamedPipe, which would throw the refusal away unread.
    writeHandshake(pipe, FullByte);
    CloseHandle(pipe);
    Event event;
    event.kind = Event::Kind::Refused;
    event.text = "Sender process " + std::to_string(pid) + " was turned away as it connected: this receiver already "
                 "serves " + ipcw::native::sendersText(m_connections.size()) + ", its limit (--max-peers).";
    m_events.push(std::move(event));
    if (std::string error = createListeningInstance(false); !error.empty()) {
        Event failure;
        failure.kind = Event::Kind::Error;
        failure.text = error;
        m_events.push(std::move(failure));
    }
}

std::string NamedPipeChannelWin32::openSender()
{
    const std::string nobody = "Nobody is receiving on the named pipe '" + m_name + "': start a receiver first.";
    HANDLE pipe = INVALID_HANDLE_VALUE;
    for (int attempt = 0;; ++attempt) {
        // Identification level only: the receiver may learn who we are but never act as us.
        pipe = CreateFileW(m_pipeName.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
        if (pipe != INVALID_HANDLE_VALUE)
            break;
        const DWORD e = GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
            return nobody;
        if (e == ERROR_ACCESS_DENIED)
            return "Permission denied opening the named pipe '" + m_name
                   + "': its receiver runs as another user, and the pipe admits only its owner.";
        if (e != ERROR_PIPE_BUSY)
            return "Cannot open the named pipe " + narrow(m_pipeName.c_str()) + ": " + systemMessage(e) + ".";
        // Every instance is taken: the receiver is about to make the next one (or is full).
        if (attempt >= BusyWaitSteps)
            return "The receiver on the named pipe '" + m_name
                   + "' is busy with the most senders it can serve: try again when one has finished.";
        if (WaitForSingleObject(m_interrupt, 0) == WAIT_OBJECT_0)
            return "Connecting to the named pipe '" + m_name + "' was cancelled.";
        WaitNamedPipeW(m_pipeName.c_str(), BusyWaitStepMs);
    }
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr)) {
        const DWORD e = GetLastError();
        CloseHandle(pipe);
        return "Cannot switch the named pipe to message mode: " + systemMessage(e) + ".";
    }
    auto connection = std::make_shared<Connection>();
    connection->pipe = pipe;
    // The receiver's welcome, or its refusal: read before anything else, with a time limit.
    std::uint8_t answer[16] = {};
    DWORD got = 0;
    DWORD e = 0;
    if (!ReadFile(pipe, answer, sizeof answer, nullptr, &connection->readOverlapped)) {
        e = GetLastError();
        if (e == ERROR_IO_PENDING) {
            HANDLE handles[2] = {connection->readOverlapped.hEvent, static_cast<HANDLE>(m_interrupt)};
            const DWORD r = WaitForMultipleObjects(2, handles, FALSE, HandshakeTimeoutMs);
            if (r != WAIT_OBJECT_0) {
                cancelAndWait(pipe, &connection->readOverlapped);
                return r == WAIT_OBJECT_0 + 1
                           ? "Connecting to the named pipe '" + m_name + "' was cancelled."
                           : "The receiver on '" + m_name + "' did not answer within "
                                 + secondsText(HandshakeTimeoutMs) + " s: it may be stuck. Restart it and try again.";
            }
            e = 0;
        }
    }
    if (e == 0 && !GetOverlappedResult(pipe, &connection->readOverlapped, &got, FALSE))
        e = GetLastError();
    if (e == 0 && got == 1 && answer[0] == FullByte)
        return "The receiver on the named pipe '" + m_name
               + "' already serves as many senders as it allows (--max-peers): try again when one has finished.";
    if (e != 0 || got != 1 || answer[0] != WelcomeByte)
        return brokenPipe(e) ? "The receiver on '" + m_name + "' stopped while we were connecting: start it again."
                             : "The receiver on the named pipe '" + m_name
                                   + "' did not answer as an IPC Workshop receiver of this version does.";
    {
        SharedLock lock(m_lock);
        m_connections[0] = connection;
    }
    readFrom(connection, false);
    return {};
}

std::shared_ptr<NamedPipeChannelWin32::Connection> NamedPipeChannelWin32::findConnection(std::uint64_t peer)
{
    SharedLock lock(m_lock);
    const auto it = m_connections.find(m_role == Role::Sender ? 0 : peer);
    return it == m_connections.end() ? nullptr : it->second;
}

std::string NamedPipeChannelWin32::senderName(const Connection &c) const
{
    return "Sender " + std::to_string(c.id) + " (process " + std::to_string(c.pid) + ")";
}

void NamedPipeChannelWin32::dropConnection(const std::shared_ptr<Connection> &connection, const std::string &why,
                                           Event::Kind kind)
{
    Event event;
    event.kind = kind;
    event.peer = connection->id;
    if (m_role == Role::Sender)
        event.text = "The receiver on the named pipe '" + m_name + "' " + why;
    else
        event.text = senderName(*connection) + " " + why;
    if (connection->have > 0)
        event.text += " The " + std::to_string(connection->have)
                      + " bytes of the frame it was in the middle of sending were discarded.";
    m_events.push(std::move(event));
    {
        SharedLock lock(m_lock);
        m_connections.erase(connection->id);
    }
    // A full receiver stopped listening; with a place free again, it listens once more.
    if (m_role == Role::Receiver && !m_listen && m_securityDescriptor) {
        if (std::string error = createListeningInstance(false); !error.empty()) {
            Event failure;
            failure.kind = Event::Kind::Error;
            failure.text = error;
            m_events.push(std::move(failure));
        }
    }
}

std::string NamedPipeChannelWin32::judgeMessage(Connection &c, bool moreData)
{
    if (!c.expected && c.have >= HeaderBytes) {
        std::size_t frameBytes = 0;
        if (const std::string bad = checkHeader(c.message.data(), &frameBytes); !bad.empty())
            return "sent a message that is not a frame (" + bad + ")";
        c.expected = frameBytes;
    }
    if (!moreData) {
        if (c.have != c.expected)
            return "sent a message of " + std::to_string(c.have) + " bytes, which is not a whole frame"
                   + (c.expected ? " (its header announces " + std::to_string(c.expected) + " bytes)" : "");
        return {};
    }
    if (!c.expected) // the first read holds 64 KiB, so a message that goes on has its header in
        return "sent a message that is not a frame (it is too short for a frame header)";
    if (c.have >= c.expected)
        return "sent a message longer than the frame of " + std::to_string(c.expected)
               + " bytes its header announces";
    const bool budgeted = m_role == Role::Receiver;
    if (budgeted && c.expected > m_budget.limit())
        return "announced a frame of " + std::to_string(c.expected)
               + " bytes, more than this receiver's whole budget for unfinished frames ("
               + mebibytesText(m_budget.limit()) + " MiB, --max-pending-mib)";
    if (c.have == c.committed()) {
        const std::size_t target = std::min(c.expected, std::max(InitialFrameBytes, 2 * c.have));
        if (budgeted && !c.share.resize(m_budget, target))
            return "needed " + mebibytesText(target - c.share.bytes()) + " MiB more for its frame of "
                   + std::to_string(c.expected) + " bytes (" + std::to_string(c.have) + " had arrived) when "
                   + m_budget.describe();
        growMessage(c, target);
    }
    return {};
}

void NamedPipeChannelWin32::growMessage(Connection &c, std::size_t target)
{
    if (!c.frame.stored() && m_frameStore && c.expected >= FrameBytes::StoredFromBytes) {
        // Into the store's buffer from here on: the first read is copied over once. start()
        // reserves what this first growth gives it, so that copy is not moved again at once.
        c.frame.start(m_frameStore, c.expected);
        c.frameBase = c.frame.grow(c.have);
        std::memcpy(c.frameBase, c.message.data(), c.have);
    }
    if (c.frame.stored()) {
        c.frameBase = c.frame.grow(target - c.frame.size());
        return;
    }
    c.message.reserve(target); // exactly: resize() alone may take twice as much
    c.message.resize(target);
}

void NamedPipeChannelWin32::finishMessage(Connection &c)
{
    if (!c.frame.stored() && m_frameStore && c.have >= FrameBytes::StoredFromBytes) {
        // Whole in its first read: copied once, into the buffer the session reads, and
        // `message` stays for the next first read.
        c.frame.begin(m_frameStore, c.have);
        std::memcpy(c.frame.grow(c.have), c.message.data(), c.have);
    }
    if (c.frame.stored()) {
        m_events.pushFrame(c.id, c.frame);
    } else {
        Event event;
        event.kind = Event::Kind::Frame;
        event.peer = c.id;
        if (c.message.size() > FirstReadBytes) {
            // Grown for a large frame (no store lent): handed over whole, not kept.
            c.message.resize(c.have);
            event.frame = std::move(c.message);
            c.message = {};
        } else {
            // A small frame is copied out, and the first-read buffer stays: cheaper than
            // allocating and zeroing 64 KiB again for the next message.
            event.frame.assign(c.message.begin(), c.message.begin() + std::ptrdiff_t(c.have));
        }
        m_events.push(std::move(event));
    }
    c.endMessage();
}

void NamedPipeChannelWin32::refuseMessage(Connection &c, bool moreData, const std::string &why)
{
    Event event;
    event.kind = Event::Kind::Refused;
    event.peer = c.id;
    event.text = m_role == Role::Sender
                     ? "The receiver on the named pipe '" + m_name + "' " + why + ": the message was dropped."
                     : senderName(c) + " " + why + ": the message was dropped, the sender stays.";
    m_events.push(std::move(event));
    c.message = {};
    c.endMessage();
    c.skipping = moreData;
    c.skipped = 0;
}

// Finishes the read that completed (when `completed`), then keeps reading until a read is
// pending, the connection is gone, or this round's share of frames or bytes is used up.
void NamedPipeChannelWin32::readFrom(const std::shared_ptr<Connection> &connection, bool completed)
{
    Connection &c = *connection;
    const std::string gone = m_role == Role::Sender
                                 ? "closed the pipe: it stopped or crashed. Start it again and reconnect."
                                 : "closed its end of the pipe: it finished, stopped or was killed.";
    std::size_t roundBytes = 0;
    for (int frames = 0; frames < FramesPerRound && roundBytes < BytesPerRound;) {
        DWORD got = 0;
        DWORD error = 0;
        if (completed) {
            c.readPending = false;
            if (!GetOverlappedResult(c.pipe, &c.readOverlapped, &got, FALSE))
                error = GetLastError();
        } else {
            // A new message (or the rest of a refused one) goes into the first 64 KiB; a message
            // under way into the room judgeMessage() made for it.
            const std::size_t at = c.skipping ? 0 : c.have;
            if (at == 0 && c.message.size() < FirstReadBytes)
                c.message.resize(FirstReadBytes);
            const std::size_t want = at == 0 ? FirstReadBytes : c.committed() - at;
            if (!ReadFile(c.pipe, at == 0 ? c.message.data() : c.at(at), DWORD(want), nullptr, &c.readOverlapped)) {
                error = GetLastError();
                if (error == ERROR_IO_PENDING) {
                    c.readPending = true;
                    return;
                }
            }
            // Finished at once (the event is set too; the next ReadFile resets it).
            if (error == 0 || error == ERROR_MORE_DATA)
                GetOverlappedResult(c.pipe, &c.readOverlapped, &got, FALSE);
        }
        completed = false;
        if (error != 0 && error != ERROR_MORE_DATA) {
            dropConnection(connection, brokenPipe(error) ? gone : "could not be read: " + systemMessage(error) + ".");
            return;
        }
        roundBytes += got;
        if (got > 0)
            c.lastProgress = std::chrono::steady_clock::now();
        const bool moreData = error == ERROR_MORE_DATA;
        if (c.skipping) {
            c.skipped += got;
            if (!moreData) {
                c.skipping = false;
                c.skipped = 0;
                ++frames;
            }
            continue;
        }
        c.have += got;
        if (const std::string why = judgeMessage(c, moreData); !why.empty()) {
            refuseMessage(c, moreData, why);
            if (!moreData)
                ++frames;
            continue;
        }
        if (moreData)
            continue;
        finishMessage(c);
        ++frames;
    }
}

void NamedPipeChannelWin32::expireStalledConnections()
{
    const int timeoutMs = receiveLimits().peerTimeoutMs;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Connection>> stalled;
    m_stalls.clear();
    for (const auto &entry : m_connections) {
        const Connection &c = *entry.second;
        if (!c.midMessage())
            continue; // between frames a sender may stay idle as long as it likes
        if (now - c.lastProgress >= std::chrono::milliseconds(timeoutMs))
            stalled.push_back(entry.second);
        else
            m_stalls.note(c.lastProgress, timeoutMs);
    }
    for (const auto &connection : stalled) {
        const long long idleMs
            = std::chrono::duration_cast<std::chrono::milliseconds>(now - connection->lastProgress).count();
        const std::string progress
            = connection->skipping
                  ? std::to_string(connection->skipped) + " bytes of the rest of a refused message had arrived"
                  : std::to_string(connection->have) + " bytes of its "
                        + (connection->expected ? std::to_string(connection->expected) + "-byte " : std::string())
                        + "frame had arrived";
        dropConnection(connection,
                       "stopped in the middle of a message: " + progress + ", then nothing came for "
                           + secondsText(idleMs) + " s (the limit is " + secondsText(timeoutMs)
                           + " s, --peer-timeout); it was disconnected.",
                       Event::Kind::PeerRefused);
    }
}

Event NamedPipeChannelWin32::receive(int timeoutMs)
{
    const ULONGLONG deadline = GetTickCount64() + ULONGLONG(timeoutMs < 0 ? 0 : timeoutMs);
    for (;;) {
        if (Event event; m_events.take(&event, m_frameStore))
            return event;
        // Connections whose last round ended on their frame quota read on before anyone waits.
        std::vector<std::shared_ptr<Connection>> idle;
        for (const auto &entry : m_connections)
            if (!entry.second->readPending)
                idle.push_back(entry.second);
        for (const auto &connection : idle)
            readFrom(connection, false);
        if (m_role == Role::Receiver)
            expireStalledConnections();
        if (!m_events.empty())
            continue;

        std::vector<HANDLE> handles{static_cast<HANDLE>(m_interrupt)};
        if (m_listen)
            handles.push_back(static_cast<HANDLE>(m_connectEvent));
        std::vector<std::shared_ptr<Connection>> waiting;
        for (const auto &entry : m_connections) {
            handles.push_back(entry.second->readOverlapped.hEvent);
            waiting.push_back(entry.second);
        }
        int wait = -1;
        if (timeoutMs >= 0) {
            const ULONGLONG now = GetTickCount64();
            wait = now >= deadline ? 0 : int(deadline - now);
        }
        // While a sender is in the middle of a message, wake when its time runs out.
        const int limited = m_role == Role::Receiver ? m_stalls.shorten(wait) : wait;
        const DWORD r = WaitForMultipleObjects(DWORD(handles.size()), handles.data(), FALSE,
                                               limited < 0 ? INFINITE : DWORD(limited));
        if (r == WAIT_TIMEOUT) {
            if (timeoutMs >= 0 && GetTickCount64() >= deadline)
                return Event{};
            continue; // a sender's time ran out: expireStalledConnections() judges it
        }
        if (r == WAIT_FAILED) {
            Event event;
            event.kind = Event::Kind::Error;
            event.text = "Waiting on the named pipe failed: " + systemMessage(GetLastError()) + ".";
            return event;
        }
        if (r == WAIT_OBJECT_0) {
            Event event;
            event.kind = Event::Kind::Interrupted;
            return event;
        }
        if (m_listen && WaitForSingleObject(m_connectEvent, 0) == WAIT_OBJECT_0) {
            DWORD ignored = 0;
            if (!m_connectPending
                || GetOverlappedResult(static_cast<HANDLE>(m_listen), static_cast<OVERLAPPED *>(m_connectOverlapped),
                                       &ignored, FALSE)
                || GetLastError() == ERROR_PIPE_CONNECTED) {
                acceptListening();
            } else {
                // The would-be sender went away before we saw it: offer a fresh instance.
                ResetEvent(m_connectEvent);
                CloseHandle(static_cast<HANDLE>(m_listen));
                m_listen = nullptr;
                if (std::string error = createListeningInstance(false); !error.empty()) {
                    Event event;
                    event.kind = Event::Kind::Error;
                    event.text = error;
                    return event;
                }
            }
        }
        // Every sender whose read finished gets its turn, not only the first signalled one.
        for (const auto &connection : waiting)
            if (connection->readPending && WaitForSingleObject(connection->readOverlapped.hEvent, 0) == WAIT_OBJECT_0)
                readFrom(connection, true);
    }
}

std::string NamedPipeChannelWin32::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (std::string error = checkOutgoingFrame(data, size); !error.empty())
        return error;
    const std::shared_ptr<Connection> connection = findConnection(peer);
    if (!connection)
        return m_role == Role::Sender
                   ? "The named pipe '" + m_name + "' is not connected: the receiver has gone. Reconnect."
                   : "Sender " + std::to_string(peer) + " is no longer connected to the named pipe '" + m_name
                         + "'; the reply to it was dropped.";
    const std::string gone = m_role == Role::Sender
                                 ? "The receiver on the named pipe '" + m_name
                                       + "' has gone (it stopped or crashed): the frame was not delivered. Start a "
                                         "receiver and send again."
                                 : "Sender " + std::to_string(peer) + " (process " + std::to_string(connection->pid)
                                       + ") has gone; the reply to it was dropped.";
    Connection &c = *connection;
    DWORD written = 0;
    if (!WriteFile(c.pipe, data, DWORD(size), nullptr, &c.writeOverlapped)) {
        const DWORD e = GetLastError();
        if (e != ERROR_IO_PENDING)
            return brokenPipe(e) ? gone : "Writing to the named pipe '" + m_name + "' failed: " + systemMessage(e) + ".";
        // The pipe is full: the reader is slower than us. This wait is the backpressure.
        HANDLE handles[2] = {c.writeOverlapped.hEvent, static_cast<HANDLE>(m_interrupt)};
        if (WaitForMultipleObjects(2, handles, FALSE, INFINITE) != WAIT_OBJECT_0) {
            cancelAndWait(c.pipe, &c.writeOverlapped);
            return {};
        }
    }
    if (!GetOverlappedResult(c.pipe, &c.writeOverlapped, &written, FALSE)) {
        const DWORD e = GetLastError();
        return brokenPipe(e) ? gone : "Writing to the named pipe '" + m_name + "' failed: " + systemMessage(e) + ".";
    }
    if (written != size)
        return "Only " + std::to_string(written) + " of " + std::to_string(size) + " bytes reached the named pipe '"
               + m_name + "'.";
    return {};
}

void NamedPipeChannelWin32::interrupt()
{
    SetEvent(static_cast<HANDLE>(m_interrupt));
}

void NamedPipeChannelWin32::close()
{
    {
        SharedLock lock(m_lock);
        m_connections.clear();
    }
    if (m_listen) {
        if (m_connectPending)
            cancelAndWait(static_cast<HANDLE>(m_listen), static_cast<OVERLAPPED *>(m_connectOverlapped));
        CloseHandle(static_cast<HANDLE>(m_listen));
        m_listen = nullptr;
    }
    m_connectPending = false;
    ResetEvent(m_connectEvent);
    if (m_securityDescriptor) {
        LocalFree(m_securityDescriptor);
        m_securityDescriptor = nullptr;
    }
    m_events.clear();
    ResetEvent(static_cast<HANDLE>(m_interrupt));
}

std::string describePipeDacl(void *pipeHandle)
{
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const DWORD result = GetSecurityInfo(static_cast<HANDLE>(pipeHandle), SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
                                         nullptr, nullptr, &dacl, nullptr, &descriptor);
    if (result != ERROR_SUCCESS)
        return "error: GetSecurityInfo could not read the pipe's DACL: " + systemMessage(result) + ".\n";
    std::string text;
    if (!dacl) {
        text = "dacl: null\naces: 0\n";
    } else {
        text = "dacl: present\naces: " + std::to_string(dacl->AceCount) + "\n";
        for (DWORD i = 0; i < dacl->AceCount; ++i) {
            void *ace = nullptr;
            if (!GetAce(dacl, i, &ace))
                continue;
            const auto *header = static_cast<ACE_HEADER *>(ace);
            PSID sid = nullptr;
            ACCESS_MASK mask = 0;
            const char *type = "other";
            if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
                type = "allow";
                sid = &static_cast<ACCESS_ALLOWED_ACE *>(ace)->SidStart;
                mask = static_cast<ACCESS_ALLOWED_ACE *>(ace)->Mask;
            } else if (header->AceType == ACCESS_DENIED_ACE_TYPE) {
                type = "deny";
                sid = &static_cast<ACCESS_DENIED_ACE *>(ace)->SidStart;
                mask = static_cast<ACCESS_DENIED_ACE *>(ace)->Mask;
            }
            std::string sidText = "-";
            wchar_t *wide = nullptr;
            if (sid && ConvertSidToStringSidW(sid, &wide)) {
                sidText = narrow(wide);
                LocalFree(wide);
            }
            char maskText[16];
            std::snprintf(maskText, sizeof maskText, "0x%08lx", static_cast<unsigned long>(mask));
            text += std::string("ace: ") + type + " " + sidText + " " + maskText + "\n";
        }
    }
    LocalFree(descriptor);
    std::string error;
    const std::string user = currentUserSid(&error);
    text += user.empty() ? "error: " + error + "\n" : "user: " + user + "\n";
    return text;
}

std::string describeNamedPipeDacl(const Channel &receiver)
{
    const auto *pipe = dynamic_cast<const NamedPipeChannelWin32 *>(&receiver);
    if (!pipe || !pipe->listeningHandle())
        return "error: The channel is not an open named pipe receiver.\n";
    return describePipeDacl(pipe->listeningHandle());
}

} // namespace ipcw::native

IPCW_REGISTER_NATIVE_CHANNEL("namedpipe", ipcw::native::NamedPipeChannelWin32)
