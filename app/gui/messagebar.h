// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "logview.h"

#include <QFrame>

class QLabel;

// An inline, non-modal message strip above the tabs: the outcome of a plugin drop or a failed
// start is shown where the user looks, without a dialog that blocks the window (or a test).
class MessageBar : public QFrame
{
    Q_OBJECT
public:
    explicit MessageBar(QWidget *parent = nullptr);

    void showMessage(LogView::Severity severity, const QString &message);
    QString text() const;

private:
    QLabel *m_text;
};
