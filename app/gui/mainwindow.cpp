// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "benchmarktab.h"
#include "connectionpanel.h"
#include "endpointfactory.h"
#include "itransport.h"
#include "messagebar.h"
#include "pluginmanager.h"
#include "pluginsdialog.h"
#include "receiverpanel.h"
#include "senderpanel.h"

#include <QCloseEvent>
#include <QCoreApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
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

    // Text dropped on a field would otherwise swallow a plugin file meant for the window.
    for (QLineEdit *edit : findChildren<QLineEdit *>())
        edit->setAcceptDrops(false);

    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(RetryIntervalMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &MainWindow::openEndpoint);
    connect(m_connection, &ConnectionPanel::openRequested, this, &MainWindow::openEndpoint);
    connect(m_connection, &ConnectionPanel::closeRequested, this, &MainWindow::closeEndpoint);
    connect(m_connection, &ConnectionPanel::selectionChanged, this, &MainWindow::updateTitle);
    connect(m_panel, &RolePanel::logged, this, &MainWindow::log);

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
            log(LogView::Severity::Warning, tr("--send-on-start has nothing to send: add --generate N or --import file.csv."));
            m_sendOnStart = false;
        }
        if (!m_sendOnStart && !options.importPath.isEmpty())
            log(LogView::Severity::Warning, tr("--import is sent only with --send-on-start; use Load CSV and send… in the window."));
    }

    if (!m_connection->selectTransport(options.transport, options.address)) {
        QString why;
        for (const PluginManager::Plugin &p : m_plugins.plugins())
            if (p.metadata.id == options.transport && !p.error.isEmpty())
                why = QLatin1Char(' ') + p.error;
        log(LogView::Severity::Error, tr("The transport \"%1\" is not available.%2 Pick another one above.").arg(options.transport, why));
        m_sendOnStart = false;
        return;
    }
    QTimer::singleShot(0, this, &MainWindow::openEndpoint);
}

TransportEndpoint::State MainWindow::connectionState() const
{
    return m_endpoint ? m_endpoint->state() : TransportEndpoint::State::Closed;
}

void MainWindow::log(LogView::Severity severity, const QString &message)
{
    m_log->append(severity, message);
    if (severity == LogView::Severity::Error)
        m_messages->showMessage(severity, message);
}

void MainWindow::openEndpoint()
{
    if (m_endpoint)
        return;
    m_retryTimer.stop();
    QString error;
    const PluginManager::Plugin *plugin = nullptr;
    TransportEndpoint *endpoint = createEndpoint(m_plugins, {m_connection->transportId(), m_role, m_connection->address()},
                                                 &plugin, &error);
    if (!endpoint) {
        log(LogView::Severity::Error, error);
        m_connection->setState(TransportEndpoint::State::Failed);
        updateStatus();
        return;
    }
    m_transport = plugin->metadata;
    endpoint->setParent(this);
    m_endpoint = endpoint;
    m_peers = 0;

    connect(endpoint, &TransportEndpoint::errorOccurred, this, [this](const QString &message) {
        // While waiting for a receiver, the same refusal would repeat every second.
        if (!m_retrying)
            log(LogView::Severity::Error, message);
    });
    connect(endpoint, &TransportEndpoint::stateChanged, this, &MainWindow::onStateChanged);
    connect(endpoint, &TransportEndpoint::peerConnected, this, [this](quint64 peer, const QString &description) {
        ++m_peers;
        if (m_role == EndpointRole::Receiver)
            log(LogView::Severity::Info, tr("Peer %1 connected: %2.").arg(peer).arg(description));
        updateStatus();
    });
    connect(endpoint, &TransportEndpoint::peerDisconnected, this, [this](quint64 peer, const QString &reason) {
        m_peers = qMax(0, m_peers - 1);
        log(LogView::Severity::Info, reason.isEmpty() ? tr("Peer %1 disconnected.").arg(peer)
                                                      : tr("Peer %1 disconnected: %2.").arg(peer).arg(reason));
        updateStatus();
    });
    m_panel->attach(endpoint, m_transport);
    m_connection->setState(TransportEndpoint::State::Opening);
    updateTitle();
    updateStatus();
    endpoint->open();
}

void MainWindow::closeEndpoint()
{
    const bool wasWaiting = m_retrying || m_retryTimer.isActive();
    m_retryTimer.stop();
    m_retrying = false;
    m_sendOnStart = false;
    if (m_endpoint) {
        releaseEndpoint(TransportEndpoint::State::Closed);
        log(LogView::Severity::Info, m_role == EndpointRole::Receiver ? tr("Stopped listening.") : tr("Disconnected."));
    } else if (wasWaiting) {
        m_connection->setState(TransportEndpoint::State::Closed);
        log(LogView::Severity::Info, tr("Stopped waiting for a receiver."));
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
    m_peers = 0;
    m_connection->setState(finalState);
}

void MainWindow::onStateChanged(TransportEndpoint::State state)
{
    using State = TransportEndpoint::State;
    const QString where = QStringLiteral("%1 %2").arg(m_transport.name, m_endpoint->address());
    switch (state) {
    case State::Listening:
        log(LogView::Severity::Info, tr("Listening on %1.").arg(where));
        break;
    case State::Connected:
        log(LogView::Severity::Info, tr("Connected to the receiver on %1.").arg(where));
        m_retrying = false;
        sendStartRecords();
        break;
    case State::Failed:
        releaseEndpoint(State::Failed);
        if (m_sendOnStart) {
            if (!m_retrying)
                log(LogView::Severity::Info, tr("Trying again every second until a receiver listens on %1; "
                                                "press Disconnect to stop.").arg(where));
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
    QString text;
    if (m_retrying) {
        text = tr("Waiting for a receiver at %1…").arg(address);
    } else {
        switch (connectionState()) {
        case State::Closed:
            text = receiver ? tr("Not listening") : tr("Not connected");
            break;
        case State::Opening:
            text = receiver ? tr("Starting to listen on %1…").arg(address) : tr("Connecting to %1…").arg(address);
            break;
        case State::Listening:
            text = m_peers == 1 ? tr("Listening on %1 · 1 sender connected").arg(address)
                                : tr("Listening on %1 · %2 senders connected").arg(address).arg(m_peers);
            break;
        case State::Connected:
            text = tr("Connected to %1").arg(address);
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
        m_messages->showMessage(worst, sentences.join(QLatin1Char('\n')));
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList files = localFiles(event->mimeData());
    if (files.isEmpty()) {
        m_messages->showMessage(LogView::Severity::Warning, tr("Only plugin files on this computer can be dropped here."));
        return;
    }
    event->acceptProposedAction();
    installPlugins(files);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
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
    // Once the window has its size: the tables get the room, the events a few lines.
    QTimer::singleShot(0, this, [this] { resizeDocks({m_eventsDock}, {120}, Qt::Vertical); });
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
