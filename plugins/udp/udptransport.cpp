// SPDX-License-Identifier: GPL-3.0-or-later
#include "udptransport.h"

#include "udpreceiverendpoint.h"
#include "udpsenderendpoint.h"

TransportEndpoint *UdpTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new UdpReceiverEndpoint(address);
    return new UdpSenderEndpoint(address);
}
