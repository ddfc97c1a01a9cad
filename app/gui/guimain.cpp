// SPDX-License-Identifier: GPL-3.0-or-later
#include "appoptions.h"
#include "pluginmanager.h"

#include <QTextStream>

int runGui(const AppOptions &, PluginManager &)
{
    QTextStream(stderr) << "The window is not built yet; use --headless." << Qt::endl;
    return 1;
}
