// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What both udp endpoints do to their sockets.

#include "udpaddress.h"

#include <QNetworkInterface>
#include <QUdpSocket>

namespace UdpSockets {

// The interface a multicast group is joined and sent on: loopback unless the address names
// another (by one of its IPv4 addresses). Invalid, with `error` set, when there is none.
QNetworkInterface multicastInterface(const UdpAddress &address, QString *error);

// Asks for a 4 MiB receive buffer (the kernel caps it at net.core.rmem_max): the only room a
// receiver has to ride out a pause, since nothing slows a udp sender down.
void enlargeReceiveBuffer(QUdpSocket *socket);

} // namespace UdpSockets
