// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHash>
#include <QString>

class QObject;
class TransportEndpoint;

// Short, readable names for a receiving endpoint's peers: "sender #2 (127.0.0.1:41558)" rather than
// the endpoint's internal 64-bit peer id (which may be a pid shifted by 32 bits). Numbered in
// the order peers connect, from 1, for the life of the endpoint; the window, the command line
// and the log all use these names.
class PeerNames
{
public:
    // Follows the endpoint's peerConnected() signal; `context` owns the connection.
    void follow(TransportEndpoint *endpoint, QObject *context);

    // Names a new peer and returns its name.
    QString add(quint64 peer, const QString &description);
    // A peer the endpoint never announced still gets a number.
    QString name(quint64 peer);
    // Whether the peer has a name already (was announced, or named since).
    bool knows(quint64 peer) const { return m_entries.contains(peer); }
    // Once nothing more will be said about the peer: the names of 500 past connections are
    // not kept for ever.
    void remove(quint64 peer) { m_entries.remove(peer); }

private:
    struct Entry
    {
        int number = 0;
        QString description;
    };
    QHash<quint64, Entry> m_entries;
    int m_lastNumber = 0;
};
