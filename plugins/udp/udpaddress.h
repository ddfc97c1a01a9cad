// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a udp address says (docs/udp-format.md, "Addresses"):
//   127.0.0.1:47002                    unicast: the receiver binds there, the sender sends there
//   multicast:239.255.71.2:47003       a group every receiver on the port joins
// followed by options: ?datagram=BYTES&rate=MIB_PER_S&ttl=N&interface=IPV4.
// A multicast group is joined and sent to on the loopback interface unless `interface` names
// another, so by default nothing leaves the machine.

#include <QHostAddress>
#include <QString>

struct UdpAddress
{
    // Datagrams of 16 KiB: a few per Records frame, far below the 64 KiB a UDP datagram can be.
    static constexpr int DefaultDatagramBytes = 16384;
    // The largest UDP payload over IPv4.
    static constexpr int MaxDatagramBytes = 65507;
    // A sender without flow control must not outrun receivers: 32 MiB/s fits what a receiver
    // reads and a 4 MiB socket buffer absorbs a pause of 100 ms at that pace.
    static constexpr int DefaultRateMiBPerSecond = 32;

    QHostAddress host;       // unicast address or multicast group
    quint16 port = 0;
    bool multicast = false;
    int datagramBytes = DefaultDatagramBytes; // header included
    int rateMiBPerSecond = DefaultRateMiBPerSecond; // 0: unpaced
    int ttl = 1;
    QHostAddress interfaceAddress; // multicast: null means the loopback interface

    // Returns "" or a sentence saying what is wrong and how to write it.
    static QString parse(const QString &text, UdpAddress *out);
    // Multicast beyond this machine (an interface other than loopback was named).
    bool leavesMachine() const;
};
