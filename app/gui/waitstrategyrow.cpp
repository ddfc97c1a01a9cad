// SPDX-License-Identifier: GPL-3.0-or-later
#include "waitstrategyrow.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>

namespace {
const QString WaitKey = QStringLiteral("wait");
} // namespace

WaitStrategyRow::WaitStrategyRow(QLineEdit *address, QWidget *parent)
    : QWidget(parent), m_address(address), m_wait(new QComboBox(this))
{
    setObjectName(QStringLiteral("waitStrategyRow"));
    m_wait->setObjectName(QStringLiteral("waitCombo"));
    // What each costs is said where it is chosen; Benchmark measures it (the filemapping?wait= rows).
    m_wait->addItem(tr("Block: sleep until woken (no CPU while waiting)"), QStringLiteral("block"));
    m_wait->addItem(tr("Spin 50 µs, then block"), QStringLiteral("spinblock"));
    m_wait->addItem(tr("Spin: lowest latency, a busy core on each side while connected"), QStringLiteral("spin"));
    m_wait->setItemData(0, tr("The default. A record wakes the reader through the kernel (on Linux a doorbell "
                              "FIFO its event loop watches, on Windows an event): a few microseconds per "
                              "record, nothing while idle."),
                        Qt::ToolTipRole);
    m_wait->setItemData(1, tr("Polls the ring for 50 µs before sleeping: records that follow each other closely "
                              "skip the wake-up; an idle reader still sleeps."),
                        Qt::ToolTipRole);
    m_wait->setItemData(2, tr("Polls the ring without sleeping while a peer is connected: the writer makes no "
                              "wake-up call, at the price of one core per waiting side. A receiver without "
                              "senders still sleeps."),
                        Qt::ToolTipRole);
    m_wait->setToolTip(tr("How each end waits for the next record. Both ends choose for themselves; the "
                          "Benchmark tab shows the latency each buys and its CPU cost."));
    auto *label = new QLabel(tr("&Wait:"), this);
    label->setBuddy(m_wait);
    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(label);
    row->addWidget(m_wait);
    row->addStretch(1);

    connect(m_wait, &QComboBox::currentIndexChanged, this, &WaitStrategyRow::writeChoiceToAddress);
    connect(m_address, &QLineEdit::textChanged, this, &WaitStrategyRow::showAddressChoice);
    showAddressChoice();
}

QString WaitStrategyRow::addressOption(const QString &address, const QString &key)
{
    const qsizetype query = address.indexOf(QLatin1Char('?'));
    if (query < 0)
        return {};
    const QString prefix = key + QLatin1Char('=');
    for (const QString &option : address.mid(query + 1).split(QLatin1Char('&')))
        if (option.startsWith(prefix))
            return option.mid(prefix.size());
    return {};
}

QString WaitStrategyRow::withAddressOption(const QString &address, const QString &key, const QString &value)
{
    const qsizetype query = address.indexOf(QLatin1Char('?'));
    const QString base = query < 0 ? address : address.left(query);
    QStringList options = query < 0 ? QStringList() : address.mid(query + 1).split(QLatin1Char('&'), Qt::SkipEmptyParts);
    options.removeIf([&](const QString &option) { return option.startsWith(key + QLatin1Char('=')); });
    if (!value.isEmpty())
        options << key + QLatin1Char('=') + value;
    return options.isEmpty() ? base : base + QLatin1Char('?') + options.join(QLatin1Char('&'));
}

void WaitStrategyRow::showAddressChoice()
{
    const QString value = addressOption(m_address->text(), WaitKey);
    const int index = m_wait->findData(value.isEmpty() ? QStringLiteral("block") : value);
    if (index < 0)
        return; // a typo: the transport says what is wrong when the address is used
    const QSignalBlocker blocker(m_wait);
    m_wait->setCurrentIndex(index);
}

void WaitStrategyRow::writeChoiceToAddress()
{
    const QString value = m_wait->currentData().toString();
    if (value == QLatin1String("block") && m_address->text().trimmed().isEmpty())
        return; // the default address, waiting the default way
    const QString text = m_address->text().trimmed().isEmpty() ? m_address->placeholderText() : m_address->text();
    // Blocking is the default: leave the address as short as it was.
    const QString updated = withAddressOption(text, WaitKey, value == QLatin1String("block") ? QString() : value);
    if (updated != m_address->text())
        m_address->setText(updated);
}
