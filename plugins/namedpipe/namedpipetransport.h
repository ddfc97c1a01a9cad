// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "itransport.h"

#include <QObject>

// Named pipes: Win32 message-mode pipes on Windows, a pair of FIFOs per sender on POSIX.
class NamedPipeTransport : public QObject, public ITransport
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID IPCW_TRANSPORT_IID FILE "namedpipe.json")
    Q_INTERFACES(ITransport)
public:
    TransportEndpoint *createEndpoint(EndpointRole role, const QString &address) override;
};
