// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "clipboardchannel.h"

// ClipboardChannel speaking the X selection protocol itself, on an X connection of its own
// (plain xcb and XFixes, no Qt in the way), watched by the event loop of the thread it lives on:
// a frame costs one ownership change and one conversion, what the clipboard's benchmark floor
// costs (core/bench/benchfloorxcb.h), where QClipboard makes two conversions (TARGETS, then
// the data) through Qt's event thread. What it offers and asks for is what Qt offers and asks
// for on X11 (the MIME types as target atoms, TARGETS, INCR for values larger than one X
// request), so it works with any clipboard program and with the Qt backend at the other end.
// docs/clipboard-format.md describes it.
//
// nullptr, with the reason in *error, when the display cannot be used this way (no DISPLAY, no
// XFixes, or a build without xcb); the caller then uses QClipboard.
ClipboardChannel *createXcbClipboardChannel(ClipboardChannel::Watch watch, QObject *parent, QString *error);
