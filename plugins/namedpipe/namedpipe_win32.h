// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Win32 named pipe \\.\pipe\ipcworkshop-<name> in message mode, so every frame arrives as one
// message however large (ERROR_MORE_DATA just means "keep reading this message").
//
// - Only the current user may open it: the security descriptor holds one ACE granting the
//   process token's user SID; never a NULL DACL (which would admit everyone).
// - The receiver's first instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE, so a second
//   receiver on the same name fails ("already in use") instead of sharing the name. A crashed
//   receiver leaves nothing stale: the pipe disappears with its last handle.
// - PIPE_REJECT_REMOTE_CLIENTS unless the address says "name?remote=1".
// - One pipe instance per sender; a new listening instance is made as each sender connects,
//   so replies (sendFrame to a peer) go down that sender's own instance.
// - Overlapped I/O everywhere: the reader thread waits on the listening instance, every
//   sender's read and the interrupt event at once; the writer thread writes concurrently.
// - Handshake: the receiver's first message on each new instance is one byte, 'W' (welcome) or
//   'F' (full: it already serves --max-peers senders, and closes the instance). The sender's
//   open() waits for it, so a sender says "connected" only once the receiver answered.
//
// The receiver enforces its ReceiveLimits (receivelimits.h), like the POSIX backend:
// - Unfinished frames, all senders together (--max-pending-mib): a message is read in pieces
//   (ERROR_MORE_DATA), and the memory for it is drawn from one PendingBudget as its bytes
//   arrive, never on its header's word: the first 64 KiB piece, then 1 MiB, then doubling with
//   what arrived, up to the frame's length. A sender is read at most 1 MiB per round, so a big
//   message stays partial (and in the budget) while the others get their turn. A message whose
//   header announces more than the wire format's limit or than the whole budget, one the budget
//   has no room for, or one that is not exactly one frame is refused (Event::Kind::Refused, one
//   bad frame) and the rest of it is read into a small buffer and dropped: message boundaries
//   keep the pipe in step, so the sender stays. Not counted: each connection's 64 KiB buffer
//   for its next read, and frames already whole, waiting for receive() (at most one round).
// - A caller that lends a FrameStore (FrameStoreUser; NativeChannelEndpoint lends QByteArrays)
//   gets every frame of FrameBytes::StoredFromBytes or more in one of its buffers: a message
//   longer than the first read is read straight into it from its second piece on (the first
//   piece copied over once), a shorter one copied into it once it is whole.
// - Time in the middle of a message (--peer-timeout): a sender whose message stops arriving
//   part way for that long is dropped (Event::Kind::PeerRefused). On a local pipe Windows holds
//   a message's bytes as soon as it is written, so this guards the remote pipes (?remote=1),
//   whose messages cross the network in pieces.
// - Senders at once (--max-peers): the next sender to connect is answered 'F' and its
//   instance closed (Event::Kind::Refused); it is never announced. Whatever the option, at most
//   MAXIMUM_WAIT_OBJECTS - 2 (62) are served at once: beyond that no instance listens and the
//   next sender waits as for a busy pipe (its open() says so after 10 s).
//
// Plain C++17 and Win32, no Qt, no std::thread/std::mutex (builds with either mingw thread model).

#include "native/channel.h"
#include "native/receivedframes.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace ipcw::native {

class NamedPipeChannelWin32 final : public Channel, public FrameStoreUser
{
public:
    NamedPipeChannelWin32();
    ~NamedPipeChannelWin32() override;

    std::string open(Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;
    // FrameStoreUser: frames of FrameBytes::StoredFromBytes or more are put together in its buffers.
    void setFrameStore(FrameStore *store) override { m_frameStore = store; }

    // The HANDLE of the instance waiting for the next sender (receiver only; null otherwise).
    // Only while no receive() runs: the reader thread replaces it as senders connect.
    void *listeningHandle() const { return m_listen; }

    struct Connection; // one pipe instance: a sender's on the receiver side, or the sender's own

private:
    std::string openReceiver();
    std::string openSender();
    std::string createListeningInstance(bool first);
    void acceptListening();
    void readFrom(const std::shared_ptr<Connection> &connection, bool completed);
    // Forgets `connection` and says why, as PeerGone (it left) or PeerRefused (we dropped it).
    void dropConnection(const std::shared_ptr<Connection> &connection, const std::string &why,
                        Event::Kind kind = Event::Kind::PeerGone);
    std::shared_ptr<Connection> findConnection(std::uint64_t peer);
    // "" when the message `c` is reading may go on; else why it is refused, ending a sentence
    // that begins with the sender's name. Grows its buffer as its bytes arrive.
    std::string judgeMessage(Connection &c, bool moreData);
    void refuseMessage(Connection &c, bool moreData, const std::string &why);
    // Gives the message `c` is reading room for `target` bytes: in the lent store's buffer for a
    // frame that goes there (judged by its header), else in its vector.
    void growMessage(Connection &c, std::size_t target);
    // The message `c` read is a whole frame: queued as a Frame event, `c` ready for the next.
    void finishMessage(Connection &c);
    // Turns away a sender that connected when --max-peers are served already.
    void refuseListening(unsigned long pid);
    // Drops the senders stopped in the middle of a message for longer than the time limit, and
    // notes when the others' time runs out.
    void expireStalledConnections();
    std::string senderName(const Connection &c) const;

    Role m_role = Role::Receiver;
    std::string m_name;
    std::wstring m_pipeName;
    bool m_remote = false;
    void *m_interrupt = nullptr;          // manual-reset event: sticky until close()
    void *m_securityDescriptor = nullptr; // from ConvertStringSecurityDescriptorToSecurityDescriptorW

    void *m_listen = nullptr;        // receiver: the instance awaiting ConnectNamedPipe
    void *m_connectEvent = nullptr;
    void *m_connectOverlapped = nullptr; // OVERLAPPED, allocated in the .cpp
    bool m_connectPending = false;

    PendingBudget m_budget; // before m_connections: their messages give their share back to it
    StallWatch m_stalls;
    void *m_lock = nullptr; // SRWLOCK guarding m_connections against send() on the writer thread
    std::map<std::uint64_t, std::shared_ptr<Connection>> m_connections;
    std::uint64_t m_nextPeerId = 1;
    EventQueue m_events;
    FrameStore *m_frameStore = nullptr; // setFrameStore()
};

// The DACL of a pipe handle read back with GetSecurityInfo(SE_KERNEL_OBJECT,
// DACL_SECURITY_INFORMATION), one fact per line:
//   "dacl: present" (or "dacl: null" when there is none, i.e. everyone has access)
//   "aces: N"
//   "ace: <allow|deny|other> <SID> <mask in hex>"  one line per ACE, SID via ConvertSidToStringSidW
//   "user: <SID>"                                   the current process user
// or a single "error: <sentence>" line.
std::string describePipeDacl(void *pipeHandle);

// The same for the pipe an open NamedPipeChannelWin32 receiver listens on; "error: ..." for any
// other channel. Call it while no receive() runs (e.g. right after open()).
std::string describeNamedPipeDacl(const Channel &receiver);

} // namespace ipcw::native
