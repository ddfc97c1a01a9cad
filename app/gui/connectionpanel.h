// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QGroupBox>

class PluginManager;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

// Picks the transport (from the plugins actually loaded, with their capabilities and
// description) and the address, and offers Listen/Connect and Disconnect. The choice is
// locked while an endpoint is open.
class ConnectionPanel : public QGroupBox
{
    Q_OBJECT
public:
    ConnectionPanel(EndpointRole role, PluginManager &plugins, QWidget *parent = nullptr);

    QString transportId() const;
    QString transportName() const;
    // The typed address, or the transport's default when the field is empty.
    QString address() const;
    // Selects a transport by id and sets its address (empty: its default); false if not listed.
    bool selectTransport(const QString &id, const QString &address = {});
    void setState(TransportEndpoint::State state);

    QPushButton *openButton() const { return m_open; }
    QPushButton *closeButton() const { return m_close; }

signals:
    void openRequested();
    void closeRequested();
    void selectionChanged();

private:
    void refreshTransports();
    void showTransportInfo();
    void updateButtons();

    PluginManager &m_plugins;
    QComboBox *m_transport;
    QLineEdit *m_address;
    QLabel *m_info;
    QPushButton *m_open;
    QPushButton *m_close;
    TransportEndpoint::State m_state = TransportEndpoint::State::Closed;
};
