// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The zeromq floor: the floor protocol's messages over bare libzmq, with no Qt. The client is
// a DEALER, the peer a ROUTER bound to an ipc:// socket in the user's runtime folder (the
// address kind the zeromq rows use); each floor message is one ZeroMQ message, as each frame
// is one on the zeromq transport, sent with zmq_send and read with zmq_msg_recv, blocking. So
// a ping-pong is what any program built on libzmq pays per round trip: libzmq's I/O threads,
// its pipes and its ZMTP framing over the same Unix socket the "unix" floor uses bare.

#include "benchfloor.h"

namespace ipcw::bench {

std::unique_ptr<FloorServer> createZeroMqFloorServer();
// `announced` is the ipc:// endpoint the peer bound.
std::unique_ptr<FloorLink> connectZeroMqFloor(const std::string &announced, std::string *error);

} // namespace ipcw::bench
