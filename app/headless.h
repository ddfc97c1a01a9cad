// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "appoptions.h"

class PluginManager;

// The command-line modes: what scripts, tests and the demo without a display use.
// Each returns the process exit code.
namespace Headless {
enum ExitCode { Ok = 0, Failed = 1, Usage = 2, TimedOut = 3 };

int listTransports(const PluginManager &plugins);
int runReceiver(const PluginManager &plugins, const AppOptions &options);
int runSender(const PluginManager &plugins, const AppOptions &options);
} // namespace Headless
