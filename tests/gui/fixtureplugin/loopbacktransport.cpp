// SPDX-License-Identifier: GPL-3.0-or-later
#include "loopbacktransport.h"

#include "loopbackendpoints.h"

TransportEndpoint *LoopbackTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new LoopbackReceiver(address);
    return new LoopbackSender(address);
}
