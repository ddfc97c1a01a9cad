// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboardreceiverendpoint.h"

#include "clipboardformats.h"
#include "recordtext.h"

#include <QGuiApplication>
#include <QMimeData>
#include <QTimer>

namespace {

constexpr quint32 PasteSenderBase = 0xC11B0000;

} // namespace

ClipboardReceiverEndpoint::ClipboardReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address)
{
    m_readSoon.setSingleShot(true);
    m_readSoon.setInterval(0);
    connect(&m_readSoon, &QTimer::timeout, this, &ClipboardReceiverEndpoint::readClipboard);
}

void ClipboardReceiverEndpoint::open()
{
    setState(State::Opening);
    QTimer::singleShot(0, this, [this] {
        if (state() != State::Opening)
            return;
        bool paced = true;
        if (!ClipboardFormats::parseAddress(address(), &paced)) {
            fail(ClipboardFormats::badAddressSentence(address()));
            return;
        }
        m_clipboard = QGuiApplication::clipboard();
        // Only the value on the clipboard now matters, so a burst of notifications (a sender
        // replacing frames faster than they are read) becomes one read on the next pass of the
        // event loop, never a read nested in our own setMimeData(). What is on the clipboard
        // before we listen is old: only changes count.
        connect(m_clipboard, &QClipboard::dataChanged, &m_readSoon, qOverload<>(&QTimer::start));
        setState(State::Listening);
    });
}

void ClipboardReceiverEndpoint::close()
{
    if (m_clipboard)
        m_clipboard->disconnect(&m_readSoon);
    m_readSoon.stop();
    setState(State::Closed);
}

void ClipboardReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() != State::Listening)
        return;
    auto *data = new QMimeData;
    data->setData(ClipboardFormats::replyMime(), frame);
    m_clipboard->setMimeData(data, ClipboardFormats::replyMode(m_clipboard));
}

void ClipboardReceiverEndpoint::readClipboard()
{
    if (state() != State::Listening)
        return;
    const QMimeData *data = m_clipboard->mimeData(QClipboard::Clipboard);
    if (!data)
        return;
    if (data->hasFormat(ClipboardFormats::frameMime())) {
        const QByteArray frame = data->data(ClipboardFormats::frameMime());
        // A notification can come for a value already read: it was sent once.
        if (frame.isEmpty() || frame == m_lastFrame)
            return;
        m_lastFrame = frame;
        emit frameReceived(frame, 0);
        return;
    }
    if (data->hasFormat(ClipboardFormats::replyMime()))
        return; // our own reply, where it shares the clipboard
    takePaste(data);
}

void ClipboardReceiverEndpoint::takePaste(const QMimeData *data)
{
    const QByteArray text = data->hasFormat(QStringLiteral("text/csv")) ? data->data(QStringLiteral("text/csv"))
                                                                        : data->text().toUtf8();
    if (!RecordText::looksLikeEmployeeCsv(text) || text == m_lastPaste)
        return; // ordinary copying and pasting is none of our business
    m_lastPaste = text;
    if (text.size() > MaxPasteBytes) {
        emit errorOccurred(QStringLiteral("Employee CSV of %1 MiB was copied to the clipboard and not taken: "
                                          "pastes over %2 MiB are refused. Import it as a file instead.")
                               .arg(text.size() / (1024 * 1024)).arg(MaxPasteBytes / (1024 * 1024)));
        return;
    }
    const quint32 senderId = PasteSenderBase | (++m_pastes & 0xFFFF);
    QString error;
    const QByteArrayList frames = RecordText::framesFromCsv(text, senderId, PasteRecordsPerFrame, &error);
    if (!error.isEmpty()) {
        emit errorOccurred(QStringLiteral("Employee CSV copied to the clipboard was not taken: %1 "
                                          "Nothing from it was added; fix the text and copy it again.").arg(error));
        return;
    }
    for (const QByteArray &frame : frames)
        emit frameReceived(frame, 0);
}
