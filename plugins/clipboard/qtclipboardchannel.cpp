// SPDX-License-Identifier: GPL-3.0-or-later
#include "qtclipboardchannel.h"

#include "clipboardformats.h"
#include "framemimedata.h"

#include <QGuiApplication>
#include <QMimeData>

namespace {

// On X11 an offer the server ignored is made again this often, this many times at most.
constexpr int OfferAgainMs = 5;
constexpr int MaxOfferAttempts = 40;

} // namespace

QtClipboardChannel::QtClipboardChannel(Watch watch, QObject *parent)
    : ClipboardChannel(parent), m_watch(watch), m_clipboard(QGuiApplication::clipboard()),
      m_checksOffers(QGuiApplication::platformName() == QLatin1String("xcb"))
{
    m_offerAgain.setInterval(OfferAgainMs);
    connect(&m_offerAgain, &QTimer::timeout, this, [this] {
        if (tryOffer())
            return;
        if (++m_offerAttempts < MaxOfferAttempts)
            return;
        m_offerAgain.stop();
        m_makeOffer = nullptr;
        emit failed(QStringLiteral("The X server did not let this program take the clipboard for %1 ms (another "
                                   "program keeps taking it): what was to be sent could not be offered.")
                        .arg(OfferAgainMs * MaxOfferAttempts));
    });
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
    offer(QClipboard::Clipboard, [frame] { return new FrameMimeData(frame); });
}

void QtClipboardChannel::offerReply(const QByteArray &reply)
{
    offer(ClipboardFormats::replyMode(m_clipboard), [reply] {
        auto *data = new QMimeData;
        data->setData(ClipboardFormats::replyMime(), reply);
        return data;
    });
}

void QtClipboardChannel::offer(QClipboard::Mode mode, MakeData make)
{
    m_offerMode = mode;
    m_makeOffer = std::move(make);
    m_offerAttempts = 0;
    m_offerAgain.stop();
    if (!tryOffer())
        m_offerAgain.start();
}

bool QtClipboardChannel::tryOffer()
{
    QMimeData *data = m_makeOffer();
    m_clipboard->setMimeData(data, m_offerMode);
    // On X11, Qt stamps its claim with the time of the last X event it handled, and the server
    // ignores a claim older than the selection's last change: another program that took the
    // selection since then keeps it, while Qt believes it owns it. Qt hands out its own data only
    // when the server names it the owner; once the event loop has run, Qt has caught up with the
    // other program's claim and the next attempt carries a later time.
    if (m_checksOffers && m_clipboard->mimeData(m_offerMode) != data)
        return false;
    m_offerAgain.stop();
    m_makeOffer = nullptr;
    return true;
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
