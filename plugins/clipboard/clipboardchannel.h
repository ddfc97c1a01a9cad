// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>

// The clipboard as the two endpoints use it: frames go from sender to receiver on CLIPBOARD,
// replies back on PRIMARY (or on CLIPBOARD where there is no PRIMARY, told apart by type).
// Each end offers what it sends and is told, without polling, when the other side offered
// something. Two backends: XcbClipboardChannel speaks the X selection protocol on a connection
// of its own (one conversion per frame), QtClipboardChannel goes through QClipboard (every
// platform Qt has; on X11 two conversions per frame through Qt's event thread). Both speak the
// same targets on X11, so either end may use either.
class ClipboardChannel : public QObject
{
    Q_OBJECT
public:
    // What this end listens for: a receiver for frames (and pastes), a sender for replies.
    enum class Watch { Frames, Replies };

    // The xcb backend when Qt runs on xcb and this build has it (unless the environment sets
    // IPCW_CLIPBOARD_BACKEND=qt), else QClipboard. The xcb backend works from any thread with an
    // event loop (its connection is its own); QClipboard only from the GUI thread, so off it
    // there is no channel but a sentence in `error`.
    static ClipboardChannel *create(Watch watch, QObject *parent, QString *error);

    // Replaces whatever the selection held. A Records frame is also offered as text/csv and as
    // tab-separated text, rendered only when someone asks, so a spreadsheet can paste it.
    virtual void offerFrame(const QByteArray &frame) = 0;
    virtual void offerReply(const QByteArray &reply) = 0;

signals:
    // The selection this end watches changed hands and now holds a frame (Watch::Frames) or a
    // reply (Watch::Replies). It may be the same value as last time: the caller tells.
    void frameArrived(const QByteArray &frame);
    void replyArrived(const QByteArray &reply);
    // Watch::Frames: another program copied something that is not a frame; its text (text/csv
    // where offered, else plain text as UTF-8; the xcb backend reads at most
    // ClipboardFormats::MaxTextBytes + 1 bytes of it).
    void textArrived(const QByteArray &text);
    // What another program was handing over was given up half way (the xcb backend: an
    // incremental transfer that stalled, or that a newer value waited on for longer than
    // ReceiverLimits::peerTimeoutMs); the sentence says what and why.
    void inputDropped(const QString &sentence);
    // The connection to the display broke: nothing more will arrive.
    void failed(const QString &sentence);

protected:
    using QObject::QObject;
};
