// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QObject>
#include <QSocketNotifier>
#include <QString>

#include <vector>

struct ZeroMqAddress;

// One libzmq socket in the endpoint's thread. libzmq's ZMQ_FD is watched by a QSocketNotifier,
// so an idle endpoint sleeps in the event loop. That descriptor is edge-triggered and says only
// "look at ZMQ_EVENTS": after every notification, and after every send (a send can swallow the
// edge), pump() reads ZMQ_EVENTS and emits readable()/writable() until neither is set, so no
// message is ever left waiting for an edge that will not come.
//
// watchPeers() adds libzmq's socket monitor (an inproc PAIR socket with a notifier of its own):
// peerEvent() says when a connection was made or closed, with its file descriptor, which
// messages carry as ZMQ_SRCFD. That is how a ROUTER tells which sender went away.
class ZeroMqSocket : public QObject
{
    Q_OBJECT
public:
    // "" or a sentence when libzmq cannot make a socket (out of file descriptors).
    ZeroMqSocket(int type, QObject *parent, QString *error);
    ~ZeroMqSocket() override;

    void *handle() const { return m_socket; }
    bool setOption(int option, int value);
    bool setOption64(int option, qint64 value);
    // zmq_bind/zmq_connect; false with errno set as libzmq left it.
    bool bind(const QByteArray &endpoint);
    bool connect(const QByteArray &endpoint);
    bool watchPeers(int events);
    // Emits peerEvent() for every monitor event already queued, now, whatever the notifiers'
    // order: a ROUTER calls it before it takes a new sender's hello (see ZeroMqRouterReceiver).
    void readPeerEventsNow() { readMonitor(); }
    // Emits readable()/writable() now for what waits, as a notification would; nothing when
    // called from inside one of them (that loop looks again anyway). An owner about to act on
    // a close calls it first, so the peer's last messages (its Bye) are read before.
    void readWaitingNow() { pump(); }
    // Binds where `address` says as `owner` ("zeromq receiver") would: an ipc socket file is
    // claimed first (a stale one replaced, a live one refused) and made 0600 after. "" or a
    // sentence; on failure the socket is closed and no file of anyone's was touched.
    QString bindPrivately(const ZeroMqAddress &address, const QString &owner);

    struct Message
    {
        std::vector<QByteArray> parts; // at most MaxPartsKept; the rest are counted, not kept
        int partCount = 0;
        int sourceFd = -1;
        QString peerAddress;           // libzmq's "Peer-Address" (tcp: the IP; ipc: uid, gid, pid)
    };
    static constexpr int MaxPartsKept = 2;
    // One whole message if one waits (never blocks); false otherwise.
    bool receive(Message *message);
    // One message of `parts` without blocking: 0, or the errno (EAGAIN: the queue is full).
    int send(const std::vector<QByteArray> &parts);
    // Looks at ZMQ_EVENTS from the event loop (soon, never from inside the caller).
    void pumpLater();
    // Closes the socket, letting queued messages go for at most `lingerMs`.
    void close(int lingerMs);

    static QString errorText(int error);

signals:
    void readable();
    void writable();
    void peerEvent(int event, int fd);

private:
    void pump();
    void readMonitor();

    void *m_socket = nullptr;
    void *m_monitor = nullptr;
    QSocketNotifier *m_notifier = nullptr;
    QSocketNotifier *m_monitorNotifier = nullptr;
    bool m_pumpQueued = false;
    bool m_pumping = false;
};
