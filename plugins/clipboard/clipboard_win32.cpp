// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboard_win32.h"

#include "native/registry.h"
#include "native/win32text.h"

#include <cstring>
#include <vector>

using ipcw::native::Event;
using ipcw::native::Role;
using ipcw::native::validAddress;
using ipcw::native::widen;

namespace {

constexpr wchar_t WindowClass[] = L"IpcWorkshopClipboard";
constexpr wchar_t FrameFormatName[] = L"IPC Workshop Frame";
constexpr wchar_t AckFormatName[] = L"IPC Workshop Ack";

// Every clipboard value this channel writes: a fixed prefix, the address, then the frame.
//   u32 magic, u32 version, u64 writer window, u64 addressee window (0: any), u32 address
//   length, address (UTF-8), frame
constexpr std::uint32_t Magic = 0x42435049; // "IPCB"
constexpr std::uint32_t Version = 1;
constexpr std::size_t PrefixBytes = 4 + 4 + 8 + 8 + 4;

// Another program may hold the clipboard open for a moment; it is released within milliseconds
// in practice, so a short bounded retry is enough and only runs while data is being moved.
constexpr int OpenAttempts = 200;
constexpr DWORD OpenRetryMs = 5;

std::string errorText(DWORD error)
{
    return "Windows error " + std::to_string(error);
}

void put32(std::uint8_t *at, std::uint32_t value)
{
    std::memcpy(at, &value, sizeof value); // x86-64 and ARM64 Windows are little-endian
}

void put64(std::uint8_t *at, std::uint64_t value)
{
    std::memcpy(at, &value, sizeof value);
}

std::uint32_t get32(const std::uint8_t *at)
{
    std::uint32_t value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

std::uint64_t get64(const std::uint8_t *at)
{
    std::uint64_t value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

std::wstring lockName(const std::string &address)
{
    return L"Local\\IpcWorkshop.clipboard." + widen(address);
}

} // namespace

ClipboardChannelWin32::ClipboardChannelWin32() = default;

ClipboardChannelWin32::~ClipboardChannelWin32()
{
    close();
}

std::string ClipboardChannelWin32::open(Role role, const std::string &address)
{
    m_role = role;
    m_address = address;
    if (!m_window.usable())
        return "Could not create the clipboard wake-up event: " + errorText(GetLastError()) + ".";
    if (!validAddress(address))
        return "The clipboard address \"" + address
            + "\" is not usable: give 1 to 200 characters without backslashes or control characters.";
    const UINT frameFormat = RegisterClipboardFormatW(FrameFormatName);
    const UINT ackFormat = RegisterClipboardFormatW(AckFormatName);
    if (!frameFormat || !ackFormat)
        return "Could not register the IPC Workshop clipboard formats: " + errorText(GetLastError()) + ".";
    m_readFormat = role == Role::Receiver ? frameFormat : ackFormat;
    m_writeFormat = role == Role::Receiver ? ackFormat : frameFormat;

    if (role == Role::Receiver) {
        // Exists exactly while a receiver listens (Windows closes it with a crashed process), so
        // it tells senders someone is there and keeps a second receiver off the address.
        m_nameLock = CreateMutexW(nullptr, FALSE, lockName(address).c_str());
        if (!m_nameLock)
            return "Could not claim the clipboard address \"" + address + "\": " + errorText(GetLastError()) + ".";
        if (GetLastError() == ERROR_ALREADY_EXISTS) {
            close();
            return "The clipboard address \"" + address
                + "\" is already in use by a running receiver: stop it or pick another address.";
        }
    } else {
        HANDLE receiver = OpenMutexW(SYNCHRONIZE, FALSE, lockName(address).c_str());
        if (!receiver)
            return "Nobody is receiving on clipboard address \"" + address + "\": start a receiver first.";
        // Not kept open: a handle held here would make the name outlive its receiver.
        CloseHandle(receiver);
    }

    bool classFailed = false;
    if (const DWORD error = m_window.create(WindowClass, std::wstring(), &classFailed)) {
        close();
        return std::string(classFailed ? "Could not register the clipboard window class: "
                                       : "Could not create the clipboard message window: ")
            + errorText(error) + ".";
    }
    m_listening = AddClipboardFormatListener(m_window.handle());
    if (!m_listening) {
        const DWORD error = GetLastError();
        close();
        return "Could not listen for clipboard changes: " + errorText(error) + ".";
    }
    // A value left from an earlier run is not news.
    m_lastSequence = GetClipboardSequenceNumber();
    return {};
}

bool ClipboardChannelWin32::onMessage(UINT message, WPARAM, LPARAM, LRESULT *result)
{
    if (message != WM_CLIPBOARDUPDATE)
        return false;
    readClipboard();
    *result = 0;
    return true;
}

std::string ClipboardChannelWin32::waitFailed(DWORD error)
{
    return "Waiting for clipboard changes failed: " + errorText(error) + ".";
}

bool ClipboardChannelWin32::openClipboard(bool honourInterrupt)
{
    for (int attempt = 0; attempt < OpenAttempts; ++attempt) {
        if (OpenClipboard(m_window.handle()))
            return true;
        if (honourInterrupt && m_window.interrupted())
            return false;
        Sleep(OpenRetryMs);
    }
    return false;
}

// Runs on the window's thread, inside receive(), after the clipboard changed.
void ClipboardChannelWin32::readClipboard()
{
    const DWORD sequence = GetClipboardSequenceNumber();
    if (sequence == m_lastSequence || !IsClipboardFormatAvailable(m_readFormat))
        return;
    if (!openClipboard(false))
        return; // the next change brings a new notification; this value is lost, as any overwrite
    m_lastSequence = GetClipboardSequenceNumber();
    std::vector<std::uint8_t> value;
    if (HANDLE data = GetClipboardData(m_readFormat)) {
        const SIZE_T size = GlobalSize(data);
        const auto *bytes = static_cast<const std::uint8_t *>(GlobalLock(data));
        // Anyone can put anything on the clipboard: cap before copying.
        if (bytes && size >= PrefixBytes && size <= PrefixBytes + m_address.size() + MaxFrameBytes)
            value.assign(bytes, bytes + size);
        if (bytes)
            GlobalUnlock(data);
    }
    CloseClipboard();

    if (value.size() < PrefixBytes || get32(value.data()) != Magic || get32(value.data() + 4) != Version)
        return;
    const std::uint64_t from = get64(value.data() + 8);
    const std::uint64_t to = get64(value.data() + 16);
    const std::uint32_t addressBytes = get32(value.data() + 24);
    const std::uint64_t self = std::uint64_t(reinterpret_cast<std::uintptr_t>(m_window.handle()));
    if (from == self || (to != 0 && to != self) || addressBytes != m_address.size()
        || value.size() - PrefixBytes <= addressBytes
        || std::memcmp(value.data() + PrefixBytes, m_address.data(), addressBytes) != 0)
        return;

    if (m_role == Role::Receiver && m_peers.insert(from).second) {
        Event connected;
        connected.kind = Event::Kind::PeerConnected;
        connected.peer = from;
        connected.text = "clipboard writer (window " + std::to_string(from) + ")";
        m_window.push(std::move(connected));
    }
    Event event;
    event.kind = Event::Kind::Frame;
    event.peer = from;
    event.frame.assign(value.begin() + std::ptrdiff_t(PrefixBytes + addressBytes), value.end());
    m_window.push(std::move(event));
}

std::string ClipboardChannelWin32::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (m_window.interrupted())
        return {};
    if (!m_window.handle())
        return "The clipboard channel is not open.";
    if (size == 0 || size > MaxFrameBytes)
        return "A frame of " + std::to_string(size) + " bytes cannot be put on the clipboard: the limit is "
            + std::to_string(MaxFrameBytes) + " bytes.";
    const std::size_t total = PrefixBytes + m_address.size() + size;
    HGLOBAL memory = GlobalAlloc(GMEM_MOVEABLE, total);
    auto *bytes = memory ? static_cast<std::uint8_t *>(GlobalLock(memory)) : nullptr;
    if (!bytes) {
        if (memory)
            GlobalFree(memory);
        return "Could not allocate " + std::to_string(total) + " bytes for the clipboard.";
    }
    put32(bytes, Magic);
    put32(bytes + 4, Version);
    put64(bytes + 8, std::uint64_t(reinterpret_cast<std::uintptr_t>(m_window.handle())));
    put64(bytes + 16, m_role == Role::Receiver ? peer : 0);
    put32(bytes + 24, std::uint32_t(m_address.size()));
    std::memcpy(bytes + PrefixBytes, m_address.data(), m_address.size());
    std::memcpy(bytes + PrefixBytes + m_address.size(), data, size);
    GlobalUnlock(memory);

    if (!openClipboard(true)) {
        GlobalFree(memory);
        if (m_window.interrupted())
            return {};
        return "The clipboard stayed locked by another program for a second; the frame was not sent.";
    }
    std::string error;
    if (!EmptyClipboard())
        error = "Could not clear the clipboard: " + errorText(GetLastError()) + ".";
    else if (!SetClipboardData(m_writeFormat, memory))
        error = "Could not put the frame on the clipboard: " + errorText(GetLastError()) + ".";
    else
        memory = nullptr; // the clipboard owns it now
    CloseClipboard();
    if (memory)
        GlobalFree(memory);
    return error;
}

Event ClipboardChannelWin32::receive(int timeoutMs)
{
    return m_window.receive(timeoutMs);
}

void ClipboardChannelWin32::interrupt()
{
    m_window.interrupt();
}

void ClipboardChannelWin32::close()
{
    if (m_listening && m_window.handle())
        RemoveClipboardFormatListener(m_window.handle());
    m_listening = false;
    m_window.reset();
    m_peers.clear();
    if (m_nameLock) {
        CloseHandle(m_nameLock);
        m_nameLock = nullptr;
    }
}

IPCW_REGISTER_NATIVE_CHANNEL("clipboard", ClipboardChannelWin32)
