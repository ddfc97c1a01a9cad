// SPDX-License-Identifier: GPL-3.0-or-later
#include "appoptions.h"
#include "mainwindow.h"
#include "pluginmanager.h"
#include "rolechooser.h"

#include <QApplication>
#include <QIcon>
#include <QScreen>

namespace {

// Receiver on the left half of the screen, sender on the right: two copies started together
// (the demo, or by hand) sit side by side instead of on top of each other.
void placeByRole(QWidget &window, EndpointRole role)
{
    const QScreen *screen = QGuiApplication::primaryScreen();
    if (!screen)
        return;
    const QRect area = screen->availableGeometry();
    // Half the screen, but never narrower than the window can be: on a small screen the two
    // overlap a little rather than hide their right-hand columns.
    const int width = qMin(area.width(), qMax(area.width() / 2, window.minimumSizeHint().width()));
    window.resize(width, qMin(window.height(), area.height()));
    const int x = role == EndpointRole::Receiver ? area.left() : area.right() + 1 - width;
    window.move(x, area.top());
}

} // namespace

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
    placeByRole(window, *role);
    window.show();
    return QApplication::exec();
}
