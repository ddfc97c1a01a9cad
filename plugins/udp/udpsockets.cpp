// SPDX-License-Identifier: GPL-3.0-or-later
#include "udpsockets.h"

#include <QVariant>

namespace UdpSockets {

QNetworkInterface multicastInterface(const UdpAddress &address, QString *error)
{
    const QList<QNetworkInterface> interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &iface : interfaces) {
        if (address.interfaceAddress.isNull()) {
            if (iface.flags().testFlag(QNetworkInterface::IsLoopBack) && iface.flags().testFlag(QNetworkInterface::IsUp))
                return iface;
            continue;
        }
        for (const QNetworkAddressEntry &entry : iface.addressEntries())
            if (entry.ip() == address.interfaceAddress)
                return iface;
    }
    *error = address.interfaceAddress.isNull()
        ? QStringLiteral("This machine has no loopback interface that is up, which udp multicast uses unless told "
                         "otherwise: name an interface with interface=<IPv4 address>.")
        : QStringLiteral("No network interface of this machine has the address %1 (the udp option interface=): give "
                         "one of its own IPv4 addresses.").arg(address.interfaceAddress.toString());
    return {};
}

void enlargeReceiveBuffer(QUdpSocket *socket)
{
    socket->setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, QVariant(4 * 1024 * 1024));
}

} // namespace UdpSockets
