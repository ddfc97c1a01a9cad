// SPDX-License-Identifier: GPL-3.0-or-later
#include "mailslottransport.h"

#include "nativechannelendpoint.h"

#if defined(Q_OS_WIN)
#include "mailslot_win32.h"
using MailslotChannel = MailslotChannelWin32;
#else
#include "mailslot_posix.h"
using MailslotChannel = MailslotChannelPosix;
#endif

#include <QFileInfo>

QString MailslotTransport::unavailableReason() const
{
#if defined(Q_OS_LINUX)
    // The limits files exist exactly when the kernel has POSIX message queues.
    if (!QFileInfo::exists(QStringLiteral("/proc/sys/fs/mqueue/msg_max")))
        return tr("This kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE), which the mailslot mechanism uses on Linux.");
#endif
    return {};
}

TransportEndpoint *MailslotTransport::createEndpoint(EndpointRole role, const QString &address)
{
    return new NativeChannelEndpoint(role, address, std::make_unique<MailslotChannel>());
}
