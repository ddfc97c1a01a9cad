// SPDX-License-Identifier: GPL-3.0-or-later
#include "copydata_win32.h"

#include "native/registry.h"
#include "native/win32text.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

using ipcw::native::Event;
using ipcw::native::mebibytesText;
using ipcw::native::Role;
using ipcw::native::secondsText;
using ipcw::native::validAddress;
using ipcw::native::widen;

namespace {

constexpr wchar_t ReceiverClass[] = L"IpcWorkshopCopyDataReceiver";
constexpr wchar_t ReplyClass[] = L"IpcWorkshopCopyDataReply";

constexpr ULONG_PTR Tag = CopyDataChannelWin32::Tag;
constexpr ULONG_PTR TagMask = CopyDataChannelWin32::TagMask;
using Kind = CopyDataChannelWin32::Kind;
constexpr Kind Hello = CopyDataChannelWin32::Hello;
constexpr Kind Whole = CopyDataChannelWin32::Whole;
constexpr Kind Begin = CopyDataChannelWin32::Begin;
constexpr Kind Piece = CopyDataChannelWin32::Piece;
constexpr Kind Bye = CopyDataChannelWin32::Bye;

// A fragmented frame's memory grows as its pieces arrive: InitialFrameBytes first, then twice
// what arrived, up to the frame's length (as the named pipe's FrameCutter does).
using ipcw::native::InitialFrameBytes;

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
    m_budget.setLimit(receiveLimits().maxPendingBytes);

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

std::string CopyDataChannelWin32::senderName(HWND window) const
{
    char handle[32];
    std::snprintf(handle, sizeof handle, "%llx", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(window)));
    DWORD pid = 0;
    const auto found = m_peers.find(window);
    if (found != m_peers.end())
        pid = found->second.pid;
    else
        GetWindowThreadProcessId(window, &pid);
    return "The copydata sender with window " + std::string(handle) + " (process " + std::to_string(pid) + ")";
}

void CopyDataChannelWin32::refuse(HWND from, const std::string &why)
{
    Event event;
    event.kind = Event::Kind::Refused;
    if (m_peers.count(from))
        event.peer = std::uint64_t(reinterpret_cast<std::uintptr_t>(from));
    event.text = senderName(from) + " " + why;
    m_window.push(std::move(event));
}

bool CopyDataChannelWin32::admit(HWND window)
{
    if (m_role != Role::Receiver || m_peers.count(window))
        return true;
    if (m_peers.size() < std::size_t(std::max(receiveLimits().maxPeers, 0)))
        return true;
    refuse(window, "was turned away: this receiver already serves " + ipcw::native::sendersText(m_peers.size())
                       + ", its limit (--max-peers).");
    return false;
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

int CopyDataChannelWin32::expireStalled(int waitMs)
{
    const int timeoutMs = receiveLimits().peerTimeoutMs;
    const auto now = std::chrono::steady_clock::now();
    m_stalls.clear();
    for (auto &entry : m_peers) {
        Peer &peer = entry.second;
        if (!peer.expected)
            continue; // between frames a sender may stay idle as long as it likes
        if (now - peer.lastProgress < std::chrono::milliseconds(timeoutMs)) {
            m_stalls.note(peer.lastProgress, timeoutMs);
            continue;
        }
        const long long idleMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - peer.lastProgress).count();
        refuse(entry.first, "stopped in the middle of a frame: " + std::to_string(peer.partial.size()) + " of its "
                                + std::to_string(peer.expected) + " bytes had arrived, then nothing came for "
                                + secondsText(idleMs) + " s (the limit is " + secondsText(timeoutMs)
                                + " s, --peer-timeout): the partial frame was dropped, the sender stays.");
        peer.expected = 0;
        peer.partial = {};
        peer.share.release();
    }
    return m_stalls.shorten(waitMs);
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

    const Kind kind = Kind(data->dwData & ~TagMask);
    if (kind == Hello || kind == Whole || kind == Begin) {
        if (!admit(from))
            return CopyDataChannelWin32::FullResult;
    }
    const auto frameEvent = [from](std::vector<std::uint8_t> &&frame) {
        Event event;
        event.kind = Event::Kind::Frame;
        event.peer = std::uint64_t(reinterpret_cast<std::uintptr_t>(from));
        event.frame = std::move(frame);
        return event;
    };
    switch (kind) {
    case Hello:
        peerFor(from);
        return TRUE;
    case Bye:
        dropPeer(from, m_role == Role::Receiver ? "The copydata sender closed the connection."
                                                : "The copydata receiver closed.");
        return TRUE;
    case Whole: {
        Peer &peer = peerFor(from);
        if (size == 0 || size > FragmentBytes) {
            refuse(from, "sent a whole-frame message of " + std::to_string(size) + " bytes; at most "
                             + std::to_string(FragmentBytes) + " are allowed, larger frames come in pieces: it was "
                             "dropped, the sender stays.");
            return FALSE;
        }
        if (peer.expected)
            return FALSE;
        if (!m_delivered.resize(m_budget, m_delivered.bytes() + size)) {
            refuse(from, "sent a frame of " + std::to_string(size) + " bytes when " + m_budget.describe()
                             + ", frames not yet taken included: it was dropped, the sender stays.");
            return FALSE;
        }
        m_window.push(frameEvent(std::vector<std::uint8_t>(bytes, bytes + size)));
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
        if (total > m_budget.limit()) {
            refuse(from, "announced a frame of " + std::to_string(total)
                             + " bytes, more than this receiver's whole budget for unfinished frames ("
                             + mebibytesText(m_budget.limit()) + " MiB, --max-pending-mib): it was refused, the "
                             "sender stays.");
            return FALSE;
        }
        // Nothing is reserved on Begin's word: the memory comes with the pieces.
        peer.expected = std::size_t(total);
        peer.partial = {};
        peer.lastProgress = std::chrono::steady_clock::now();
        return TRUE;
    }
    case Piece: {
        auto found = m_peers.find(from);
        if (found == m_peers.end() || !found->second.expected || size == 0
            || size > found->second.expected - found->second.partial.size())
            return FALSE;
        Peer &peer = found->second;
        const std::size_t need = peer.partial.size() + size;
        if (need > peer.partial.capacity()) {
            const std::size_t target = std::min(peer.expected, std::max({InitialFrameBytes, 2 * peer.partial.size(), need}));
            if (!peer.share.resize(m_budget, target)) {
                refuse(from, "needed " + mebibytesText(target - peer.share.bytes()) + " MiB more for its frame of "
                                 + std::to_string(peer.expected) + " bytes (" + std::to_string(peer.partial.size())
                                 + " had arrived) when " + m_budget.describe()
                                 + ": the frame was dropped, the sender stays.");
                peer.expected = 0;
                peer.partial = {};
                peer.share.release();
                return FALSE;
            }
            peer.partial.reserve(target);
        }
        peer.partial.insert(peer.partial.end(), bytes, bytes + size);
        peer.lastProgress = std::chrono::steady_clock::now();
        if (peer.partial.size() == peer.expected) {
            // Its share moves to the frames waiting for receive(): the same bytes, so it fits.
            peer.share.release();
            m_delivered.resize(m_budget, m_delivered.bytes() + peer.partial.size());
            peer.expected = 0;
            m_window.push(frameEvent(std::move(peer.partial)));
            peer.partial = {};
        }
        return TRUE;
    }
    }
    return FALSE;
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
    if (accepted == DWORD_PTR(FullResult))
        return "The copydata receiver \"" + m_address
            + "\" already serves as many senders as it allows (--max-peers): try again when one has finished.";
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
    Event event = m_window.receive(timeoutMs);
    if (event.kind == Event::Kind::Frame)
        m_delivered.resize(m_budget, m_delivered.bytes() - std::min<std::uint64_t>(m_delivered.bytes(), event.frame.size()));
    return event;
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
    m_delivered.release();
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
