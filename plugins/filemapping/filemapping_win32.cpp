// SPDX-License-Identifier: GPL-3.0-or-later
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif

#include "filemapping_win32.h"

#include "native/registry.h"
#include "native/win32text.h"

#include <windows.h>

using ipcw::native::Event;
using ipcw::native::Role;
using ipcw::native::shm::ShmSession;
using ipcw::native::widen;

namespace {

std::string systemError(DWORD code)
{
    wchar_t *buffer = nullptr;
    const DWORD length = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM
                                            | FORMAT_MESSAGE_IGNORE_INSERTS,
                                        nullptr, code, 0, reinterpret_cast<wchar_t *>(&buffer), 0, nullptr);
    std::string text;
    if (length && buffer) {
        const int bytes = WideCharToMultiByte(CP_UTF8, 0, buffer, int(length), nullptr, 0, nullptr, nullptr);
        text.resize(std::size_t(bytes));
        WideCharToMultiByte(CP_UTF8, 0, buffer, int(length), &text[0], bytes, nullptr, nullptr);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.'))
            text.pop_back();
    }
    if (buffer)
        LocalFree(buffer);
    return text.empty() ? "error " + std::to_string(code) : text + " (error " + std::to_string(code) + ")";
}

// The size of a mapped view: a section's size is fixed by whoever created it.
std::uint64_t viewBytes(void *view)
{
    MEMORY_BASIC_INFORMATION info{};
    return VirtualQuery(view, &info, sizeof info) == sizeof info ? std::uint64_t(info.RegionSize) : 0;
}

} // namespace

FileMappingChannelWin32::Waiter::Waiter()
    : m_interruptEvent(CreateEventW(nullptr, TRUE, FALSE, nullptr))
{
}

FileMappingChannelWin32::Waiter::~Waiter()
{
    closeEvents();
    if (m_interruptEvent)
        CloseHandle(m_interruptEvent);
}

void FileMappingChannelWin32::Waiter::bind(const std::wstring &prefix, const ShmSession *session)
{
    closeEvents();
    m_prefix = prefix;
    m_session = session;
    m_ownSlot = -1;
}

void FileMappingChannelWin32::Waiter::closeEvents()
{
    if (m_dataReady)
        CloseHandle(m_dataReady);
    m_dataReady = nullptr;
    for (auto &slot : m_events)
        for (void *&handle : slot) {
            if (handle)
                CloseHandle(handle);
            handle = nullptr;
        }
}

void *FileMappingChannelWin32::Waiter::event(int slot, Kind kind)
{
    void **cell = slot < 0 ? &m_dataReady : &m_events[std::size_t(slot)][kind];
    if (void *existing = *reinterpret_cast<void *volatile *>(cell))
        return existing;
    static const wchar_t *const suffixes[KindCount] = {L"-space", L"-reply", L"-rspace"};
    const std::wstring name = slot < 0 ? m_prefix + L"-data"
                                       : m_prefix + L"-s" + std::to_wstring(slot) + suffixes[kind];
    // Open-or-create: either side may be first. Auto-reset, so a wake that finds nobody asleep
    // stays pending until the next wait instead of being lost.
    HANDLE created = CreateEventW(nullptr, FALSE, FALSE, name.c_str());
    if (!created)
        return nullptr;
    // Reader and writer threads may both get here first.
    if (void *raced = InterlockedCompareExchangePointer(cell, created, nullptr)) {
        CloseHandle(created);
        return raced;
    }
    return created;
}

void *FileMappingChannelWin32::Waiter::eventFor(const std::atomic<std::uint32_t> &word)
{
    if (!m_session)
        return nullptr;
    std::uint32_t slot = 0;
    switch (m_session->classify(&word, &slot)) {
    case ShmSession::Word::DataReady:
        return event(-1, Space);
    case ShmSession::Word::DataSpace:
        return m_ownSlot >= 0 ? event(m_ownSlot, Space) : nullptr;
    case ShmSession::Word::ReplyReady:
        return event(int(slot), Reply);
    case ShmSession::Word::ReplySpace:
        return event(int(slot), ReplySpace);
    case ShmSession::Word::Unknown:
        break;
    }
    return nullptr;
}

ipcw::native::shm::ShmWaiter::Wait FileMappingChannelWin32::Waiter::wait(std::atomic<std::uint32_t> &word,
                                                                         std::uint32_t expected, int timeoutMs)
{
    if (m_interrupted.load())
        return Wait::Interrupted;
    if (word.load() != expected)
        return Wait::Changed;
    HANDLE handles[2] = {m_interruptEvent, eventFor(word)};
    const DWORD count = handles[1] ? 2 : 1;
    const DWORD result = WaitForMultipleObjects(count, handles, FALSE, timeoutMs < 0 ? INFINITE : DWORD(timeoutMs));
    if (result == WAIT_OBJECT_0 || m_interrupted.load())
        return Wait::Interrupted;
    if (result == WAIT_TIMEOUT)
        return Wait::TimedOut;
    return Wait::Changed;
}

void FileMappingChannelWin32::Waiter::wake(std::atomic<std::uint32_t> &word)
{
    if (m_session && m_session->classify(&word, nullptr) == ShmSession::Word::DataSpace) {
        // Every sender sleeps on its own event; wake all that are there.
        for (std::uint32_t i = 0; i < ShmSession::MaxSenders; ++i)
            if (m_session->slotInUse(i))
                if (void *e = event(int(i), Space))
                    SetEvent(e);
        return;
    }
    if (void *e = eventFor(word))
        SetEvent(e);
}

bool FileMappingChannelWin32::Waiter::isAlive(std::uint32_t pid)
{
    if (pid == 0)
        return false;
    HANDLE process = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, DWORD(pid));
    if (!process)
        return GetLastError() == ERROR_ACCESS_DENIED; // it exists, it just is not ours to open
    const DWORD state = WaitForSingleObject(process, 0);
    CloseHandle(process);
    return state == WAIT_TIMEOUT;
}

std::uint32_t FileMappingChannelWin32::Waiter::selfPid()
{
    return std::uint32_t(GetCurrentProcessId());
}

void FileMappingChannelWin32::Waiter::yield()
{
    SwitchToThread();
}

void FileMappingChannelWin32::Waiter::sleepMs(int ms)
{
    Sleep(DWORD(ms));
}

void FileMappingChannelWin32::Waiter::interrupt()
{
    m_interrupted = true;
    SetEvent(m_interruptEvent);
}

void FileMappingChannelWin32::Waiter::reset()
{
    ResetEvent(m_interruptEvent);
    m_interrupted = false;
    bind(std::wstring(), nullptr);
}

FileMappingChannelWin32::FileMappingChannelWin32() = default;

FileMappingChannelWin32::~FileMappingChannelWin32()
{
    close();
}

std::string FileMappingChannelWin32::failOpen(const std::string &sentence)
{
    m_session.reset();
    close();
    return sentence;
}

std::string FileMappingChannelWin32::open(Role role, const std::string &address)
{
    close();
    std::string name;
    std::uint64_t capacity = 0;
    if (std::string error = ShmSession::parseAddress(address, &name, &capacity); !error.empty())
        return error;
    m_address = address;
    const std::wstring objectName = L"Local\\ipcworkshop-" + widen(name);
    m_session = std::make_unique<ShmSession>(m_waiter, address, receiveLimits());
    m_session->setFrameStore(m_frameStore);
    m_waiter.bind(objectName, m_session.get());

    if (role == Role::Sender) {
        m_mapping = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, objectName.c_str());
        if (!m_mapping) {
            const DWORD code = GetLastError();
            if (code == ERROR_FILE_NOT_FOUND)
                return failOpen("Nobody is receiving on filemapping address " + address + ": start a receiver first.");
            return failOpen("Cannot open the shared memory of filemapping address " + address + ": " + systemError(code)
                            + (code == ERROR_ACCESS_DENIED ? ". It belongs to another user; pick another address." : "."));
        }
        m_view = MapViewOfFile(m_mapping, FILE_MAP_ALL_ACCESS, 0, 0, 0);
        if (!m_view)
            return failOpen("Cannot map the shared memory of filemapping address " + address + ": "
                            + systemError(GetLastError()) + ".");
        if (std::string error = m_session->attach(m_view, viewBytes(m_view)); !error.empty())
            return failOpen(error);
        if (std::string error = m_session->claimSlot(); !error.empty())
            return failOpen(error);
        m_waiter.setOwnSlot(m_session->slot());
        if (std::string error = m_session->announce(); !error.empty())
            return failOpen(error);
        return {};
    }

    const std::uint64_t bytes = ShmSession::segmentBytes(capacity);
    // Default security: the section is the creating user's (and SYSTEM's), never a NULL DACL.
    m_mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, DWORD(bytes >> 32),
                                   DWORD(bytes & 0xffffffffu), objectName.c_str());
    if (!m_mapping)
        return failOpen("Cannot create the shared memory of filemapping address " + address + ": "
                        + systemError(GetLastError()) + ".");
    const bool existed = GetLastError() == ERROR_ALREADY_EXISTS;
    m_view = MapViewOfFile(m_mapping, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (!m_view)
        return failOpen("Cannot map the shared memory of filemapping address " + address + ": "
                        + systemError(GetLastError()) + ".");
    if (existed) {
        // Windows keeps a section while anyone holds it, so a crashed receiver's section lives
        // on while its senders do. Its receiver's pid tells live from stale; a stale one is
        // taken over in place (its senders see the new owner and give up).
        auto *header = static_cast<ipcw::native::shm::SegmentHeader *>(m_view);
        ShmSession::Existing found = ShmSession::inspect(m_view, viewBytes(m_view), m_waiter);
        for (int waited = 0; found == ShmSession::Existing::Initializing && waited < 1000; waited += 10) {
            m_waiter.sleepMs(10);
            found = ShmSession::inspect(m_view, viewBytes(m_view), m_waiter);
        }
        const std::string inUse = "The filemapping address " + address + " is already in use by a running "
                                  "receiver: stop that receiver or pick another address.";
        if (found == ShmSession::Existing::Live)
            return failOpen(inUse);
        if (viewBytes(m_view) < bytes)
            return failOpen("The filemapping address " + address + " is still held by senders of an earlier receiver "
                            "with a smaller ring: close them, or pick another address or a smaller ?size=.");
        // Two receivers finding the same stale section: the pid swap picks one.
        std::uint32_t previousOwner = header->ownerPid.load();
        if (!header->ownerPid.compare_exchange_strong(previousOwner, m_waiter.selfPid()))
            return failOpen(inUse);
    }
    m_session->create(m_view, capacity);
    return {};
}

std::string FileMappingChannelWin32::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (!m_session)
        return "The filemapping channel is not open.";
    return m_session->send(data, size, peer);
}

bool FileMappingChannelWin32::trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error)
{
    return m_session && m_session->trySend(data, size, peer, error);
}

Event FileMappingChannelWin32::receive(int timeoutMs)
{
    if (!m_session) {
        Event event;
        event.kind = Event::Kind::Error;
        event.text = "The filemapping channel is not open.";
        return event;
    }
    return m_session->receive(timeoutMs);
}

void FileMappingChannelWin32::interrupt()
{
    m_waiter.interrupt();
}

void FileMappingChannelWin32::close()
{
    if (m_session && m_view)
        m_session->leave();
    m_session.reset();
    if (m_view)
        UnmapViewOfFile(m_view);
    m_view = nullptr;
    if (m_mapping)
        CloseHandle(m_mapping);
    m_mapping = nullptr;
    m_waiter.reset();
}

void FileMappingChannelWin32::setFrameStore(ipcw::native::FrameStore *store)
{
    m_frameStore = store;
    if (m_session)
        m_session->setFrameStore(store);
}

IPCW_REGISTER_NATIVE_CHANNEL("filemapping", FileMappingChannelWin32)
