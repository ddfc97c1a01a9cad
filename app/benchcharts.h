// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchreport.h"

#include <QStringList>

class QChart;

// The benchmark's charts (Qt Charts, drawn without showing a window): round-trip percentiles
// per mechanism beside its floor, and throughput against frame size. Needs a QApplication;
// the offscreen platform is enough.
namespace BenchCharts {

// One chart per figure kind; the caller owns it. `test` is "latency-1" or "latency-64k".
QChart *latencyChart(const BenchReport &report, const QString &test);
QChart *throughputChart(const BenchReport &report);

// Writes latency-1, latency-64k and throughput as .png and .svg into `dir`; returns the files
// written, or an empty list with `error` set.
QStringList save(const BenchReport &report, const QString &dir, QString *error);

} // namespace BenchCharts
