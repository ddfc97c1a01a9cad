// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "logview.h"
#include "receiversession.h"
#include "sendersession.h"
#include "transfermeter.h"
#include "transferplot.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <memory>

class QChartView;
class QLabel;
class QPushButton;

// The Transfer tab's live chart of the transfer under way. Every frame (receiver) or
// acknowledgement (sender) feeds a TransferMeter, which costs next to nothing; the chart is
// redrawn from it at most every RedrawIntervalMs, and only while it is on screen and a transfer
// runs. A receiver's transfer begins with the first records after a second without any and
// ends after such a second; a sender's lasts as long as its session. "Save chart…" writes the
// chart with the transfer's numbers as a PNG or an SVG.
class LiveTransferChart : public QWidget
{
    Q_OBJECT
public:
    using Role = TransferPlot::Role;
    static constexpr int RedrawIntervalMs = 250;
    static constexpr qint64 IdleUs = 1'000'000;

    explicit LiveTransferChart(Role role, QWidget *parent = nullptr);
    ~LiveTransferChart() override;

    // Follows the session's records (receiver) or progress (sender) for as long as it lives.
    // `transportName` titles a saved picture.
    void watch(ReceiverSession *session, const QString &transportName);
    void watch(SenderSession *session, const QString &transportName);
    // Sender: one to many, no receiver's acknowledgements speak for the others, so only what
    // was sent is drawn.
    void setOneToMany(bool oneToMany);

    // Writes the latest transfer's chart and numbers: SVG for a .svg name, PNG otherwise. False
    // with a sentence in `error` when the file cannot be written.
    bool saveImage(const QString &path, QString *error);
    const TransferMeter &meter() const { return m_meter; }
    const TransferPlot &plot() const { return *m_plot; }
    TransferPlot::Figures figures() const;
    bool isRedrawing() const { return m_redrawTimer.isActive(); }

signals:
    void logged(LogView::Severity severity, const QString &message);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void onBatches(const RecordBatchList &batches);
    void onProgress(qint64 sent, qint64 acked);
    void onSenderFinished(const SenderSession::Summary &summary);
    bool transferRunning() const;
    // New data while the chart is on screen: redraw from now on, if not already.
    void wake();
    void redraw();
    QString pictureTitle() const;
    void chooseFile();

    const Role m_role;
    TransferMeter m_meter;
    QString m_transportName;
    QPointer<SenderSession> m_sender;
    SenderSession::Summary m_senderSummary; // the latest, kept when the session is gone
    bool m_senderFinished = false;
    bool m_oneToMany = false; // a fan-out sender: nobody acknowledges, so no acknowledged figure
    QTimer m_redrawTimer;
    QChartView *m_view;
    std::unique_ptr<TransferPlot> m_plot;
    QLabel *m_summary;
    QPushButton *m_saveButton;
};
