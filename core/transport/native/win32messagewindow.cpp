// SPDX-License-Identifier: GPL-3.0-or-later
#include "native/win32messagewindow.h"

namespace ipcw::native {

Win32MessageWindow::Win32MessageWindow(Client *client)
    : m_client(client)
    , m_interrupt(CreateEventW(nullptr, TRUE, FALSE, nullptr))
{
}

Win32MessageWindow::~Win32MessageWindow()
{
    destroy();
    if (m_interrupt)
        CloseHandle(m_interrupt);
}

DWORD Win32MessageWindow::create(const wchar_t *className, const std::wstring &name, bool *classFailed)
{
    *classFailed = false;
    WNDCLASSEXW windowClass{};
    windowClass.cbSize = sizeof(windowClass);
    windowClass.lpfnWndProc = &Win32MessageWindow::windowProc;
    windowClass.hInstance = GetModuleHandleW(nullptr);
    windowClass.lpszClassName = className;
    if (!RegisterClassExW(&windowClass) && GetLastError() != ERROR_CLASS_ALREADY_EXISTS) {
        *classFailed = true;
        return GetLastError();
    }
    m_window = CreateWindowExW(0, className, name.c_str(), 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr,
                               GetModuleHandleW(nullptr), this);
    return m_window ? 0 : GetLastError();
}

void Win32MessageWindow::destroy()
{
    if (!m_window)
        return;
    // The window procedure must not reach the client any more. A window can only be destroyed
    // by its own thread; when that thread has already ended, Windows destroyed it.
    SetWindowLongPtrW(m_window, GWLP_USERDATA, 0);
    if (GetWindowThreadProcessId(m_window, nullptr) == GetCurrentThreadId())
        DestroyWindow(m_window);
    else if (IsWindow(m_window))
        PostMessageW(m_window, WM_CLOSE, 0, 0);
    m_window = nullptr;
}

LRESULT CALLBACK Win32MessageWindow::windowProc(HWND window, UINT message, WPARAM wParam, LPARAM lParam)
{
    if (message == WM_NCCREATE) {
        const auto *create = reinterpret_cast<const CREATESTRUCTW *>(lParam);
        SetWindowLongPtrW(window, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(create->lpCreateParams));
    }
    auto *self = reinterpret_cast<Win32MessageWindow *>(GetWindowLongPtrW(window, GWLP_USERDATA));
    LRESULT result = 0;
    if (self && self->m_client->onMessage(message, wParam, lParam, &result))
        return result;
    return DefWindowProcW(window, message, wParam, lParam);
}

Event Win32MessageWindow::receive(int timeoutMs)
{
    const ULONGLONG deadline = timeoutMs < 0 ? 0 : GetTickCount64() + ULONGLONG(timeoutMs);
    for (;;) {
        if (interrupted()) {
            Event event;
            event.kind = Event::Kind::Interrupted;
            return event;
        }
        // Stop dispatching once something is pending: a copydata sender waits in SendMessage
        // until its message is handled, so at most one frame per sender is ever buffered here.
        MSG message;
        while (m_pending.empty() && PeekMessageW(&message, nullptr, 0, 0, PM_REMOVE))
            DispatchMessageW(&message);
        if (!m_pending.empty()) {
            Event event = std::move(m_pending.front());
            m_pending.pop_front();
            return event;
        }

        int wait = -1;
        if (timeoutMs >= 0) {
            const ULONGLONG now = GetTickCount64();
            wait = now >= deadline ? 0 : int(deadline - now);
        }
        const int limited = m_client->expireStalled(wait);
        if (!m_pending.empty())
            continue;

        // MsgWaitForMultipleObjectsEx takes at most MAXIMUM_WAIT_OBJECTS - 1 handles.
        HANDLE handles[MAXIMUM_WAIT_OBJECTS - 1];
        handles[0] = m_interrupt;
        const DWORD count = 1 + m_client->watchedHandles(handles + 1, MAXIMUM_WAIT_OBJECTS - 2);
        const DWORD result = MsgWaitForMultipleObjectsEx(count, handles, limited < 0 ? INFINITE : DWORD(limited),
                                                         QS_ALLINPUT, MWMO_INPUTAVAILABLE);
        if (result == WAIT_TIMEOUT) {
            if (timeoutMs >= 0 && GetTickCount64() < deadline)
                continue; // a time limit of the client ran out: expireStalled() judges it
            Event event;
            event.kind = Event::Kind::Timeout;
            return event;
        }
        if (result > WAIT_OBJECT_0 && result < WAIT_OBJECT_0 + count) {
            m_client->onSignalled(handles[result - WAIT_OBJECT_0]);
            continue;
        }
        if (result == WAIT_FAILED) {
            Event event;
            event.kind = Event::Kind::Error;
            event.text = m_client->waitFailed(GetLastError());
            return event;
        }
        // The interrupt event, or messages arrived: the top of the loop handles both.
    }
}

void Win32MessageWindow::interrupt()
{
    if (m_interrupt)
        SetEvent(m_interrupt);
}

bool Win32MessageWindow::interrupted() const
{
    return WaitForSingleObject(m_interrupt, 0) == WAIT_OBJECT_0;
}

void Win32MessageWindow::reset()
{
    destroy();
    m_pending.clear();
    if (m_interrupt)
        ResetEvent(m_interrupt);
}

} // namespace ipcw::native
