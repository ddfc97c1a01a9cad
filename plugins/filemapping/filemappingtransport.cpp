// SPDX-License-Identifier: GPL-3.0-or-later
#include "filemappingtransport.h"

#include "nativechannelendpoint.h"

#if defined(Q_OS_WIN)
#include "filemapping_win32.h"
using FileMappingChannel = FileMappingChannelWin32;
#else
#include "filemapping_posix.h"
using FileMappingChannel = FileMappingChannelPosix;
#endif

TransportEndpoint *FileMappingTransport::createEndpoint(EndpointRole role, const QString &address)
{
    return new NativeChannelEndpoint(role, address, std::make_unique<FileMappingChannel>());
}
