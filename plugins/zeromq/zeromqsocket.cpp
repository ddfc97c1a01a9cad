// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqsocket.h"

#include "zeromqaddress.h"

#include <QFile>
#include <QMetaObject>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

// One context per process with one I/O thread, made on first use. At exit it is terminated
// when every socket is closed, which lets a closing sender's last messages (its Bye) leave
// within their linger time instead of dying with the process; with a socket still open it is
// left alone, since zmq_ctx_term would wait for that socket for ever.
std::atomic<int> openSockets{0};

void *context()
{
    static void *const ctx = [] {
        void *c = zmq_ctx_new();
        std::atexit([] {
            if (openSockets.load() == 0)
                zmq_ctx_term(context());
        });
        return c;
    }();
    return ctx;
}

std::atomic<quint64> monitorCounter{0};

} // namespace

ZeroMqSocket::ZeroMqSocket(int type, QObject *parent, QString *error) : QObject(parent)
{
    m_socket = zmq_socket(context(), type);
    if (!m_socket) {
        *error = QStringLiteral("libzmq could not make a socket: %1.").arg(errorText(zmq_errno()));
        return;
    }
    ++openSockets;
    int fd = -1;
    size_t size = sizeof fd;
    zmq_getsockopt(m_socket, ZMQ_FD, &fd, &size);
    m_notifier = new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, this);
    QObject::connect(m_notifier, &QSocketNotifier::activated, this, &ZeroMqSocket::pump);
}

ZeroMqSocket::~ZeroMqSocket()
{
    close(0);
}

QString ZeroMqSocket::errorText(int error)
{
    return QString::fromLocal8Bit(zmq_strerror(error));
}

bool ZeroMqSocket::setOption(int option, int value)
{
    return zmq_setsockopt(m_socket, option, &value, sizeof value) == 0;
}

bool ZeroMqSocket::setOption64(int option, qint64 value)
{
    const int64_t v = value;
    return zmq_setsockopt(m_socket, option, &v, sizeof v) == 0;
}

bool ZeroMqSocket::bind(const QByteArray &endpoint)
{
    return zmq_bind(m_socket, endpoint.constData()) == 0;
}

bool ZeroMqSocket::connect(const QByteArray &endpoint)
{
    const bool ok = zmq_connect(m_socket, endpoint.constData()) == 0;
    pumpLater();
    return ok;
}

QString ZeroMqSocket::bindPrivately(const ZeroMqAddress &address, const QString &owner)
{
    if (address.ipc)
        if (const QString error = ZeroMqIpcFile::claim(address.socketPath, owner); !error.isEmpty()) {
            close(0);
            return error;
        }
    if (!bind(address.bindEndpoint())) {
        const int e = zmq_errno();
        close(0);
        return e == EADDRINUSE ? QStringLiteral("%1 is already in use by another %2 (or another program). Pick another "
                                                "port.").arg(address.place(), owner)
                               : QStringLiteral("Cannot bind %1: %2.").arg(address.place(), errorText(e));
    }
    if (address.ipc)
        if (const QString problem = ZeroMqIpcFile::secure(address.socketPath); !problem.isEmpty()) {
            close(0);
            QFile::remove(address.socketPath);
            return problem;
        }
    return {};
}

bool ZeroMqSocket::watchPeers(int events)
{
    const QByteArray address = "inproc://ipcw-zeromq-monitor-" + QByteArray::number(++monitorCounter);
    if (zmq_socket_monitor(m_socket, address.constData(), events) != 0)
        return false;
    m_monitor = zmq_socket(context(), ZMQ_PAIR);
    if (!m_monitor || zmq_connect(m_monitor, address.constData()) != 0)
        return false;
    ++openSockets;
    int fd = -1;
    size_t size = sizeof fd;
    zmq_getsockopt(m_monitor, ZMQ_FD, &fd, &size);
    m_monitorNotifier = new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, this);
    QObject::connect(m_monitorNotifier, &QSocketNotifier::activated, this, &ZeroMqSocket::readMonitor);
    QMetaObject::invokeMethod(this, &ZeroMqSocket::readMonitor, Qt::QueuedConnection);
    return true;
}

bool ZeroMqSocket::receive(Message *message)
{
    if (!m_socket)
        return false;
    message->parts.clear();
    message->partCount = 0;
    message->sourceFd = -1;
    message->peerAddress.clear();
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        // The first part may be absent (EAGAIN); once it came, the rest of the message is there.
        if (zmq_msg_recv(&part, m_socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            return message->partCount > 0;
        }
        // A ROUTER's routing id part may lack the connection's metadata when libzmq made it
        // while answering ZMQ_EVENTS: take it from whichever part has it.
        if (message->sourceFd < 0) {
            message->sourceFd = zmq_msg_get(&part, ZMQ_SRCFD);
            if (const char *peer = zmq_msg_gets(&part, "Peer-Address"))
                message->peerAddress = QString::fromUtf8(peer).left(100);
        }
        if (message->partCount < MaxPartsKept)
            message->parts.emplace_back(static_cast<const char *>(zmq_msg_data(&part)), qsizetype(zmq_msg_size(&part)));
        ++message->partCount;
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    return true;
}

int ZeroMqSocket::send(const std::vector<QByteArray> &parts)
{
    if (!m_socket)
        return ENOTSOCK;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const int flags = ZMQ_DONTWAIT | (i + 1 < parts.size() ? ZMQ_SNDMORE : 0);
        // A multi-part message is sent whole or not at all: only its first part can meet EAGAIN.
        if (zmq_send(m_socket, parts[i].constData(), size_t(parts[i].size()), flags) < 0) {
            const int error = zmq_errno();
            pumpLater();
            return error;
        }
    }
    pumpLater(); // the send may have consumed the edge that announced a message to read
    return 0;
}

void ZeroMqSocket::pumpLater()
{
    if (m_pumpQueued || !m_socket)
        return;
    m_pumpQueued = true;
    QMetaObject::invokeMethod(this, [this] {
        m_pumpQueued = false;
        pump();
    }, Qt::QueuedConnection);
}

void ZeroMqSocket::pump()
{
    if (m_pumping)
        return; // a slot of ours sent from inside: the loop below looks again anyway
    m_pumping = true;
    for (;;) {
        if (!m_socket)
            break;
        int events = 0;
        size_t size = sizeof events;
        if (zmq_getsockopt(m_socket, ZMQ_EVENTS, &events, &size) != 0)
            break;
        if (events & ZMQ_POLLIN) {
            emit readable(); // the owner reads until receive() says nothing waits
            continue;
        }
        if (events & ZMQ_POLLOUT)
            emit writable();
        break;
    }
    m_pumping = false;
}

void ZeroMqSocket::readMonitor()
{
    while (m_monitor) {
        zmq_msg_t head;
        zmq_msg_init(&head);
        if (zmq_msg_recv(&head, m_monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            int events = 0;
            size_t size = sizeof events;
            zmq_getsockopt(m_monitor, ZMQ_EVENTS, &events, &size); // re-arms the edge
            if (!(events & ZMQ_POLLIN))
                return;
            continue;
        }
        quint16 event = 0;
        qint32 value = -1;
        if (zmq_msg_size(&head) >= 6) {
            std::memcpy(&event, zmq_msg_data(&head), 2);
            std::memcpy(&value, static_cast<const char *>(zmq_msg_data(&head)) + 2, 4);
        }
        int more = zmq_msg_more(&head);
        zmq_msg_close(&head);
        while (more) { // the endpoint's address: not needed
            zmq_msg_t part;
            zmq_msg_init(&part);
            zmq_msg_recv(&part, m_monitor, 0);
            more = zmq_msg_more(&part);
            zmq_msg_close(&part);
        }
        emit peerEvent(int(event), int(value));
    }
}

void ZeroMqSocket::close(int lingerMs)
{
    delete m_notifier;
    m_notifier = nullptr;
    delete m_monitorNotifier;
    m_monitorNotifier = nullptr;
    if (m_monitor) {
        zmq_socket_monitor(m_socket, nullptr, 0);
        const int zero = 0;
        zmq_setsockopt(m_monitor, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(m_monitor);
        m_monitor = nullptr;
        --openSockets;
    }
    if (m_socket) {
        zmq_setsockopt(m_socket, ZMQ_LINGER, &lingerMs, sizeof lingerMs);
        zmq_close(m_socket);
        m_socket = nullptr;
        --openSockets;
    }
}
