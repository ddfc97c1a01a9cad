// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The dbus floor: the floor protocol's messages as libdbus-1 method calls on the session bus,
// with no Qt. The client sends each message as a call to the peer's unique name and blocks on
// the oldest pending reply when it wants an answer; the peer answers each call with a method
// return holding its Pong or Ack. So a ping-pong is exactly one method-call round trip through
// the bus daemon, what the dbus transport pays per frame before QtDBus and the codec.
//
// The peer keeps freed memory and, before the floor's connections exist, passes one large
// message through the bus daemon so its allocator is in the state the plugin's rows meet
// (docs/benchmarks.md, "The dbus floor").

#include "benchfloor.h"

namespace ipcw::bench {

std::unique_ptr<FloorServer> createDBusFloorServer();
// `announced` is the peer's unique bus name.
std::unique_ptr<FloorLink> connectDBusFloor(const std::string &announced, std::string *error);

} // namespace ipcw::bench
