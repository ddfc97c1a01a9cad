// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboardchannel.h"

#include "qtclipboardchannel.h"
#include "xcbclipboardchannel.h"

#include <QDebug>
#include <QGuiApplication>
#include <QThread>

ClipboardChannel *ClipboardChannel::create(Watch watch, QObject *parent, QString *error)
{
    QString xcbError;
    if (QGuiApplication::platformName() == QLatin1String("xcb")
        && qEnvironmentVariable("IPCW_CLIPBOARD_BACKEND") != QLatin1String("qt")) {
        if (ClipboardChannel *channel = createXcbClipboardChannel(watch, parent, &xcbError))
            return channel;
    }
    if (QThread::currentThread() != QCoreApplication::instance()->thread()) {
        *error = QStringLiteral("The clipboard goes through Qt's clipboard here (platform %1%2), which only the "
                                "GUI thread may use, and this endpoint was opened on another thread.")
                     .arg(QGuiApplication::platformName(), xcbError.isEmpty() ? QString() : QStringLiteral(": ") + xcbError);
        return nullptr;
    }
    if (!xcbError.isEmpty())
        qWarning().noquote() << QStringLiteral("The clipboard goes through Qt's clipboard (slower): %1").arg(xcbError);
    return new QtClipboardChannel(watch, parent);
}
