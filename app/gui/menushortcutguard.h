// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>

class QMenuBar;
class QWidget;

// Text fields take some keys for editing (Ctrl+E moves to the end of the line, Ctrl+K cuts to
// it), and Qt gives them those keys before any menu shortcut. In this window a menu shortcut
// must work wherever the focus is, so every text field and spin box of `window` lets the menu
// bar's shortcuts through.
class MenuShortcutGuard : public QObject
{
    Q_OBJECT
public:
    static void install(QWidget *window, QMenuBar *menus);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    MenuShortcutGuard(QMenuBar *menus, QObject *parent);

    QMenuBar *m_menus;
};
