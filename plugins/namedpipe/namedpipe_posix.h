// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The "named pipe" of POSIX: FIFOs made with mkfifo() in the user's 0700 runtime folder.
//
// A FIFO has one byte stream and no notion of who wrote what, so frames bigger than PIPE_BUF
// from two senders would interleave. Each sender therefore brings its own pair of FIFOs:
//
//   namedpipe-<name>.lock            the receiver holds flock() on it while alive
//   namedpipe-<name>.connect         shared; senders write one "hello" line each (< PIPE_BUF,
//                                    so lines from concurrent senders never mix)
//   namedpipe-<name>.<token>.up      one sender's frames to the receiver
//   namedpipe-<name>.<token>.down    the receiver's replies (acks, pongs) to that sender
//
// Handshake: the sender creates its pair, opens .down for reading, writes "hello <pid> <token>"
// to .connect and waits; the receiver opens the pair and writes one welcome byte on .down (or,
// when it already serves --max-peers senders, a refusal byte, and closes the pair); the
// sender then opens .up for writing and unlinks the pair (both ends are open, the names are no
// longer needed, so a crash later leaves nothing behind). Frames are cut from the byte stream
// by the length in their 40-byte header; a sender that vanishes shows up as end-of-file on
// its .up FIFO.
//
// The receiver enforces its ReceiveLimits like the stream transports: a budget for unfinished
// frames of all senders together, a time limit for a sender stopped mid-frame, a number of
// senders. Whoever breaks one is dropped (Event::Kind::PeerRefused) and the others go on.
//
// Qt-free: only POSIX and Linux calls (eventfd for interrupt(), F_SETPIPE_SZ for throughput).

#include "namedpipehello.h"
#include "namedpipewire.h"
#include "native/channel.h"
#include "native/readinessset.h"
#include "native/receivedframes.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ipcw::native {

class NamedPipeChannelPosix final : public Channel, public Watchable, public Drainable, public FrameStoreUser
{
public:
    NamedPipeChannelPosix();
    ~NamedPipeChannelPosix() override;

    std::string open(Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error) override;
    Event receive(int timeoutMs) override;
    int readinessDescriptor() const override { return m_ready.descriptor(); } // Watchable
    int nextDeadlineMs() const override;
    // Drainable: every frame a read brought is in m_events; more keeps the descriptor readable.
    bool drained() const override { return m_events.empty(); }
    // FrameStoreUser: frames from FrameBytes::StoredFromBytes on are read into its buffers.
    void setFrameStore(FrameStore *store) override { m_frameStore = store; }
    void interrupt() override;
    void close() override;

    // Milliseconds a sender waits for the receiver to answer its hello (tests shorten it).
    void setHandshakeTimeoutMs(int ms) { m_handshakeTimeoutMs = ms; }

    // Cuts one byte stream into whole frames using the payload length in each header. A frame's
    // memory is committed as its bytes arrive, never on the header's word alone: 1 MiB with the
    // first byte after the header, then doubling with what arrived, up to the frame's length
    // (as FrameStreamReader does for the other stream transports). So a peer holds what it
    // really sent, at most twice over, and a header alone costs nothing.
    class FrameAssembler
    {
    public:
        // Reads what `fd` has (at most `readBytes` bytes) and appends completed frames to `out`,
        // drawing the memory of unfinished frames from `budget` and putting large frames together
        // in buffers of `store`, each when given. Returns the number of bytes read, 0 on
        // end-of-file, -1 with errno (EAGAIN: empty). A header that is not a frame sets `error`
        // and errno = EPROTO; a frame the budget cannot hold sets `error` (how it ends a
        // sentence) and errno = ENOBUFS.
        long readFrom(int fd, std::size_t readBytes, namedpipe::FrameCutter::Frames &out, std::string *error,
                      PendingBudget *budget, FrameStore *store);
        // Bytes of the current frame received so far, header included (0 between frames).
        std::size_t pendingBytes() const { return m_cutter.pendingBytes(); }
        // The current frame's whole length, once its header arrived (0 before).
        std::size_t frameBytes() const { return m_cutter.frameBytes(); }

    private:
        namedpipe::FrameCutter m_cutter;
        std::vector<std::uint8_t> m_staging = std::vector<std::uint8_t>(64 * 1024);
    };

private:
    struct Peer
    {
        ~Peer();
        std::uint64_t id = 0;
        long pid = 0;
        int upFd = -1;   // we read its frames
        int downFd = -1; // we write replies
        FrameAssembler assembler;
        std::chrono::steady_clock::time_point lastProgress; // when bytes last came in
        std::mutex writeMutex; // one reply at a time per peer
    };

    std::string openReceiver();
    std::string openSender();
    void acceptHello(const namedpipe::HelloLine &hello);
    void readConnectLines();
    // Forgets `peer` and says why, as PeerGone (it left) or PeerRefused (we dropped it).
    Event dropPeer(const std::shared_ptr<Peer> &peer, Event::Kind kind, const std::string &why);
    // Drops the peers stopped in the middle of a frame for longer than the time limit, and
    // notes when the others' time runs out.
    void expireStalledPeers();
    // One read of a FIFO, its frames and news queued in m_events; false when it was empty.
    bool readFromReceiver(); // sender: the receiver's replies
    bool readFromPeer(const std::shared_ptr<Peer> &peer);
    // receive(0), from an event loop that saw the descriptor readable: reads the FIFO the last
    // frame came from before anything is polled; false when that brought nothing. A receiver
    // does so at most ReadFirstStreak times in a row, so other peers, new connections and
    // interrupt() are looked at too.
    bool readLikelyFifoFirst();
    // Moves m_readFrames, from `peer` (0: the receiver), into m_events.
    void queueReadFrames(std::uint64_t peer);
    // Where a frame goes: the FIFO, and who reads it (for the sentence when they have gone).
    struct WriteTarget
    {
        int fd = -1;
        std::uint64_t peer = 0;
        long pid = 0; // a receiver's peer
    };
    std::string writeAll(const WriteTarget &target, const std::uint8_t *data, std::size_t size);
    // The FIFO a frame to `peer` goes to; false with `*error` when there is none.
    bool writeTarget(std::uint64_t peer, WriteTarget *target, std::string *error);
    // Made only when a write finds the reader gone: every frame would otherwise pay for it.
    std::string readerGoneSentence(const WriteTarget &target) const;
    void cleanStaleSenderPairs();

    Role m_role = Role::Receiver;
    std::string m_name;
    std::string m_dir;
    std::string m_prefix; // m_dir + "/namedpipe-" + m_name
    int m_interruptFd = -1;
    std::atomic<bool> m_interrupted{false}; // interrupt() ran; the eventfd says so to poll()
    // Every descriptor receive() reads, in one: readable when it has work.
    ipcw::native::ReadinessSet m_ready;
    int m_handshakeTimeoutMs = 10000;
    bool m_blockSigpipe = true; // SIGPIPE was not ignored when open() ran

    // Receiver
    int m_lockFd = -1;
    int m_connectFd = -1;      // read end of .connect
    int m_connectKeepFd = -1;  // our own write end, so .connect never reports hang-up
    bool m_createdConnect = false;
    std::string m_connectLine;
    PendingBudget m_budget;  // before m_peers: their frames give their share back to it
    StallWatch m_stalls;
    std::mutex m_peersMutex; // guards m_peers against sends on the writer (or caller's) thread
    std::map<std::uint64_t, std::shared_ptr<Peer>> m_peers;
    std::uint64_t m_nextPeerId = 1;
    std::uint64_t m_lastPeer = 0; // the peer the last frame came from
    int m_readFirstStreak = 0;    // reads of m_lastPeer in a row without a poll()
    static constexpr int ReadFirstStreak = 8;
    EventQueue m_events; // produced by one poll round, handed out one per receive()
    // The frames one read cut, kept between reads so that its map and first block are not
    // allocated and freed for every frame (only receive() reads).
    namedpipe::FrameCutter::Frames m_readFrames;
    FrameStore *m_frameStore = nullptr; // setFrameStore()

    // Sender
    int m_upFd = -1;
    int m_downFd = -1;
    FrameAssembler m_downAssembler;
};

} // namespace ipcw::native
