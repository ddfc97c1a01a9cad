// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboardchannel.h"

#include "qtclipboardchannel.h"
#include "xcbclipboardchannel.h"

#include <QDebug>
#include <QGuiApplication>

ClipboardChannel *ClipboardChannel::create(Watch watch, QObject *parent)
{
    if (QGuiApplication::platformName() == QLatin1String("xcb")
        && qEnvironmentVariable("IPCW_CLIPBOARD_BACKEND") != QLatin1String("qt")) {
        QString error;
        if (ClipboardChannel *channel = createXcbClipboardChannel(watch, parent, &error))
            return channel;
        qWarning().noquote() << QStringLiteral("The clipboard goes through Qt's clipboard (slower): %1").arg(error);
    }
    return new QtClipboardChannel(watch, parent);
}
