// SPDX-License-Identifier: GPL-3.0-or-later
#include "udpaddress.h"

#include "native/datagramenvelope.h"

#include <QStringList>

namespace {

const QString Example = QStringLiteral("127.0.0.1:47002 or multicast:239.255.71.2:47003");

// A whole number in [low, high] or a sentence.
QString number(const QString &key, const QString &text, int low, int high, int *out)
{
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < low || value > high)
        return QStringLiteral("The udp option %1=%2 must be a whole number from %3 to %4.").arg(key, text).arg(low).arg(high);
    *out = value;
    return {};
}

} // namespace

QString UdpAddress::parse(const QString &text, UdpAddress *out)
{
    UdpAddress a;
    const qsizetype query = text.indexOf(QLatin1Char('?'));
    QString place = text.left(query);
    if (place.startsWith(QLatin1String("multicast:"))) {
        a.multicast = true;
        place = place.mid(10);
    }
    const qsizetype colon = place.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const uint port = colon < 0 ? 0 : place.mid(colon + 1).toUInt(&ok);
    if (colon < 0 || !ok || port == 0 || port > 65535)
        return QStringLiteral("\"%1\" is not a udp address: write host:port or multicast:group:port, for example %2.")
            .arg(text, Example);
    a.port = quint16(port);
    const QString host = place.left(colon);
    if (a.multicast) {
        if (!a.host.setAddress(host) || a.host.protocol() != QAbstractSocket::IPv4Protocol || !a.host.isMulticast())
            return QStringLiteral("\"%1\" is not an IPv4 multicast group (224.0.0.0 to 239.255.255.255); groups "
                                  "239.255.x.y are meant for a site's own use, for example multicast:239.255.71.2:%2.")
                .arg(host).arg(port);
    } else if (host == QLatin1String("localhost")) {
        a.host = QHostAddress(QHostAddress::LocalHost);
    } else if (host == QLatin1String("*") || host.isEmpty()) {
        a.host = QHostAddress(QHostAddress::AnyIPv4);
    } else if (!a.host.setAddress(host) || a.host.protocol() != QAbstractSocket::IPv4Protocol) {
        return QStringLiteral("\"%1\" is not an IPv4 address; use a numeric address such as 127.0.0.1.").arg(host);
    } else if (a.host.isMulticast()) {
        return QStringLiteral("%1 is a multicast group: write multicast:%1:%2 to use it as one.").arg(host).arg(port);
    }
    if (query >= 0) {
        for (const QString &option : text.mid(query + 1).split(QLatin1Char('&'))) {
            const qsizetype eq = option.indexOf(QLatin1Char('='));
            const QString key = option.left(eq);
            const QString value = eq < 0 ? QString() : option.mid(eq + 1);
            QString error;
            if (key == QLatin1String("datagram"))
                error = number(key, value, int(ipcw::native::MinDatagramBytes), MaxDatagramBytes, &a.datagramBytes);
            else if (key == QLatin1String("rate"))
                error = number(key, value, 0, 100000, &a.rateMiBPerSecond);
            else if (key == QLatin1String("ttl") && a.multicast)
                error = number(key, value, 0, 255, &a.ttl);
            else if (key == QLatin1String("interface") && a.multicast) {
                if (!a.interfaceAddress.setAddress(value) || a.interfaceAddress.protocol() != QAbstractSocket::IPv4Protocol)
                    error = QStringLiteral("The udp option interface=%1 must be the IPv4 address of one of this machine's "
                                           "network interfaces.").arg(value);
            } else
                error = QStringLiteral("Unknown udp address option \"%1\": the options are datagram=<bytes>, "
                                       "rate=<MiB/s> and, for multicast, ttl=<hops> and interface=<IPv4 address>.")
                            .arg(option);
            if (!error.isEmpty())
                return error;
        }
    }
    *out = a;
    return {};
}

bool UdpAddress::leavesMachine() const
{
    return multicast ? !interfaceAddress.isNull() && !interfaceAddress.isLoopback() : !host.isLoopback();
}
