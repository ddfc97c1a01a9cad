// SPDX-License-Identifier: GPL-3.0-or-later
#include "copydatatransport.h"

#include "copydata_win32.h"
#include "nativechannelendpoint.h"

TransportEndpoint *CopyDataTransport::createEndpoint(EndpointRole role, const QString &address)
{
    // NativeChannelEndpoint calls open() and receive() on its reader thread, which is what the
    // channel's message window needs: its messages are dispatched on the thread that made it.
    return new NativeChannelEndpoint(role, address, std::make_unique<CopyDataChannelWin32>());
}
