// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchfloorzeromq.h"

#if defined(IPCW_HAVE_LIBZMQ)

#include "native/posixpaths.h"

#include <zmq.h>

#include <algorithm>
#include <cstring>

#include <unistd.h>

namespace ipcw::bench {

namespace {

constexpr int ReadLimitMs = 30'000; // a client whose peer died does not hang for ever

std::string zmqError(const std::string &what)
{
    return what + ": " + zmq_strerror(zmq_errno()) + ".";
}

// A context and one socket, closed without lingering. The ROUTER side sends each message
// after the client's routing id; the DEALER side sends it alone.
class ZeroMqLink final : public FloorLink
{
public:
    ZeroMqLink(void *context, void *socket, std::string routingId, std::string endpointFile)
        : m_context(context), m_socket(socket), m_routingId(std::move(routingId)), m_file(std::move(endpointFile))
    {
        zmq_msg_init(&m_message);
    }
    ~ZeroMqLink() override
    {
        zmq_msg_close(&m_message);
        const int zero = 0;
        zmq_setsockopt(m_socket, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(m_socket);
        zmq_ctx_term(m_context);
        if (!m_file.empty())
            ::unlink(m_file.c_str());
    }
    // Every writeAll() of the floor protocol is one whole message: one ZeroMQ message.
    std::string writeAll(const std::uint8_t *data, std::size_t size) override
    {
        if (!m_routingId.empty() && zmq_send(m_socket, m_routingId.data(), m_routingId.size(), ZMQ_SNDMORE) < 0)
            return zmqError("zmq_send() of the routing id failed");
        if (zmq_send(m_socket, data, size, 0) < 0)
            return zmqError("zmq_send() failed");
        return {};
    }
    std::string readExact(std::uint8_t *data, std::size_t size) override
    {
        while (size > 0) {
            if (m_offset == zmq_msg_size(&m_message)) {
                if (std::string error = nextMessage(); !error.empty())
                    return error;
            }
            const std::size_t n = std::min(size, zmq_msg_size(&m_message) - m_offset);
            std::memcpy(data, static_cast<const std::uint8_t *>(zmq_msg_data(&m_message)) + m_offset, n);
            m_offset += n;
            data += n;
            size -= n;
        }
        return {};
    }
    // The first message, read by acceptClient() to learn the routing id, is read again as data.
    void keep(zmq_msg_t *first)
    {
        zmq_msg_move(&m_message, first);
        m_offset = 0;
    }

private:
    std::string nextMessage()
    {
        do {
            if (zmq_msg_recv(&m_message, m_socket, 0) < 0)
                return zmqError(zmq_errno() == EAGAIN ? "No ZeroMQ message came for 30 s" : "zmq_msg_recv() failed");
            // A ROUTER's routing id part comes first: the data is the part after it.
        } while (zmq_msg_more(&m_message));
        m_offset = 0;
        return {};
    }

    void *m_context;
    void *m_socket;
    std::string m_routingId;
    std::string m_file;
    zmq_msg_t m_message;
    std::size_t m_offset = 0;
};

void *openSocket(void **context, int type)
{
    *context = zmq_ctx_new();
    void *socket = zmq_socket(*context, type);
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &ReadLimitMs, sizeof ReadLimitMs);
    return socket;
}

class ZeroMqServer final : public FloorServer
{
public:
    ~ZeroMqServer() override
    {
        if (m_socket) {
            zmq_close(m_socket);
            zmq_ctx_term(m_context);
            ::unlink(m_file.c_str());
        }
    }
    std::string listen(const std::string &address, std::string *announce) override
    {
        std::string error;
        const std::string dir = ipcw::native::userRuntimeDir(&error);
        if (dir.empty())
            return error;
        m_file = dir + "/zeromq-floor-" + address + ".sock";
        m_socket = openSocket(&m_context, ZMQ_ROUTER);
        const std::string endpoint = "ipc://" + m_file;
        if (zmq_bind(m_socket, endpoint.c_str()) != 0)
            return zmqError("Cannot bind the zeromq floor to " + endpoint);
        ::chmod(m_file.c_str(), 0600);
        *announce = endpoint;
        return {};
    }
    std::unique_ptr<FloorLink> acceptClient(std::string *error) override
    {
        zmq_msg_t id;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, m_socket, 0) < 0 || !zmq_msg_more(&id)) {
            *error = zmqError("No zeromq floor client came");
            zmq_msg_close(&id);
            return nullptr;
        }
        const std::string routingId(static_cast<const char *>(zmq_msg_data(&id)), zmq_msg_size(&id));
        zmq_msg_close(&id);
        zmq_msg_t first;
        zmq_msg_init(&first);
        zmq_msg_recv(&first, m_socket, 0);
        auto link = std::make_unique<ZeroMqLink>(m_context, m_socket, routingId, m_file);
        link->keep(&first);
        zmq_msg_close(&first);
        m_socket = nullptr; // the link owns it now
        return link;
    }

private:
    void *m_context = nullptr;
    void *m_socket = nullptr;
    std::string m_file;
};

} // namespace

std::unique_ptr<FloorServer> createZeroMqFloorServer()
{
    return std::make_unique<ZeroMqServer>();
}

std::unique_ptr<FloorLink> connectZeroMqFloor(const std::string &announced, std::string *error)
{
    void *context = nullptr;
    void *socket = openSocket(&context, ZMQ_DEALER);
    if (zmq_connect(socket, announced.c_str()) != 0) {
        *error = zmqError("Cannot reach the zeromq floor peer at " + announced);
        zmq_close(socket);
        zmq_ctx_term(context);
        return nullptr;
    }
    return std::make_unique<ZeroMqLink>(context, socket, std::string(), std::string());
}

} // namespace ipcw::bench

#else

namespace ipcw::bench {

std::unique_ptr<FloorServer> createZeroMqFloorServer()
{
    return nullptr;
}

std::unique_ptr<FloorLink> connectZeroMqFloor(const std::string &, std::string *error)
{
    *error = "The zeromq floor is built on Linux with libzmq only.";
    return nullptr;
}

} // namespace ipcw::bench

#endif
