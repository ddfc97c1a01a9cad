// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The clipboard's floor: the floor protocol's messages handed over as X selections with plain
// xcb, no Qt. Each message goes the way a clipboard frame goes between two Qt programs on X11:
// the writer takes ownership of a selection; the reader, told by XFixes that the owner changed,
// asks the owner to convert it into a property of its own window; the owner writes the
// property and answers with SelectionNotify; the reader reads the property, deleting it. An
// answer goes back the same way, the reader becoming the owner. So a ping-pong is two
// ownership changes and two conversions through the X server, what the clipboard transport
// pays per frame before QClipboard, QMimeData and the codec.
//
// The selection is a private one, _IPCW_FLOOR_<address>, not CLIPBOARD: the X server does the
// same work for any selection, and the floor leaves the user's clipboard alone. One message
// is one property, so a message must fit one X request (16 MiB with BIG-REQUESTS); larger ones
// would need the INCR protocol, which the benchmark's messages never do. Latest value wins, as
// on the clipboard: at most one message may be unanswered (maxWindow() is 1).

#include "benchfloor.h"

namespace ipcw::bench {

// nullptr when built without xcb.
std::unique_ptr<FloorServer> createXcbFloorServer();
// `announced` is the selection's suffix the peer listens on.
std::unique_ptr<FloorLink> connectXcbFloor(const std::string &announced, std::string *error);

} // namespace ipcw::bench
