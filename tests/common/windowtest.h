// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the tests of the real windows share: a widget found by name, a free loopback TCP
// address, and the plugins built beside the tests. Header-only, for tests.

#include "pluginmanager.h"

#include <QTcpServer>
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

} // namespace WindowTest
