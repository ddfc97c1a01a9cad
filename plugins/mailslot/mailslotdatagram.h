// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The datagram format both mailslot backends (POSIX message queues, Win32 mailslots) put on
// the OS object. The OS limits one message (8 KiB by default for a Linux queue, 424 bytes for
// a mailslot across machines, 64 KiB under Wine), so every frame travels as one or more
// fragments, each with the shared 32-byte envelope (native/datagramenvelope.h) in front, whose
// magic here is "IMLS". Header-only and Qt-free: the Win32 backend is also compiled alone by
// mingw-w64 for the Wine test driver.

#include "native/datagramenvelope.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ipcw::mailslot {

using ipcw::native::DatagramHeader;
using ipcw::native::DatagramHeaderBytes;
using ipcw::native::DatagramKind;
using ipcw::native::DatagramVersion;
using ipcw::native::getU32;
using ipcw::native::MinDatagramBytes;
using ipcw::native::putU32;

constexpr std::uint32_t DatagramMagic = 0x534c4d49;
// The largest frame either backend reassembles: a 16 MiB payload plus the 40-byte frame
// header. The receiver refuses a larger announced total before allocating anything.
constexpr std::uint32_t MaxFrameBytes = 16u * 1024u * 1024u + 40u;

inline void writeDatagramHeader(std::uint8_t *out, const DatagramHeader &h)
{
    ipcw::native::writeDatagramHeader(out, DatagramMagic, h);
}

// False for anything that is not one of our datagrams (wrong magic, version, kind, too short).
inline bool readDatagramHeader(const std::uint8_t *data, std::size_t size, DatagramHeader *h)
{
    return ipcw::native::readDatagramHeader(data, size, DatagramMagic, h);
}

// One peer id per sending channel: the pid in the high half, the channel's slot in the low.
inline std::uint64_t peerIdFor(std::uint32_t pid, std::uint32_t slot)
{
    return std::uint64_t(pid) << 32 | slot;
}

// "records-reply-1234" for a process's first channel, "records-reply-1234-2" for its third.
inline std::string replyName(const std::string &name, std::uint32_t pid, std::uint32_t slot)
{
    std::string reply = name + "-reply-" + std::to_string(pid);
    if (slot != 0)
        reply += "-" + std::to_string(slot);
    return reply;
}

// Splits "name?fragment=N" into the name and the datagram size (0: the backend's default).
// Returns "" or a sentence.
inline std::string parseAddress(const std::string &address, std::string *name, std::size_t *datagramBytes)
{
    *datagramBytes = 0;
    const std::size_t query = address.find('?');
    *name = address.substr(0, query);
    if (name->empty() || name->size() > 200)
        return "The mailslot name must be 1 to 200 characters long.";
    for (char c : *name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_' || c == '.';
        if (!ok)
            return "The mailslot name \"" + *name + "\" may contain only letters, digits, '-', '_' and '.'.";
    }
    if (query == std::string::npos)
        return {};
    const std::string option = address.substr(query + 1);
    const std::string key = "fragment=";
    if (option.compare(0, key.size(), key) != 0 || option.size() == key.size() || option.size() > key.size() + 7
        || option.find_first_not_of("0123456789", key.size()) != std::string::npos)
        return "Unknown address option \"" + option + "\": the only option is fragment=<bytes>, e.g. \""
            + *name + "?fragment=424\".";
    const std::size_t bytes = std::stoul(option.substr(key.size()));
    if (bytes < MinDatagramBytes)
        return "A fragment must be at least " + std::to_string(MinDatagramBytes) + " bytes (" + option + " is too small).";
    *datagramBytes = bytes;
    return {};
}

} // namespace ipcw::mailslot
