// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "logview.h"

#include <QFrame>

class QLabel;

// An inline, non-modal message strip above the tabs: the outcome of a plugin drop or a failed
// start is shown where the user looks, without a dialog that blocks the window (or a test).
// A message is about something; when that thing works again the message goes, so the strip
// never shows a problem the user has already fixed.
class MessageBar : public QFrame
{
    Q_OBJECT
public:
    enum class Subject { Connection, Transfer, Plugins };

    explicit MessageBar(QWidget *parent = nullptr);

    void showMessage(LogView::Severity severity, const QString &message, Subject subject);
    // Hides the message if it is about `subject`.
    void resolve(Subject subject);
    QString text() const;

private:
    QLabel *m_text;
    Subject m_subject = Subject::Connection;
};
