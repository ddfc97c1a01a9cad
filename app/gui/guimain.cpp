// SPDX-License-Identifier: GPL-3.0-or-later
#include "appoptions.h"
#include "mainwindow.h"
#include "pluginmanager.h"
#include "rolechooser.h"
#include "windowplacement.h"

#include <QApplication>
#include <QIcon>

int runGui(const AppOptions &options, PluginManager &plugins)
{
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/ipcworkshop.svg")));
    // Lets Wayland compositors and docks match the windows to the installed .desktop file.
    QGuiApplication::setDesktopFileName(QStringLiteral("ipcworkshop"));

    std::optional<EndpointRole> role = options.role;
    if (!role)
        role = RoleChooser::ask();
    if (!role)
        return 0;
    MainWindow window(*role, options, plugins);
    WindowPlacement::placeByRole(&window, *role);
    window.show();
    return QApplication::exec();
}
