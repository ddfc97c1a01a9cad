// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The plugin's root object: what the program loads, asks whether the mechanism works here,
// and asks for endpoints. The metadata (seqpacket.json) is read without loading the library.

#include "itransport.h"

#include <QObject>

class SeqPacketTransport : public QObject, public ITransport
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID IPCW_TRANSPORT_IID FILE "seqpacket.json")
    Q_INTERFACES(ITransport)
public:
    QString unavailableReason() const override;
    TransportEndpoint *createEndpoint(EndpointRole role, const QString &address) override;
};
