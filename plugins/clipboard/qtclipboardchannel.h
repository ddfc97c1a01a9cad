// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "clipboardchannel.h"

#include <QClipboard>
#include <QTimer>

#include <functional>

class QMimeData;

// ClipboardChannel over QClipboard: every platform Qt supports (Wayland, Windows, X11 when the
// xcb backend is not built). Lives on the GUI thread, as QClipboard does.
class QtClipboardChannel final : public ClipboardChannel
{
    Q_OBJECT
public:
    QtClipboardChannel(Watch watch, QObject *parent);

    void offerFrame(const QByteArray &frame) override;
    void offerReply(const QByteArray &reply) override;

private:
    using MakeData = std::function<QMimeData *()>;
    // Puts make()'s data on `mode`; on X11, offers it again until the server took it.
    void offer(QClipboard::Mode mode, MakeData make);
    bool tryOffer();
    void read();

    Watch m_watch;
    QClipboard *m_clipboard;
    QTimer m_readSoon; // folds a burst of change notifications into one read
    // X11 only: QClipboard::ownsClipboard() does not say whether the server took an offer.
    const bool m_checksOffers;
    QTimer m_offerAgain;
    QClipboard::Mode m_offerMode = QClipboard::Clipboard;
    MakeData m_makeOffer; // the offer not taken yet, if any
    int m_offerAttempts = 0;
};
