// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The udp transport's datagrams: the shared envelope (native/datagramenvelope.h) with the
// magic "IUDP" (docs/udp-format.md).

#include "native/datagramenvelope.h"

#include <cstdint>

namespace ipcw::udp {

constexpr std::uint32_t DatagramMagic = 0x50445549; // "IUDP" little-endian
// The largest frame reassembled, as for the mailslot: a 16 MiB payload and the frame header.
// A receiver refuses a larger announced total before reserving anything.
constexpr std::uint32_t MaxFrameBytes = 16u * 1024u * 1024u + 40u;

} // namespace ipcw::udp
