// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "clipboardchannel.h"

#include <QClipboard>
#include <QTimer>

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
    void read();

    Watch m_watch;
    QClipboard *m_clipboard;
    QTimer m_readSoon; // folds a burst of change notifications into one read
};
