// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "appoptions.h"
#include "logview.h"
#include "messagebar.h"
#include "transportendpoint.h"
#include "transportmetadata.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

class ConnectionPanel;
class PluginManager;
class QAction;
class QDialog;
class QDockWidget;
class QLabel;
class QTabWidget;
class ReceiverPanel;
class RolePanel;
class SenderPanel;

// One window, one role: the receiver listens and shows what arrives, the sender connects and
// sends. Owns the endpoint of the chosen transport and hands it to the role's panel while it
// is open. The title names role, transport and address so two windows are never confused.
// Plugin files dropped on the window are installed and appear in the transport list.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // Listens (receiver) or connects (sender) as soon as the event loop runs.
    MainWindow(EndpointRole role, const AppOptions &options, PluginManager &plugins, QWidget *parent = nullptr);
    ~MainWindow() override;

    TransportEndpoint::State connectionState() const;
    ConnectionPanel *connectionPanel() const { return m_connection; }
    SenderPanel *senderPanel() const { return m_sender; }       // null in a receiver
    ReceiverPanel *receiverPanel() const { return m_receiver; } // null in a sender
    MessageBar *messageBar() const { return m_messages; }

    void openEndpoint();
    void closeEndpoint();
    // Installs plugin files (dropped, or chosen in the Plugins dialog) and says what became of each.
    void installPlugins(const QStringList &files);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    // Hands the connection panel's token and TLS choices to the next endpoint; false with a sentence.
    bool applySecurity(QString *error);
    QWidget *createTransferTab(const AppOptions &options);
    void createMenus();
    void applyStartOptions(const AppOptions &options);
    // Into the Events list; an error also into the message strip, until `subject` works again.
    void log(LogView::Severity severity, const QString &message, MessageBar::Subject subject);
    void onStateChanged(TransportEndpoint::State state);
    void releaseEndpoint(TransportEndpoint::State finalState);
    void sendStartRecords();
    void updateTitle();
    void updateStatus();
    void showPluginsDialog();
    bool confirmClose();

    PluginManager &m_plugins;
    const EndpointRole m_role;
    QPointer<TransportEndpoint> m_endpoint;
    TransportMetadata m_transport; // of the open endpoint
    QHash<quint64, QString> m_peerNames; // the connected peers, by endpoint peer id

    // --send-on-start: the sender keeps trying to connect until a receiver listens.
    bool m_sendOnStart = false;
    qint64 m_startGenerate = 0;
    QString m_startImport;
    QTimer m_retryTimer;
    bool m_retrying = false;

    ConnectionPanel *m_connection = nullptr;
    RolePanel *m_panel = nullptr;
    SenderPanel *m_sender = nullptr;
    ReceiverPanel *m_receiver = nullptr;
    MessageBar *m_messages = nullptr;
    LogView *m_log = nullptr;
    QDockWidget *m_eventsDock = nullptr;
    bool m_shown = false;
    QTabWidget *m_tabs = nullptr;
    QLabel *m_stateLabel = nullptr;
    QAction *m_openAction = nullptr;
    QAction *m_closeAction = nullptr;
    QPointer<QDialog> m_pluginsDialog;
};
