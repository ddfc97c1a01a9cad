// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QtGlobal>

// What one receiving endpoint lets its peers make it hold (see docs/wire-format.md, "What a
// receiver refuses"). StreamPeers enforces them for the stream plugins (TCP, local sockets);
// NativeChannelEndpoint hands all but maxUnsentBytes to its channel (ipcw::native::ReceiveLimits),
// and the named pipe, mailslot and filemapping backends enforce them on POSIX.
//
// The limits are a process-wide setting: the headless receiver sets them from its command line
// (--max-pending-mib, --peer-timeout, --max-peers, --max-unsent-mib) before it creates an
// endpoint, and every StreamPeers reads them once, when it is created. So a plugin needs no
// new API to honour them, and an endpoint keeps the limits it started with. Thread-safe.
struct IPCWCORE_EXPORT ReceiverLimits
{
    static constexpr qint64 MiB = 1024 * 1024;

    // Bytes of unfinished frames, all peers together. A peer whose frame needs more waits
    // (is not read) until room frees; a frame larger than the whole budget is refused at once.
    qint64 maxPendingBytes = 256 * MiB;
    // A peer in the middle of a frame that makes no progress for this long is dropped. One
    // between frames may stay idle: a sender window connects long before it sends.
    int peerTimeoutMs = 10'000;
    // Simultaneous peers; the next connection is closed at once.
    int maxPeers = 64;
    // Answers (acks, pongs) queued for one peer beyond which it is not read until they drain.
    qint64 maxUnsentBytes = 8 * MiB;

    // The limits endpoints created from now on will use.
    static ReceiverLimits current();
    static void setCurrent(const ReceiverLimits &limits);
};
