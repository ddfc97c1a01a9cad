// SPDX-License-Identifier: GPL-3.0-or-later
#include "livetransferchart.h"

#include "chartstyle.h"
#include "frameheader.h"

#include <QBoxLayout>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsLayout>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPushButton>

LiveTransferChart::LiveTransferChart(Role role, QWidget *parent)
    : QWidget(parent),
      m_role(role),
      // The sender's tab at half a 1366x768 screen has little more than this height: the chart
      // then drops what it can do without (fitHeight) rather than being cut.
      m_view(ChartStyle::chartView(QStringLiteral("liveChartView"), QSize(300, 60), this)),
      m_plot(std::make_unique<TransferPlot>(role, m_view->chart())),
      m_summary(new QLabel(this)),
      m_saveButton(new QPushButton(tr("Save chart…"), this))
{
    setObjectName(QStringLiteral("liveTransferChart"));
    // A tab of a half-screen window has little height: thin margins, no card around the plot.
    m_view->chart()->setMargins(QMargins(4, 4, 4, 4));
    m_view->chart()->layout()->setContentsMargins(0, 0, 0, 0);
    m_view->chart()->setBackgroundRoundness(0);
    m_summary->setObjectName(QStringLiteral("liveChartSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_saveButton->setObjectName(QStringLiteral("saveChartButton"));
    m_saveButton->setToolTip(tr("Write the chart and the transfer's numbers to a PNG or SVG file"));
    if (role == Role::Receiver) {
        m_view->setToolTip(tr("Records per second and the frames' latency (p50, p99), a point every %1 ms "
                              "(a long transfer, in longer steps).\n%2")
                               .arg(m_meter.intervalUs() / 1000)
                               .arg(TransferPlot::latencyNote()));
        m_summary->setToolTip(TransferPlot::latencyNote());
    } else {
        setOneToMany(false);
    }

    // The receiver's tab is roomy and its chart wide (an axis either side): the numbers go below.
    // The sender's tab is short, and its status line above already says them: the chart keeps
    // the room, the numbers are only in a saved picture.
    const bool below = role == Role::Receiver;
    m_summary->setVisible(below);
    auto *numbers = new QBoxLayout(below ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
    numbers->addWidget(m_summary, 1);
    numbers->addWidget(m_saveButton, 0, Qt::AlignRight | Qt::AlignBottom);
    auto *layout = new QBoxLayout(below ? QBoxLayout::TopToBottom : QBoxLayout::LeftToRight, this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addLayout(numbers);

    m_redrawTimer.setInterval(RedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, &LiveTransferChart::redraw);
    connect(m_saveButton, &QPushButton::clicked, this, &LiveTransferChart::chooseFile);
    redraw();
}

LiveTransferChart::~LiveTransferChart() = default;

void LiveTransferChart::setOneToMany(bool oneToMany)
{
    if (m_role != Role::Sender)
        return;
    m_oneToMany = oneToMany;
    QLineSeries *acked = m_plot->series().constFirst();
    acked->setVisible(!oneToMany);
    for (QLegendMarker *marker : m_view->chart()->legend()->markers(acked))
        marker->setVisible(!oneToMany);
    m_view->setToolTip(oneToMany ? tr("Records sent since sending began. One to many: each receiver counts what it got, "
                                      "and no receiver's acknowledgements speak for the others.")
                                 : tr("Records sent and records the receiver acknowledged since sending began: "
                                      "the gap between them is what is still on its way."));
}

void LiveTransferChart::watch(ReceiverSession *session, const QString &transportName)
{
    m_transportName = transportName;
    connect(session, &ReceiverSession::batchesReceived, this, &LiveTransferChart::onBatches);
}

void LiveTransferChart::watch(SenderSession *session, const QString &transportName)
{
    m_transportName = transportName;
    m_sender = session;
    m_senderSummary = {};
    m_senderFinished = false;
    m_meter.restart(qint64(FrameCodec::nowMicroseconds()));
    connect(session, &SenderSession::progress, this, [this, session](qint64 sent, qint64 acked) {
        m_senderSummary = session->summary(); // frames too, and kept should the session go
        onProgress(sent, acked);
    });
    connect(session, &SenderSession::finished, this, &LiveTransferChart::onSenderFinished);
    wake();
}

void LiveTransferChart::onBatches(const RecordBatchList &batches)
{
    for (const RecordBatchPtr &batch : batches) {
        // Arrival times come from the same clock as the meter's "now" (FrameCodec).
        if (!m_meter.isStarted() || batch->receivedAtUs - m_meter.lastActivityUs() > IdleUs)
            m_meter.restart(batch->receivedAtUs);
        m_meter.addFrame(batch->receivedAtUs, batch->count, batch->latencyUs());
    }
    wake();
}

void LiveTransferChart::onProgress(qint64 sent, qint64 acked)
{
    m_meter.setProgress(qint64(FrameCodec::nowMicroseconds()), sent, acked);
    wake();
}

void LiveTransferChart::onSenderFinished(const SenderSession::Summary &summary)
{
    m_senderSummary = summary;
    m_senderFinished = true;
    const qint64 now = qint64(FrameCodec::nowMicroseconds());
    m_meter.setProgress(now, summary.recordsSent, summary.recordsAcked);
    m_meter.finish(now);
    if (isVisible())
        redraw();
}

bool LiveTransferChart::transferRunning() const
{
    if (m_role == Role::Sender)
        return m_sender && !m_senderFinished;
    return m_meter.isStarted() && qint64(FrameCodec::nowMicroseconds()) - m_meter.lastActivityUs() < IdleUs;
}

void LiveTransferChart::wake()
{
    if (isVisible() && !m_redrawTimer.isActive()) {
        m_redrawTimer.start();
        redraw();
    }
}

void LiveTransferChart::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_redrawTimer.start();
    redraw(); // stops the timer again when no transfer runs
}

void LiveTransferChart::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_redrawTimer.stop();
}

void LiveTransferChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_plot->fitHeight(m_view->height());
    m_plot->show(m_meter.points());
}

void LiveTransferChart::redraw()
{
    if (!transferRunning()) {
        // The interval that holds the last records is complete: nothing more will come.
        m_meter.finish(m_meter.lastActivityUs());
        m_redrawTimer.stop();
    }
    m_plot->show(m_meter.points());
    m_summary->setText(TransferPlot::summaryLines(m_role, figures()).join(QLatin1Char('\n')));
    m_saveButton->setEnabled(m_meter.isStarted());
}

TransferPlot::Figures LiveTransferChart::figures() const
{
    const TransferMeter::Totals totals = m_meter.totals();
    TransferPlot::Figures f;
    if (m_role == Role::Receiver) {
        f.records = totals.records;
        f.frames = totals.frames;
        f.seconds = totals.seconds;
        f.recordsPerSecond = totals.recordsPerSecond();
        f.latencyP50Ms = totals.latencyP50Ms;
        f.latencyP99Ms = totals.latencyP99Ms;
        return f;
    }
    f.records = m_senderSummary.recordsSent;
    f.frames = m_senderSummary.framesSent;
    f.acked = m_oneToMany ? -1 : m_senderSummary.recordsAcked;
    // Once finished, the session's own figures: the same as the status line says.
    f.seconds = m_senderFinished ? double(m_senderSummary.elapsedMs) / 1000.0 : totals.seconds;
    f.recordsPerSecond = m_senderFinished ? m_senderSummary.recordsPerSecond()
                                          : (f.seconds > 0 ? double(f.records) / f.seconds : 0);
    return f;
}

QString LiveTransferChart::pictureTitle() const
{
    const QString over = m_role == Role::Receiver ? tr("Received over %1").arg(m_transportName) : tr("Sent over %1").arg(m_transportName);
    if (!m_meter.isStarted())
        return over;
    return over + QStringLiteral(", ")
        + QDateTime::fromMSecsSinceEpoch(m_meter.startUs() / 1000).toString(QStringLiteral("yyyy-MM-dd hh:mm:ss"));
}

bool LiveTransferChart::saveImage(const QString &path, QString *error)
{
    if (!transferRunning())
        m_meter.finish(m_meter.lastActivityUs());
    return TransferPlot::savePicture(path, m_role, m_meter.points(), pictureTitle(), figures(), error);
}

void LiveTransferChart::chooseFile()
{
    const QString png = tr("PNG image (*.png)");
    const QString svg = tr("SVG drawing (*.svg)");
    const QString name = QStringLiteral("%1-chart-%2.png")
                             .arg(m_role == Role::Receiver ? QStringLiteral("received") : QStringLiteral("sent"),
                                  QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss")));
    QString filter = png;
    QString path = QFileDialog::getSaveFileName(this, tr("Save chart"), QDir::home().filePath(name),
                                                png + QStringLiteral(";;") + svg, &filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += filter == svg ? QStringLiteral(".svg") : QStringLiteral(".png");
    QString error;
    if (saveImage(path, &error))
        emit logged(LogView::Severity::Info, tr("Saved the chart and its numbers to %1.").arg(QDir::toNativeSeparators(path)));
    else
        emit logged(LogView::Severity::Error, error);
}
