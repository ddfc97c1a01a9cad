// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

class ClipboardChannel;

// Takes every frame a sender puts on the clipboard (told when it changes hands, no polling)
// and puts its replies where the sender looks for them. Employee CSV that another program copied (with the export's header row) arrives as records too: each paste becomes
// its own sender, numbered 0xC11B0001, 0xC11B0002, ... The clipboard has no connections, so
// there is one peer, 0.
class ClipboardReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    // Records per frame made from a paste: far below the frame limit even with the longest fields.
    static constexpr int PasteRecordsPerFrame = 1000;

    explicit ClipboardReceiverEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; }

private:
    void takeFrame(const QByteArray &frame);
    void takePaste(const QByteArray &text);

    ClipboardChannel *m_channel = nullptr;
    QByteArray m_lastFrame;
    QByteArray m_lastPaste;
    quint32 m_pastes = 0;
};
