// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "tlsidentity.h"

#include "benchmarktab.h"
#include "connectionpanel.h"
#include "endpointfactory.h"
#include "itransport.h"
#include "menushortcutguard.h"
#include "messagebar.h"
#include "pluginmanager.h"
#include "pluginsdialog.h"
#include "receiverpanel.h"
#include "senderpanel.h"
#include "sentences.h"
#include "tlsidentity.h"

#include <QCloseEvent>
#include <QCoreApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QLibrary>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace {

// How often a --send-on-start sender tries again while no receiver listens yet.
constexpr int RetryIntervalMs = 1000;

QString pluginSuffix()
{
#if defined(Q_OS_WIN)
    return QStringLiteral(".dll");
#else
    return QStringLiteral(".so");
#endif
}

QStringList localFiles(const QMimeData *mime)
{
    QStringList files;
    if (!mime || !mime->hasUrls())
        return files;
    for (const QUrl &url : mime->urls()) {
        if (!url.isLocalFile())
            return {};
        files << url.toLocalFile();
    }
    return files;
}

} // namespace

MainWindow::MainWindow(EndpointRole role, const AppOptions &options, PluginManager &plugins, QWidget *parent)
    : QMainWindow(parent), m_plugins(plugins), m_role(role)
{
    setObjectName(role == EndpointRole::Receiver ? QStringLiteral("receiverWindow") : QStringLiteral("senderWindow"));
    setAcceptDrops(true);

    m_messages = new MessageBar(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setDocumentMode(true);
    // Each page of the window is one line here.
    m_tabs->addTab(createTransferTab(options), tr("Transfer"));
    m_tabs->addTab(new BenchmarkTab(m_plugins, this), tr("Benchmark"));

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->addWidget(m_messages);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    m_log = new LogView(this);
    m_eventsDock = new QDockWidget(tr("Events"), this);
    m_eventsDock->setObjectName(QStringLiteral("eventsDock"));
    // Not closable: errors must stay where the user can see them.
    m_eventsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    m_eventsDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, m_eventsDock);

    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(QStringLiteral("stateLabel"));
    statusBar()->addWidget(m_stateLabel, 1);

    createMenus();
    MenuShortcutGuard::install(this, menuBar());

    // Text dropped on a field would otherwise swallow a plugin file meant for the window.
    for (QLineEdit *edit : findChildren<QLineEdit *>())
        edit->setAcceptDrops(false);

    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(RetryIntervalMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &MainWindow::openEndpoint);
    connect(m_connection, &ConnectionPanel::openRequested, this, &MainWindow::openEndpoint);
    connect(m_connection, &ConnectionPanel::closeRequested, this, &MainWindow::closeEndpoint);
    connect(m_connection, &ConnectionPanel::selectionChanged, this, &MainWindow::updateTitle);
    connect(m_panel, &RolePanel::logged, this, [this](LogView::Severity severity, const QString &message) {
        log(severity, message, MessageBar::Subject::Transfer);
    });
    // A transfer that went through proves the connection and the transfer settings good.
    connect(m_panel, &RolePanel::transferSucceeded, this, [this] {
        m_messages->resolve(MessageBar::Subject::Transfer);
        m_messages->resolve(MessageBar::Subject::Connection);
    });

    resize(960, 720);
    applyStartOptions(options);
    updateTitle();
    updateStatus();
}

MainWindow::~MainWindow()
{
    if (m_endpoint)
        releaseEndpoint(TransportEndpoint::State::Closed);
}

QWidget *MainWindow::createTransferTab(const AppOptions &options)
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("transferTab"));
    m_connection = new ConnectionPanel(m_role, m_plugins, page);
    if (m_role == EndpointRole::Receiver)
        m_panel = m_receiver = new ReceiverPanel(page);
    else
        m_panel = m_sender = new SenderPanel(options.seed, options.firstId, options.batch, page);
    // Qt sizes a window's height for its narrowest width, where every sentence wraps most. This
    // width still fits half of a 1366-pixel screen and keeps the window short enough for 768.
    page->setMinimumWidth(620);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_connection);
    layout->addWidget(m_panel, 1);
    return page;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    if (m_sender)
        file->addAction(m_sender->loadCsvAction());
    if (m_receiver)
        file->addAction(m_receiver->exportAction());
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *transport = menuBar()->addMenu(tr("&Transport"));
    m_openAction = transport->addAction(m_connection->openButton()->text(), this, &MainWindow::openEndpoint);
    m_openAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    m_closeAction = transport->addAction(tr("&Disconnect"), this, &MainWindow::closeEndpoint);
    m_closeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    transport->addSeparator();
    QAction *plugins = transport->addAction(tr("&Plugins…"), this, &MainWindow::showPluginsDialog);
    plugins->setObjectName(QStringLiteral("pluginsAction"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About IPC Workshop"), this, [this] {
        QMessageBox::about(this, tr("About IPC Workshop"),
                           tr("<h3>IPC Workshop %1</h3><p>Moves employee records between two processes over "
                              "every common IPC mechanism, and shows, measures and explains how each behaves.</p>"
                              "<p>Licensed under the GNU General Public License, version 3 or later.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::applyStartOptions(const AppOptions &options)
{
    if (m_sender) {
        m_sendOnStart = options.sendOnStart;
        m_startGenerate = options.generate;
        m_startImport = options.importPath;
        if (options.generate > 0)
            m_sender->setGenerateCount(int(qMin<qint64>(options.generate, 1'000'000)));
        if (m_sendOnStart && options.generate == 0 && options.importPath.isEmpty()) {
            log(LogView::Severity::Warning, tr("--send-on-start has nothing to send: add --generate N or --import file.csv."),
                MessageBar::Subject::Transfer);
            m_sendOnStart = false;
        }
        if (!m_sendOnStart && !options.importPath.isEmpty())
            log(LogView::Severity::Warning, tr("--import is sent only with --send-on-start; use Load CSV and send… in the window."),
                MessageBar::Subject::Transfer);
    }

    m_connection->setSecurity(options.security);
    if (!m_connection->selectTransport(options.transport, options.address)) {
        QString why;
        for (const PluginManager::Plugin &p : m_plugins.plugins())
            if (p.metadata.id == options.transport && !p.error.isEmpty())
                why = QLatin1Char(' ') + p.error;
        log(LogView::Severity::Error, tr("The transport \"%1\" is not available.%2 Pick another one above.").arg(options.transport, why),
            MessageBar::Subject::Connection);
        m_sendOnStart = false;
        return;
    }
    QTimer::singleShot(0, this, &MainWindow::openEndpoint);
}

TransportEndpoint::State MainWindow::connectionState() const
{
    return m_endpoint ? m_endpoint->state() : TransportEndpoint::State::Closed;
}

void MainWindow::log(LogView::Severity severity, const QString &message, MessageBar::Subject subject)
{
    m_log->append(severity, message);
    if (severity == LogView::Severity::Error)
        m_messages->showMessage(severity, message, subject);
}

void MainWindow::openEndpoint()
{
    if (m_endpoint)
        return;
    m_retryTimer.stop();
    QString error;
    const ConnectionSecurity programDefault = ConnectionSecurity::current();
    if (!applySecurity(&error)) {
        log(LogView::Severity::Error, error, MessageBar::Subject::Connection);
        m_connection->setState(TransportEndpoint::State::Failed);
        updateStatus();
        return;
    }
    const PluginManager::Plugin *plugin = nullptr;
    TransportEndpoint *endpoint = createEndpoint(m_plugins, {m_connection->transportId(), m_role, m_connection->address()},
                                                 &plugin, &error);
    // The endpoint has read this window's choices; the benchmark's endpoints get the program's own.
    ConnectionSecurity::setCurrent(programDefault);
    if (!endpoint) {
        log(LogView::Severity::Error, error, MessageBar::Subject::Connection);
        m_connection->setState(TransportEndpoint::State::Failed);
        updateStatus();
        return;
    }
    m_transport = plugin->metadata;
    endpoint->setParent(this);
    m_endpoint = endpoint;
    m_peerNames.clear();
    // First, so the receiver's session has named a peer before this window speaks of it.
    m_panel->attach(endpoint, m_transport);

    connect(endpoint, &TransportEndpoint::errorOccurred, this, [this](const QString &message) {
        // While waiting for a receiver, the same refusal would repeat every second.
        if (!m_retrying)
            log(LogView::Severity::Error, message, MessageBar::Subject::Connection);
    });
    connect(endpoint, &TransportEndpoint::stateChanged, this, &MainWindow::onStateChanged);
    connect(endpoint, &TransportEndpoint::peerConnected, this, [this](quint64 peer) {
        // Kept from here: the session forgets a peer's name once it has gone, maybe before we hear of it.
        const QString name = m_receiver ? m_receiver->peerName(peer) : tr("the receiver");
        m_peerNames.insert(peer, name);
        if (m_receiver)
            log(LogView::Severity::Info, tr("%1 connected.").arg(Sentences::capitalized(name)),
                MessageBar::Subject::Connection);
        updateStatus();
    });
    connect(endpoint, &TransportEndpoint::peerDisconnected, this, [this](quint64 peer, const QString &reason) {
        const QString known = m_peerNames.take(peer);
        const QString who = Sentences::capitalized(!known.isEmpty() ? known
                                                   : m_receiver ? m_receiver->peerName(peer)
                                                                : tr("the receiver"));
        log(LogView::Severity::Info, reason.isEmpty() ? tr("%1 disconnected.").arg(who)
                                                      : tr("%1 disconnected: %2.").arg(who, Sentences::clause(reason)),
            MessageBar::Subject::Connection);
        updateStatus();
    });
    m_connection->setState(TransportEndpoint::State::Opening);
    updateTitle();
    updateStatus();
    endpoint->open();
}

// What the connection panel says about tokens and TLS becomes the setting the next endpoint
// reads when it is created; a TLS receiver's certificate is made (first time) and shown now.
bool MainWindow::applySecurity(QString *error)
{
    const std::optional<ConnectionSecurity> security = m_connection->security(error);
    if (!security)
        return false;
    ConnectionSecurity::setCurrent(*security);
    if (m_role == EndpointRole::Receiver && security->tls) {
        const TlsIdentity identity = TlsIdentity::loadOrCreate(error);
        if (!identity.isValid())
            return false;
        const QString fingerprint = ConnectionSecurity::fingerprintText(identity.sha256());
        m_connection->showFingerprint(fingerprint);
        log(LogView::Severity::Info, tr("TLS certificate SHA-256 %1 (%2): senders pin this fingerprint.")
                                         .arg(fingerprint, QDir::toNativeSeparators(identity.certificatePath)),
            MessageBar::Subject::Connection);
    }
    return true;
}

void MainWindow::closeEndpoint()
{
    const bool wasWaiting = m_retrying || m_retryTimer.isActive();
    m_retryTimer.stop();
    m_retrying = false;
    m_sendOnStart = false;
    if (m_endpoint) {
        releaseEndpoint(TransportEndpoint::State::Closed);
        log(LogView::Severity::Info, m_role == EndpointRole::Receiver ? tr("Stopped listening.") : tr("Disconnected."),
            MessageBar::Subject::Connection);
    } else if (wasWaiting) {
        m_connection->setState(TransportEndpoint::State::Closed);
        log(LogView::Severity::Info, tr("Stopped waiting for a receiver."), MessageBar::Subject::Connection);
    }
    updateStatus();
}

void MainWindow::releaseEndpoint(TransportEndpoint::State finalState)
{
    TransportEndpoint *endpoint = m_endpoint;
    m_endpoint = nullptr;
    m_panel->detach();
    endpoint->disconnect(this);
    if (endpoint->state() != TransportEndpoint::State::Closed && endpoint->state() != TransportEndpoint::State::Failed)
        endpoint->close();
    // Deferred: this may run inside one of the endpoint's own signals.
    endpoint->deleteLater();
    m_peerNames.clear();
    m_connection->setState(finalState);
}

void MainWindow::onStateChanged(TransportEndpoint::State state)
{
    using State = TransportEndpoint::State;
    const QString where = QStringLiteral("%1 (%2)").arg(m_transport.name, m_endpoint->address());
    switch (state) {
    case State::Listening:
        log(LogView::Severity::Info, tr("Listening over %1.").arg(where), MessageBar::Subject::Connection);
        m_messages->resolve(MessageBar::Subject::Connection);
        break;
    case State::Connected:
        // One to many: nobody had to answer, so no receiver is claimed.
        log(LogView::Severity::Info,
            m_transport.capabilities.fanOut ? tr("Ready to send over %1: one to many, no receiver has to answer first.").arg(where)
                                            : tr("Connected to the receiver over %1.").arg(where),
            MessageBar::Subject::Connection);
        m_messages->resolve(MessageBar::Subject::Connection);
        m_retrying = false;
        sendStartRecords();
        break;
    case State::Failed:
        releaseEndpoint(State::Failed);
        if (m_sendOnStart) {
            if (!m_retrying)
                log(LogView::Severity::Info, tr("Trying again every second until a receiver listens over %1; "
                                                "press Disconnect to stop.").arg(where),
                    MessageBar::Subject::Connection);
            m_retrying = true;
            // Keeps Disconnect enabled so the user can stop waiting.
            m_connection->setState(State::Opening);
            m_retryTimer.start();
        }
        break;
    case State::Closed:
        releaseEndpoint(State::Closed);
        break;
    case State::Opening:
        break;
    }
    if (m_endpoint)
        m_connection->setState(state);
    updateStatus();
}

void MainWindow::sendStartRecords()
{
    if (!m_sendOnStart || !m_sender)
        return;
    m_sendOnStart = false;
    if (!m_startImport.isEmpty())
        m_sender->sendCsvFile(m_startImport);
    else
        m_sender->sendGenerated(int(m_startGenerate));
}

void MainWindow::updateTitle()
{
    const QString roleText = m_role == EndpointRole::Receiver ? tr("Receiver") : tr("Sender");
    const QString transport = m_endpoint ? m_transport.name : m_connection->transportName();
    const QString address = m_endpoint ? m_endpoint->address() : m_connection->address();
    setWindowTitle(transport.isEmpty() ? tr("%1 — IPC Workshop").arg(roleText)
                                       : tr("%1 — %2 %3 — IPC Workshop").arg(roleText, transport, address));
}

void MainWindow::updateStatus()
{
    using State = TransportEndpoint::State;
    const bool receiver = m_role == EndpointRole::Receiver;
    const QString address = m_endpoint ? m_endpoint->address() : m_connection->address();
    const QString transport = m_endpoint ? m_transport.name : m_connection->transportName();
    // "over Clipboard (paced)" reads right where "to paced" would not: an address may be a mode.
    const QString where = QStringLiteral("%1 (%2)").arg(transport, address);
    QString text;
    if (m_retrying) {
        text = tr("Waiting for a receiver at %1…").arg(address);
    } else {
        switch (connectionState()) {
        case State::Closed:
            text = receiver ? tr("Not listening") : tr("Not connected");
            break;
        case State::Opening:
            text = receiver ? tr("Starting to listen over %1…").arg(where) : tr("Connecting over %1…").arg(where);
            break;
        case State::Listening:
            text = m_peerNames.size() == 1 ? tr("Listening over %1 · 1 sender connected").arg(where)
                                           : tr("Listening over %1 · %2 senders connected").arg(where).arg(m_peerNames.size());
            break;
        case State::Connected:
            // A fan-out sender is connected to no one in particular: it publishes.
            text = m_transport.capabilities.fanOut ? tr("Sending over %1: one to many").arg(where) : tr("Connected over %1").arg(where);
            break;
        case State::Failed:
            text = tr("Failed: see Events below");
            break;
        }
        if (!m_endpoint && m_connection->openButton()->isEnabled() && connectionState() == State::Closed)
            text = receiver ? tr("Not listening: press Listen") : tr("Not connected: press Connect");
    }
    m_stateLabel->setText(text);
    m_openAction->setEnabled(m_connection->openButton()->isEnabled());
    m_closeAction->setEnabled(m_connection->closeButton()->isEnabled());
    updateTitle();
}

void MainWindow::installPlugins(const QStringList &files)
{
    QStringList sentences;
    LogView::Severity worst = LogView::Severity::Info;
    for (const QString &file : files) {
        const QString name = QFileInfo(file).fileName();
        const qsizetype known = m_plugins.plugins().size();
        const PluginManager::Plugin &p = m_plugins.install(file);
        const bool isNew = m_plugins.plugins().size() != known;
        QString sentence;
        LogView::Severity severity = LogView::Severity::Info;
        if (!p.usable()) {
            sentence = tr("%1 was not installed: %2 Nothing was changed.").arg(name, p.error);
            severity = LogView::Severity::Error;
        } else if (!isNew) {
            sentence = tr("%1 is already loaded: the transport \"%2\" is in the list.").arg(name, p.metadata.name);
        } else if (!p.error.isEmpty()) {
            sentence = tr("Added the transport \"%1\" (%2) from %3, but: %4").arg(p.metadata.name, p.metadata.id, name, p.error);
            severity = LogView::Severity::Warning;
        } else {
            sentence = tr("Added the transport \"%1\" (%2) from %3; it is now in the transport list and will be loaded at every start.")
                           .arg(p.metadata.name, p.metadata.id, name);
        }
        m_log->append(severity, sentence);
        sentences << sentence;
        worst = qMax(worst, severity);
    }
    if (!sentences.isEmpty())
        m_messages->showMessage(worst, sentences.join(QLatin1Char('\n')), MessageBar::Subject::Plugins);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty()) {
        // The file is copied (a plugin) or read (a CSV file), never moved.
        event->setDropAction(Qt::CopyAction);
        event->accept();
    }
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty()) {
        event->setDropAction(Qt::CopyAction);
        event->accept();
    }
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList files = localFiles(event->mimeData());
    if (files.isEmpty()) {
        m_messages->showMessage(LogView::Severity::Warning,
                                tr("Only files on this computer can be dropped here: transport plugins, or a CSV file on a sender."),
                                MessageBar::Subject::Plugins);
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
    QStringList plugins;
    QStringList refusals;
    for (const QString &file : files) {
        const QString name = QFileInfo(file).fileName();
        if (name.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) {
            if (!m_sender)
                refusals << tr("%1 was not loaded: a CSV file is sent from a sender window; this one receives.").arg(name);
            else if (files.size() > 1)
                refusals << tr("%1 was not loaded: drop one CSV file at a time.").arg(name);
            else
                m_sender->sendCsvFile(file);
        } else if (QLibrary::isLibrary(file)) {
            plugins << file;
        } else {
            refusals << tr("%1 was not opened: only transport plugins (%2 files) and CSV files can be dropped here. "
                           "Nothing was changed.").arg(name, pluginSuffix());
        }
    }
    for (const QString &refusal : std::as_const(refusals))
        m_log->append(LogView::Severity::Warning, refusal);
    if (!refusals.isEmpty())
        m_messages->showMessage(LogView::Severity::Warning, refusals.join(QLatin1Char('\n')), MessageBar::Subject::Plugins);
    if (!plugins.isEmpty())
        installPlugins(plugins);
}

// Closing the window loses received rows no file holds, and stops a transfer under way: the
// user says so first.
bool MainWindow::confirmClose()
{
    QString loss;
    if (m_receiver && m_receiver->unexportedRows() > 0)
        loss = tr("%1 received records have not been exported to a CSV file; they are lost when this window closes.")
                   .arg(QLocale().toString(m_receiver->unexportedRows()));
    else if (m_sender && m_sender->isSending())
        loss = tr("A transfer is still running; closing the window stops it.");
    if (loss.isEmpty())
        return true;
    QMessageBox box(QMessageBox::Question, tr("Close IPC Workshop?"), loss, QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("confirmCloseBox"));
    QPushButton *exportButton = m_receiver ? box.addButton(tr("&Export first…"), QMessageBox::AcceptRole) : nullptr;
    QPushButton *closeButton = box.addButton(tr("&Close anyway"), QMessageBox::DestructiveRole);
    QPushButton *cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(exportButton ? exportButton : cancel);
    box.setEscapeButton(cancel);
    if (exportButton)
        exportButton->setObjectName(QStringLiteral("exportFirstButton"));
    closeButton->setObjectName(QStringLiteral("closeAnywayButton"));
    box.exec();
    if (box.clickedButton() == exportButton)
        m_receiver->chooseExportFile(); // the window stays; once the rows are safe, closing asks nothing
    return box.clickedButton() == closeButton;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!confirmClose()) {
        event->ignore();
        return;
    }
    m_retryTimer.stop();
    m_sendOnStart = false;
    if (m_endpoint)
        releaseEndpoint(TransportEndpoint::State::Closed);
    event->accept();
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_shown)
        return;
    m_shown = true;
    // Once the window has its size: the tables get the room, the events about five lines
    // (on half of a 1366x768 screen every line here is one less row of records).
    QTimer::singleShot(0, this, [this] { resizeDocks({m_eventsDock}, {100}, Qt::Vertical); });
}

void MainWindow::showPluginsDialog()
{
    if (!m_pluginsDialog) {
        auto *dialog = new PluginsDialog(m_plugins, this);
        connect(dialog, &PluginsDialog::installRequested, this, &MainWindow::installPlugins);
        m_pluginsDialog = dialog;
    }
    m_pluginsDialog->show();
    m_pluginsDialog->raise();
    m_pluginsDialog->activateWindow();
}
