// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The receiving end: owns the listening socket file for an address, replaces one a crashed
// receiver left behind (never a live receiver's), and makes each accepted connection a peer
// whose frames it passes on and to which it sends replies. Runs entirely on the event loop.

#include "transportendpoint.h"

#include <QHash>

#include <sys/types.h>

class QSocketNotifier;
class SeqPacketConnection;

class SeqPacketReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    explicit SeqPacketReceiverEndpoint(const QString &address);
    ~SeqPacketReceiverEndpoint() override;

    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    void listenNow();
    // Empty when the socket file is free (absent, or left by a receiver that is gone and now
    // removed); otherwise why this receiver may not take it.
    QString claimSocketFile();
    QString bindAndListen();
    void acceptConnections();
    void dropPeer(PeerId peer, const QString &reason);
    void releaseAll();

    QString m_socketPath;
    QString m_folder;
    int m_listenFd = -1;
    int m_folderLockFd = -1;
    int m_lockAttempts = 0;
    dev_t m_socketDevice = 0; // which file close() may remove: ours, not a successor's
    ino_t m_socketInode = 0;
    QSocketNotifier *m_acceptNotifier = nullptr;
    QHash<PeerId, SeqPacketConnection *> m_peers;
    PeerId m_nextPeer = 1;
};
