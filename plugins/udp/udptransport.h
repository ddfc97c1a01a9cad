// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "itransport.h"

#include <QObject>

class UdpTransport : public QObject, public ITransport
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID IPCW_TRANSPORT_IID FILE "udp.json")
    Q_INTERFACES(ITransport)
public:
    TransportEndpoint *createEndpoint(EndpointRole role, const QString &address) override;
};
