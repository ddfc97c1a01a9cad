// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Text helpers of the Qt-free Win32 backends: UTF-8 to UTF-16 for the wide-char (…W) Win32
// calls, and the check of an address that becomes part of a kernel object name. Header-only so a
// backend needs no extra source for them.

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

// Kernel object names reserve the backslash, and the backends prefix the address, so it stays
// well below MAX_PATH.
inline bool validAddress(const std::string &address)
{
    if (address.empty() || address.size() > 200)
        return false;
    for (const char c : address)
        if (c == '\\' || static_cast<unsigned char>(c) < 0x20)
            return false;
    return true;
}

} // namespace ipcw::native
