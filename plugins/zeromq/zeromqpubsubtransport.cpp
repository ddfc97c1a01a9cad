// SPDX-License-Identifier: GPL-3.0-or-later
#include "zeromqpubsubtransport.h"

#include "zeromqpubsender.h"
#include "zeromqsubreceiver.h"

TransportEndpoint *ZeroMqPubSubTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new ZeroMqSubReceiver(address);
    return new ZeroMqPubSender(address);
}
