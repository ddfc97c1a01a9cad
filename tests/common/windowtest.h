// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the tests of the real windows share: a widget found by name, a free loopback TCP
// address, the plugins built beside the tests, and files dropped on a window. Header-only,
// for tests.

#include "pluginmanager.h"

#include <QApplication>
#include <QDropEvent>
#include <QMimeData>
#include <QTcpServer>
#include <QTest>
#include <QUrl>
#include <QWidget>

#include <memory>

namespace WindowTest {

// The widget called `name` inside `window`; the test stops at once when there is none.
template <typename T>
T *child(QWidget *window, const char *name)
{
    T *widget = window->findChild<T *>(QLatin1String(name));
    if (!widget)
        qFatal("no widget named %s", name);
    return widget;
}

// A loopback address nothing listens on: the port the system gave a probe a moment ago.
inline QString freeTcpAddress()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
}

// The plugins of this build (bin/plugins), scanned.
inline std::unique_ptr<PluginManager> builtPlugins()
{
    auto plugins = std::make_unique<PluginManager>();
    plugins->setSearchPaths({QStringLiteral(IPCW_BIN_DIR "/plugins")});
    plugins->scan();
    return plugins;
}

// Drops local `files` on `window` as a file manager would (offering copy or move); the test
// fails if the window does not accept the drag. Returns the action the window chose.
inline Qt::DropAction drop(QWidget *window, const QStringList &files)
{
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString &file : files)
        urls << QUrl::fromLocalFile(file);
    mime.setUrls(urls);
    QDragEnterEvent enter(QPoint(20, 20), Qt::CopyAction | Qt::MoveAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window, &enter);
    if (!enter.isAccepted()) {
        QTest::qFail("the window refused the drag", __FILE__, __LINE__);
        return Qt::IgnoreAction;
    }
    QDropEvent dropEvent(QPointF(20, 20), Qt::CopyAction | Qt::MoveAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window, &dropEvent);
    return dropEvent.dropAction();
}

} // namespace WindowTest
