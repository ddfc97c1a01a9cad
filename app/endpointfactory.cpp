// SPDX-License-Identifier: GPL-3.0-or-later
#include "endpointfactory.h"

#include "itransport.h"

TransportEndpoint *createEndpoint(const PluginManager &plugins, const EndpointRequest &request,
                                  const PluginManager::Plugin **plugin, QString *error)
{
    const PluginManager::Plugin *found = plugins.findById(request.transportId);
    if (!found) {
        QStringList known;
        for (const PluginManager::Plugin *p : plugins.usableTransports())
            known << p->metadata.id;
        QString why;
        for (const PluginManager::Plugin &p : plugins.plugins())
            if (p.metadata.id == request.transportId && !p.error.isEmpty())
                why = QStringLiteral(" It was found but cannot be used: %1").arg(p.error);
        *error = QStringLiteral("No usable transport \"%1\".%2 Available: %3.")
                     .arg(request.transportId, why, known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", ")));
        return nullptr;
    }
    if (const QString reason = found->transport->unavailableReason(); !reason.isEmpty()) {
        *error = reason;
        return nullptr;
    }
    if (plugin)
        *plugin = found;
    const QString address = request.address.isEmpty() ? found->metadata.defaultAddress : request.address;
    return found->transport->createEndpoint(request.role, address);
}
