// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The Windows clipboard as a channel. Frames travel in the registered format "IPC Workshop
// Frame", replies (acks) in "IPC Workshop Ack"; each value carries the address and the writer's
// window so unrelated clipboard traffic and other addresses are ignored. Change notification
// comes from AddClipboardFormatListener (WM_CLIPBOARDUPDATE) on a message-only window, so an idle
// side sleeps in MsgWaitForMultipleObjectsEx.
//
// Lossy by nature: the clipboard holds one value, so a frame written before the other side read
// the previous one replaces it (latest value wins). send() never waits for the reader; a caller
// that must not lose frames waits for the answer before sending the next one.
//
// The window is created in open() and its messages are dispatched only inside receive(): both
// must run on the same thread (native/win32messagewindow.h). send() may run on another thread.

#include "native/channel.h"
#include "native/win32messagewindow.h"

#include <windows.h>

#include <cstdint>
#include <set>
#include <string>

class ClipboardChannelWin32 final : public ipcw::native::Channel, private ipcw::native::Win32MessageWindow::Client
{
public:
    ClipboardChannelWin32();
    ~ClipboardChannelWin32() override;

    std::string open(ipcw::native::Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    ipcw::native::Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;

    // Largest frame accepted: the wire format's 40-byte header plus its 64 MiB payload cap.
    static constexpr std::size_t MaxFrameBytes = 40 + 64u * 1024u * 1024u;

private:
    bool onMessage(UINT message, WPARAM wParam, LPARAM lParam, LRESULT *result) override;
    std::string waitFailed(DWORD error) override;
    void readClipboard();
    bool openClipboard(bool honourInterrupt);

    ipcw::native::Role m_role = ipcw::native::Role::Receiver;
    std::string m_address;
    UINT m_readFormat = 0;  // what this side takes off the clipboard
    UINT m_writeFormat = 0; // what it puts there
    ipcw::native::Win32MessageWindow m_window{this}; // and the interrupt event
    HANDLE m_nameLock = nullptr;  // receiver: a named object that exists while it listens
    bool m_listening = false;     // AddClipboardFormatListener succeeded
    DWORD m_lastSequence = 0;     // GetClipboardSequenceNumber() of the last value read
    std::set<std::uint64_t> m_peers; // writers seen, touched only on the window's thread
};
