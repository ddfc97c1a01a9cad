// SPDX-License-Identifier: GPL-3.0-or-later
#include "rolechooser.h"

#include <QDialogButtonBox>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace {
QPushButton *roleButton(const QString &title, const QString &detail, QWidget *parent)
{
    auto *button = new QPushButton(title, parent);
    button->setToolTip(detail);
    button->setAccessibleDescription(detail);
    button->setMinimumHeight(button->sizeHint().height() * 2);
    button->setMinimumWidth(180);
    return button;
}
} // namespace

RoleChooser::RoleChooser(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("roleChooser"));
    setWindowTitle(tr("IPC Workshop — choose a role"));

    auto *intro = new QLabel(tr("Start IPC Workshop twice: one window receives, the other sends.\n"
                                "What is this window?"), this);
    QPushButton *receiver = roleButton(tr("&Receiver"), tr("Listens and shows every record that arrives"), this);
    receiver->setObjectName(QStringLiteral("receiverRoleButton"));
    QPushButton *sender = roleButton(tr("&Sender"), tr("Connects to a receiver and sends employees"), this);
    sender->setObjectName(QStringLiteral("senderRoleButton"));
    receiver->setDefault(true);

    auto *receiverNote = new QLabel(receiver->toolTip(), this);
    auto *senderNote = new QLabel(sender->toolTip(), this);
    for (QLabel *note : {receiverNote, senderNote}) {
        note->setWordWrap(true);
        note->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
        note->setForegroundRole(QPalette::PlaceholderText);
    }

    auto *choices = new QGridLayout;
    choices->addWidget(receiver, 0, 0);
    choices->addWidget(sender, 0, 1);
    choices->addWidget(receiverNote, 1, 0);
    choices->addWidget(senderNote, 1, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addSpacing(8);
    layout->addLayout(choices);
    layout->addWidget(buttons);

    connect(receiver, &QPushButton::clicked, this, [this] {
        m_role = EndpointRole::Receiver;
        accept();
    });
    connect(sender, &QPushButton::clicked, this, [this] {
        m_role = EndpointRole::Sender;
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    receiver->setFocus();
}

std::optional<EndpointRole> RoleChooser::ask(QWidget *parent)
{
    RoleChooser chooser(parent);
    if (chooser.exec() != QDialog::Accepted)
        return std::nullopt;
    return chooser.role();
}
