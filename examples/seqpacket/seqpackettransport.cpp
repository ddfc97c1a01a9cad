// SPDX-License-Identifier: GPL-3.0-or-later
#include "seqpackettransport.h"

#include "seqpacketreceiverendpoint.h"
#include "seqpacketsenderendpoint.h"
#include "seqpacketsocket.h"

// A kernel whose socket buffers cannot hold the declared message size would refuse frames the
// sender session was told it may send: say so before anyone picks the transport.
QString SeqPacketTransport::unavailableReason() const
{
    return SeqPacketSocket::kernelLimitProblem();
}

TransportEndpoint *SeqPacketTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new SeqPacketReceiverEndpoint(address);
    return new SeqPacketSenderEndpoint(address);
}
