// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "csv.h"
#include "receiversession.h"
#include "recordbatch.h"
#include "rolepanel.h"

#include <QPointer>
#include <QTimer>

#include <atomic>
#include <memory>

class EmployeeTableModel;
class LiveTransferChart;
class QAction;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QThread;
class QToolButton;
class RecordTableView;
class RecordViewModel;

// The receiver's side of the Transfer tab: the counters (received, lost, duplicates,
// reordered, bad frames, rate), a live, sortable and filterable table of every record, and CSV
// export. Rows and counters survive a disconnect; Clear starts afresh.
class ReceiverPanel : public RolePanel
{
    Q_OBJECT
public:
    explicit ReceiverPanel(QWidget *parent = nullptr);
    ~ReceiverPanel() override;

    void attach(TransportEndpoint *endpoint, const TransportMetadata &transport) override;
    void detach() override;

    EmployeeTableModel *model() const { return m_model; }
    RecordTableView *table() const { return m_table; }
    RecordViewModel *view() const { return m_proxy; }
    // Totals over every connection since the last Clear.
    ReceiverSession::Counters counters() const;
    QAction *exportAction() const { return m_exportAction; }

    // Starts writing every row (or only the selected ones), in the order the table shows, to
    // `path` on a worker thread behind a progress dialog; exportFinished() tells how it ended,
    // with a sentence in the log. False when nothing was started (an export runs, no selection).
    bool exportCsv(const QString &path, bool selectedOnly);
    bool isExporting() const { return m_export != nullptr; }
    // Rows received since every row was last exported (or since Clear): lost if the window closes.
    qint64 unexportedRows() const;
    // Asks for a file and exports the rows the table shows (or only the selected ones).
    void chooseExportFile(bool selectedOnly = false);
    void clear();
    QString peerName(quint64 peer) const;

signals:
    void exportFinished(bool ok);

private:
    struct ExportJob
    {
        std::atomic<bool> cancel{false};
        std::atomic<int> percent{0};
        Csv::Result result;
    };

    void onBatches(const RecordBatchList &batches);
    void showCounters();
    void updateRowInfo();

    EmployeeTableModel *m_model;
    RecordViewModel *m_proxy;
    QPointer<ReceiverSession> m_session;
    ReceiverSession::Counters m_previous;  // sessions already closed
    ReceiverSession::Counters m_clearedAt; // the live session's counters at the last Clear
    qint64 m_burstStartUs = 0;
    qint64 m_lastReceivedUs = 0;
    qint64 m_burstRecords = 0;
    std::shared_ptr<ExportJob> m_export;
    qint64 m_exportedRows = 0; // the first rows, all written to a file by the last full export
    qint64 m_problemsAtLastGoodbye = 0; // lost + bad frames when the last session said goodbye
    QThread *m_exportThread = nullptr;
    QTimer m_filterDelay;

    QLabel *m_received;
    QLabel *m_frames;
    QLabel *m_lost;
    QLabel *m_duplicates;
    QLabel *m_reordered;
    QLabel *m_bad;
    QLabel *m_senders;
    QLabel *m_rate;
    QLineEdit *m_filter;
    QLabel *m_rowInfo;
    QProgressBar *m_viewProgress;
    QPushButton *m_cancelView;
    QAction *m_exportSelectedAction;
    QToolButton *m_exportButton;
    QPushButton *m_clearButton;
    QAction *m_exportAction;
    RecordTableView *m_table;
    LiveTransferChart *m_liveChart;
};
