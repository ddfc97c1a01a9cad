// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The plumbing of a Win32 Channel that lives on window messages (clipboard, copydata): a
// message-only window (HWND_MESSAGE) whose messages go to a Client, the sticky interrupt event,
// the events the window procedure produces, and a receive() that dispatches messages and
// otherwise sleeps in MsgWaitForMultipleObjectsEx on the interrupt event and the handles the
// client watches (peer processes). The window is created by create() and its messages are
// dispatched only inside receive(): both must run on the same thread. Plain C++17 and Win32, no
// Qt: compiled by mingw-w64 into the Wine test driver, never into the Linux core library.

#include "native/channel.h"

#include <windows.h>

#include <deque>
#include <string>

namespace ipcw::native {

class Win32MessageWindow
{
public:
    class Client
    {
    public:
        virtual ~Client() = default;
        // A message for the window, on its thread inside receive(); false: not handled.
        virtual bool onMessage(UINT message, WPARAM wParam, LPARAM lParam, LRESULT *result) = 0;
        // Fills up to `capacity` handles receive() waits on besides the interrupt event.
        virtual DWORD watchedHandles(HANDLE *handles, DWORD capacity)
        {
            (void)handles, (void)capacity;
            return 0;
        }
        // One of the watched handles was signalled.
        virtual void onSignalled(HANDLE handle) { (void)handle; }
        // Before each wait: drops what stayed unfinished past its time limit (pushing events)
        // and returns `waitMs` (-1: no limit) shortened to when the next such limit runs out.
        virtual int expireStalled(int waitMs) { return waitMs; }
        // The sentence for a failed wait.
        virtual std::string waitFailed(DWORD error) = 0;
    };

    explicit Win32MessageWindow(Client *client);
    ~Win32MessageWindow();
    Win32MessageWindow(const Win32MessageWindow &) = delete;
    Win32MessageWindow &operator=(const Win32MessageWindow &) = delete;

    // False when the interrupt event could not be made (GetLastError() says why).
    bool usable() const { return m_interrupt != nullptr; }
    // Registers `className` (once per process) and creates the window named `name`; returns 0
    // or the Win32 error, with `*classFailed` saying whether registering the class failed.
    DWORD create(const wchar_t *className, const std::wstring &name, bool *classFailed);
    HWND handle() const { return m_window; }
    // Destroys the window; from another thread than create()'s it is only asked to close.
    void destroy();

    void push(Event event) { m_pending.push_back(std::move(event)); }
    // Channel::receive() on the window's thread.
    Event receive(int timeoutMs);

    // Channel::interrupt(): sticky until reset().
    void interrupt();
    bool interrupted() const;
    // For close(): destroys the window, drops pending events and clears the interrupt.
    void reset();

private:
    static LRESULT CALLBACK windowProc(HWND window, UINT message, WPARAM wParam, LPARAM lParam);

    Client *m_client;
    HANDLE m_interrupt = nullptr; // manual-reset, sticky until reset()
    HWND m_window = nullptr;      // owned by the thread that called create()
    std::deque<Event> m_pending;  // filled by the window procedure
};

} // namespace ipcw::native
