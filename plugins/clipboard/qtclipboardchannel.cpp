// SPDX-License-Identifier: GPL-3.0-or-later
#include "qtclipboardchannel.h"

#include "clipboardformats.h"
#include "framemimedata.h"

#include <QGuiApplication>
#include <QMimeData>

QtClipboardChannel::QtClipboardChannel(Watch watch, QObject *parent)
    : ClipboardChannel(parent), m_watch(watch), m_clipboard(QGuiApplication::clipboard())
{
    // Only the value on the clipboard now matters, so a burst of notifications becomes one read
    // on the next pass of the event loop, never a read nested in our own setMimeData(). What
    // is on the clipboard before we listen is old: only changes count.
    m_readSoon.setSingleShot(true);
    m_readSoon.setInterval(0);
    connect(&m_readSoon, &QTimer::timeout, this, &QtClipboardChannel::read);
    const bool repliesOnSelection = ClipboardFormats::replyMode(m_clipboard) == QClipboard::Selection;
    connect(m_clipboard, watch == Watch::Replies && repliesOnSelection ? &QClipboard::selectionChanged : &QClipboard::dataChanged,
            &m_readSoon, qOverload<>(&QTimer::start));
}

void QtClipboardChannel::offerFrame(const QByteArray &frame)
{
    m_clipboard->setMimeData(new FrameMimeData(frame), QClipboard::Clipboard);
}

void QtClipboardChannel::offerReply(const QByteArray &reply)
{
    auto *data = new QMimeData;
    data->setData(ClipboardFormats::replyMime(), reply);
    m_clipboard->setMimeData(data, ClipboardFormats::replyMode(m_clipboard));
}

void QtClipboardChannel::read()
{
    if (m_watch == Watch::Replies) {
        const QMimeData *data = m_clipboard->mimeData(ClipboardFormats::replyMode(m_clipboard));
        if (data && data->hasFormat(ClipboardFormats::replyMime()))
            emit replyArrived(data->data(ClipboardFormats::replyMime()));
        return;
    }
    const QMimeData *data = m_clipboard->mimeData(QClipboard::Clipboard);
    if (!data)
        return;
    if (data->hasFormat(ClipboardFormats::frameMime()))
        emit frameArrived(data->data(ClipboardFormats::frameMime()));
    else if (data->hasFormat(ClipboardFormats::replyMime()))
        return; // the receiver's own reply, where replies share the clipboard
    else if (data->hasFormat(ClipboardFormats::csvMime()))
        emit textArrived(data->data(ClipboardFormats::csvMime()));
    else if (data->hasText())
        emit textArrived(data->text().toUtf8());
}
