// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchfloordbus.h"

#if defined(IPCW_HAVE_LIBDBUS)

#include <dbus/dbus.h>

#include <cstring>
#include <deque>
#include <vector>

#include <malloc.h>

namespace ipcw::bench {

namespace {

const char *const Path = "/org/ipcworkshop/Floor";
const char *const Interface = "org.ipcworkshop.Floor1";
const char *const Method = "Message";
constexpr int CallTimeoutMs = 30'000;
constexpr std::size_t HeaderBytes = 8;

std::string busError(const char *what, DBusError *error)
{
    std::string text = std::string(what) + ": " + (dbus_error_is_set(error) ? error->message : "unknown error") + ".";
    dbus_error_free(error);
    return text;
}

DBusConnection *openSessionBus(std::string *error)
{
    dbus_threads_init_default(); // QtDBus may use libdbus in the same process
    DBusError e;
    dbus_error_init(&e);
    DBusConnection *connection = dbus_bus_get_private(DBUS_BUS_SESSION, &e);
    if (!connection) {
        *error = busError("Cannot connect to the D-Bus session bus", &e);
        return nullptr;
    }
    dbus_connection_set_exit_on_disconnect(connection, FALSE);
    return connection;
}

// The bytes of a message's single `ay` argument; false if it has another signature.
bool byteArgument(DBusMessage *message, const std::uint8_t **data, int *size)
{
    DBusError e;
    dbus_error_init(&e);
    const bool ok = dbus_message_get_args(message, &e, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, data, size, DBUS_TYPE_INVALID);
    dbus_error_free(&e);
    return ok;
}

bool appendBytes(DBusMessage *message, const std::uint8_t *data, std::size_t size)
{
    const int n = int(size);
    return dbus_message_append_args(message, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &data, n, DBUS_TYPE_INVALID);
}

// What both roles share: a private connection and the bytes read but not yet taken.
class DBusLinkBase : public FloorLink
{
public:
    explicit DBusLinkBase(DBusConnection *connection) : m_connection(connection) {}
    ~DBusLinkBase() override
    {
        dbus_connection_close(m_connection);
        dbus_connection_unref(m_connection);
    }

protected:
    // Every writeAll() of the floor protocol is one whole message: it becomes one D-Bus message.
    static bool wholeMessage(const std::uint8_t *data, std::size_t size)
    {
        std::uint32_t body = 0;
        if (size < HeaderBytes)
            return false;
        std::memcpy(&body, data, 4);
        return size == HeaderBytes + body;
    }
    std::string take(std::uint8_t *data, std::size_t size)
    {
        std::memcpy(data, m_read.data() + m_offset, size);
        m_offset += size;
        if (m_offset == m_read.size()) {
            m_read.clear();
            m_offset = 0;
        }
        return {};
    }
    std::size_t available() const { return m_read.size() - m_offset; }

    DBusConnection *m_connection;
    std::vector<std::uint8_t> m_read;
    std::size_t m_offset = 0;
};

class DBusClientLink final : public DBusLinkBase
{
public:
    DBusClientLink(DBusConnection *connection, std::string peer) : DBusLinkBase(connection), m_peer(std::move(peer)) {}
    ~DBusClientLink() override
    {
        for (DBusPendingCall *call : m_pending) {
            dbus_pending_call_cancel(call);
            dbus_pending_call_unref(call);
        }
    }
    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        if (!wholeMessage(data, size))
            return "The dbus floor sends whole floor messages only.";
        DBusMessage *call = dbus_message_new_method_call(m_peer.c_str(), Path, Interface, Method);
        DBusPendingCall *pending = nullptr;
        const bool ok = call && appendBytes(call, data, size)
                        && dbus_connection_send_with_reply(m_connection, call, &pending, CallTimeoutMs) && pending;
        if (call)
            dbus_message_unref(call);
        if (!ok)
            return "Cannot send a D-Bus method call (out of memory, or the connection closed).";
        m_pending.push_back(pending);
        dbus_connection_flush(m_connection);
        return {};
    }
    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        while (available() < size) {
            if (m_pending.empty())
                return "The dbus floor waited for an answer to no call.";
            DBusPendingCall *call = m_pending.front();
            m_pending.pop_front();
            dbus_pending_call_block(call);
            DBusMessage *reply = dbus_pending_call_steal_reply(call);
            dbus_pending_call_unref(call);
            std::string error;
            const std::uint8_t *bytes = nullptr;
            int n = 0;
            if (!reply)
                error = "The dbus floor's call got no reply.";
            else if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR)
                error = std::string("The dbus floor's peer did not answer: ") + dbus_message_get_error_name(reply) + ".";
            else if (!byteArgument(reply, &bytes, &n))
                error = "The dbus floor's peer answered something other than a byte array.";
            else
                m_read.insert(m_read.end(), bytes, bytes + n);
            if (reply)
                dbus_message_unref(reply);
            if (!error.empty())
                return error;
        }
        return take(data, size);
    }

private:
    std::string m_peer;
    std::deque<DBusPendingCall *> m_pending;
};

class DBusPeerLink final : public DBusLinkBase
{
public:
    using DBusLinkBase::DBusLinkBase;
    ~DBusPeerLink() override
    {
        for (DBusMessage *call : m_unanswered)
            dbus_message_unref(call);
    }
    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        // The floor peer writes one answer per message it read: the reply to the oldest call.
        if (m_unanswered.empty() || !wholeMessage(data, size))
            return "The dbus floor peer answers one whole message per call.";
        DBusMessage *call = m_unanswered.front();
        m_unanswered.pop_front();
        DBusMessage *reply = dbus_message_new_method_return(call);
        dbus_message_unref(call);
        const bool ok = reply && appendBytes(reply, data, size) && dbus_connection_send(m_connection, reply, nullptr);
        if (reply)
            dbus_message_unref(reply);
        if (!ok)
            return "Cannot send a D-Bus reply.";
        dbus_connection_flush(m_connection);
        return {};
    }
    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        while (available() < size) {
            DBusMessage *message = dbus_connection_pop_message(m_connection);
            if (!message) {
                // Sleeps in poll() until the bus sends something: no time limit is needed,
                // since the bus says when the client leaves (below).
                if (!dbus_connection_read_write(m_connection, -1))
                    return "The D-Bus session bus closed the floor peer's connection.";
                continue;
            }
            const std::uint8_t *bytes = nullptr;
            int n = 0;
            if (dbus_message_is_method_call(message, Interface, Method) && byteArgument(message, &bytes, &n)) {
                watchClient(dbus_message_get_sender(message));
                m_read.insert(m_read.end(), bytes, bytes + n);
                m_unanswered.push_back(message);
                continue;
            }
            const bool clientLeft = dbus_message_is_signal(message, DBUS_INTERFACE_DBUS, "NameOwnerChanged") && nameLeft(message);
            if (dbus_message_get_type(message) == DBUS_MESSAGE_TYPE_METHOD_CALL && !dbus_message_get_no_reply(message)) {
                DBusMessage *refusal = dbus_message_new_error(message, DBUS_ERROR_UNKNOWN_METHOD, "The floor peer takes Message(ay) only.");
                if (refusal) {
                    dbus_connection_send(m_connection, refusal, nullptr);
                    dbus_message_unref(refusal);
                }
            }
            dbus_message_unref(message); // the bus's own signals (NameAcquired) and strangers
            if (clientLeft)
                return "The dbus floor's client left the bus.";
        }
        return take(data, size);
    }

private:
    // The first caller is the client: the bus tells when its unique name goes.
    void watchClient(const char *sender)
    {
        if (!m_client.empty() || !sender)
            return;
        m_client = sender;
        const std::string rule = "type='signal',sender='" DBUS_SERVICE_DBUS "',member='NameOwnerChanged',arg0='" + m_client + "'";
        dbus_bus_add_match(m_connection, rule.c_str(), nullptr); // no error asked: does not wait for the bus
    }
    bool nameLeft(DBusMessage *signal) const
    {
        const char *name = nullptr, *oldOwner = nullptr, *newOwner = nullptr;
        DBusError e;
        dbus_error_init(&e);
        const bool ok = dbus_message_get_args(signal, &e, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &oldOwner,
                                              DBUS_TYPE_STRING, &newOwner, DBUS_TYPE_INVALID);
        dbus_error_free(&e);
        return ok && m_client == name && newOwner[0] == '\0';
    }

    std::deque<DBusMessage *> m_unanswered;
    std::string m_client;
};

// libdbus allocates every large message afresh: the sender's body grows to the payload, the
// reader's buffer grows 2 KiB per read and is compacted after each message, and each message read
// is copied out of it. With glibc's defaults a single-threaded process gives that memory back to
// the kernel after every message (brk or mremap shrinks the heap top) and takes it back for the
// next one: fresh zeroed pages to fault in, and on every shrink a TLB flush that reaches the other
// core by IPI. On this 2-core VM that cost about 2 ms per 64 KiB round trip, more than D-Bus itself
// (docs/benchmarks.md has the profile). The floor peer is a process of its own: it keeps freed
// memory, as the plugin's processes happen to (QtDBus reads on a thread of its own, whose arena
// is not trimmed after each message).
void keepFreedMemory()
{
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024); // glibc's maximum: frames up to 32 MiB stay on the heap
}

// The bus daemon's allocator, as the plugin meets it. The floor is measured first, on a bus
// daemon that has carried nothing large yet, so glibc's mmap threshold there is still 128 KiB:
// a connection's read buffer that crosses it (any 64 KiB message: the buffer doubles to 128 KiB)
// becomes a mapping of its own and stays one, and every later message on that connection grows
// it with mremap and shrinks it again (with the TLB flush by IPI), several times per message. The
// plugin's connections come later, after the floor's large messages were freed in the daemon,
// which raised its threshold (glibc's dynamic threshold), so their buffers stay on the heap.
// Measured on this machine: 32,864 mremap calls in the daemon while the floor ran, 110 while the
// plugin's latency and one-way rows ran. So before either floor connection exists, one message
// larger than any floor message is sent through the daemon on a throwaway connection: the
// daemon frees it and then treats the floor's connections as it treats the plugin's. Best effort:
// a bus that refuses so large a message still gets its floor, only a slower one.
constexpr int WarmUpBytes = 8 * 1024 * 1024;

void warmUpBusDaemon()
{
    std::string error;
    DBusConnection *connection = openSessionBus(&error);
    if (!connection)
        return; // listen() opens its own connection and reports why it cannot
    const char *self = dbus_bus_get_unique_name(connection);
    DBusMessage *call = dbus_message_new_method_call(self, Path, Interface, "WarmUp");
    std::vector<std::uint8_t> bytes(WarmUpBytes);
    bool ok = call != nullptr;
    if (ok) {
        dbus_message_set_no_reply(call, TRUE);
        ok = appendBytes(call, bytes.data(), bytes.size()) && dbus_connection_send(connection, call, nullptr);
        dbus_message_unref(call);
    }
    // Wait until the daemon has delivered it back (and so freed its copy).
    bool back = false;
    for (int i = 0; ok && !back && i < 30'000; ++i) {
        while (DBusMessage *message = dbus_connection_pop_message(connection)) {
            back = back || dbus_message_is_method_call(message, Interface, "WarmUp");
            dbus_message_unref(message);
        }
        if (!back)
            ok = dbus_connection_read_write(connection, 1);
    }
    dbus_connection_close(connection);
    dbus_connection_unref(connection);
}

class DBusServer final : public FloorServer
{
public:
    ~DBusServer() override
    {
        if (m_connection) {
            dbus_connection_close(m_connection);
            dbus_connection_unref(m_connection);
        }
    }
    std::string listen(const std::string &, std::string *announce) override
    {
        keepFreedMemory();
        warmUpBusDaemon();
        std::string error;
        m_connection = openSessionBus(&error);
        if (!m_connection)
            return error;
        *announce = dbus_bus_get_unique_name(m_connection);
        return {};
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *) override
    {
        // Nothing to accept: calls to this unique name are the client.
        DBusConnection *connection = m_connection;
        m_connection = nullptr;
        return std::make_unique<DBusPeerLink>(connection);
    }

private:
    DBusConnection *m_connection = nullptr;
};

} // namespace

std::unique_ptr<FloorServer> createDBusFloorServer()
{
    return std::make_unique<DBusServer>();
}

std::unique_ptr<FloorLink> connectDBusFloor(const std::string &announced, std::string *error)
{
    if (announced.empty() || announced[0] != ':') {
        *error = "The dbus floor peer announced \"" + announced + "\", not a unique bus name.";
        return nullptr;
    }
    DBusConnection *connection = openSessionBus(error);
    if (!connection)
        return nullptr;
    return std::make_unique<DBusClientLink>(connection, announced);
}

} // namespace ipcw::bench

#else // !IPCW_HAVE_LIBDBUS

namespace ipcw::bench {

std::unique_ptr<FloorServer> createDBusFloorServer()
{
    return nullptr;
}

std::unique_ptr<FloorLink> connectDBusFloor(const std::string &, std::string *error)
{
    *error = "The dbus floor is built on Linux only.";
    return nullptr;
}

} // namespace ipcw::bench

#endif
