// SPDX-License-Identifier: GPL-3.0-or-later
#include "messagebar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

MessageBar::MessageBar(QWidget *parent) : QFrame(parent), m_text(new QLabel(this))
{
    setObjectName(QStringLiteral("messageBar"));
    setFrameShape(QFrame::StyledPanel);
    m_text->setObjectName(QStringLiteral("messageText"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::PlainText);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *close = new QToolButton(this);
    close->setObjectName(QStringLiteral("messageClose"));
    close->setText(QStringLiteral("✕"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Hide this message"));
    close->setAccessibleName(tr("Hide message"));
    connect(close, &QToolButton::clicked, this, &QWidget::hide);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(m_text, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    hide();
}

void MessageBar::showMessage(LogView::Severity severity, const QString &message, Subject subject)
{
    m_subject = subject;
    QString background = QStringLiteral("#e8f1fb");
    QString border = QStringLiteral("#6a9bd8");
    if (severity == LogView::Severity::Warning) {
        background = QStringLiteral("#fff4d6");
        border = QStringLiteral("#d9a400");
    } else if (severity == LogView::Severity::Error) {
        background = QStringLiteral("#fde7e9");
        border = QStringLiteral("#c4314b");
    }
    setStyleSheet(QStringLiteral("QFrame#messageBar { background: %1; border: 1px solid %2; border-radius: 3px; }"
                                 "QFrame#messageBar QLabel { color: #1b1b1b; }")
                      .arg(background, border));
    m_text->setText(message);
    show();
}

void MessageBar::resolve(Subject subject)
{
    if (subject == m_subject)
        hide();
}

QString MessageBar::text() const
{
    return m_text->text();
}
