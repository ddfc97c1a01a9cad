// SPDX-License-Identifier: GPL-3.0-or-later
#include "filemapping_posix.h"

#include "native/posixpaths.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using ipcw::native::Event;
using ipcw::native::Role;
using ipcw::native::shm::ShmSession;

namespace {
constexpr int SizeWaitMs = 1000;
// Where glibc's shm_open() keeps segments. The doorbells lie beside theirs, so whoever can open
// a segment finds them, whatever its XDG_RUNTIME_DIR says.
const std::string ShmDirectory = "/dev/shm";
// '@' cannot appear in a filemapping name, so no doorbell is ever another address's segment.
const std::string BellSuffix = "@bell";

std::string errnoText()
{
    return std::strerror(errno);
}

void closeDescriptor(int *fd)
{
    if (*fd >= 0)
        ::close(*fd);
    *fd = -1;
}
} // namespace

FileMappingChannelPosix::~FileMappingChannelPosix()
{
    close();
}

std::string FileMappingChannelPosix::objectName(const std::string &address)
{
    std::string name;
    std::uint64_t capacity = 0;
    if (!ShmSession::parseAddress(address, &name, &capacity).empty())
        return {};
    return ipcw::native::userScopedObjectName(name);
}

std::string FileMappingChannelPosix::open(Role role, const std::string &address)
{
    close();
    std::string name;
    std::uint64_t capacity = 0;
    if (std::string error = ShmSession::parseAddress(address, &name, &capacity); !error.empty())
        return error;
    m_address = address;
    m_objectName = ipcw::native::userScopedObjectName(name);
    m_session = std::make_unique<ShmSession>(m_waiter, address, receiveLimits());
    m_session->setFrameStore(m_frameStore);
    // Every end rings its peers' doorbells, whichever way it waits itself: from its very first
    // record on (a sender's Connect wakes a receiver that sleeps until rung).
    m_waiter.setRinger([this](const std::atomic<std::uint32_t> &word) { ringDoorbell(word); });
    if (std::string error = role == Role::Receiver ? openReceiver(name, capacity) : openSender(); !error.empty())
        return error;
    makeDoorbell(role);
    return {};
}

std::string FileMappingChannelPosix::doorbellPath() const
{
    return ShmDirectory + m_objectName + BellSuffix;
}

std::string FileMappingChannelPosix::doorbellPath(std::uint32_t slot, std::uint32_t generation) const
{
    return doorbellPath() + "-" + std::to_string(slot) + "-" + std::to_string(generation);
}

namespace {
// Opens a doorbell for reading and writing, as its reader and its writers alike: a writer that
// also reads keeps the FIFO from ever having no reader, so a ring after its reader left fills
// the pipe and then fails with EAGAIN instead of raising SIGPIPE in the host program. Only a
// FIFO of ours is used; -1 otherwise.
int openDoorbell(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    struct stat st {};
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_uid != getuid())) {
        ::close(fd);
        return -1;
    }
    return fd;
}
} // namespace

void FileMappingChannelPosix::makeDoorbell(Role role)
{
    const std::string path = role == Role::Receiver
                                 ? doorbellPath()
                                 : doorbellPath(std::uint32_t(m_session->slot()), m_session->generation());
    // The path is this end's alone (the receiver holds the address's lock, a sender its slot in
    // this generation), so a FIFO there is one a crashed reader left. Another user's file stays
    // (/dev/shm is sticky): then this end sleeps on the futex instead.
    ::unlink(path.c_str());
    if (mkfifo(path.c_str(), 0600) != 0)
        return;
    struct stat st {};
    m_bellPath = path;
    m_bellInode = lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
    m_bellFd = openDoorbell(path);
    if (m_bellFd >= 0)
        m_session->setDoorbell(true, [this] { emptyDoorbell(); });
}

void FileMappingChannelPosix::removeOwnDoorbell()
{
    // Only while it is still ours: a sender that outlived its receiver may find its path taken
    // by a sender of the next receiver, which removed every doorbell of the address.
    struct stat st {};
    if (!m_bellPath.empty() && lstat(m_bellPath.c_str(), &st) == 0 && st.st_ino == m_bellInode)
        ::unlink(m_bellPath.c_str());
    m_bellPath.clear();
    m_bellInode = 0;
}

void FileMappingChannelPosix::removeStaleDoorbells(const std::string &objectName, int slot)
{
    DIR *folder = opendir(ShmDirectory.c_str());
    if (!folder)
        return;
    const std::string receivers = objectName.substr(1) + BellSuffix;
    const std::string senders = receivers + "-" + (slot >= 0 ? std::to_string(slot) + "-" : std::string());
    while (const dirent *entry = readdir(folder)) {
        const std::string file = entry->d_name;
        if ((slot < 0 && file == receivers) || file.compare(0, senders.size(), senders) == 0)
            ::unlink((ShmDirectory + "/" + file).c_str()); // fails for another user's, which stay
    }
    closedir(folder);
}

void FileMappingChannelPosix::setFrameStore(ipcw::native::FrameStore *store)
{
    m_frameStore = store;
    if (m_session)
        m_session->setFrameStore(store);
}

void FileMappingChannelPosix::ringDoorbell(const std::atomic<std::uint32_t> &word)
{
    std::uint32_t slot = 0;
    switch (m_session->classify(&word, &slot)) {
    case ShmSession::Word::DataReady:
        ring(m_dataRinger, -1, 0);
        break;
    case ShmSession::Word::ReplyReady:
        ring(m_replyRingers[slot], int(slot), m_session->slotGeneration(slot));
        break;
    default:
        break;
    }
}

void FileMappingChannelPosix::ring(Ringer &ringer, int slot, std::uint32_t generation)
{
    // A sending thread and the reading one (a refusal into a reply ring) may ring at once.
    std::lock_guard<std::mutex> lock(m_ringersMutex);
    if (ringer.fd >= 0 && ringer.generation != generation) {
        ::close(ringer.fd); // the slot has a new sender, with a doorbell of its own
        ringer.fd = -1;
    }
    if (ringer.fd < 0) {
        ringer.fd = openDoorbell(slot < 0 ? doorbellPath() : doorbellPath(std::uint32_t(slot), generation));
        ringer.generation = generation;
    }
    if (ringer.fd >= 0) {
        const char bell = 1;
        // A full doorbell has rung already; a missing one belongs to a reader that left.
        [[maybe_unused]] const ssize_t written = write(ringer.fd, &bell, 1);
    }
}

std::string FileMappingChannelPosix::failOpen(const std::string &sentence)
{
    m_session.reset();
    close();
    return sentence;
}

std::string FileMappingChannelPosix::openReceiver(const std::string &name, std::uint64_t dataCapacity)
{
    std::string error;
    const std::string dir = ipcw::native::userRuntimeDir(&error);
    if (dir.empty())
        return failOpen(error);
    m_lockPath = dir + "/filemapping-" + name + ".lock";
    bool busy = false;
    m_lockFd = lockName(m_lockPath, &busy, &error);
    if (busy)
        return failOpen("The filemapping address " + m_address + " is already in use by a running receiver: "
                        "stop that receiver or pick another address.");
    if (m_lockFd < 0)
        return failOpen(error);
    removeStaleSegments(dir, name);
    removeStaleDoorbells(m_objectName);
    // We hold the lock, so no receiver is alive: a segment still under this name is one a
    // crashed receiver left behind. Replace it (its senders notice their receiver is gone).
    if (shm_unlink(m_objectName.c_str()) != 0 && errno != ENOENT)
        return failOpen("A stale shared memory segment " + m_objectName + " could not be removed: " + errnoText()
                        + ". Remove /dev/shm" + m_objectName + " by hand.");
    m_fd = shm_open(m_objectName.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (m_fd < 0)
        return failOpen("Cannot create the shared memory segment " + m_objectName + ": " + errnoText() + ".");
    m_owner = true;
    // shm_open honours the umask; the segment must be exactly ours, readable and writable.
    const std::uint64_t bytes = ShmSession::segmentBytes(dataCapacity);
    if (fchmod(m_fd, 0600) != 0 || ftruncate(m_fd, off_t(bytes)) != 0)
        return failOpen("Cannot size the shared memory segment " + m_objectName + " to " + std::to_string(bytes)
                        + " bytes: " + errnoText() + ". Is /dev/shm full? Try a smaller ?size=.");
    m_base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
    if (m_base == MAP_FAILED) {
        m_base = nullptr;
        return failOpen("Cannot map the shared memory segment " + m_objectName + ": " + errnoText() + ".");
    }
    m_bytes = bytes;
    m_session->create(m_base, dataCapacity);
    return {};
}

int FileMappingChannelPosix::lockName(const std::string &path, bool *busy, std::string *error)
{
    // A receiver that closes removes its lock file, so a lock taken on a file that is no longer
    // at `path` guards nothing: check after locking, and start over if it moved.
    for (int attempt = 0; attempt < 16; ++attempt) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            *error = "Cannot create the lock file " + path + ": " + errnoText() + ".";
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            *busy = true;
            return -1;
        }
        struct stat locked {}, named {};
        if (fstat(fd, &locked) == 0 && stat(path.c_str(), &named) == 0 && locked.st_dev == named.st_dev
            && locked.st_ino == named.st_ino)
            return fd;
        ::close(fd);
    }
    *error = "The lock file " + path + " keeps being replaced by another process; try again.";
    return -1;
}

void FileMappingChannelPosix::removeStaleSegments(const std::string &dir, const std::string &ownName)
{
    // Receivers that crashed under other names left segments in /dev/shm (memory, not disk).
    // Their lock files say which names were ours; a lock we can take has no live receiver.
    DIR *folder = opendir(dir.c_str());
    if (!folder)
        return;
    const std::string prefix = "filemapping-", suffix = ".lock";
    while (const dirent *entry = readdir(folder)) {
        const std::string file = entry->d_name;
        if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0
            || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const std::string name = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
        std::string parsedName, error;
        std::uint64_t capacity = 0;
        if (name == ownName || !ShmSession::parseAddress(name, &parsedName, &capacity).empty())
            continue;
        bool busy = false;
        const std::string path = dir + "/" + file;
        const int fd = lockName(path, &busy, &error);
        if (fd < 0)
            continue;
        shm_unlink(ipcw::native::userScopedObjectName(name).c_str());
        removeStaleDoorbells(ipcw::native::userScopedObjectName(name));
        ::unlink(path.c_str());
        ::close(fd);
    }
    closedir(folder);
}

std::string FileMappingChannelPosix::openSender()
{
    m_fd = shm_open(m_objectName.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (m_fd < 0) {
        if (errno == ENOENT)
            return failOpen("Nobody is receiving on filemapping address " + m_address + ": start a receiver first.");
        return failOpen("Cannot open the shared memory segment " + m_objectName + ": " + errnoText()
                        + (errno == EACCES ? ". It belongs to another user; pick another address." : "."));
    }
    struct stat st {};
    // The receiver creates the segment empty and sizes it a moment later.
    for (int waited = 0; fstat(m_fd, &st) == 0 && st.st_size == 0 && waited < SizeWaitMs; waited += 10)
        m_waiter.sleepMs(10);
    if (st.st_uid != getuid())
        return failOpen("The shared memory segment " + m_objectName
                        + " belongs to another user; refusing to send records into it. Pick another address.");
    if (st.st_size == 0)
        return failOpen("Nobody is receiving on filemapping address " + m_address + ": start a receiver first.");
    m_bytes = std::size_t(st.st_size);
    m_base = mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
    if (m_base == MAP_FAILED) {
        m_base = nullptr;
        return failOpen("Cannot map the shared memory segment " + m_objectName + ": " + errnoText() + ".");
    }
    if (std::string error = m_session->attach(m_base, m_bytes); !error.empty())
        return failOpen(error);
    if (std::string error = m_session->claimSlot(); !error.empty())
        return failOpen(error);
    // The slot's earlier holders are gone: so are their doorbells, if they crashed.
    removeStaleDoorbells(m_objectName, m_session->slot());
    if (std::string error = m_session->announce(); !error.empty())
        return failOpen(error);
    return {};
}

std::string FileMappingChannelPosix::send(const std::uint8_t *data, std::size_t size, std::uint64_t peer)
{
    if (!m_session)
        return "The filemapping channel is not open.";
    return m_session->send(data, size, peer);
}

bool FileMappingChannelPosix::trySend(const std::uint8_t *data, std::size_t size, std::uint64_t peer, std::string *error)
{
    return m_session && m_session->trySend(data, size, peer, error);
}

Event FileMappingChannelPosix::receive(int timeoutMs)
{
    if (!m_session) {
        Event event;
        event.kind = Event::Kind::Error;
        event.text = "The filemapping channel is not open.";
        return event;
    }
    // Rings are only news that the ring changed, read from the ring itself. The session empties
    // the doorbell just before it arms it again (emptyDoorbell()), once this end has answered
    // what woke it. A spinning end never arms it: a late ring, from a writer that saw it armed
    // as it was disarmed, goes within StaleRingReadEverySpinning calls (it only brings the event
    // loop back to a poll it makes anyway).
    if (m_bellFd >= 0 && timeoutMs == 0 && m_session->spinning()
        && ++m_receivesSinceRingsRead >= StaleRingReadEverySpinning) {
        m_receivesSinceRingsRead = 0;
        emptyDoorbell();
    }
    return m_session->receive(timeoutMs);
}

void FileMappingChannelPosix::emptyDoorbell()
{
    // Every byte in one call, unless it rang more than 64 times.
    char bells[64];
    while (read(m_bellFd, bells, sizeof bells) == ssize_t(sizeof bells)) {
    }
}

void FileMappingChannelPosix::interrupt()
{
    m_waiter.interrupt();
}

void FileMappingChannelPosix::close()
{
    if (m_session && m_base)
        m_session->leave();
    m_waiter.setRinger(nullptr);
    m_session.reset();
    // Unlink before letting go of the lock, so we never remove a successor's segment or files.
    if (m_owner)
        shm_unlink(m_objectName.c_str());
    m_owner = false;
    removeOwnDoorbell();
    if (m_base)
        munmap(m_base, m_bytes);
    m_base = nullptr;
    m_bytes = 0;
    if (m_lockFd >= 0)
        ::unlink(m_lockPath.c_str());
    for (Ringer &ringer : m_replyRingers)
        closeDescriptor(&ringer.fd);
    for (int *fd : {&m_fd, &m_lockFd, &m_bellFd, &m_dataRinger.fd})
        closeDescriptor(fd);
    m_waiter.reset();
}
