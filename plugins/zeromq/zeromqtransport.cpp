// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqtransport.h"

#include "zeromqdealersender.h"
#include "zeromqrouterreceiver.h"

TransportEndpoint *ZeroMqTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new ZeroMqRouterReceiver(address);
    return new ZeroMqDealerSender(address);
}
