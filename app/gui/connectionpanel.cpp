// SPDX-License-Identifier: GPL-3.0-or-later
#include "connectionpanel.h"

#include "itransport.h"
#include "pluginmanager.h"

#include <QComboBox>
#include <QDir>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

ConnectionPanel::ConnectionPanel(EndpointRole role, PluginManager &plugins, QWidget *parent)
    : QGroupBox(tr("Connection"), parent),
      m_plugins(plugins),
      m_transport(new QComboBox(this)),
      m_address(new QLineEdit(this)),
      m_info(new QLabel(this)),
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
    layout->addWidget(m_info, 1, 0, 1, 6);
    layout->setColumnStretch(3, 1);

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
    QString text = QStringLiteral("<b>%1</b> %2 &nbsp;·&nbsp; %3<br>%4")
                       .arg(m.name.toHtmlEscaped(), m.version.toHtmlEscaped(),
                            m.capabilities.summary().toHtmlEscaped(), m.description.toHtmlEscaped());
    if (const QString reason = p->transport->unavailableReason(); !reason.isEmpty())
        text += QStringLiteral("<br><span style=\"color:#b00020\">%1</span>").arg(reason.toHtmlEscaped());
    m_info->setText(text);
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
    m_open->setEnabled(idle && usable);
    m_close->setEnabled(!idle);
}
