// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QRect>

class QWidget;

// Two copies started together (the demo, or by hand) sit side by side: the receiver on the
// left half of the screen's available area, the sender on the right, each window's frame
// (title bar, borders) inside its half, whatever the window manager draws.
namespace WindowPlacement {

// The frame rectangle of a role's half of `available`.
QRect halfFor(EndpointRole role, const QRect &available);
// Places `window` on its half now (before showing, its frame is not known yet) and once more
// after the window manager has framed it.
void placeByRole(QWidget *window, EndpointRole role);

} // namespace WindowPlacement
