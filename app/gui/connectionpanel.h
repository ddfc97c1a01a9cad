// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connectionsecurity.h"
#include "transportendpoint.h"

#include <QGroupBox>

#include <optional>

class PluginManager;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class WaitStrategyRow;

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
    // The access token, TLS and pinned certificate typed in (shown for the stream transports);
    // empty with the reason in `error` when what was typed cannot be used.
    std::optional<ConnectionSecurity> security(QString *error) const;
    void setSecurity(const ConnectionSecurity &security);
    // Receiver: the fingerprint of the certificate it serves, for the user to give senders.
    void showFingerprint(const QString &fingerprint);

    QPushButton *openButton() const { return m_open; }
    QPushButton *closeButton() const { return m_close; }

signals:
    void openRequested();
    void closeRequested();
    void selectionChanged();

private:
    void buildSecurityRow();
    void refreshTransports();
    void showTransportInfo();
    void updateButtons();

    const EndpointRole m_role;
    PluginManager &m_plugins;
    QComboBox *m_transport;
    QLineEdit *m_address;
    QLabel *m_info;
    QWidget *m_securityRow;
    QLineEdit *m_token;
    WaitStrategyRow *m_waitRow; // filemapping only
    QCheckBox *m_tls = nullptr;         // receiver
    QLineEdit *m_fingerprint = nullptr; // receiver: shown; sender: the pin
    QPushButton *m_open;
    QPushButton *m_close;
    TransportEndpoint::State m_state = TransportEndpoint::State::Closed;
};
