// SPDX-License-Identifier: GPL-3.0-or-later
#include "mailslot_win32.h"

#include "native/registry.h"
#include "native/win32text.h"

#include <sddl.h>

using ipcw::mailslot::DatagramKind;
using ipcw::native::Event;
using ipcw::native::Role;
using ipcw::native::widen;

namespace {

// Under Wine 8 a mailslot message over 64 KiB is lost, so fragments stay below that.
constexpr std::size_t DefaultDatagramBytes = 60 * 1024;
constexpr std::size_t ReadBufferBytes = 64 * 1024;

std::string systemMessage(DWORD error)
{
    wchar_t *text = nullptr;
    const DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                   nullptr, error, 0, reinterpret_cast<wchar_t *>(&text), 0, nullptr);
    std::string result = "error " + std::to_string(error);
    if (n > 0 && text) {
        const int size = WideCharToMultiByte(CP_UTF8, 0, text, int(n), nullptr, 0, nullptr, nullptr);
        std::string utf8(std::size_t(size > 0 ? size : 0), '\0');
        if (size > 0)
            WideCharToMultiByte(CP_UTF8, 0, text, int(n), &utf8[0], size, nullptr, nullptr);
        while (!utf8.empty() && (utf8.back() == '\n' || utf8.back() == '\r' || utf8.back() == ' ' || utf8.back() == '.'))
            utf8.pop_back();
        result = utf8 + " (error " + std::to_string(error) + ")";
    }
    if (text)
        LocalFree(text);
    return result;
}

std::wstring slotPath(const std::string &name)
{
    return L"\\\\.\\mailslot\\ipcworkshop\\" + widen(name);
}

// A security descriptor that lets the current user, and nobody else, at the mailslot.
class UserOnlySecurity
{
public:
    UserOnlySecurity()
    {
        HANDLE token = nullptr;
        if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
            return;
        DWORD size = 0;
        GetTokenInformation(token, TokenUser, nullptr, 0, &size);
        std::vector<std::uint8_t> buffer(size ? size : 1);
        wchar_t *sid = nullptr;
        if (GetTokenInformation(token, TokenUser, buffer.data(), size, &size)
            && ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER *>(buffer.data())->User.Sid, &sid)) {
            const std::wstring sddl = L"D:P(A;;GA;;;" + std::wstring(sid) + L")";
            ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &m_descriptor, nullptr);
            LocalFree(sid);
        }
        CloseHandle(token);
        m_attributes.nLength = sizeof m_attributes;
        m_attributes.lpSecurityDescriptor = m_descriptor;
        m_attributes.bInheritHandle = FALSE;
    }
    ~UserOnlySecurity()
    {
        if (m_descriptor)
            LocalFree(m_descriptor);
    }
    UserOnlySecurity(const UserOnlySecurity &) = delete;
    UserOnlySecurity &operator=(const UserOnlySecurity &) = delete;

    SECURITY_ATTRIBUTES *attributes() { return m_descriptor ? &m_attributes : nullptr; }

private:
    PSECURITY_DESCRIPTOR m_descriptor = nullptr;
    SECURITY_ATTRIBUTES m_attributes{};
};

struct ExclusiveLock
{
    explicit ExclusiveLock(SRWLOCK *lock) : m_lock(lock) { AcquireSRWLockExclusive(m_lock); }
    ~ExclusiveLock() { ReleaseSRWLockExclusive(m_lock); }
    ExclusiveLock(const ExclusiveLock &) = delete;
    ExclusiveLock &operator=(const ExclusiveLock &) = delete;
    SRWLOCK *m_lock;
};

void closeHandle(HANDLE &handle)
{
    if (handle && handle != INVALID_HANDLE_VALUE)
        CloseHandle(handle);
    handle = nullptr;
}

std::atomic<std::uint32_t> nextSlot{0};

} // namespace

MailslotChannelWin32::SlotPeer::~SlotPeer()
{
    // Waits for a running callback, so none touches the channel after this.
    if (exitWait)
        UnregisterWaitEx(exitWait, INVALID_HANDLE_VALUE);
    if (reply != INVALID_HANDLE_VALUE)
        CloseHandle(reply);
    if (process)
        CloseHandle(process);
}

MailslotChannelWin32::MailslotChannelWin32()
    : m_readEvent(CreateEventW(nullptr, TRUE, FALSE, nullptr))
{
}

MailslotChannelWin32::~MailslotChannelWin32()
{
    close();
    closeHandle(m_readEvent);
}

std::string MailslotChannelWin32::open(Role role, const std::string &address)
{
    m_role = role;
    if (!m_readEvent)
        return "Cannot create the event the mailslot channel waits on: " + systemMessage(GetLastError()) + ".";
    std::size_t option = 0;
    if (std::string error = ipcw::mailslot::parseAddress(address, &m_name, &option); !error.empty())
        return error;
    if (option > DefaultDatagramBytes)
        return "A mailslot fragment may be at most " + std::to_string(DefaultDatagramBytes)
            + " bytes here (Wine loses larger messages); use a smaller ?fragment=.";
    m_datagramBytes = option ? option : DefaultDatagramBytes;
    m_path = slotPath(m_name);
    m_place = "the mailslot \"" + m_name + "\"";
    applyLimits(receiveLimits());
    m_buffer.assign(ReadBufferBytes, 0);
    const std::string error = role == Role::Receiver ? openReceiver() : openSender();
    if (!error.empty())
        close();
    return error;
}

std::string MailslotChannelWin32::openReceiver()
{
    UserOnlySecurity security;
    if (!security.attributes())
        return "Cannot build a security descriptor for the current user: " + systemMessage(GetLastError()) + ".";
    m_slot = CreateMailslotW(m_path.c_str(), 0, MAILSLOT_WAIT_FOREVER, security.attributes());
    if (m_slot == INVALID_HANDLE_VALUE) {
        const DWORD error = GetLastError();
        m_slot = INVALID_HANDLE_VALUE;
        if (error == ERROR_ALREADY_EXISTS)
            return "The mailslot name \"" + m_name + "\" is already in use by a running receiver: stop that receiver or choose another name.";
        if (error == ERROR_ACCESS_DENIED)
            return "Permission denied creating the mailslot \"" + m_name + "\": another user's receiver has it.";
        return "Cannot create the mailslot \"" + m_name + "\": " + systemMessage(error) + ".";
    }
    return openSelfWriter(m_path);
}

std::string MailslotChannelWin32::openSender()
{
    m_target = CreateFileW(m_path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (m_target == INVALID_HANDLE_VALUE) {
        const DWORD error = GetLastError();
        if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
            return "Nobody is receiving on the mailslot \"" + m_name + "\": start a receiver first.";
        if (error == ERROR_ACCESS_DENIED)
            return "Permission denied on the mailslot \"" + m_name + "\": it belongs to another user.";
        return "Cannot open the mailslot \"" + m_name + "\": " + systemMessage(error) + ".";
    }
    m_slotNumber = nextSlot++;
    m_replyPath = slotPath(ipcw::mailslot::replyName(m_name, GetCurrentProcessId(), m_slotNumber));
    UserOnlySecurity security;
    if (!security.attributes())
        return "Cannot build a security descriptor for the current user: " + systemMessage(GetLastError()) + ".";
    m_slot = CreateMailslotW(m_replyPath.c_str(), 0, MAILSLOT_WAIT_FOREVER, security.attributes());
    if (m_slot == INVALID_HANDLE_VALUE)
        return "Cannot create the reply mailslot for the acknowledgements: " + systemMessage(GetLastError()) + ".";
    if (std::string error = openSelfWriter(m_replyPath); !error.empty())
        return error;
    if (!writeControl(m_target, DatagramKind::Hello, m_slotNumber, "process " + std::to_string(GetCurrentProcessId())))
        return "The receiver on the mailslot \"" + m_name + "\" went away while we connected: start it again.";
    return {};
}

std::string MailslotChannelWin32::openSelfWriter(const std::wstring &path)
{
    const HANDLE writer = CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                                      FILE_ATTRIBUTE_NORMAL, nullptr);
    if (writer == INVALID_HANDLE_VALUE)
        return "Cannot open our own mailslot for wake-ups: " + systemMessage(GetLastError()) + ".";
    ExclusiveLock lock(&m_selfLock);
    m_selfWriter = writer;
    return {};
}

std::string MailslotChannelWin32::writeFragments(HANDLE target, std::uint32_t slot, const std::uint8_t *data,
                                                 std::size_t size)
{
    const auto put = [&](const std::uint8_t *datagram, std::size_t bytes, std::string *error) {
        if (m_interrupted)
            return false;
        DWORD written = 0;
        if (WriteFile(target, datagram, DWORD(bytes), &written, nullptr) && written == bytes)
            return true;
        *error = "Writing to the mailslot failed: " + systemMessage(GetLastError())
            + ". The other side may have closed; start it again.";
        return false;
    };
    return sendFragments(GetCurrentProcessId(), slot, m_datagramBytes, data, size, put);
}

bool MailslotChannelWin32::writeControl(HANDLE target, DatagramKind kind, std::uint32_t slot, const std::string &text)
{
    const std::vector<std::uint8_t> datagram = controlDatagram(kind, GetCurrentProcessId(), slot, text);
    DWORD written = 0;
    return WriteFile(target, datagram.data(), DWORD(datagram.size()), &written, nullptr) && written == datagram.size();
}

std::string MailslotChannelWin32::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (m_interrupted)
        return {};
    if (m_role == Role::Sender) {
        if (m_receiverGone)
            return "The receiver on the mailslot \"" + m_name + "\" is gone: start it again and reconnect.";
        return writeFragments(m_target, m_slotNumber, data, size);
    }
    const auto target = std::static_pointer_cast<SlotPeer>(replyTarget(peer));
    // A reply to a sender that already left has nowhere to go; its PeerGone (or PeerConnected,
    // when its reply mailslot was gone already) said so.
    if (!target || target->reply == INVALID_HANDLE_VALUE)
        return {};
    return writeFragments(target->reply, 0, data, size);
}

MailslotChannelWin32::Read MailslotChannelWin32::readOne(int timeoutMs, DWORD *size)
{
    const DWORD timeout = timeoutMs < 0 ? MAILSLOT_WAIT_FOREVER : DWORD(timeoutMs);
    if (timeout != m_readTimeout && SetMailslotInfo(m_slot, timeout))
        m_readTimeout = timeout;
    for (;;) {
        OVERLAPPED read{};
        read.hEvent = m_readEvent;
        ResetEvent(m_readEvent);
        BOOL ok = ReadFile(m_slot, m_buffer.data(), DWORD(m_buffer.size()), size, &read);
        DWORD error = ok ? ERROR_SUCCESS : GetLastError();
        if (!ok && error == ERROR_IO_PENDING) {
            // The mailslot's read timeout ends the read; the extra second only guards against
            // a system that would not apply it to an asynchronous read.
            const DWORD wait = timeoutMs < 0 ? INFINITE : DWORD(timeoutMs) + 1000;
            if (WaitForSingleObject(m_readEvent, wait) != WAIT_OBJECT_0)
                CancelIoEx(m_slot, &read);
            ok = GetOverlappedResult(m_slot, &read, size, TRUE);
            error = ok ? ERROR_SUCCESS : GetLastError();
        }
        if (ok)
            return Read::Datagram;
        if (error == ERROR_SEM_TIMEOUT || error == ERROR_OPERATION_ABORTED)
            return Read::TimedOut;
        if (error == ERROR_INSUFFICIENT_BUFFER && growForNextMessage())
            continue;
        m_slotError = "Reading the mailslot failed: " + systemMessage(error) + ".";
        return Read::Failed;
    }
}

bool MailslotChannelWin32::growForNextMessage()
{
    // Not one of ours (ours are at most 60 KiB): make room, read it, and let it be dropped.
    DWORD next = 0;
    if (!GetMailslotInfo(m_slot, nullptr, &next, nullptr, nullptr) || next == MAILSLOT_NO_MESSAGE
        || next > 64u * 1024u * 1024u || next <= m_buffer.size())
        return false;
    m_buffer.resize(next);
    return true;
}

void MailslotChannelWin32::wake()
{
    ExclusiveLock lock(&m_selfLock);
    if (m_selfWriter != INVALID_HANDLE_VALUE)
        writeControl(m_selfWriter, DatagramKind::Wake, 0, {});
}

void CALLBACK MailslotChannelWin32::onProcessExit(void *channel, BOOLEAN)
{
    static_cast<MailslotChannelWin32 *>(channel)->wake();
}

HANDLE MailslotChannelWin32::watchProcess(HANDLE process)
{
    HANDLE wait = nullptr;
    if (process && !RegisterWaitForSingleObject(&wait, process, onProcessExit, this, INFINITE, WT_EXECUTEONLYONCE))
        wait = nullptr;
    return wait;
}

Event MailslotChannelWin32::receive(int timeoutMs)
{
    const ULONGLONG deadline = GetTickCount64() + ULONGLONG(timeoutMs < 0 ? 0 : timeoutMs);
    for (;;) {
        Event event;
        if (takeEvent(&event))
            return event;
        if (m_interrupted) {
            event.kind = Event::Kind::Interrupted;
            return event;
        }
        if (!m_slotError.empty()) {
            event.kind = Event::Kind::Error;
            event.text = m_slotError;
            return event;
        }
        int wait = -1;
        if (timeoutMs >= 0) {
            const ULONGLONG now = GetTickCount64();
            wait = now >= deadline ? 0 : int(deadline - now);
        }
        if (m_role == Role::Receiver) {
            // Partial frames whose time ran out are dropped; wake when the next one's does.
            wait = expireStalledFrames(wait);
            if (hasEvents())
                continue;
        }
        DWORD size = 0;
        switch (readOne(wait, &size)) {
        case Read::Datagram:
            handleDatagram(m_buffer.data(), size);
            break;
        case Read::TimedOut:
            if (timeoutMs >= 0 && GetTickCount64() >= deadline) {
                event.kind = Event::Kind::Timeout;
                return event;
            }
            break; // a partial frame's time ran out: judged at the top
        case Read::Failed:
            break;
        }
    }
}

std::shared_ptr<ipcw::mailslot::Protocol::Peer> MailslotChannelWin32::watchPeer(std::uint32_t pid)
{
    auto peer = std::make_shared<SlotPeer>();
    peer->process = OpenProcess(SYNCHRONIZE, FALSE, pid);
    peer->exitWait = watchProcess(peer->process);
    return peer;
}

std::string MailslotChannelWin32::openReply(Peer &entry)
{
    auto &peer = static_cast<SlotPeer &>(entry);
    peer.reply = openReplySlot(peer.pid, peer.slot);
    if (peer.reply == INVALID_HANDLE_VALUE)
        return ", but its reply mailslot cannot be opened (" + systemMessage(GetLastError())
            + "), so nothing can be sent back to it";
    // Tells the sender which process to watch for the way back.
    writeControl(peer.reply, DatagramKind::Hello, 0, "receiver");
    return {};
}

HANDLE MailslotChannelWin32::openReplySlot(std::uint32_t pid, std::uint32_t slot) const
{
    const std::wstring replyPath = slotPath(ipcw::mailslot::replyName(m_name, pid, slot));
    return CreateFileW(replyPath.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                       FILE_ATTRIBUTE_NORMAL, nullptr);
}

void MailslotChannelWin32::turnAway(std::uint32_t pid, std::uint32_t slot, const std::string &reason)
{
    const HANDLE reply = openReplySlot(pid, slot);
    if (reply == INVALID_HANDLE_VALUE)
        return;
    writeControl(reply, DatagramKind::Leave, 0, reason); // a mailslot write never waits for its reader
    CloseHandle(reply);
}

bool MailslotChannelWin32::peerExited(const Peer &entry)
{
    const auto &peer = static_cast<const SlotPeer &>(entry);
    return peer.process && WaitForSingleObject(peer.process, 0) == WAIT_OBJECT_0;
}

void MailslotChannelWin32::receiverSaidHello(std::uint32_t pid)
{
    if (m_receiverProcess)
        return;
    m_receiverPid = pid;
    m_receiverProcess = OpenProcess(SYNCHRONIZE, FALSE, pid);
    m_receiverWait = watchProcess(m_receiverProcess);
}

void MailslotChannelWin32::reapDeadPeers()
{
    if (m_role == Role::Sender) {
        if (m_receiverGone || !m_receiverProcess || WaitForSingleObject(m_receiverProcess, 0) != WAIT_OBJECT_0)
            return;
        receiverExited(m_receiverPid);
        return;
    }
    reportExitedPeers(exitedPeers());
}

void MailslotChannelWin32::interrupt()
{
    m_interrupted = true;
    wake();
}

void MailslotChannelWin32::close()
{
    if (m_role == Role::Sender && m_target != INVALID_HANDLE_VALUE && !m_receiverGone)
        writeControl(m_target, DatagramKind::Leave, m_slotNumber, {});
    if (m_role == Role::Receiver) {
        // Tell each sender, so it stops writing into a mailslot nobody reads.
        for (const auto &entry : takePeers()) {
            const auto &peer = static_cast<const SlotPeer &>(*entry.second);
            if (!peer.banned && peer.reply != INVALID_HANDLE_VALUE)
                writeControl(peer.reply, DatagramKind::Leave, 0, {});
        }
    }
    if (m_receiverWait)
        UnregisterWaitEx(m_receiverWait, INVALID_HANDLE_VALUE);
    m_receiverWait = nullptr;
    {
        ExclusiveLock lock(&m_selfLock);
        if (m_selfWriter != INVALID_HANDLE_VALUE)
            CloseHandle(m_selfWriter);
        m_selfWriter = INVALID_HANDLE_VALUE;
    }
    // Closing the last handle deletes the mailslot.
    if (m_slot != INVALID_HANDLE_VALUE)
        CloseHandle(m_slot);
    m_slot = INVALID_HANDLE_VALUE;
    if (m_target != INVALID_HANDLE_VALUE)
        CloseHandle(m_target);
    m_target = INVALID_HANDLE_VALUE;
    closeHandle(m_receiverProcess);
    m_receiverPid = 0;
    resetProtocol();
    m_slotError.clear();
    m_readTimeout = MAILSLOT_WAIT_FOREVER;
    m_interrupted = false;
}

IPCW_REGISTER_NATIVE_CHANNEL("mailslot", MailslotChannelWin32)
