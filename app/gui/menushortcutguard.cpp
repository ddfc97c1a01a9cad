// SPDX-License-Identifier: GPL-3.0-or-later
#include "menushortcutguard.h"

#include <QAbstractSpinBox>
#include <QAction>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>

namespace {

bool menuHasShortcut(const QList<QAction *> &actions, const QKeySequence &pressed)
{
    for (const QAction *action : actions) {
        if (QMenu *menu = action->menu(); menu && menuHasShortcut(menu->actions(), pressed))
            return true;
        if (action->shortcut() == pressed)
            return true;
    }
    return false;
}

} // namespace

MenuShortcutGuard::MenuShortcutGuard(QMenuBar *menus, QObject *parent) : QObject(parent), m_menus(menus)
{
}

void MenuShortcutGuard::install(QWidget *window, QMenuBar *menus)
{
    auto *guard = new MenuShortcutGuard(menus, window);
    for (QLineEdit *edit : window->findChildren<QLineEdit *>())
        edit->installEventFilter(guard);
    for (QAbstractSpinBox *spin : window->findChildren<QAbstractSpinBox *>())
        spin->installEventFilter(guard);
}

bool MenuShortcutGuard::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride) {
        const auto *key = static_cast<QKeyEvent *>(event);
        // Not accepted and not passed on: the field does not claim the key, the menu gets it.
        if (menuHasShortcut(m_menus->actions(), QKeySequence(key->keyCombination())))
            return true;
    }
    return QObject::eventFilter(watched, event);
}
