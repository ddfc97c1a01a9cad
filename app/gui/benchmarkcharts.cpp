// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkcharts.h"

#include "benchcharts.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

namespace {

QChartView *chartView(const char *name, QWidget *parent)
{
    auto *view = new QChartView(new QChart, parent);
    view->setObjectName(QLatin1String(name));
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(320, 220);
    return view;
}

} // namespace

BenchmarkCharts::BenchmarkCharts(QWidget *parent) : QWidget(parent)
{
    m_latencyTabs = new QTabWidget(this);
    m_latencyTabs->setObjectName(QStringLiteral("benchLatencyTabs"));
    m_latencyTabs->setDocumentMode(true);
    m_latency1 = chartView("benchLatency1Chart", m_latencyTabs);
    m_latency64k = chartView("benchLatency64kChart", m_latencyTabs);
    m_latencyTabs->addTab(m_latency1, tr("Round trip, 1-record frames"));
    m_latencyTabs->addTab(m_latency64k, tr("Round trip, 64 KiB frames"));
    m_throughput = chartView("benchThroughputChart", this);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setChildrenCollapsible(false);
    split->addWidget(m_latencyTabs);
    split->addWidget(m_throughput);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    setReport(BenchReport());
}

void BenchmarkCharts::show(QChartView *view, QChart *chart, const QString &title)
{
    // Shorter titles than the files' (the tab names the chart) and a smaller legend beside the
    // plot: below it, ten entries would be cut to "floo...".
    chart->setTitle(title);
    QFont font = chart->legend()->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    chart->legend()->setFont(font);
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(4, 4, 4, 4));
    QChart *old = view->chart();
    view->setChart(chart);
    delete old;
}

void BenchmarkCharts::setReport(const BenchReport &report)
{
    const QString dashed = tr("solid: mechanism, dashed: its OS floor");
    show(m_latency1, BenchCharts::latencyChart(report, QStringLiteral("latency-1")), tr("Round-trip percentiles (%1)").arg(dashed));
    show(m_latency64k, BenchCharts::latencyChart(report, QStringLiteral("latency-64k")), tr("Round-trip percentiles (%1)").arg(dashed));
    show(m_throughput, BenchCharts::throughputChart(report), tr("Throughput against frame size (%1)").arg(dashed));
}

QList<int> BenchmarkCharts::seriesCounts() const
{
    return {int(m_latency1->chart()->series().size()), int(m_latency64k->chart()->series().size()),
            int(m_throughput->chart()->series().size())};
}
