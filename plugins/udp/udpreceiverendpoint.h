// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "udpaddress.h"
#include "native/fragmentreassembly.h"
#include "native/receivelimits.h"
#include "receiverlimits.h"
#include "transportendpoint.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QUdpSocket>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

// A QUdpSocket in the endpoint's thread: the event loop wakes it when datagrams wait, nothing
// polls. Unicast binds the address alone (a second receiver is told the port is taken);
// multicast binds the port shared, so every receiver on the machine joins the group and gets
// every datagram. A sender is known by its address, port, pid and slot; its fragments are put
// back together within the receiver's limits (budget for unfinished frames, time in the
// middle of a frame, number of senders). A sender that stays silent three times the peer
// timeout is taken as gone (UDP has no connection to break). Replies go back to the address
// each sender's datagrams came from, and so does this receiver's Hello, with which a sender
// counts its receivers.
class UdpReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit UdpReceiverEndpoint(const QString &address);
    ~UdpReceiverEndpoint() override;
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; } // replies go straight to the kernel or are lost

private:
    struct Peer
    {
        Peer();
        PeerId id = 0;
        QHostAddress address;
        quint16 port = 0;
        quint32 pid = 0;
        quint32 slot = 0;
        ipcw::native::FragmentReassembly reassembly;
        ipcw::native::PendingBudget::Share pending; // what its unfinished frame holds of the budget
        qint64 lastProgressMs = 0; // its last fragment that was taken, on m_clock
        qint64 lastHeardMs = 0;
    };
    using PeerKey = std::tuple<quint32, quint16, quint32, quint32>; // address, port, pid, slot

    void readDatagrams();
    void handleDatagram(const QHostAddress &from, quint16 fromPort, const std::uint8_t *data, std::size_t size);
    Peer *admit(const PeerKey &key, const QHostAddress &from, quint16 fromPort, const ipcw::native::DatagramHeader &h,
                const QString &description);
    void handleFragment(Peer &peer, const ipcw::native::DatagramHeader &h, const std::uint8_t *payload, std::size_t size);
    void forget(const PeerKey &key, const QString &reason);
    // Drops partial frames stalled past the time limit and senders silent too long, then arms
    // the timer for the next deadline (none while nothing is pending: an idle receiver sleeps).
    void housekeep();
    void announceTo(const Peer &peer);
    void sendDatagram(const Peer &peer, const std::uint8_t *data, std::size_t size);
    QString senderName(const Peer &peer) const;
    QString placeName() const;

    UdpAddress m_address;
    ReceiverLimits m_limits;
    QUdpSocket *m_socket;
    QTimer m_housekeeping;
    QElapsedTimer m_clock;
    ipcw::native::PendingBudget m_budget; // before m_peers: their frames give their share back to it
    std::map<PeerKey, std::unique_ptr<Peer>> m_peers;
    PeerId m_nextPeerId = 1;
    std::vector<std::uint8_t> m_readBuffer;
    std::vector<std::uint8_t> m_sendBuffer;
    quint32 m_frameNumber = 0;
};
