// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "frameheader.h"
#include "transportendpoint.h"

#include <QQueue>
#include <QTimer>

// Puts frames on the clipboard, one at a time; each replaces the one before (latest value
// wins). Paced, it holds the next frame until the receiver acknowledged the one shown or
// SettleMs passed, and counts the held frames in queuedBytes(), so the session's own
// backpressure keeps memory bounded. Unpaced, every frame goes up at once. Either way the last
// frame stays counted for SettleMs so the caller does not quit before anyone could read it.
class ClipboardChannel;

class ClipboardSenderEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    static constexpr int SettleMs = 200;
    // No reply at all this long after the first records went up: nobody is receiving. Longer
    // than the 5 s a receiver under X11 can be deaf after the previous sender died while handing
    // it a frame (the Qt backend waits that long for the vanished owner), so a restarted sender
    // gets through.
    static constexpr int FirstReplyMs = 8000;

    explicit ClipboardSenderEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override;

private:
    void publishQueued();
    void release();
    void readReply(const QByteArray &reply);
    void nobodyReplied();
    bool answers(const FrameHeader &reply) const;

    ClipboardChannel *m_channel = nullptr;
    bool m_paced = true;
    QQueue<QByteArray> m_queue;
    qint64 m_queueBytes = 0;
    qint64 m_shownBytes = 0; // the frame on the clipboard, until acknowledged or settled
    FrameHeader m_shown;
    QByteArray m_lastReply;
    bool m_replied = false;
    QTimer m_settle;
    QTimer m_firstReply;
};
