// SPDX-License-Identifier: GPL-3.0-or-later
#include "senderpanel.h"

#include "csvsource.h"
#include "employeeform.h"
#include "employeetablemodel.h"
#include "generatorsource.h"
#include "livetransferchart.h"
#include "listsource.h"
#include "receivertally.h"
#include "recordtableview.h"
#include "recordtail.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QThread>
#include <QVBoxLayout>

#include <atomic>
#include <limits>

namespace {

// The preview shows what left last; older rows go so memory stays small for huge transfers.
constexpr int MaxSentRows = 10000;

QString number(qint64 n)
{
    return QLocale().toString(n);
}

QString records(qint64 n)
{
    return n == 1 ? SenderPanel::tr("1 record") : SenderPanel::tr("%1 records").arg(number(n));
}

QString frames(qint64 n)
{
    return n == 1 ? SenderPanel::tr("1 frame") : SenderPanel::tr("%1 frames").arg(number(n));
}
} // namespace

// What the worker thread checking a CSV file shares with the panel: the source it checks (handed
// to the session afterwards), the preview's rows, and how far it got.
struct SenderPanel::CsvCheck
{
    std::unique_ptr<CsvSource> source;
    QString fileName;
    RecordTail tail{MaxSentRows};
    bool ok = false;
    std::atomic<qint64> bytesDone{0};
    std::atomic<qint64> bytesTotal{0};
    std::atomic<bool> cancelled{false};
};

SenderPanel::SenderPanel(quint64 seed, quint32 firstId, int batchSize, QWidget *parent)
    : RolePanel(parent),
      m_generator(seed, firstId),
      m_batchSize(batchSize),
      m_form(new EmployeeForm(this)),
      m_sendButton(new QPushButton(tr("&Send"), this)),
      m_generateCount(new QSpinBox(this)),
      m_generateButton(new QPushButton(tr("&Generate and send"), this)),
      m_loadCsvButton(new QPushButton(tr("Load CS&V and send…"), this)),
      m_loadCsvAction(new QAction(tr("Load CS&V and Send…"), this)),
      m_progress(new QProgressBar(this)),
      m_status(new QLabel(tr("Nothing sent yet."), this)),
      m_receivers(new QLabel(this)),
      m_sentModel(new EmployeeTableModel(this)),
      m_sentTable(new RecordTableView(this)),
      m_sentViews(new QTabWidget(this)),
      m_liveChart(new LiveTransferChart(LiveTransferChart::Role::Sender, this))
{
    setObjectName(QStringLiteral("senderPanel"));
    m_sendButton->setObjectName(QStringLiteral("sendFormButton"));
    m_sendButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_sendButton->setToolTip(tr("Send this employee (Ctrl+Return)"));
    m_generateCount->setObjectName(QStringLiteral("generateCount"));
    m_generateCount->setRange(1, 100'000'000);
    m_generateCount->setValue(1000);
    m_generateCount->setGroupSeparatorShown(true);
    m_generateButton->setObjectName(QStringLiteral("generateButton"));
    m_loadCsvButton->setObjectName(QStringLiteral("loadCsvButton"));
    m_loadCsvButton->setToolTip(tr("Send the employees of a CSV file with the columns id, name, department, title, email, "
                                   "salary, hire_date (Ctrl+O; or drop the file on the window). The whole file is "
                                   "checked first: a bad row refuses it before anything is sent."));
    m_loadCsvAction->setShortcut(QKeySequence::Open);
    m_progress->setObjectName(QStringLiteral("sendProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("%p% acknowledged"));
    m_status->setObjectName(QStringLiteral("sendStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_receivers->setObjectName(QStringLiteral("receiverCount"));
    m_receivers->setTextFormat(Qt::PlainText);
    m_receivers->setVisible(false);

    m_form->setNextId(firstId);
    m_form->addButton(m_sendButton);

    auto *bulk = new QGroupBox(tr("Many employees"), this);
    auto *countLabel = new QLabel(tr("Ho&w many:"), bulk);
    countLabel->setBuddy(m_generateCount);
    m_generateButton->setToolTip(tr("Send this many generated employees: the same ones for the same seed (%1), with "
                                    "accents, commas, quotes and line breaks that put the wire format and the CSV to work.")
                                     .arg(seed));
    auto *bulkLayout = new QGridLayout(bulk);
    bulkLayout->addWidget(countLabel, 0, 0);
    bulkLayout->addWidget(m_generateCount, 0, 1);
    bulkLayout->addWidget(m_generateButton, 0, 2);
    bulkLayout->addWidget(m_loadCsvButton, 0, 3);
    bulkLayout->setColumnStretch(1, 1);

    // No box of its own: the bar and its sentence need no title, and the window no more height.
    auto *transfer = new QVBoxLayout;
    transfer->setContentsMargins(6, 0, 6, 0);
    transfer->addWidget(m_receivers);
    transfer->addWidget(m_progress);
    transfer->addWidget(m_status);

    m_sentTable->setObjectName(QStringLiteral("sentTable"));
    m_sentTable->setModel(m_sentModel);
    m_sentTable->setMinimumHeight(m_sentTable->rowHeight() * 3);
    m_sentTable->horizontalHeader()->setStretchLastSection(true);
    m_sentTable->sizeColumnsForRecords();
    // Known only on the receiving side.
    for (int column : {EmployeeTableModel::Sequence, EmployeeTableModel::ReceivedAt, EmployeeTableModel::LatencyUs})
        m_sentTable->setColumnHidden(column, true);
    m_sentViews->setObjectName(QStringLiteral("senderViews"));
    m_sentViews->addTab(m_sentTable, tr("Sent rec&ords (the latest %1)").arg(number(MaxSentRows)));
    m_sentViews->addTab(m_liveChart, tr("Live chart: ac&knowledged"));

    // One column of boxes, so the window fits half of a 1366-pixel screen.
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_form);
    layout->addWidget(bulk);
    layout->addLayout(transfer);
    layout->addWidget(m_sentViews, 1);

    m_progressTimer.setSingleShot(true);
    m_progressTimer.setInterval(100);
    connect(&m_progressTimer, &QTimer::timeout, this, &SenderPanel::showProgress);
    m_csvCheckTimer.setInterval(100);
    connect(&m_csvCheckTimer, &QTimer::timeout, this, &SenderPanel::showCsvCheckProgress);
    connect(m_sendButton, &QPushButton::clicked, this, &SenderPanel::sendForm);
    connect(m_generateButton, &QPushButton::clicked, this, [this] { sendGenerated(m_generateCount->value()); });
    connect(m_loadCsvButton, &QPushButton::clicked, m_loadCsvAction, &QAction::trigger);
    connect(m_loadCsvAction, &QAction::triggered, this, &SenderPanel::chooseCsvFile);
    connect(m_liveChart, &LiveTransferChart::logged, this, &RolePanel::logged);
    updateEnabled();
}

SenderPanel::~SenderPanel()
{
    // The worker reads the file for us: stop it before what it writes to goes away.
    if (m_csvCheckThread && m_csvCheck) { // no check in hand: its thread has finished
        m_csvCheck->cancelled = true;
        m_csvCheckThread->wait();
    }
}

void SenderPanel::setGenerateCount(int count)
{
    m_generateCount->setValue(count);
}

void SenderPanel::attach(TransportEndpoint *endpoint, const TransportMetadata &transport)
{
    m_endpoint = endpoint;
    m_transport = transport;
    m_sessionOptions = SenderSession::defaultOptionsFor(transport.capabilities);
    if (m_batchSize > 0)
        m_sessionOptions.batchSize = m_batchSize;
    m_progress->setFormat(m_sessionOptions.waitForAcks ? tr("%p% acknowledged") : tr("%p% sent"));
    // One to many: no receiver's acknowledgements speak for the others, so the chart shows what left.
    m_sentViews->setTabText(m_sentViews->indexOf(m_liveChart),
                            m_sessionOptions.fanOut ? tr("Live chart: sent, one to many (&K)") : tr("Live chart: ac&knowledged"));
    m_liveChart->setOneToMany(m_sessionOptions.fanOut);
    delete m_tally;
    m_tally = new ReceiverTally(endpoint, transport, this);
    connect(m_tally, &ReceiverTally::changed, this, &SenderPanel::showReceivers);
    m_receivers->setVisible(transport.capabilities.reachesManyReceivers());
    showReceivers();
    connect(endpoint, &TransportEndpoint::stateChanged, this, &SenderPanel::updateEnabled);
    updateEnabled();
}

void SenderPanel::detach()
{
    if (m_session) {
        const SenderSession::Summary &s = m_session->summary();
        if (m_session->busy())
            emit logged(LogView::Severity::Warning,
                        m_sessionOptions.fanOut
                            ? tr("Transfer stopped: %1 records sent, one to many; each receiver counts what it got.").arg(number(s.recordsSent))
                            : tr("Transfer stopped: %1 records sent, %2 acknowledged by the receiver.")
                                  .arg(number(s.recordsSent), number(s.recordsAcked)));
        m_session->disconnect(this);
        m_session->deleteLater();
        m_session = nullptr;
        m_progressTimer.stop();
        m_status->setText(tr("Transfer stopped."));
    }
    if (m_endpoint)
        m_endpoint->disconnect(this);
    m_endpoint = nullptr;
    delete m_tally;
    m_receivers->setVisible(false);
    updateEnabled();
}

void SenderPanel::showReceivers()
{
    if (m_tally)
        m_receivers->setText(m_tally->sentence());
}

void SenderPanel::updateEnabled()
{
    const bool connected = m_endpoint && m_endpoint->state() == TransportEndpoint::State::Connected;
    for (QWidget *w : {static_cast<QWidget *>(m_sendButton), static_cast<QWidget *>(m_generateButton)})
        w->setEnabled(connected);
    m_loadCsvButton->setEnabled(connected && !m_csvCheck);
    m_loadCsvAction->setEnabled(connected && !m_csvCheck);
}

bool SenderPanel::canSend(const QString &what)
{
    if (!m_endpoint || m_endpoint->state() != TransportEndpoint::State::Connected) {
        emit logged(LogView::Severity::Error, tr("Cannot send %1: not connected. Press Connect first.").arg(what));
        return false;
    }
    return true;
}

void SenderPanel::startSending(std::unique_ptr<RecordSource> source, const QString &what)
{
    if (!m_session) {
        m_session = new SenderSession(m_endpoint, m_sessionOptions, this);
        m_liveChart->watch(m_session, m_transport.name);
        connect(m_session, &SenderSession::progress, this, &SenderPanel::onProgress);
        connect(m_session, &SenderSession::finished, this, &SenderPanel::onFinished);
        connect(m_session, &SenderSession::errorOccurred, this,
                [this](const QString &message) { emit logged(LogView::Severity::Error, message); });
    }
    emit logged(LogView::Severity::Info, tr("Sending %1 over %2.").arg(what, m_transport.name));
    m_session->send(std::move(source));
    // The session says goodbye once the receiver has acknowledged everything queued so far.
    m_session->finish();
}

bool SenderPanel::sendRecords(const EmployeeList &records, const QString &what)
{
    if (!canSend(what))
        return false;
    if (records.isEmpty()) {
        emit logged(LogView::Severity::Warning, tr("Nothing to send: %1 holds no records.").arg(what));
        return false;
    }
    startSending(std::make_unique<ListSource>(records), what);
    remember(records);
    return true;
}

bool SenderPanel::sendForm()
{
    const std::optional<Employee> employee = m_form->employee();
    if (!employee)
        return false;
    if (!sendRecords({*employee}, tr("employee %1 (%2)").arg(employee->id).arg(employee->name)))
        return false;
    m_form->prepareNext();
    return true;
}

bool SenderPanel::sendGenerated(int count)
{
    // Ids go on from the form's ID field, as a typed employee's would, so none repeats.
    const quint32 firstId = m_form->nextId();
    const QString what = tr("%1 generated employees (ids %2 to %3)")
                             .arg(number(count), number(firstId), number(qint64(firstId) + count - 1));
    if (!canSend(what))
        return false;
    m_generator.setNextId(firstId);
    // The preview's records are made on their own: the generator can jump to them.
    const int shown = qMin(count, MaxSentRows);
    EmployeeGenerator preview = m_generator;
    preview.skip(quint64(count - shown));
    startSending(std::make_unique<GeneratorSource>(m_generator, count), what);
    m_generator.skip(quint64(count));
    m_form->setNextId(m_generator.nextId());
    remember(preview.take(shown));
    return true;
}

bool SenderPanel::sendCsvFile(const QString &path)
{
    const QString fileName = QFileInfo(path).fileName();
    if (!canSend(tr("the employees from %1").arg(fileName)))
        return false;
    if (m_csvCheck) {
        emit logged(LogView::Severity::Warning,
                    tr("Cannot send %1 yet: %2 is still being checked. Try again when it is sent.").arg(fileName, m_csvCheck->fileName));
        return false;
    }
    auto check = std::make_shared<CsvCheck>();
    check->source = std::make_unique<CsvSource>(path);
    check->fileName = fileName;
    m_csvCheck = check;
    m_csvCheckThread = QThread::create([check] {
        check->ok = check->source->check([&](const RecordFields &record) { check->tail.add(record); },
                                         [&](qint64 done, qint64 total) {
                                             check->bytesDone = done;
                                             check->bytesTotal = total;
                                             return !check->cancelled;
                                         });
    });
    m_csvCheckThread->setParent(this);
    connect(m_csvCheckThread, &QThread::finished, this, &SenderPanel::onCsvChecked);
    connect(m_csvCheckThread, &QThread::finished, m_csvCheckThread, &QObject::deleteLater);
    m_csvCheckThread->start();
    m_csvCheckTimer.start();
    emit logged(LogView::Severity::Info, tr("Checking %1 before sending it.").arg(fileName));
    updateEnabled();
    return true;
}

void SenderPanel::showCsvCheckProgress()
{
    const qint64 total = m_csvCheck->bytesTotal;
    const int percent = total > 0 ? int(m_csvCheck->bytesDone * 100 / total) : 0;
    m_status->setText(tr("Checking %1 before sending it: %2% read.").arg(m_csvCheck->fileName).arg(percent));
}

void SenderPanel::onCsvChecked()
{
    m_csvCheckTimer.stop();
    const std::shared_ptr<CsvCheck> check = std::move(m_csvCheck);
    updateEnabled();
    if (!check->ok) {
        const QString sentence = tr("%1 was not sent: %2").arg(check->fileName, check->source->errorString());
        emit logged(LogView::Severity::Error, sentence);
        m_status->setText(sentence);
        return;
    }
    const qint64 total = check->source->total();
    const QString what = tr("%1 employees from %2").arg(number(total), check->fileName);
    if (total == 0) {
        emit logged(LogView::Severity::Warning, tr("Nothing to send: %1 holds no records.").arg(check->fileName));
        return;
    }
    if (!canSend(what))
        return;
    startSending(std::move(check->source), what);
    remember(check->tail.employees());
}

void SenderPanel::remember(const EmployeeList &records)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
    const qsizetype first = qMax<qsizetype>(0, records.size() - MaxSentRows);
    const RecordBatchPtr sent = FrameCodec::batchOf(records.constData() + first, records.size() - first, 0,
                                                    m_transport.id, now, 0);
    // Keep the newest MaxSentRows rows, whole batches at a time.
    RecordBatchList kept{sent};
    qint64 rows = sent->size();
    const RecordBatchList &older = m_sentModel->store().batches();
    for (auto it = older.crbegin(); it != older.crend() && rows + (*it)->size() <= MaxSentRows; ++it) {
        kept.prepend(*it);
        rows += (*it)->size();
    }
    if (kept.size() <= older.size()) {
        m_sentModel->clear();
        m_sentModel->appendBatches(kept);
    } else {
        m_sentModel->appendBatches({sent});
    }
    m_sentTable->scrollToBottom();
}

void SenderPanel::chooseCsvFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Send employees from a CSV file"), QDir::homePath(),
                                                      tr("CSV files (*.csv);;All files (*)"));
    if (!path.isEmpty())
        sendCsvFile(path);
}

void SenderPanel::onProgress(qint64 sent, qint64 acked, qint64 total)
{
    m_sent = sent;
    m_acked = acked;
    m_total = total;
    if (!m_progressTimer.isActive())
        m_progressTimer.start();
}

// The bar and the sentence beside it count the same thing: acknowledged records where the
// session waits for acknowledgements, sent records where the mechanism may lose frames and the
// session does not wait (acknowledgements that do come back are still counted in the sentence).
void SenderPanel::showBar(qint64 done, qint64 total)
{
    // QProgressBar counts in int; scale so a 100-million-record transfer still fits.
    const int scale = total > std::numeric_limits<int>::max() / 2 ? 1000 : 1;
    m_progress->setRange(0, int(qMax<qint64>(1, total / scale)));
    m_progress->setValue(int(qMin(done, total) / scale));
}

void SenderPanel::showProgress()
{
    const bool waits = m_sessionOptions.waitForAcks;
    showBar(waits ? m_acked : m_sent, m_total);
    if (m_sessionOptions.fanOut)
        m_status->setText(tr("Sent %1 of %2 to every receiver listening; one to many, so each receiver counts its own "
                             "losses and none is waited for.").arg(number(m_sent), records(m_total)));
    else
        m_status->setText(waits ? tr("Sent %1 of %2; %3 acknowledged.").arg(number(m_sent), records(m_total), number(m_acked))
                                : tr("Sent %1 of %2; %3 acknowledged so far. %4 may lose frames, so the sender does not "
                                     "wait for acknowledgements.")
                                      .arg(number(m_sent), records(m_total), number(m_acked), m_transport.name));
}

void SenderPanel::onFinished(const SenderSession::Summary &s)
{
    const QString rate = number(qint64(s.recordsPerSecond()));
    const bool waits = m_sessionOptions.waitForAcks;
    QString text;
    LogView::Severity severity = LogView::Severity::Info;
    if (m_sessionOptions.fanOut && s.sourceError.isEmpty()) {
        // One to many: no receiver's acks speak for the others, so none are claimed.
        text = tr("Done: %1 in %2 sent to every receiver listening; each counts its own losses; %3 records/s.")
                   .arg(records(s.recordsSent), frames(s.framesSent), rate);
    } else if (s.framesUnacknowledged == 0 && s.sourceError.isEmpty()) {
        text = tr("Done: %1 in %2, all acknowledged; %3 records/s.").arg(records(s.recordsSent), frames(s.framesSent), rate);
    } else if (s.framesUnacknowledged == 0) {
        text = tr("Stopped: %1 in %2 sent and acknowledged before the error.").arg(records(s.recordsSent), frames(s.framesSent));
        severity = LogView::Severity::Error;
    } else {
        const QString missing = s.framesUnacknowledged == 1 ? tr("1 frame was") : tr("%1 frames were").arg(number(s.framesUnacknowledged));
        text = tr("Done: %1 in %2; %3 never acknowledged (lost or overwritten); %4 records/s.")
                   .arg(records(s.recordsSent), frames(s.framesSent), missing, rate);
        severity = waits ? LogView::Severity::Error : LogView::Severity::Warning;
    }
    m_progressTimer.stop();
    // The bar ends where the sentence does: short of 100% when acknowledgements are missing.
    showBar(waits ? s.recordsAcked : s.recordsSent, qMax(m_total, s.recordsSent));
    m_progress->setFormat(waits ? tr("%p% acknowledged") : tr("%p% sent"));
    m_status->setText(text);
    emit logged(severity, text);
    if (severity == LogView::Severity::Info)
        emit transferSucceeded();
    m_session->disconnect(this);
    m_session->deleteLater();
    m_session = nullptr;
}
