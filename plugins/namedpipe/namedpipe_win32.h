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
//
// Plain C++17 and Win32, no Qt, no std::thread/std::mutex (builds with either mingw thread model).

#include "native/channel.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

namespace ipcw::native {

class NamedPipeChannelWin32 final : public Channel
{
public:
    NamedPipeChannelWin32();
    ~NamedPipeChannelWin32() override;

    std::string open(Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;

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
    void dropConnection(const std::shared_ptr<Connection> &connection, const std::string &why);
    std::shared_ptr<Connection> findConnection(std::uint64_t peer);

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

    void *m_lock = nullptr; // SRWLOCK guarding m_connections against send() on the writer thread
    std::map<std::uint64_t, std::shared_ptr<Connection>> m_connections;
    std::uint64_t m_nextPeerId = 1;
    std::deque<Event> m_events;
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
