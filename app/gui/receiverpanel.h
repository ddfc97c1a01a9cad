// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "receiversession.h"
#include "rolepanel.h"

#include <QPointer>

class EmployeeTableModel;
class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

// The receiver's side of the Transfer tab: the counters (received, lost, duplicates,
// reordered, bad frames, rate), a live, sortable and filterable table of every record, and CSV
// export. Rows and counters survive a disconnect; Clear starts afresh.
class ReceiverPanel : public RolePanel
{
    Q_OBJECT
public:
    explicit ReceiverPanel(QWidget *parent = nullptr);

    void attach(TransportEndpoint *endpoint, const TransportMetadata &transport) override;
    void detach() override;

    EmployeeTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    // Totals over every connection since the last Clear.
    ReceiverSession::Counters counters() const;
    QAction *exportAction() const { return m_exportAction; }

    // Writes every row (or only the selected ones) to `path`, behind a progress dialog that
    // keeps the window alive for large tables. False with a sentence in the log on failure.
    bool exportCsv(const QString &path, bool selectedOnly);
    void clear();

private:
    void chooseExportFile();
    void onRecords(const ReceivedRecordList &records);
    void showCounters();
    void updateRowInfo();

    EmployeeTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QPointer<ReceiverSession> m_session;
    ReceiverSession::Counters m_previous;  // sessions already closed
    ReceiverSession::Counters m_clearedAt; // the live session's counters at the last Clear
    qint64 m_burstStartUs = 0;
    qint64 m_lastReceivedUs = 0;
    qint64 m_burstRecords = 0;
    bool m_exporting = false;

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
    QCheckBox *m_selectedOnly;
    QPushButton *m_exportButton;
    QPushButton *m_clearButton;
    QAction *m_exportAction;
    QTableView *m_table;
};
