// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "itransport.h"

#include <QObject>

// The fan-out mode (XPUB/XSUB): one sender to many receivers, lossy. A plugin of its own, so
// its metadata can say "fanOut" and "reliable": false without loading anything, while the
// acknowledged mode's says the opposite (docs/zeromq-transport.md, "Two plugins").
class ZeroMqPubSubTransport : public QObject, public ITransport
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID IPCW_TRANSPORT_IID FILE "zeromq-pubsub.json")
    Q_INTERFACES(ITransport)
public:
    TransportEndpoint *createEndpoint(EndpointRole role, const QString &address) override;
};
