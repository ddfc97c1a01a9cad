// SPDX-License-Identifier: GPL-3.0-or-later
#include "tcptransport.h"

#include "tcpendpoints.h"

TransportEndpoint *TcpTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new TcpReceiverEndpoint(address);
    return new TcpSenderEndpoint(address);
}
