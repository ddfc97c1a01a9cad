// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The mailslot's reassembly: the shared one (native/fragmentreassembly.h) with the mailslot's
// frame limit. A receiver keeps one per sender, a sender one for the receiver's replies.

#include "mailslotdatagram.h"
#include "native/fragmentreassembly.h"

namespace ipcw::mailslot {

class Reassembly : public ipcw::native::FragmentReassembly
{
public:
    Reassembly() : FragmentReassembly(MaxFrameBytes, "a mailslot frame") {}
};

} // namespace ipcw::mailslot
