// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "udpaddress.h"
#include "native/fragmentreassembly.h"
#include "transportendpoint.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QUdpSocket>

#include <deque>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

// A QUdpSocket in the endpoint's thread. Unicast: the socket is connected to the receiver's
// address, says Hello (again every 300 ms, since a datagram may be lost) and is "connected"
// when the receiver's Hello comes back, or fails after 3 s or when the kernel reports the port
// closed. Multicast: connected at once, since nobody has to answer (fan-out); the group is sent
// to on the loopback interface unless the address names another, and the Hello is repeated
// every 2 s (a roll call) so receivers that joined later answer too. Every receiver heard from
// (its Hello, its replies) is announced with peerConnected, and with peerDisconnected once it
// said Leave or missed three roll calls: how a sender knows how many it reaches. Frames are cut into
// datagrams and paced to the address's rate with a token bucket: UDP has no flow control, and
// a sender that outran its receivers would only lose datagrams in their socket buffers.
class UdpSenderEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit UdpSenderEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return m_queuedBytes; }

private:
    void start();
    void sayHello();
    void readDatagrams();
    // False when the datagram ended the endpoint (the receiver closed).
    bool handleDatagram(const QHostAddress &from, quint16 fromPort, const std::uint8_t *data, std::size_t size);
    void onSocketError(QAbstractSocket::SocketError error);
    // The pacing timer: sends what the rate allows now and says the queue went down.
    void pump();
    // Sends queued datagrams while the rate allows, then arms the pacing timer for the rest.
    void sendQueued();
    // What the token bucket holds at most: a burst of 8 ms at 32 MiB/s.
    double burstBytes() const;
    bool writeDatagram(const std::uint8_t *data, std::size_t size);
    QString destination() const;
    void noteReceiver(const QHostAddress &from, quint16 fromPort, quint32 pid);
    void forgetReceivers(qint64 silentForMs, const QString &reason);

    UdpAddress m_address;
    QUdpSocket *m_socket;
    quint32 m_pid;
    quint32 m_slot;
    int m_helloTimeoutMs; // how long a unicast receiver has to answer
    QTimer m_helloTimer;      // unicast: repeats Hello until answered; multicast: the roll call
    QElapsedTimer m_helloClock;
    QTimer m_paceTimer;
    QElapsedTimer m_paceClock;
    double m_allowance = 0;   // bytes the rate lets out now
    qint64 m_lastRefillNs = 0;
    std::deque<QByteArray> m_queue; // frames not yet wholly sent; the front one from m_sentOfFront
    std::size_t m_sentOfFront = 0;
    quint32 m_frameNumber = 0;
    qint64 m_queuedBytes = 0;
    std::vector<std::uint8_t> m_datagram;
    std::vector<std::uint8_t> m_readBuffer;
    // Replies, put together per source (several receivers answer a multicast sender).
    std::map<std::pair<quint32, quint16>, ipcw::native::FragmentReassembly> m_replies;
    struct Receiver
    {
        PeerId id = 0;
        qint64 lastHeardMs = 0; // on m_helloClock
    };
    // Receivers heard from, by address, port and pid (multicast receivers share the port).
    std::map<std::tuple<quint32, quint16, quint32>, Receiver> m_receivers;
    PeerId m_nextReceiverId = 1;
};
