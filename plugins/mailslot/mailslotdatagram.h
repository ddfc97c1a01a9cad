// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The datagram format both mailslot backends (POSIX message queues, Win32 mailslots) put on
// the OS object. The OS limits one message (8 KiB by default for a Linux queue, 424 bytes for
// a mailslot across machines, 64 KiB under Wine), so every frame travels as one or more
// fragments, each with this 32-byte header in front. Header-only and Qt-free: the Win32
// backend is also compiled alone by mingw-w64 for the Wine test driver.
//
//   u32 magic "IMLS"  u8 kind  u8 version  u16 zero
//   u32 pid  u32 slot        who sent it: the process and its channel number in that process
//   u32 frameNumber          counts the sender's frames, for the error sentences
//   u32 offset  u32 total    where this fragment's bytes go in a frame of `total` bytes
//   u32 zero
// All integers little-endian.

#include <cstddef>
#include <cstdint>
#include <string>

namespace ipcw::mailslot {

constexpr std::uint32_t DatagramMagic = 0x534c4d49;
constexpr std::uint8_t DatagramVersion = 1;
constexpr std::size_t DatagramHeaderBytes = 32;
// The largest frame either backend reassembles: a 16 MiB payload plus the 40-byte frame
// header. The receiver refuses a larger announced total before allocating anything.
constexpr std::uint32_t MaxFrameBytes = 16u * 1024u * 1024u + 40u;
// The smallest datagram worth sending: a header and some payload.
constexpr std::size_t MinDatagramBytes = 64;

enum class DatagramKind : std::uint8_t {
    Hello = 1,    // a sender announces itself (payload: a UTF-8 description); its reply path
                  // is derived from pid and slot. The Win32 receiver answers with its own
                  // Hello so the sender learns which process to watch (POSIX: the lock file).
    Fragment = 2, // a piece of a frame
    Leave = 3,    // the sender closes cleanly, or the receiver closes its queue
    Wake = 4,     // Win32: a channel's note to its own mailslot to end a blocked read, sent by
                  // interrupt() or when a watched peer process ends
};

struct DatagramHeader
{
    DatagramKind kind = DatagramKind::Fragment;
    std::uint32_t pid = 0;
    std::uint32_t slot = 0;
    std::uint32_t frameNumber = 0;
    std::uint32_t offset = 0;
    std::uint32_t total = 0;
};

inline void putU32(std::uint8_t *out, std::uint32_t v)
{
    out[0] = std::uint8_t(v);
    out[1] = std::uint8_t(v >> 8);
    out[2] = std::uint8_t(v >> 16);
    out[3] = std::uint8_t(v >> 24);
}

inline std::uint32_t getU32(const std::uint8_t *in)
{
    return std::uint32_t(in[0]) | std::uint32_t(in[1]) << 8 | std::uint32_t(in[2]) << 16 | std::uint32_t(in[3]) << 24;
}

inline void writeDatagramHeader(std::uint8_t *out, const DatagramHeader &h)
{
    putU32(out, DatagramMagic);
    out[4] = std::uint8_t(h.kind);
    out[5] = DatagramVersion;
    out[6] = out[7] = 0;
    putU32(out + 8, h.pid);
    putU32(out + 12, h.slot);
    putU32(out + 16, h.frameNumber);
    putU32(out + 20, h.offset);
    putU32(out + 24, h.total);
    putU32(out + 28, 0);
}

// False for anything that is not one of our datagrams (wrong magic, version, kind, too short).
inline bool readDatagramHeader(const std::uint8_t *data, std::size_t size, DatagramHeader *h)
{
    if (size < DatagramHeaderBytes || getU32(data) != DatagramMagic || data[5] != DatagramVersion)
        return false;
    const std::uint8_t kind = data[4];
    if (kind < std::uint8_t(DatagramKind::Hello) || kind > std::uint8_t(DatagramKind::Wake))
        return false;
    h->kind = DatagramKind(kind);
    h->pid = getU32(data + 8);
    h->slot = getU32(data + 12);
    h->frameNumber = getU32(data + 16);
    h->offset = getU32(data + 20);
    h->total = getU32(data + 24);
    return true;
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
