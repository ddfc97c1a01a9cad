// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "pluginmanager.h"
#include "transportendpoint.h"

// Looks a transport up by id and creates an endpoint for it, with the plugin's default address
// when none is given. On failure returns nullptr and a sentence that names what to do next.
struct EndpointRequest
{
    QString transportId;
    EndpointRole role = EndpointRole::Receiver;
    QString address; // empty: the transport's default
};

TransportEndpoint *createEndpoint(const PluginManager &plugins, const EndpointRequest &request,
                                  const PluginManager::Plugin **plugin, QString *error);
