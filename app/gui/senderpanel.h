// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employeegenerator.h"
#include "rolepanel.h"
#include "sendersession.h"

#include <QPointer>
#include <QTimer>

#include <memory>

class EmployeeForm;
class EmployeeTableModel;
class LiveTransferChart;
class QAction;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class ReceiverTally;
class RecordTableView;
class QThread;

// The sender's side of the Transfer tab: one employee typed in a form, N generated ones, or a
// CSV file, sent over the connected endpoint with a progress bar, and the latest records sent
// (to compare with the receiver's table). Records sent while a
// transfer is still running join it; a transfer ends with the receiver's last acknowledgement.
// Generated and CSV records are encoded as they are sent, never all held; a CSV file is first
// checked whole on a worker thread, so a bad row refuses it before anything is sent.
class SenderPanel : public RolePanel
{
    Q_OBJECT
public:
    SenderPanel(quint64 seed, quint32 firstId, int batchSize, QWidget *parent = nullptr);
    ~SenderPanel() override;

    void attach(TransportEndpoint *endpoint, const TransportMetadata &transport) override;
    void detach() override;

    // False (with a sentence in the log) when not connected. `what` names the records in the log.
    bool sendRecords(const EmployeeList &records, const QString &what);
    bool sendForm();
    bool sendGenerated(int count);
    // Starts checking the file; its records are sent once it proved good. False (with a
    // sentence in the log) when not connected or another file is still being checked.
    bool sendCsvFile(const QString &path);

    QAction *loadCsvAction() const { return m_loadCsvAction; }
    // A transfer is under way (records not yet all sent and acknowledged) or a CSV file is being checked.
    bool isSending() const { return (m_session && m_session->busy()) || m_csvCheck; }
    void setGenerateCount(int count);

private:
    struct CsvCheck;

    bool canSend(const QString &what);
    void startSending(std::unique_ptr<RecordSource> source, const QString &what);
    void onCsvChecked();
    void showCsvCheckProgress();
    void chooseCsvFile();
    void updateEnabled();
    void onProgress(qint64 sent, qint64 acked, qint64 total);
    void showProgress();
    void showBar(qint64 done, qint64 total);
    void remember(const EmployeeList &records);
    void onFinished(const SenderSession::Summary &summary);
    void showReceivers();

    EmployeeGenerator m_generator;
    const int m_batchSize;
    QPointer<TransportEndpoint> m_endpoint;
    TransportMetadata m_transport;
    SenderSession::Options m_sessionOptions;
    QPointer<SenderSession> m_session;
    // Progress arrives with every acknowledgement; the widgets are refreshed a few times a second.
    QTimer m_progressTimer;
    qint64 m_sent = 0;
    qint64 m_acked = 0;
    qint64 m_total = 0;
    // The CSV file being checked on a worker thread, if any.
    std::shared_ptr<CsvCheck> m_csvCheck;
    QPointer<QThread> m_csvCheckThread;
    QTimer m_csvCheckTimer;

    EmployeeForm *m_form;
    QPushButton *m_sendButton;
    QSpinBox *m_generateCount;
    QPushButton *m_generateButton;
    QPushButton *m_loadCsvButton;
    QAction *m_loadCsvAction;
    QProgressBar *m_progress;
    QLabel *m_status;
    // Where one sender reaches many: how many receivers the mechanism says it reaches, or that it cannot tell.
    QLabel *m_receivers;
    QPointer<ReceiverTally> m_tally;
    EmployeeTableModel *m_sentModel;
    RecordTableView *m_sentTable;
    QTabWidget *m_sentViews;
    LiveTransferChart *m_liveChart;
};
