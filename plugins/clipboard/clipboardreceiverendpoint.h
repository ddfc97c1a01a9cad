// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QClipboard>
#include <QTimer>

class QMimeData;

// Takes every frame a sender puts on the clipboard (told by QClipboard::dataChanged, no
// polling) and puts its replies where the sender looks for them. Employee CSV that another
// program copied (with the export's header row) arrives as records too: each paste becomes
// its own sender, numbered 0xC11B0001, 0xC11B0002, ... The clipboard has no connections, so
// there is one peer, 0.
class ClipboardReceiverEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    // Pasted text larger than this is refused with a sentence rather than parsed.
    static constexpr qsizetype MaxPasteBytes = 64 * 1024 * 1024;
    // Records per frame made from a paste: far below the frame limit even with the longest fields.
    static constexpr int PasteRecordsPerFrame = 1000;

    explicit ClipboardReceiverEndpoint(const QString &address);
    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return 0; }

private:
    void readClipboard();
    void takePaste(const QMimeData *data);

    QClipboard *m_clipboard = nullptr;
    QTimer m_readSoon; // folds a burst of change notifications into one read
    QByteArray m_lastFrame;
    QByteArray m_lastPaste;
    quint32 m_pastes = 0;
};
