// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchreport.h"

#include <QWidget>

class QChart;
class QChartView;
class QTabWidget;

// The Benchmark tab's live charts, built by the same code as the command line's files
// (BenchCharts): round-trip percentiles per mechanism beside its floor (1-record and 64 KiB
// frames) and throughput against frame size, one tab each so every chart gets the whole area.
// Rebuilt from the rows so far.
class BenchmarkCharts : public QWidget
{
    Q_OBJECT
public:
    explicit BenchmarkCharts(QWidget *parent = nullptr);

    void setReport(const BenchReport &report);
    // Plotted series per chart: latency-1, latency-64k, throughput.
    QList<int> seriesCounts() const;
    QList<QChartView *> views() const { return {m_latency1, m_latency64k, m_throughput}; }
    QTabWidget *tabs() const { return m_tabs; }

private:
    static void showChart(QChartView *view, QChart *chart);

    QTabWidget *m_tabs = nullptr;
    QChartView *m_latency1 = nullptr;
    QChartView *m_latency64k = nullptr;
    QChartView *m_throughput = nullptr;
};
