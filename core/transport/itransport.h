// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/transport: the plugin SDK, and the only folder of core a plugin may include. It holds
// the interface (ITransport, TransportEndpoint), the metadata every plugin declares, the frame
// header a mechanism needs to cut bytes into frames, and helpers a plugin may reuse: stream
// framing (DeviceFramer, StreamPeers), a Qt-free native channel run on threads
// (NativeChannelEndpoint, native/), records as text (RecordText). These headers are installed
// under include/ipcworkshop; docs/plugin-sdk.md explains how to build a plugin against them.

#include "transportendpoint.h"

#include <QtPlugin>

// The interface every transport plugin implements. Bump the suffix of the IID and
// IpcwTransportApiVersion together whenever a plugin built before would no longer fit this
// program: this class or TransportEndpoint's virtual table changes, or the members, size or
// inline code of a class in these headers that a plugin builds on (NativeChannelEndpoint,
// DescriptorSocket, StreamPeers, DeviceFramer, ...). The plugin manager refuses plugins built
// against another version before loading them, with a sentence, instead of running them on a
// layout they do not know. History: docs/plugin-sdk.md, "The API version".
#define IPCW_TRANSPORT_IID "org.ipcworkshop.ITransport/2"
constexpr int IpcwTransportApiVersion = 2;

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
