// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"
#include "zeromqaddress.h"

#include <deque>

class StreamHandshake;
class ZeroMqMessageDevice;
class ZeroMqSocket;

// The acknowledged mode's sender: a DEALER connected to the receiver's ROUTER. Its first
// message is its Hello; it says Connected only once the receiver's Hello came back (and,
// when the receiver asks, accepted the access token: StreamHandshake does that part). A
// frame libzmq cannot take now (its queue is at the high-water mark) waits here and counts in
// queuedBytes(), which is how the session feels backpressure. The socket monitor tells when
// the receiver's connection closed.
class ZeroMqDealerSender : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit ZeroMqDealerSender(const QString &address);
    ~ZeroMqDealerSender() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return m_queuedBytes; }

private:
    void start();
    void readMessages();
    void flushQueue();
    void onPeerEvent(int event, int fd);
    void abandon(const QString &sentence);

    ZeroMqAddress m_address;
    ZeroMqSocket *m_socket = nullptr;
    ZeroMqMessageDevice *m_device;
    StreamHandshake *m_handshake;
    bool m_reached = false; // the monitor saw the connection made
    std::deque<QByteArray> m_queue;
    qint64 m_queuedBytes = 0;
};
