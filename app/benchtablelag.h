// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchrunner.h"

// The benchmark rows the engine in core cannot measure itself, because they need widgets: how
// late the GUI thread's event loop runs while records stream into a visible table. In this
// process, a real QTableView over RecordViewModel over EmployeeTableModel, fed by a
// ReceiverSession whose endpoint delivers pre-built frames of 4,096 records as fast as the event
// loop takes them; a 1 ms precise timer measures its own lateness. Reported: the largest and the
// 99th-percentile lateness, and the records per second until the view showed every row.
namespace BenchTableLag {

// Two measurements for BenchConfig::extras: rows shown in arrival order, and sorted by salary
// while they arrive. They share the frames, built once. Each skips itself, with the reason,
// when there is no QApplication or it is called off the GUI thread.
QVector<BenchConfig::Extra> extras();

} // namespace BenchTableLag
