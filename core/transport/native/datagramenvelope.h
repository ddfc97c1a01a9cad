// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The 32-byte envelope in front of every datagram of the datagram mechanisms (mailslot, udp):
// each names its sender and, for a Fragment, which bytes of which frame it carries, so frames
// larger than one OS message travel as several. Each mechanism has its own magic; the rest is
// shared (docs/mailslot-format.md and docs/udp-format.md describe it). Header-only and Qt-free:
// the Win32 mailslot backend is also compiled alone by mingw-w64 for the Wine test driver.
//
//   u32 magic  u8 kind  u8 version  u16 zero
//   u32 pid  u32 slot        who sent it: the process and its channel number in that process
//   u32 frameNumber          counts the sender's frames, for the error sentences
//   u32 offset  u32 total    where this fragment's bytes go in a frame of `total` bytes
//   u32 zero
// All integers little-endian.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ipcw::native {

constexpr std::uint8_t DatagramVersion = 1;
constexpr std::size_t DatagramHeaderBytes = 32;
// The smallest datagram worth sending: a header and some payload.
constexpr std::size_t MinDatagramBytes = 64;

enum class DatagramKind : std::uint8_t {
    Hello = 1,    // a side announces itself (payload: a UTF-8 description of at most 200 bytes)
    Fragment = 2, // a piece of a frame
    Leave = 3,    // the side that sends it is closing
    Wake = 4,     // mailslot only: a channel's note to itself to end a blocked read
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

inline void writeDatagramHeader(std::uint8_t *out, std::uint32_t magic, const DatagramHeader &h)
{
    putU32(out, magic);
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

// False for anything that is not one of this mechanism's datagrams (wrong magic, version, kind,
// too short).
inline bool readDatagramHeader(const std::uint8_t *data, std::size_t size, std::uint32_t magic, DatagramHeader *h)
{
    if (size < DatagramHeaderBytes || getU32(data) != magic || data[5] != DatagramVersion)
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

// The most of a control datagram's text that is sent, or believed.
constexpr std::size_t MaxControlTextBytes = 200;

// A Hello, Leave or Wake datagram with `text` (at most MaxControlTextBytes of it) as payload.
inline std::vector<std::uint8_t> controlDatagram(std::uint32_t magic, DatagramKind kind, std::uint32_t pid,
                                                 std::uint32_t slot, const std::string &text)
{
    const std::size_t textBytes = std::min<std::size_t>(text.size(), MaxControlTextBytes);
    std::vector<std::uint8_t> datagram(DatagramHeaderBytes + textBytes);
    DatagramHeader h;
    h.kind = kind;
    h.pid = pid;
    h.slot = slot;
    writeDatagramHeader(datagram.data(), magic, h);
    if (textBytes)
        std::memcpy(datagram.data() + DatagramHeaderBytes, text.data(), textBytes);
    return datagram;
}

// Cuts frame `h.frameNumber` into Fragment datagrams of at most `datagramBytes` (header
// included), built in `buffer`, and hands each to `put(data, size)` from `*offset` on. `put`
// returns false to stop (a full socket, a sender that paces itself, an error): `*offset` then
// stays at that fragment, so a later call resumes there. True once the last one was put.
template <typename Put>
bool putFragments(std::uint32_t magic, DatagramHeader h, std::size_t datagramBytes, const std::uint8_t *data,
                  std::size_t size, std::size_t *offset, std::vector<std::uint8_t> &buffer, Put put)
{
    const std::size_t chunk = datagramBytes - DatagramHeaderBytes;
    buffer.resize(datagramBytes);
    h.kind = DatagramKind::Fragment;
    h.total = std::uint32_t(size);
    while (*offset < size) {
        const std::size_t piece = std::min(chunk, size - *offset);
        h.offset = std::uint32_t(*offset);
        writeDatagramHeader(buffer.data(), magic, h);
        std::memcpy(buffer.data() + DatagramHeaderBytes, data + *offset, piece);
        if (!put(buffer.data(), DatagramHeaderBytes + piece))
            return false;
        *offset += piece;
    }
    return true;
}

} // namespace ipcw::native
