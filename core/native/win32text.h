// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// UTF-8 to UTF-16 for the wide-char (…W) Win32 calls of the Qt-free Win32 backends. Header-only
// so a backend needs no extra source for it.

#include <windows.h>

#include <string>

namespace ipcw::native {

inline std::wstring widen(const std::string &text)
{
    if (text.empty())
        return {};
    const int length = MultiByteToWideChar(CP_UTF8, 0, text.data(), int(text.size()), nullptr, 0);
    std::wstring wide(std::size_t(length > 0 ? length : 0), L'\0');
    if (length > 0)
        MultiByteToWideChar(CP_UTF8, 0, text.data(), int(text.size()), wide.data(), length);
    return wide;
}

} // namespace ipcw::native
