// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkcharts.h"

#include "benchcharts.h"
#include "chartstyle.h"

#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLegend>
#include <QTabWidget>
#include <QVBoxLayout>

namespace {

// Room for the axes' labels and titles (five decades of frame sizes side by side), a legend of
// mechanism names and a plot still worth reading; below this the tab scrolls.
const QSize ChartMinimumSize(500, 300);

QChartView *chartView(const char *name, QWidget *parent)
{
    return ChartStyle::chartView(QLatin1String(name), ChartMinimumSize, parent);
}

} // namespace

BenchmarkCharts::BenchmarkCharts(QWidget *parent) : QWidget(parent)
{
    // What the lines are, said once above the charts, where it can wrap: in a chart's title
    // it would be cut short in a narrow window.
    auto *key = new QLabel(tr("Solid line: the mechanism. Dashed line of the same colour: its floor, the bare OS mechanism "
                              "underneath. An axis marked \"log scale\" grows tenfold from one grid line to the next."),
                           this);
    key->setObjectName(QStringLiteral("benchChartKey"));
    key->setWordWrap(true);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("benchChartTabs"));
    m_tabs->setDocumentMode(true);
    m_latency1 = chartView("benchLatency1Chart", m_tabs);
    m_latency64k = chartView("benchLatency64kChart", m_tabs);
    m_throughput = chartView("benchThroughputChart", m_tabs);
    m_tabs->addTab(m_latency1, tr("Round trip, 1 record"));
    m_tabs->addTab(m_latency64k, tr("Round trip, 64 KiB"));
    m_tabs->addTab(m_throughput, tr("Throughput"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(key);
    layout->addWidget(m_tabs, 1);
    setReport(BenchReport());
}

void BenchmarkCharts::showChart(QChartView *view, QChart *chart)
{
    // The tab names the chart and the key above says what the lines are: without the files'
    // long title the plot keeps its height.
    chart->setTitle(QString());
    chart->setMargins(QMargins(4, 4, 4, 4));
    QChart *old = view->chart();
    view->setChart(chart);
    delete old;
}

void BenchmarkCharts::setReport(const BenchReport &report)
{
    showChart(m_latency1, BenchCharts::latencyChart(report, QStringLiteral("latency-1")));
    showChart(m_latency64k, BenchCharts::latencyChart(report, QStringLiteral("latency-64k")));
    showChart(m_throughput, BenchCharts::throughputChart(report));
}

QList<int> BenchmarkCharts::seriesCounts() const
{
    return {int(m_latency1->chart()->series().size()), int(m_latency64k->chart()->series().size()),
            int(m_throughput->chart()->series().size())};
}
