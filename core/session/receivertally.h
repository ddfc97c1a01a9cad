// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"
#include "transportmetadata.h"

#include <QObject>
#include <QSet>

class TransportEndpoint;

// How many receivers a sender endpoint knows of, where the mechanism tells (metadata
// `knowsReceivers`: the endpoint announces each receiver with peerConnected and each departure
// with peerDisconnected). Where it cannot tell (the clipboard), count() is -1 and sentence()
// says so, so nobody reads "0 receivers" into silence. Follow the endpoint from before it
// opens: receivers announced earlier are not counted.
class IPCWCORE_EXPORT ReceiverTally : public QObject
{
    Q_OBJECT
public:
    ReceiverTally(TransportEndpoint *endpoint, const TransportMetadata &transport, QObject *parent = nullptr);

    bool known() const { return m_knows; }
    int count() const { return m_knows ? int(m_receivers.size()) : -1; }
    // The most receivers known at once so far: receivers leave as a transfer ends, so this is
    // what a sender's final line reports.
    int peak() const { return m_knows ? m_peak : -1; }
    // "2 receivers known." / "No receiver heard from yet." / "UDP cannot tell how many receivers listen."
    QString sentence() const;
    // "At most 4 receivers known at once." / the sentence above when the mechanism cannot tell.
    QString peakSentence() const;

signals:
    void changed(int count);

private:
    bool m_knows;
    QString m_transportName;
    QSet<quint64> m_receivers;
    int m_peak = 0;
};
