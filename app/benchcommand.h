// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// `ipcworkshop bench [--transports a,b] [--quick] [--repeat N] [--out DIR] [--shm-wait W]`:
// measures every mechanism against its bare-OS floor and the record path's own costs, prints a
// table (progress on stderr), and writes bench.csv, bench.json and the charts into DIR.
//
// `ipcworkshop bench-floor-peer <floor> <address>` is the floors' peer process; main() hands it
// over before any Qt object exists.
#include <QStringList>

struct BenchReport;

namespace BenchCommand {

bool isBench(int argc, char **argv);
bool isFloorPeer(int argc, char **argv);
int runFloorPeer(int argc, char **argv);
// Builds its own QApplication (offscreen when there is no display: the charts need one).
int run(int argc, char **argv);
// Writes bench.csv, bench.json, bench.txt and the charts (.png, .svg) into `dir`, creating it;
// returns the files written, or an empty list with `error` set. The GUI's "Save report" too.
QStringList writeReport(const BenchReport &report, const QString &dir, QString *error);

} // namespace BenchCommand
