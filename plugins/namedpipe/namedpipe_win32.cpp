// SPDX-License-Identifier: GPL-3.0-or-later
#include "namedpipe_win32.h"

#include "namedpipewire.h"
#include "native/registry.h"
#include "native/win32text.h"

#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <cstdio>
#include <vector>

namespace ipcw::native {

namespace {

using namespace namedpipe;

constexpr DWORD PipeBufferBytes = 1 << 20;
constexpr DWORD FirstReadBytes = 64 * 1024; // enough for a typical frame in one ReadFile
constexpr int FramesPerRound = 16;          // per sender before the others get a turn
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
    std::vector<std::uint8_t> message; // the frame being read
    std::size_t have = 0;
    std::size_t expected = 0; // whole frame size once the header is in, else 0
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
    auto connection = std::make_shared<Connection>();
    connection->pipe = static_cast<HANDLE>(m_listen);
    connection->id = m_nextPeerId++;
    ULONG pid = 0;
    if (GetNamedPipeClientProcessId(connection->pipe, &pid))
        connection->pid = pid;
    m_listen = nullptr;
    m_connectPending = false;
    ResetEvent(m_connectEvent);
    {
        SharedLock lock(m_lock);
        m_connections[connection->id] = connection;
    }
    Event event;
    event.kind = Event::Kind::PeerConnected;
    event.peer = connection->id;
    event.text = "process " + std::to_string(connection->pid); // its name; the session says "connected"
    m_events.push_back(std::move(event));
    readFrom(connection, false);
    if (m_connections.size() < MaxSenders) {
        if (std::string error = createListeningInstance(false); !error.empty()) {
            Event failure;
            failure.kind = Event::Kind::Error;
            failure.text = error;
            m_events.push_back(std::move(failure));
        }
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

void NamedPipeChannelWin32::dropConnection(const std::shared_ptr<Connection> &connection, const std::string &why)
{
    Event event;
    event.kind = Event::Kind::PeerGone;
    event.peer = connection->id;
    if (m_role == Role::Sender)
        event.text = "The receiver on the named pipe '" + m_name + "' " + why;
    else
        event.text = "Sender " + std::to_string(connection->id) + " (process " + std::to_string(connection->pid) + ") "
                     + why;
    if (connection->have > 0)
        event.text += " The " + std::to_string(connection->have)
                      + " bytes of the frame it was in the middle of sending were discarded.";
    m_events.push_back(std::move(event));
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
            m_events.push_back(std::move(failure));
        }
    }
}

// Finishes the read that completed (when `completed`), then keeps reading until a read is
// pending, the connection is gone, or this round's share of frames is used up.
void NamedPipeChannelWin32::readFrom(const std::shared_ptr<Connection> &connection, bool completed)
{
    Connection &c = *connection;
    const std::string gone = m_role == Role::Sender
                                 ? "closed the pipe: it stopped or crashed. Start it again and reconnect."
                                 : "closed its end of the pipe: it finished, stopped or was killed.";
    for (int frames = 0; frames < FramesPerRound;) {
        DWORD got = 0;
        DWORD error = 0;
        if (completed) {
            c.readPending = false;
            if (!GetOverlappedResult(c.pipe, &c.readOverlapped, &got, FALSE))
                error = GetLastError();
        } else {
            const std::size_t want = c.expected ? c.expected - c.have : FirstReadBytes;
            if (c.message.size() < c.have + want)
                c.message.resize(c.have + want);
            if (!ReadFile(c.pipe, c.message.data() + c.have, DWORD(want), nullptr, &c.readOverlapped)) {
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
        c.have += got;
        std::string bad;
        if (!c.expected && c.have >= HeaderBytes) {
            std::size_t frameBytes = 0;
            bad = checkHeader(c.message.data(), &frameBytes);
            c.expected = frameBytes;
        }
        const bool moreData = error == ERROR_MORE_DATA;
        if (bad.empty() && moreData && c.expected && c.have >= c.expected)
            bad = "a message is longer than the frame its header describes";
        if (bad.empty() && !moreData && c.have != c.expected)
            bad = "a message of " + std::to_string(c.have) + " bytes is not a whole frame";
        if (!bad.empty()) {
            c.have = 0; // nothing half-received to report: the message itself was bad
            dropConnection(connection, "sent bytes that are not a frame (" + bad
                                           + "); it was disconnected. Frames before it were kept.");
            return;
        }
        if (moreData)
            continue;
        c.message.resize(c.have);
        Event event;
        event.kind = Event::Kind::Frame;
        event.peer = c.id;
        event.frame = std::move(c.message);
        m_events.push_back(std::move(event));
        c.message = {};
        c.have = 0;
        c.expected = 0;
        ++frames;
    }
}

Event NamedPipeChannelWin32::receive(int timeoutMs)
{
    const ULONGLONG deadline = GetTickCount64() + ULONGLONG(timeoutMs < 0 ? 0 : timeoutMs);
    for (;;) {
        if (!m_events.empty()) {
            Event event = std::move(m_events.front());
            m_events.pop_front();
            return event;
        }
        // Connections whose last round ended on their frame quota read on before anyone waits.
        std::vector<std::shared_ptr<Connection>> idle;
        for (const auto &entry : m_connections)
            if (!entry.second->readPending)
                idle.push_back(entry.second);
        for (const auto &connection : idle)
            readFrom(connection, false);
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
        DWORD wait = INFINITE;
        if (timeoutMs >= 0) {
            const ULONGLONG now = GetTickCount64();
            wait = now >= deadline ? 0 : DWORD(deadline - now);
        }
        const DWORD r = WaitForMultipleObjects(DWORD(handles.size()), handles.data(), FALSE, wait);
        if (r == WAIT_TIMEOUT)
            return Event{};
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
