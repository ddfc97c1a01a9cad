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
//
// What a peer can make the receiver hold, and how its ReceiveLimits (receivelimits.h) bound it:
// - Frames being put together from fragments (Begin, then Pieces), all senders together, and
//   whole frames handed over but not yet taken by receive(), draw on one budget
//   (--max-pending-mib). A fragmented frame's memory grows as its pieces arrive (1 MiB, then
//   doubling), never on Begin's word; a Begin announcing more than the whole budget, a piece
//   the budget has no room for, or a whole frame that does not fit is refused: the message
//   returns FALSE, so the sender's send() fails, and the receiver reports Event::Kind::Refused
//   (one bad frame). The sender stays. A whole-frame message may carry at most FragmentBytes:
//   the OS already copied it into this process when the window procedure runs, so that is what
//   a message costs before anything is judged.
// - A sender that began a frame and sends no piece for --peer-timeout loses that frame
//   (Refused), and stays.
// - Senders (--max-peers), that is distinct sender windows named in wParam: one more is
//   refused at its Hello (or first frame) with Refused, and its message returns FullResult so an
//   IPC Workshop sender's open() says why. Nothing is remembered of it.
// Not bounded here, and why: a message's bytes while the window procedure runs (the OS maps
// them in for SendMessage, at most what the sender itself copied); the number of messages
// waiting to be dispatched (each waits in its sender's own SendMessage, which the sender
// pays for with a blocked thread, and the receiver dispatches none while an event is pending,
// so only those that arrive during one dispatch turn are queued, each bounded as above).

#include "native/channel.h"
#include "native/win32messagewindow.h"

#include <windows.h>

#include <chrono>
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

    // dwData of every IPC Workshop message: "IPCW" in the high half, the kind in the low half, so
    // WM_COPYDATA from unrelated programs is recognised and refused.
    static constexpr ULONG_PTR Tag = ULONG_PTR(0x49504357) << 32;
    static constexpr ULONG_PTR TagMask = ~ULONG_PTR(0xffffffff);
    enum Kind : ULONG_PTR {
        Hello = 1, // empty; a sender introduces itself
        Whole = 2, // one whole frame of at most FragmentBytes
        Begin = 3, // u64 total size; fragments follow
        Piece = 4, // the next fragment of the frame announced by Begin
        Bye = 5,   // empty; the sender closes cleanly
    };
    // What the receiver's window returns for a sender beyond --max-peers (TRUE: taken, FALSE:
    // refused).
    static constexpr LRESULT FullResult = 0x46554c4c; // "FULL"

private:
    struct Peer
    {
        HANDLE process = nullptr; // SYNCHRONIZE handle: signalled when the peer process exits
        DWORD pid = 0;
        std::vector<std::uint8_t> partial; // fragments received so far
        std::size_t expected = 0;          // total size announced by Begin; 0 when idle
        ipcw::native::PendingBudget::Share share; // what `partial` holds of the budget
        std::chrono::steady_clock::time_point lastProgress; // Begin or the last piece
    };

    bool onMessage(UINT message, WPARAM wParam, LPARAM lParam, LRESULT *result) override;
    DWORD watchedHandles(HANDLE *handles, DWORD capacity) override;
    void onSignalled(HANDLE handle) override;
    int expireStalled(int waitMs) override;
    std::string waitFailed(DWORD error) override;
    LRESULT onCopyData(HWND from, const COPYDATASTRUCT *data);
    Peer &peerFor(HWND window);
    // False, with the refusal reported, when `window` is a new sender beyond --max-peers.
    bool admit(HWND window);
    void refuse(HWND from, const std::string &why);
    // "copydata sender 2 (process 1234)"
    std::string senderName(HWND window) const;
    void dropPeer(HWND window, const std::string &how);
    std::string sendMessage(HWND target, ULONG_PTR kind, const void *data, std::size_t size);
    std::string createWindow(const std::wstring &name);

    ipcw::native::Role m_role = ipcw::native::Role::Receiver;
    std::string m_address;
    ipcw::native::Win32MessageWindow m_window{this}; // and the interrupt event
    HANDLE m_nameLock = nullptr;   // receiver: a named object that exists while it listens
    HWND m_receiverWindow = nullptr; // sender: where frames go
    ipcw::native::PendingBudget m_budget; // before what holds shares of it
    ipcw::native::PendingBudget::Share m_delivered; // whole frames pushed, not yet taken by receive()
    ipcw::native::StallWatch m_stalls;
    std::map<HWND, Peer> m_peers;  // touched only on the window's thread
};
