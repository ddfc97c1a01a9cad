// SPDX-License-Identifier: GPL-3.0-or-later
#include "dbustransport.h"

#include "dbusbus.h"
#include "dbusreceiverendpoint.h"
#include "dbussenderendpoint.h"

QString DBusTransport::unavailableReason() const
{
    // Only what the environment says, so it stays cheap; a bus that is named but dead is
    // reported by open(), which has to connect anyway.
    return DBusBus::noSessionBusReason();
}

TransportEndpoint *DBusTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new DBusReceiverEndpoint(address);
    return new DBusSenderEndpoint(address);
}
