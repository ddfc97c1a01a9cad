// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The benchmark's floor: the same measurements over the bare OS mechanisms, with no Qt, no
// codec, no threads and no event loop, so every figure of a transport can be shown beside what
// the kernel itself can do. Plain C++17 on Linux.
//
// A floor is a duplex byte stream between this process (the client) and a peer process started
// as `ipcworkshop bench-floor-peer <floor> <address>` (handled in main() before any Qt object
// exists). Messages are an 8-byte header (u32 body length, u32 kind) and a body; the peer echoes
// every Ping whole and answers every Data message with a 16-byte Ack, like ReceiverSession does
// for frames. A stream floor reads a message under 4 KiB through a buffer, header and body in
// one read() as a program would (until 2026-12-07 it made two), and a larger one straight into
// place.

#include "ipcwcore_export.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ipcw::bench {

// How a shared-memory reader waits for data: sleep in futex_wait at once; spin briefly
// (about 50 µs) and then sleep; or never sleep (it yields the CPU every 1024 checks so two
// spinners sharing one core still make progress).
enum class WaitStrategy { Block, SpinThenBlock, Spin };

// "pipe", "unix", "tcp", "udp", "mq", "shm-block", "shm-spinblock", "shm-spin", "dbus", "xcb",
// "zeromq" (libzmq's own loop, benchfloorzeromq.h), and "pipe-poll", "unix-poll", "tcp-poll",
// "mq-poll": the same as "pipe" ... "mq" with every read waiting in poll() first, as in an event
// loop, so what waiting in a loop costs shows apart from what a program does in it.
IPCWCORE_EXPORT std::vector<std::string> floorIds();
IPCWCORE_EXPORT std::string floorDescription(const std::string &id);

class IPCWCORE_EXPORT FloorLink
{
public:
    virtual ~FloorLink() = default;
    virtual std::string writeAll(const std::uint8_t *data, std::size_t size) = 0;
    virtual std::string readExact(std::uint8_t *data, std::size_t size) = 0;
    // Most messages that may be unacknowledged without the single-threaded client and peer
    // blocking each other (a message queue holds only a few messages).
    virtual int maxWindow() const { return 16; }
};

// Creates the link's OS objects under `address` (a unique name) and returns the peer side;
// `announce` is what the client must be given (the address, or for tcp "127.0.0.1:<port>").
// acceptClient() then blocks until the client is there.
class IPCWCORE_EXPORT FloorServer
{
public:
    virtual ~FloorServer() = default;
    virtual std::string listen(const std::string &address, std::string *announce) = 0;
    virtual std::unique_ptr<FloorLink> acceptClient(std::string *error) = 0;
};

IPCWCORE_EXPORT std::unique_ptr<FloorServer> createFloorServer(const std::string &id, std::string *error);
// The client side; `peerPid` lets a shared-memory wait notice a dead peer.
IPCWCORE_EXPORT std::unique_ptr<FloorLink> connectFloor(const std::string &id, const std::string &announced,
                                                        long peerPid, std::string *error);

// The whole peer process: listen, print "ready <announce>" on stdout, serve until Stop or
// end of stream. Returns the process exit code.
IPCWCORE_EXPORT int runFloorPeer(const std::string &id, const std::string &address);

struct LatencyRun
{
    std::string error;
    std::vector<double> roundTripsUs; // measured round trips only (warm-up excluded)
};

struct ThroughputRun
{
    std::string error;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0; // message bodies, the same bytes a transport's frames hold
    double seconds = 0;
};

// `bodyBytes` per message (the size of the matching transport frame).
IPCWCORE_EXPORT LatencyRun floorPingPong(FloorLink &link, std::size_t bodyBytes, int warmUp, int roundTrips);
// `messages` of `bodyBytes`, at most `window` (capped by the link) unacknowledged.
IPCWCORE_EXPORT ThroughputRun floorStream(FloorLink &link, std::size_t bodyBytes, std::uint64_t messages, int window);
// Tells the peer to exit; it answers first, so the call returns once the peer is done.
IPCWCORE_EXPORT std::string floorStop(FloorLink &link);

} // namespace ipcw::bench
