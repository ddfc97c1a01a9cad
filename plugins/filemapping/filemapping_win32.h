// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "shmsession.h"

#include "native/channel.h"

#include <array>
#include <atomic>
#include <memory>

// The filemapping Channel on Windows: a pagefile-backed section ("Local\ipcworkshop-<name>",
// CreateFileMappingW + MapViewOfFile) holding the same ring as on POSIX, with named auto-reset
// events for the wake-ups (one per kind of wait, so every event has a single sleeper) and
// OpenProcess + WaitForSingleObject for liveness. Frames of FrameBytes::StoredFromBytes or more
// are put together in a lent FrameStore, as on POSIX. Plain C++17 and Win32, no Qt.
class FileMappingChannelWin32 final : public ipcw::native::Channel, public ipcw::native::FrameStoreUser
{
public:
    FileMappingChannelWin32();
    ~FileMappingChannelWin32() override;

    std::string open(ipcw::native::Role role, const std::string &address) override;
    std::string send(const std::uint8_t *data, std::size_t size, std::uint64_t peer) override;
    bool trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error) override;
    ipcw::native::Event receive(int timeoutMs) override;
    void interrupt() override;
    void close() override;
    void setFrameStore(ipcw::native::FrameStore *store) override;

private:
    // Sleeps on named events: a word in the section stands for one event (see eventFor()).
    class Waiter final : public ipcw::native::shm::ShmWaiter
    {
    public:
        Waiter();
        ~Waiter() override;
        Wait wait(std::atomic<std::uint32_t> &word, std::uint32_t expected, int timeoutMs) override;
        void wake(std::atomic<std::uint32_t> &word) override;
        bool isAlive(std::uint32_t pid) override;
        std::uint32_t selfPid() override;
        void yield() override;
        void sleepMs(int ms) override;
        bool interrupted() const override { return m_interrupted.load(); }

        void bind(const std::wstring &prefix, const ipcw::native::shm::ShmSession *session);
        void setOwnSlot(int slot) { m_ownSlot = slot; }
        void interrupt();
        void reset();

    private:
        enum Kind { Space, Reply, ReplySpace, KindCount };
        void *event(int slot, Kind kind); // slot -1: the receiver's "data ready"
        void *eventFor(const std::atomic<std::uint32_t> &word);
        void closeEvents();

        std::atomic<bool> m_interrupted{false};
        void *m_interruptEvent = nullptr;
        std::wstring m_prefix;
        const ipcw::native::shm::ShmSession *m_session = nullptr;
        int m_ownSlot = -1;
        void *m_dataReady = nullptr;
        std::array<std::array<void *, KindCount>, ipcw::native::shm::ShmSession::MaxSenders> m_events{};
    };

    std::string failOpen(const std::string &sentence);

    Waiter m_waiter;
    std::unique_ptr<ipcw::native::shm::ShmSession> m_session;
    ipcw::native::FrameStore *m_frameStore = nullptr; // setFrameStore(), handed to each session
    std::string m_address;
    void *m_mapping = nullptr;
    void *m_view = nullptr;
};
