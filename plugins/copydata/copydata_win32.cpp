// SPDX-License-Identifier: GPL-3.0-or-later
#include "copydata_win32.h"

#include "native/registry.h"
#include "native/win32text.h"

#include <cstring>

using ipcw::native::Event;
using ipcw::native::Role;
using ipcw::native::validAddress;
using ipcw::native::widen;

namespace {

constexpr wchar_t ReceiverClass[] = L"IpcWorkshopCopyDataReceiver";
constexpr wchar_t ReplyClass[] = L"IpcWorkshopCopyDataReply";

// dwData of every IPC Workshop message: "IPCW" in the high half, the kind in the low half, so
// WM_COPYDATA from unrelated programs is recognised and refused.
constexpr ULONG_PTR Tag = ULONG_PTR(0x49504357) << 32;
constexpr ULONG_PTR TagMask = ~ULONG_PTR(0xffffffff);
enum Kind : ULONG_PTR {
    Hello = 1, // empty; a sender introduces itself
    Whole = 2, // one whole frame
    Begin = 3, // u64 total size; fragments follow
    Piece = 4, // the next fragment of the frame announced by Begin
    Bye = 5,   // empty; the sender closes cleanly
};

// Sends that take longer than this mean the other side stopped pumping messages.
constexpr UINT SendTimeoutMs = 30000;

std::string lastErrorText(DWORD error)
{
    wchar_t *buffer = nullptr;
    FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                   nullptr, error, 0, reinterpret_cast<wchar_t *>(&buffer), 0, nullptr);
    std::string text = "Windows error " + std::to_string(error);
    if (buffer) {
        const int size = WideCharToMultiByte(CP_UTF8, 0, buffer, -1, nullptr, 0, nullptr, nullptr);
        std::string message(std::size_t(size > 0 ? size - 1 : 0), '\0');
        WideCharToMultiByte(CP_UTF8, 0, buffer, -1, message.data(), size, nullptr, nullptr);
        LocalFree(buffer);
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == '.'))
            message.pop_back();
        if (!message.empty())
            text += " (" + message + ")";
    }
    return text;
}

} // namespace

CopyDataChannelWin32::CopyDataChannelWin32() = default;

CopyDataChannelWin32::~CopyDataChannelWin32()
{
    close();
}

std::string CopyDataChannelWin32::createWindow(const std::wstring &name)
{
    bool classFailed = false;
    if (const DWORD error = m_window.create(m_role == Role::Receiver ? ReceiverClass : ReplyClass, name, &classFailed))
        return std::string(classFailed ? "Could not register the copydata window class: "
                                       : "Could not create the copydata message window: ")
            + lastErrorText(error) + ".";
    return {};
}

std::string CopyDataChannelWin32::open(Role role, const std::string &address)
{
    m_role = role;
    m_address = address;
    if (!m_window.usable())
        return "Could not create the copydata wake-up event: " + lastErrorText(GetLastError()) + ".";
    if (!validAddress(address))
        return "The copydata address \"" + address
            + "\" is not usable: give 1 to 200 characters without backslashes or control characters.";
    const std::wstring name = widen(address);

    if (role == Role::Receiver) {
        // The window name alone cannot be claimed atomically; this named object can, and it
        // disappears with its owner, so a crashed receiver never leaves a stale claim behind.
        m_nameLock = CreateMutexW(nullptr, FALSE, (L"Local\\IpcWorkshop.copydata." + name).c_str());
        if (!m_nameLock)
            return "Could not claim the copydata address \"" + address + "\": " + lastErrorText(GetLastError()) + ".";
        if (GetLastError() == ERROR_ALREADY_EXISTS) {
            CloseHandle(m_nameLock);
            m_nameLock = nullptr;
            return "The copydata address \"" + address
                + "\" is already in use by a running receiver: stop it or pick another address.";
        }
        const std::string error = createWindow(name);
        if (!error.empty())
            close();
        return error;
    }

    m_receiverWindow = FindWindowExW(HWND_MESSAGE, nullptr, ReceiverClass, name.c_str());
    if (!m_receiverWindow)
        return "Nobody is receiving on copydata address \"" + address + "\": start a receiver first.";
    std::string error = createWindow(std::wstring());
    if (error.empty()) {
        peerFor(m_receiverWindow); // watches the receiver's process for PeerGone
        error = sendMessage(m_receiverWindow, Hello, nullptr, 0);
    }
    if (!error.empty())
        close();
    return error;
}

CopyDataChannelWin32::Peer &CopyDataChannelWin32::peerFor(HWND window)
{
    auto found = m_peers.find(window);
    if (found != m_peers.end())
        return found->second;
    Peer &peer = m_peers[window];
    GetWindowThreadProcessId(window, &peer.pid);
    // At most MAXIMUM_WAIT_OBJECTS - 1 processes can be watched next to the wake-up event; the
    // rest are still served, only their death is noticed at the next reply instead.
    std::size_t watched = 0;
    for (const auto &entry : m_peers)
        watched += entry.second.process ? 1 : 0;
    if (peer.pid && watched < MAXIMUM_WAIT_OBJECTS - 1)
        peer.process = OpenProcess(SYNCHRONIZE, FALSE, peer.pid);
    if (m_role == Role::Receiver) {
        Event event;
        event.kind = Event::Kind::PeerConnected;
        event.peer = std::uint64_t(reinterpret_cast<std::uintptr_t>(window));
        event.text = "copydata sender, process " + std::to_string(peer.pid);
        m_window.push(std::move(event));
    }
    return peer;
}

void CopyDataChannelWin32::dropPeer(HWND window, const std::string &how)
{
    auto found = m_peers.find(window);
    if (found == m_peers.end())
        return;
    Event event;
    event.kind = Event::Kind::PeerGone;
    event.peer = std::uint64_t(reinterpret_cast<std::uintptr_t>(window));
    event.text = how;
    if (found->second.expected)
        event.text += " It was in the middle of a frame; that frame is lost.";
    if (found->second.process)
        CloseHandle(found->second.process);
    m_peers.erase(found);
    m_window.push(std::move(event));
}

bool CopyDataChannelWin32::onMessage(UINT message, WPARAM wParam, LPARAM lParam, LRESULT *result)
{
    if (message != WM_COPYDATA)
        return false;
    *result = onCopyData(reinterpret_cast<HWND>(wParam), reinterpret_cast<const COPYDATASTRUCT *>(lParam));
    return true;
}

DWORD CopyDataChannelWin32::watchedHandles(HANDLE *handles, DWORD capacity)
{
    DWORD count = 0;
    for (const auto &entry : m_peers)
        if (entry.second.process && count < capacity)
            handles[count++] = entry.second.process;
    return count;
}

void CopyDataChannelWin32::onSignalled(HANDLE handle)
{
    for (const auto &entry : m_peers) {
        if (entry.second.process != handle)
            continue;
        const HWND gone = entry.first;
        dropPeer(gone, std::string(m_role == Role::Receiver ? "The copydata sender" : "The copydata receiver")
                           + " (process " + std::to_string(entry.second.pid) + ") exited without closing the connection.");
        return;
    }
}

std::string CopyDataChannelWin32::waitFailed(DWORD error)
{
    return "Waiting for copydata messages failed: " + lastErrorText(error) + ".";
}

// Runs on the window's thread, inside receive(). Returns TRUE when the message was taken; FALSE
// tells the sender it was refused, so a bad message is reported where it came from.
LRESULT CopyDataChannelWin32::onCopyData(HWND from, const COPYDATASTRUCT *data)
{
    if (!data || (data->dwData & TagMask) != Tag || !from)
        return FALSE;
    if (m_role == Role::Sender && from != m_receiverWindow)
        return FALSE;
    const auto *bytes = static_cast<const std::uint8_t *>(data->lpData);
    const std::size_t size = data->cbData;
    if (size && !bytes)
        return FALSE;

    switch (data->dwData & ~TagMask) {
    case Hello:
        peerFor(from);
        return TRUE;
    case Bye:
        dropPeer(from, m_role == Role::Receiver ? "The copydata sender closed the connection."
                                                : "The copydata receiver closed.");
        return TRUE;
    case Whole: {
        if (size == 0 || size > MaxFrameBytes)
            return FALSE;
        Peer &peer = peerFor(from);
        if (peer.expected)
            return FALSE;
        Event event;
        event.kind = Event::Kind::Frame;
        event.peer = std::uint64_t(reinterpret_cast<std::uintptr_t>(from));
        event.frame.assign(bytes, bytes + size);
        m_window.push(std::move(event));
        return TRUE;
    }
    case Begin: {
        std::uint64_t total = 0;
        if (size != sizeof total)
            return FALSE;
        std::memcpy(&total, bytes, sizeof total);
        if (total == 0 || total > MaxFrameBytes)
            return FALSE;
        Peer &peer = peerFor(from);
        if (peer.expected)
            return FALSE;
        peer.expected = std::size_t(total);
        peer.partial.clear();
        peer.partial.reserve(peer.expected);
        return TRUE;
    }
    case Piece: {
        auto found = m_peers.find(from);
        if (found == m_peers.end() || !found->second.expected || size == 0
            || size > found->second.expected - found->second.partial.size())
            return FALSE;
        Peer &peer = found->second;
        peer.partial.insert(peer.partial.end(), bytes, bytes + size);
        if (peer.partial.size() == peer.expected) {
            Event event;
            event.kind = Event::Kind::Frame;
            event.peer = std::uint64_t(reinterpret_cast<std::uintptr_t>(from));
            event.frame.swap(peer.partial);
            peer.expected = 0;
            m_window.push(std::move(event));
        }
        return TRUE;
    }
    default:
        return FALSE;
    }
}

std::string CopyDataChannelWin32::sendMessage(HWND target, ULONG_PTR kind, const void *data, std::size_t size)
{
    COPYDATASTRUCT message{};
    message.dwData = Tag | kind;
    message.cbData = DWORD(size);
    message.lpData = const_cast<void *>(data);
    DWORD_PTR accepted = FALSE;
    SetLastError(ERROR_SUCCESS);
    // SendMessage cannot be cancelled: interrupt() is honoured between messages, and one message
    // only waits for the peer's window procedure to copy the bytes.
    if (!SendMessageTimeoutW(target, WM_COPYDATA, reinterpret_cast<WPARAM>(m_window.handle()), reinterpret_cast<LPARAM>(&message),
                             SMTO_ABORTIFHUNG | SMTO_ERRORONEXIT, SendTimeoutMs, &accepted)) {
        const DWORD error = GetLastError();
        if (error == ERROR_TIMEOUT)
            return "The copydata peer did not take the message within " + std::to_string(SendTimeoutMs / 1000)
                + " s: it is hung or no longer reading.";
        if (!IsWindow(target))
            return m_role == Role::Sender ? "The copydata receiver has gone: start a receiver and send again."
                                          : "The copydata sender has gone; its reply was dropped.";
        return "Sending WM_COPYDATA failed: " + lastErrorText(error) + ".";
    }
    if (!accepted)
        return "The copydata peer refused the message (not from a connected IPC Workshop peer, too large, or out "
               "of order).";
    return {};
}

std::string CopyDataChannelWin32::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (m_window.interrupted())
        return {};
    if (size == 0 || size > MaxFrameBytes)
        return "A frame of " + std::to_string(size) + " bytes cannot be sent over copydata: the limit is "
            + std::to_string(MaxFrameBytes) + " bytes.";
    const HWND target = m_role == Role::Sender ? m_receiverWindow
                                               : reinterpret_cast<HWND>(static_cast<std::uintptr_t>(peer));
    if (!target)
        return "The copydata channel is not open.";
    if (size <= FragmentBytes)
        return sendMessage(target, Whole, data, size);
    const std::uint64_t total = size;
    std::string error = sendMessage(target, Begin, &total, sizeof total);
    for (std::size_t offset = 0; error.empty() && offset < size; offset += FragmentBytes) {
        if (m_window.interrupted())
            return {};
        const std::size_t piece = size - offset < FragmentBytes ? size - offset : FragmentBytes;
        error = sendMessage(target, Piece, data + offset, piece);
    }
    return error;
}

Event CopyDataChannelWin32::receive(int timeoutMs)
{
    return m_window.receive(timeoutMs);
}

void CopyDataChannelWin32::interrupt()
{
    m_window.interrupt();
}

void CopyDataChannelWin32::close()
{
    if (m_window.handle() && m_role == Role::Sender && m_receiverWindow && IsWindow(m_receiverWindow))
        sendMessage(m_receiverWindow, Bye, nullptr, 0);
    m_window.reset();
    for (auto &entry : m_peers)
        if (entry.second.process)
            CloseHandle(entry.second.process);
    m_peers.clear();
    m_receiverWindow = nullptr;
    if (m_nameLock) {
        CloseHandle(m_nameLock);
        m_nameLock = nullptr;
    }
}

IPCW_REGISTER_NATIVE_CHANNEL("copydata", CopyDataChannelWin32)
