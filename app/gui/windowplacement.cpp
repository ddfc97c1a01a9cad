// SPDX-License-Identifier: GPL-3.0-or-later
#include "windowplacement.h"

#include <QGuiApplication>
#include <QScreen>
#include <QTimer>
#include <QWidget>

namespace WindowPlacement {

namespace {

// How long a window manager may take to frame a new window and tell Qt the frame's size.
constexpr int FramedAfterMs = 300;

void place(QWidget *window, EndpointRole role)
{
    const QScreen *screen = window->screen() ? window->screen() : QGuiApplication::primaryScreen();
    if (!screen)
        return;
    const QRect frame = halfFor(role, screen->availableGeometry());
    // Zero until a window manager has framed the window.
    const QMargins margins(window->geometry().left() - window->frameGeometry().left(),
                           window->geometry().top() - window->frameGeometry().top(),
                           window->frameGeometry().right() - window->geometry().right(),
                           window->frameGeometry().bottom() - window->geometry().bottom());
    window->resize(frame.size().shrunkBy(margins));
    window->move(frame.topLeft()); // move() places the frame's top-left corner
}

} // namespace

QRect halfFor(EndpointRole role, const QRect &available)
{
    const int width = available.width() / 2;
    const int x = role == EndpointRole::Receiver ? available.left() : available.right() + 1 - width;
    return QRect(x, available.top(), width, available.height());
}

void placeByRole(QWidget *window, EndpointRole role)
{
    place(window, role);
    QTimer::singleShot(FramedAfterMs, window, [window, role] { place(window, role); });
}

} // namespace WindowPlacement
