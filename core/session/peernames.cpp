// SPDX-License-Identifier: GPL-3.0-or-later
#include "peernames.h"

#include "transportendpoint.h"

void PeerNames::follow(TransportEndpoint *endpoint, QObject *context)
{
    QObject::connect(endpoint, &TransportEndpoint::peerConnected, context,
                     [this](quint64 peer, const QString &description) { add(peer, description); });
}

QString PeerNames::add(quint64 peer, const QString &description)
{
    m_entries.insert(peer, Entry{++m_lastNumber, description});
    return name(peer);
}

QString PeerNames::name(quint64 peer)
{
    auto it = m_entries.find(peer);
    if (it == m_entries.end())
        it = m_entries.insert(peer, Entry{++m_lastNumber, QString()});
    return it->description.isEmpty() ? QStringLiteral("sender #%1").arg(it->number)
                                     : QStringLiteral("sender #%1 (%2)").arg(it->number).arg(it->description);
}
