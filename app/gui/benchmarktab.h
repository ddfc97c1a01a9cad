// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchreport.h"

#include <QWidget>

#include <memory>

class BenchRunner;
class BenchmarkAdvisorPanel;
class BenchmarkCharts;
class BenchmarkResultsTable;
class MechanismPicker;
class PluginManager;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTabWidget;
class QThread;

// The Benchmark tab: the same engine as `ipcworkshop bench`, on a worker thread so the window
// keeps answering; its rows, progress and charts arrive through queued signals as they are
// measured, and the "Which should I use?" panel ranks the mechanisms by the run's figures.
//
// The clipboard's endpoint must live on the GUI thread, so the runner skips it here with a
// sentence that the table shows; `ipcworkshop bench` measures it.
//
// Wide (a maximized window), the charts sit beside the results; narrow (half a screen), they
// get a page of their own next to the results and the advice. Below its minimum size the tab
// scrolls rather than squeezing anything.
class BenchmarkTab : public QWidget
{
    Q_OBJECT
public:
    explicit BenchmarkTab(const PluginManager &plugins, QWidget *parent = nullptr);
    ~BenchmarkTab() override;

    // The program started as each peer; by default this executable (ipcworkshop).
    void setPeerProgram(const QString &program) { m_peerProgram = program; }
    void setCheckedTransports(const QStringList &ids);
    QStringList checkedTransports() const;
    void setQuick(bool quick);

    bool isRunning() const { return m_runner != nullptr; }
    const BenchReport &report() const { return m_report; }
    BenchmarkResultsTable *resultsTable() const { return m_table; }
    BenchmarkCharts *charts() const { return m_charts; }
    BenchmarkAdvisorPanel *advisorPanel() const { return m_advisor; }

    void start();
    // Asks the runner to stop after the measurement under way; finished() follows.
    void stop();
    // Writes what the command line writes (CSV, JSON, table, charts) into `dir`; returns the
    // files written, or an empty list with `error` set.
    QStringList saveReport(const QString &dir, QString *error);

signals:
    void finished();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void arrangeFor(int width);
    void refreshTransports();
    void onProgress(int done, int total, const QString &step);
    void onRow(const BenchRow &row);
    void onFinished(const BenchReport &report);
    void onThreadFinished();
    void chooseFolderAndSave();
    void updateControls();

    const PluginManager &m_plugins;
    QString m_peerProgram;
    BenchReport m_report;
    // The run's own view of the plugins: the user may install more while it runs.
    std::unique_ptr<PluginManager> m_runPlugins;
    std::unique_ptr<BenchRunner> m_runner;
    QThread *m_thread = nullptr;
    bool m_stopping = false;

    MechanismPicker *m_transports = nullptr;
    QComboBox *m_profile = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_save = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_step = nullptr;
    BenchmarkResultsTable *m_table = nullptr;
    BenchmarkCharts *m_charts = nullptr;
    BenchmarkAdvisorPanel *m_advisor = nullptr;
    QTabWidget *m_pages = nullptr;
    QSplitter *m_split = nullptr;
    bool m_wide = true; // built wide, then arranged for the width it gets
};
