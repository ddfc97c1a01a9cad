// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What both udp endpoints do to their sockets.

#include "udpaddress.h"

#include <QNetworkInterface>
#include <QUdpSocket>

#include <cstdint>
#include <vector>

namespace UdpSockets {

// The interface a multicast group is joined and sent on: loopback unless the address names
// another (by one of its IPv4 addresses). Invalid, with `error` set, when there is none.
QNetworkInterface multicastInterface(const UdpAddress &address, QString *error);

// Asks for a 4 MiB receive buffer (the kernel caps it at net.core.rmem_max): the only room a
// receiver has to ride out a pause, since nothing slows a udp sender down.
void enlargeReceiveBuffer(QUdpSocket *socket);

// Reads every datagram waiting on `socket` into `buffer` (one more byte than a datagram can
// have) and hands each to `handle(from, port, data, size)`, which returns false to stop (the
// endpoint has failed).
template <typename Handle>
void readPending(QUdpSocket *socket, std::vector<std::uint8_t> &buffer, Handle handle)
{
    while (socket->hasPendingDatagrams()) {
        QHostAddress from;
        quint16 fromPort = 0;
        const qint64 size = socket->readDatagram(reinterpret_cast<char *>(buffer.data()), qint64(buffer.size()), &from, &fromPort);
        if (size < 0 || !handle(from, fromPort, static_cast<const std::uint8_t *>(buffer.data()), std::size_t(size)))
            return;
    }
}

} // namespace UdpSockets
