// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Lets the Qt-free native test driver (tests/wine) find every backend compiled into it
// without a central list: each backend's .cpp registers itself by mechanism id.
//   IPCW_REGISTER_NATIVE_CHANNEL("mailslot", MailslotChannelWin32)
// The Qt plugins do not use this; they construct their backend directly.

#include "channel.h"

#include <memory>
#include <string>

namespace ipcw::native {

struct ChannelRegistration
{
    const char *mechanism;
    std::unique_ptr<Channel> (*make)();
    ChannelRegistration *next;
};

inline ChannelRegistration *&channelRegistrations()
{
    static ChannelRegistration *head = nullptr;
    return head;
}

struct ChannelRegistrar
{
    explicit ChannelRegistrar(ChannelRegistration &registration)
    {
        registration.next = channelRegistrations();
        channelRegistrations() = &registration;
    }
};

inline std::unique_ptr<Channel> makeChannel(const std::string &mechanism)
{
    for (ChannelRegistration *r = channelRegistrations(); r; r = r->next)
        if (mechanism == r->mechanism)
            return r->make();
    return nullptr;
}

} // namespace ipcw::native

#define IPCW_NATIVE_CONCAT2(a, b) a##b
#define IPCW_NATIVE_CONCAT(a, b) IPCW_NATIVE_CONCAT2(a, b)
#define IPCW_REGISTER_NATIVE_CHANNEL(mechanismId, Type)                                                     \
    namespace {                                                                                          \
    ::ipcw::native::ChannelRegistration IPCW_NATIVE_CONCAT(ipcwRegistration_, __LINE__){                 \
        mechanismId, [] { return std::unique_ptr<::ipcw::native::Channel>(new Type); }, nullptr};        \
    ::ipcw::native::ChannelRegistrar IPCW_NATIVE_CONCAT(ipcwRegistrar_, __LINE__){                       \
        IPCW_NATIVE_CONCAT(ipcwRegistration_, __LINE__)};                                                \
    }
