// SPDX-License-Identifier: GPL-3.0-or-later
#include "connectionpanel.h"

#include "itransport.h"
#include "pluginmanager.h"
#include "waitstrategyrow.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QDir>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

ConnectionPanel::ConnectionPanel(EndpointRole role, PluginManager &plugins, QWidget *parent)
    : QGroupBox(tr("Connection"), parent),
      m_role(role),
      m_plugins(plugins),
      m_transport(new QComboBox(this)),
      m_address(new QLineEdit(this)),
      m_info(new QLabel(this)),
      m_securityRow(new QWidget(this)),
      m_token(new QLineEdit(m_securityRow)),
      m_waitRow(new WaitStrategyRow(m_address, this)),
      m_open(new QPushButton(role == EndpointRole::Receiver ? tr("&Listen") : tr("&Connect"), this)),
      m_close(new QPushButton(tr("&Disconnect"), this))
{
    setObjectName(QStringLiteral("connectionPanel"));
    m_transport->setObjectName(QStringLiteral("transportCombo"));
    m_transport->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_transport->setMinimumContentsLength(10);
    m_address->setObjectName(QStringLiteral("addressEdit"));
    m_address->setClearButtonEnabled(true);
    m_info->setObjectName(QStringLiteral("transportInfo"));
    m_info->setWordWrap(true);
    m_info->setTextFormat(Qt::RichText);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_info->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_open->setObjectName(QStringLiteral("openButton"));
    m_open->setToolTip(role == EndpointRole::Receiver ? tr("Start listening for senders on this address")
                                                      : tr("Connect to the receiver at this address"));
    m_close->setObjectName(QStringLiteral("closeButton"));
    m_close->setToolTip(role == EndpointRole::Receiver ? tr("Stop listening; received records stay in the table")
                                                       : tr("Close the connection to the receiver"));

    auto *transportLabel = new QLabel(tr("Trans&port:"), this);
    transportLabel->setBuddy(m_transport);
    auto *addressLabel = new QLabel(tr("&Address:"), this);
    addressLabel->setBuddy(m_address);

    auto *layout = new QGridLayout(this);
    layout->addWidget(transportLabel, 0, 0);
    layout->addWidget(m_transport, 0, 1);
    layout->addWidget(addressLabel, 0, 2);
    layout->addWidget(m_address, 0, 3);
    layout->addWidget(m_open, 0, 4);
    layout->addWidget(m_close, 0, 5);
    // One or neither of these two shows, as the transport asks.
    layout->addWidget(m_securityRow, 1, 0, 1, 6);
    layout->addWidget(m_waitRow, 1, 0, 1, 6);
    layout->addWidget(m_info, 2, 0, 1, 6);
    layout->setColumnStretch(3, 1);
    buildSecurityRow();

    connect(m_transport, &QComboBox::currentIndexChanged, this, [this] {
        // A new mechanism means a new kind of address: start from its default.
        if (const PluginManager::Plugin *p = m_plugins.findById(transportId()))
            m_address->setText(p->metadata.defaultAddress);
        showTransportInfo();
        updateButtons();
        emit selectionChanged();
    });
    connect(m_address, &QLineEdit::textChanged, this, &ConnectionPanel::selectionChanged);
    connect(m_address, &QLineEdit::returnPressed, m_open, &QPushButton::click);
    connect(m_open, &QPushButton::clicked, this, &ConnectionPanel::openRequested);
    connect(m_close, &QPushButton::clicked, this, &ConnectionPanel::closeRequested);
    connect(&m_plugins, &PluginManager::pluginsChanged, this, &ConnectionPanel::refreshTransports);
    refreshTransports();
}

// One compact row under the address, for the stream transports: the access token, and for TCP
// either TLS and the certificate's fingerprint (receiver) or the fingerprint to pin (sender).
void ConnectionPanel::buildSecurityRow()
{
    auto *row = new QHBoxLayout(m_securityRow);
    row->setContentsMargins(0, 0, 0, 0);
    auto *tokenLabel = new QLabel(tr("Token:"), m_securityRow);
    tokenLabel->setBuddy(m_token);
    m_token->setObjectName(QStringLiteral("tokenEdit"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("access token"));
    m_token->setToolTip(m_role == EndpointRole::Receiver
                            ? tr("Senders must prove they know this token (required beyond loopback). Only a proof "
                                 "travels, never the token. Also IPCW_TOKEN or --token-file.")
                            : tr("The receiver's access token, if it asks for one. Only a proof travels, never the "
                                 "token. Also IPCW_TOKEN or --token-file."));
    row->addWidget(tokenLabel);
    row->addWidget(m_token, 1);
    m_fingerprint = new QLineEdit(m_securityRow);
    m_fingerprint->setObjectName(QStringLiteral("fingerprintEdit"));
    if (m_role == EndpointRole::Receiver) {
        m_tls = new QCheckBox(tr("TLS"), m_securityRow);
        m_tls->setObjectName(QStringLiteral("tlsCheck"));
        m_tls->setToolTip(tr("Encrypt with this user's self-signed certificate; senders pin its fingerprint."));
        m_fingerprint->setReadOnly(true);
        m_fingerprint->setPlaceholderText(tr("certificate SHA-256, once listening with TLS"));
        m_fingerprint->setToolTip(tr("Give this fingerprint to senders: they refuse any other certificate."));
        row->addWidget(m_tls);
    } else {
        m_fingerprint->setPlaceholderText(tr("receiver's SHA-256: TLS"));
        m_fingerprint->setToolTip(tr("The receiver's certificate fingerprint, as its window shows it. When given, the "
                                     "connection uses TLS and any other certificate is refused."));
        auto *pinLabel = new QLabel(tr("Pin:"), m_securityRow);
        pinLabel->setBuddy(m_fingerprint);
        row->addWidget(pinLabel);
    }
    row->addWidget(m_fingerprint, 2);
}

std::optional<ConnectionSecurity> ConnectionPanel::security(QString *error) const
{
    ConnectionSecurity security = ConnectionSecurity::current();
    security.token = m_token->text().toUtf8();
    if (!security.token.isEmpty())
        if (const QString problem = ConnectionSecurity::tokenProblem(security.token); !problem.isEmpty()) {
            *error = problem;
            return std::nullopt;
        }
    const bool tcp = transportId() == QLatin1String("tcp");
    if (m_role == EndpointRole::Receiver) {
        security.tls = tcp && m_tls->isChecked();
        security.pinnedSha256.clear();
    } else {
        security.tls = false;
        const QString pin = m_fingerprint->text().trimmed();
        security.pinnedSha256 = tcp && !pin.isEmpty() ? ConnectionSecurity::parseFingerprint(pin) : QByteArray();
        if (tcp && !pin.isEmpty() && security.pinnedSha256.isEmpty()) {
            *error = tr("The pinned fingerprint is not a SHA-256: copy the 64 hexadecimal digits the receiver shows, "
                        "with or without colons.");
            return std::nullopt;
        }
    }
    return security;
}

void ConnectionPanel::setSecurity(const ConnectionSecurity &security)
{
    m_token->setText(QString::fromUtf8(security.token));
    if (m_tls)
        m_tls->setChecked(security.tls);
    else if (!security.pinnedSha256.isEmpty()) {
        m_fingerprint->setText(ConnectionSecurity::fingerprintText(security.pinnedSha256));
        m_fingerprint->setCursorPosition(0); // its start is what a user compares
    }
}

void ConnectionPanel::showFingerprint(const QString &fingerprint)
{
    if (m_role == EndpointRole::Receiver) {
        m_fingerprint->setText(fingerprint);
        m_fingerprint->setCursorPosition(0);
    }
}

QString ConnectionPanel::transportId() const
{
    return m_transport->currentData().toString();
}

QString ConnectionPanel::transportName() const
{
    const PluginManager::Plugin *p = m_plugins.findById(transportId());
    return p ? p->metadata.name : QString();
}

QString ConnectionPanel::address() const
{
    const QString typed = m_address->text().trimmed();
    if (!typed.isEmpty())
        return typed;
    const PluginManager::Plugin *p = m_plugins.findById(transportId());
    return p ? p->metadata.defaultAddress : QString();
}

bool ConnectionPanel::selectTransport(const QString &id, const QString &address)
{
    const int index = m_transport->findData(id);
    if (index < 0)
        return false;
    m_transport->setCurrentIndex(index);
    if (!address.isEmpty())
        m_address->setText(address);
    return true;
}

void ConnectionPanel::setState(TransportEndpoint::State state)
{
    m_state = state;
    showTransportInfo();
    updateButtons();
}

void ConnectionPanel::refreshTransports()
{
    const QString current = transportId();
    {
        const QSignalBlocker blocker(m_transport);
        m_transport->clear();
        for (const PluginManager::Plugin *p : m_plugins.usableTransports()) {
            const QString reason = p->transport->unavailableReason();
            const QString label = reason.isEmpty() ? p->metadata.name : tr("%1 (unavailable)").arg(p->metadata.name);
            m_transport->addItem(label, p->metadata.id);
            m_transport->setItemData(m_transport->count() - 1, p->metadata.capabilities.summary(), Qt::ToolTipRole);
        }
        const int index = m_transport->findData(current);
        m_transport->setCurrentIndex(index >= 0 ? index : (m_transport->count() > 0 ? 0 : -1));
    }
    if (transportId() != current) {
        if (const PluginManager::Plugin *p = m_plugins.findById(transportId()))
            m_address->setText(p->metadata.defaultAddress);
        emit selectionChanged();
    }
    showTransportInfo();
    updateButtons();
}

void ConnectionPanel::showTransportInfo()
{
    const PluginManager::Plugin *p = m_plugins.findById(transportId());
    if (!p) {
        QStringList folders;
        for (const QString &folder : m_plugins.searchPaths())
            folders << QDir::toNativeSeparators(folder).toHtmlEscaped();
        m_info->setText(tr("<b>No transport plugins were found.</b> Searched: %1. Drop a plugin file on this window, "
                           "or open Transport ▸ Plugins to see why a file was refused.")
                            .arg(folders.join(QStringLiteral(", "))));
        return;
    }
    const TransportMetadata &m = p->metadata;
    QString text = QStringLiteral("<b>%1</b> %2 &nbsp;·&nbsp; %3")
                       .arg(m.name.toHtmlEscaped(), m.version.toHtmlEscaped(), m.capabilities.summary().toHtmlEscaped());
    // The description explains the choice; once an endpoint is open the choice is made, and
    // on a small screen its lines are worth more to the table below (the tooltip keeps it).
    const bool open = m_state != TransportEndpoint::State::Closed && m_state != TransportEndpoint::State::Failed;
    if (!open)
        text += QStringLiteral("<br>") + m.description.toHtmlEscaped();
    m_info->setToolTip(open ? m.description : QString());
    if (const QString reason = p->transport->unavailableReason(); !reason.isEmpty())
        text += QStringLiteral("<br><span style=\"color:#b00020\">%1</span>").arg(reason.toHtmlEscaped());
    m_info->setText(text);
    // Tokens are checked by the stream transports' handshake; TLS is TCP's alone.
    const bool tcp = m.id == QLatin1String("tcp");
    m_securityRow->setVisible(tcp || m.id == QLatin1String("localsocket"));
    m_waitRow->setVisible(m.id == QLatin1String("filemapping"));
    m_fingerprint->setVisible(tcp);
    if (m_tls)
        m_tls->setVisible(tcp);
    m_address->setPlaceholderText(m.defaultAddress);
    // In the field's tooltip rather than the text above: the window must stay short enough
    // for a small screen.
    m_address->setToolTip(m.addressHelp.isEmpty() ? QString() : tr("Address: %1").arg(m.addressHelp));
}

void ConnectionPanel::updateButtons()
{
    using State = TransportEndpoint::State;
    const bool idle = m_state == State::Closed || m_state == State::Failed;
    const PluginManager::Plugin *p = m_plugins.findById(transportId());
    const bool usable = p && p->transport->unavailableReason().isEmpty();
    m_transport->setEnabled(idle && m_transport->count() > 0);
    m_address->setEnabled(idle);
    m_token->setEnabled(idle);
    m_waitRow->setEnabled(idle);
    if (m_tls)
        m_tls->setEnabled(idle);
    else
        m_fingerprint->setEnabled(idle);
    m_open->setEnabled(idle && usable);
    m_close->setEnabled(!idle);
}
