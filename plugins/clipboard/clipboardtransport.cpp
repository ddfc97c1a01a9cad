// SPDX-License-Identifier: GPL-3.0-or-later
#include "clipboardtransport.h"

#include "clipboardreceiverendpoint.h"
#include "clipboardsenderendpoint.h"

#include <QGuiApplication>

QString ClipboardTransport::unavailableReason() const
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        return QStringLiteral("No X display: the clipboard needs a running X11 or Wayland session "
                              "(DISPLAY/WAYLAND_DISPLAY is not set).");
#endif
    if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance()))
        return QStringLiteral("The clipboard needs a connection to the display, and this process runs as a console "
                              "program without one. Use the window, or the headless mode with --transport clipboard.");
    const QString platform = QGuiApplication::platformName();
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal"))
        return QStringLiteral("The clipboard needs a real display, but Qt runs on the \"%1\" platform here, whose "
                              "clipboard never leaves this process. Unset QT_QPA_PLATFORM or set it to xcb or wayland.")
            .arg(platform);
    return {};
}

TransportEndpoint *ClipboardTransport::createEndpoint(EndpointRole role, const QString &address)
{
    if (role == EndpointRole::Receiver)
        return new ClipboardReceiverEndpoint(address);
    return new ClipboardSenderEndpoint(address);
}
