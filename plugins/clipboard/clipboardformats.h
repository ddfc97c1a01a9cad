// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QClipboard>
#include <QString>

// What travels on the clipboard, shared by both ends.
namespace ClipboardFormats {

// Sender to receiver: one whole frame, on the CLIPBOARD selection.
inline QString frameMime() { return QStringLiteral("application/x-ipcworkshop-frame"); }
// Receiver to sender: the latest reply (a cumulative ack, a pong). On X11 it goes on the PRIMARY
// selection so that replies and frames never replace each other; where there is no such
// selection it shares the clipboard, told apart by this type.
inline QString replyMime() { return QStringLiteral("application/x-ipcworkshop-reply"); }
// A Records frame is also offered as text, for a spreadsheet's paste and for the receiver's
// reading of employee CSV copied by another program.
inline QString csvMime() { return QStringLiteral("text/csv"); }
inline QString textMime() { return QStringLiteral("text/plain"); }
// Copied text larger than this is refused with a sentence rather than parsed (and the xcb
// backend reads no more than one byte beyond it).
constexpr qsizetype MaxTextBytes = 64 * 1024 * 1024;

inline QClipboard::Mode replyMode(const QClipboard *clipboard)
{
    return clipboard->supportsSelection() ? QClipboard::Selection : QClipboard::Clipboard;
}

// The address chooses the sender's pacing; false for anything else.
inline bool parseAddress(const QString &address, bool *paced)
{
    if (address == QLatin1String("paced") || address == QLatin1String("unpaced")) {
        *paced = address == QLatin1String("paced");
        return true;
    }
    return false;
}

inline QString badAddressSentence(const QString &address)
{
    return QStringLiteral("\"%1\" is not a clipboard address: write paced (wait for each acknowledgement) "
                          "or unpaced (replace at once).").arg(address);
}

} // namespace ClipboardFormats
