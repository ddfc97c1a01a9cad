// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "itransport.h"

#include <QObject>

class DBusTransport : public QObject, public ITransport
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID IPCW_TRANSPORT_IID FILE "dbus.json")
    Q_INTERFACES(ITransport)
public:
    QString unavailableReason() const override;
    TransportEndpoint *createEndpoint(EndpointRole role, const QString &address) override;
};
