// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboardreceiverendpoint.h"

#include "clipboardchannel.h"
#include "clipboardformats.h"
#include "recordtext.h"

#include <QTimer>

namespace {

constexpr quint32 PasteSenderBase = 0xC11B0000;

} // namespace

ClipboardReceiverEndpoint::ClipboardReceiverEndpoint(const QString &address)
    : TransportEndpoint(EndpointRole::Receiver, address)
{
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
        // What is on the clipboard before we listen is old: only changes count.
        QString error;
        m_channel = ClipboardChannel::create(ClipboardChannel::Watch::Frames, this, &error);
        if (!m_channel) {
            fail(error);
            return;
        }
        connect(m_channel, &ClipboardChannel::frameArrived, this, &ClipboardReceiverEndpoint::takeFrame);
        connect(m_channel, &ClipboardChannel::textArrived, this, &ClipboardReceiverEndpoint::takePaste);
        // Counted and told like any input a receiver drops (the clipboard has one peer, 0).
        connect(m_channel, &ClipboardChannel::inputDropped, this,
                [this](const QString &sentence) { emit messageRefused(0, sentence); });
        connect(m_channel, &ClipboardChannel::failed, this, [this](const QString &sentence) {
            close();
            fail(sentence);
        });
        setState(State::Listening);
    });
}

void ClipboardReceiverEndpoint::close()
{
    if (m_channel) {
        // Later: close() may be called from one of its signals.
        m_channel->disconnect(this);
        m_channel->deleteLater();
        m_channel = nullptr;
    }
    setState(State::Closed);
}

void ClipboardReceiverEndpoint::sendFrame(const QByteArray &frame, PeerId)
{
    if (state() != State::Listening)
        return;
    m_channel->offerReply(frame);
}

void ClipboardReceiverEndpoint::takeFrame(const QByteArray &frame)
{
    // A notification can come for a value already read: it was sent once.
    if (state() != State::Listening || frame.isEmpty() || frame == m_lastFrame)
        return;
    m_lastFrame = frame;
    emit frameReceived(frame, 0);
}

void ClipboardReceiverEndpoint::takePaste(const QByteArray &text)
{
    if (state() != State::Listening || !RecordText::looksLikeEmployeeCsv(text) || text == m_lastPaste)
        return; // ordinary copying and pasting is none of our business
    m_lastPaste = text;
    if (text.size() > ClipboardFormats::MaxTextBytes) {
        emit errorOccurred(QStringLiteral("Employee CSV of more than %1 MiB was copied to the clipboard and not taken: "
                                          "pastes over %1 MiB are refused. Import it as a file instead.")
                               .arg(ClipboardFormats::MaxTextBytes / (1024 * 1024)));
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
