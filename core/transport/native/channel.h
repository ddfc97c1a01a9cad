// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The OS-facing half of a message transport, in plain C++17 with no Qt, so the same code is
// compiled into the Qt plugins and, for Windows, by mingw-w64 into the native test driver that
// runs under Wine. Each mechanism implements it once per platform (<mechanism>_posix.cpp,
// <mechanism>_win32.cpp); NativeChannelEndpoint (core) puts any Channel on worker threads and
// turns it into a TransportEndpoint.
//
// Threading contract: receive() is called on one thread while send() or trySend() runs on
// another, concurrently; sends never overlap each other (they may come from two threads, one at
// a time); interrupt() may be called from any thread at any time; open() and close() are never
// called while a send or receive() runs.

#include "receivelimits.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ipcw::native {

enum class Role { Receiver, Sender };

struct Event
{
    enum class Kind {
        Frame,         // `frame` holds one whole frame from `peer`
        PeerConnected, // `peer` is new; `text` describes it (pid, path)
        PeerGone,      // `peer` left; `text` says how (clean close, died mid-frame, ...)
        Refused,       // input from `peer` (0: unknown) was dropped, the peer stays; `text` says why
        PeerRefused,   // the receiver refused `peer`, announced by PeerConnected, and dropped it
                       // (a stream out of step, a budget or time limit); `text` says why
        Timeout,       // nothing within the timeout
        Interrupted,   // interrupt() was called
        Error,         // fatal: `text` is the sentence; the channel is unusable
    };
    Kind kind = Kind::Timeout;
    std::vector<std::uint8_t> frame;
    std::uint64_t peer = 0;
    std::string text;
};

class Channel
{
public:
    virtual ~Channel() = default;

    // Receiver: creates the OS objects for `address`, detecting and replacing stale ones a
    // crashed receiver left (never a live receiver's). Sender: opens the receiver's objects.
    // Returns "" on success, else a sentence ("The name ... is already in use by a running
    // receiver.", "Nobody is receiving on ...: start a receiver first.").
    virtual std::string open(Role role, const std::string &address) = 0;

    // Delivers one whole frame (fragmenting it if the OS limit is smaller). Blocks while the OS
    // object is full: that is the backpressure. A receiver sends to `peer`; a sender's `peer`
    // is ignored. Returns "" or a sentence; "" also after interrupt() cut it short.
    virtual std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) = 0;

    // Sends one whole frame only if that needs no waiting, so the caller's thread can send into
    // an idle channel without a hop to a writer thread. Returns false, having sent nothing, when
    // it would have to wait (the OS object is full, the frame needs several messages) or the
    // backend cannot tell (this default); true when done, with *error "" or a sentence.
    virtual bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error)
    {
        (void)data, (void)size, (void)peer, (void)error;
        return false;
    }

    // Blocks for the next event, at most `timeoutMs` (-1: no limit). Must not spin: an idle
    // receiver sleeps in the kernel.
    virtual Event receive(int timeoutMs) = 0;

    // Makes a blocked send()/receive() return promptly, and every later call return at once,
    // until close(): sticky, so an interrupt that lands just before a call blocks is not lost.
    // Thread-safe.
    virtual void interrupt() = 0;

    // Releases the OS objects; a receiver removes the names it created.
    virtual void close() = 0;

    // Receiver: what its peers may make it hold (receivelimits.h). Set before open(); kept
    // until set again. A backend that does not enforce them ignores them.
    void setReceiveLimits(const ReceiveLimits &limits) { m_receiveLimits = limits; }
    const ReceiveLimits &receiveLimits() const { return m_receiveLimits; }

private:
    ReceiveLimits m_receiveLimits;
};

// A Channel that can be watched instead of blocked on: NativeChannelEndpoint reads a channel
// that also derives from this on its own event loop, with no reader thread. A separate
// interface, so that Channel's virtual table, which plugins built against the SDK depend on,
// stays as it was.
class Watchable
{
public:
    virtual ~Watchable() = default;

    // A descriptor to watch for reading (poll, epoll, QSocketNotifier) instead of blocking in
    // receive(): after open() succeeded, it polls readable whenever receive(0) may have an
    // event, and receive(0) never waits. -1: none (then receive() needs a thread that may block).
    virtual int readinessDescriptor() const = 0;

    // In how many milliseconds receive(0) must be called even if the descriptor stays quiet (a
    // peer's time limit runs out), -1 if never. 0 asks to be polled again at once: a channel
    // that spins (filemapping's ?wait=spin) is polled by the event loop for as long as it says 0.
    virtual int nextDeadlineMs() const = 0;
};

// A Watchable that can tell when it holds nothing more, so the event loop goes back to waiting
// after an event instead of calling receive(0) once more only to hear Timeout (one system call
// or two on each side of every round trip). Separate from Watchable for the same reason
// Watchable is separate from Channel; a Watchable without it is asked with receive(0).
class Drainable
{
public:
    virtual ~Drainable() = default;

    // Right after receive(0) returned an event: true when another receive(0) can have nothing
    // until the readiness descriptor polls readable or nextDeadlineMs() runs out. No event is
    // held inside the channel, and whatever makes the descriptor readable when more comes is
    // in place. False is always safe.
    virtual bool drained() const = 0;
};

// One received frame being put together in memory lent by the channel's reader (FrameStore).
class FrameBuffer
{
public:
    virtual ~FrameBuffer() = default;
    // Grows the frame by `bytes` and returns where they go: valid until the next extend(). The
    // new bytes are not initialised; the caller writes every one of them.
    virtual std::uint8_t *extend(std::size_t bytes) = 0;
    virtual const std::uint8_t *data() const = 0;
    virtual std::size_t size() const = 0;
};

// Memory for received frames, lent by whoever reads a channel, so that a large frame is written
// once, where the session will read it, instead of into Event::frame and copied from there
// (NativeChannelEndpoint lends QByteArray storage). Used only inside receive(), on the thread
// that calls it.
class FrameStore
{
public:
    virtual ~FrameStore() = default;
    // An empty frame with room for `reserve` bytes. Reserve what has arrived or is certain to,
    // not what a peer announces: memory follows the bytes that came.
    virtual std::unique_ptr<FrameBuffer> create(std::size_t reserve) = 0;
    // `frame` is whole: receive() returns it now, as a Frame event whose `frame` is empty.
    // Called at most once per receive(), just before it returns that event.
    virtual void deliver(std::unique_ptr<FrameBuffer> frame) = 0;
};

// A Channel that can put its received frames in a FrameStore (receivedframes.h has the parts).
// NativeChannelEndpoint gives one before open(); a channel may still return any frame in
// Event::frame instead. Separate from Channel for the reason Watchable is.
class FrameStoreUser
{
public:
    virtual ~FrameStoreUser() = default;
    // `store` outlives the channel's use of it; nullptr takes it back.
    virtual void setFrameStore(FrameStore *store) = 0;
};

} // namespace ipcw::native
