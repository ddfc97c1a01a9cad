// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchreport.h"

// bench --repeat N measures every row N times, one run of all rows after the other, so the slow
// drift of a shared machine hits every row and its floor alike. This turns the N reports into
// one: each figure becomes the median of its runs (nearest rank, so always a measured value),
// keeping every run's value as a sample for the min–max spread; floors likewise, and each ratio
// is median against median. A row skipped in every run stays skipped with its first reason; a
// row skipped in some runs is combined from the others and a note names the runs it missed.
// Losses are summed per mechanism; the runs' notes are kept once each.
namespace BenchMerge {

IPCWCORE_EXPORT BenchReport combine(const QVector<BenchReport> &runs);

} // namespace BenchMerge
