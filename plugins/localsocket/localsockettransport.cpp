// SPDX-License-Identifier: GPL-3.0-or-later
#include "localsockettransport.h"

#include "localsocketendpoints.h"

TransportEndpoint *LocalSocketTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new LocalSocketReceiverEndpoint(address);
    return new LocalSocketSenderEndpoint(address);
}
