// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QtPlugin>

// The interface every transport plugin implements. Bump the suffix of the IID and
// IpcwTransportApiVersion together whenever this class or TransportEndpoint's virtual table
// changes: the plugin manager refuses plugins built against another version before loading them.
#define IPCW_TRANSPORT_IID "org.ipcworkshop.ITransport/1"
constexpr int IpcwTransportApiVersion = 1;

class ITransport
{
public:
    virtual ~ITransport() = default;

    // Empty when the mechanism can be used here and now; otherwise the reason as a sentence
    // ("No X display: the clipboard needs a running X11 or Wayland session.").
    virtual QString unavailableReason() const { return {}; }

    // A new endpoint in the given role, not yet open; the caller owns it. `address` is never
    // empty: the caller substitutes the metadata's defaultAddress.
    virtual TransportEndpoint *createEndpoint(EndpointRole role, const QString &address) = 0;
};

Q_DECLARE_INTERFACE(ITransport, IPCW_TRANSPORT_IID)
