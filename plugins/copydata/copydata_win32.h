// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// WM_COPYDATA between message-only windows (HWND_MESSAGE): the receiver owns a window named
// after the address; each sender owns a nameless one and passes its handle as wParam, so the
// receiver can WM_COPYDATA back to exactly that sender (acks). The window is created in open()
// and its messages are only dispatched inside receive(), so both must run on the same thread
// (native/win32messagewindow.h).
//
// SendMessage is synchronous: the sender waits until the receiver's window procedure has copied
// the data, which is the backpressure. Frames larger than one message are split (Wine refuses
// single WM_COPYDATA payloads of a few MiB). A sender's death is noticed by waiting on its
// process handle, not by polling.
//
// Security: any process on the same desktop may send window messages; the receiver treats every
// byte as hostile (tagged messages, length caps, in-order fragments only).

#include "native/channel.h"
#include "native/win32messagewindow.h"

#include <windows.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

class CopyDataChannelWin32 final : public ipcw::native::Channel, private ipcw::native::Win32MessageWindow::Client
{
public:
    CopyDataChannelWin32();
    ~CopyDataChannelWin32() override;

    std::string open(ipcw::native::Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    ipcw::native::Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;

    // Largest frame accepted: the wire format's 40-byte header plus its 64 MiB payload cap.
    static constexpr std::size_t MaxFrameBytes = 40 + 64u * 1024u * 1024u;
    // Largest piece carried by one WM_COPYDATA.
    static constexpr std::size_t FragmentBytes = 512u * 1024u;

private:
    struct Peer
    {
        HANDLE process = nullptr; // SYNCHRONIZE handle: signalled when the peer process exits
        DWORD pid = 0;
        std::vector<std::uint8_t> partial; // fragments received so far
        std::size_t expected = 0;          // total size announced by Begin; 0 when idle
    };

    bool onMessage(UINT message, WPARAM wParam, LPARAM lParam, LRESULT *result) override;
    DWORD watchedHandles(HANDLE *handles, DWORD capacity) override;
    void onSignalled(HANDLE handle) override;
    std::string waitFailed(DWORD error) override;
    LRESULT onCopyData(HWND from, const COPYDATASTRUCT *data);
    Peer &peerFor(HWND window);
    void dropPeer(HWND window, const std::string &how);
    std::string sendMessage(HWND target, ULONG_PTR kind, const void *data, std::size_t size);
    std::string createWindow(const std::wstring &name);

    ipcw::native::Role m_role = ipcw::native::Role::Receiver;
    std::string m_address;
    ipcw::native::Win32MessageWindow m_window{this}; // and the interrupt event
    HANDLE m_nameLock = nullptr;   // receiver: a named object that exists while it listens
    HWND m_receiverWindow = nullptr; // sender: where frames go
    std::map<HWND, Peer> m_peers;  // touched only on the window's thread
};
