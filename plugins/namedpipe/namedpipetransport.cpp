// SPDX-License-Identifier: GPL-3.0-or-later
#include "namedpipetransport.h"

#include "nativechannelendpoint.h"

#ifdef Q_OS_WIN
#include "namedpipe_win32.h"
using NamedPipeChannel = ipcw::native::NamedPipeChannelWin32;
#else
#include "namedpipe_posix.h"
using NamedPipeChannel = ipcw::native::NamedPipeChannelPosix;
#endif

TransportEndpoint *NamedPipeTransport::createEndpoint(EndpointRole role, const QString &address)
{
    return new NativeChannelEndpoint(role, address, std::make_unique<NamedPipeChannel>());
}
