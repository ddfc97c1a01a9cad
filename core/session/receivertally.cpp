// SPDX-License-Identifier: GPL-3.0-or-later
#include "receivertally.h"

#include "transportendpoint.h"

ReceiverTally::ReceiverTally(TransportEndpoint *endpoint, const TransportMetadata &transport, QObject *parent)
    : QObject(parent), m_knows(transport.capabilities.knowsReceivers), m_transportName(transport.name)
{
    if (!m_knows)
        return;
    connect(endpoint, &TransportEndpoint::peerConnected, this, [this](quint64 peer) {
        if (m_receivers.contains(peer))
            return;
        m_receivers.insert(peer);
        m_peak = qMax(m_peak, int(m_receivers.size()));
        emit changed(count());
    });
    connect(endpoint, &TransportEndpoint::peerDisconnected, this, [this](quint64 peer) {
        if (m_receivers.remove(peer))
            emit changed(count());
    });
}

QString ReceiverTally::sentence() const
{
    if (!m_knows)
        return tr("%1 cannot tell how many receivers listen.").arg(m_transportName);
    if (m_receivers.isEmpty())
        return tr("No receiver heard from yet.");
    return m_receivers.size() == 1 ? tr("1 receiver known.") : tr("%1 receivers known.").arg(m_receivers.size());
}

QString ReceiverTally::peakSentence() const
{
    if (!m_knows)
        return sentence();
    return m_peak == 1 ? tr("At most 1 receiver known at once.") : tr("At most %1 receivers known at once.").arg(m_peak);
}
