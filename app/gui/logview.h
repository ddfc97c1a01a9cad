// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPlainTextEdit>

// The event pane: every connection change, peer, transfer summary and error, as time-stamped
// sentences, so nothing that goes wrong goes unnoticed.
class LogView : public QPlainTextEdit
{
    Q_OBJECT
public:
    enum class Severity { Info, Warning, Error };
    Q_ENUM(Severity)

    explicit LogView(QWidget *parent = nullptr);

public slots:
    void append(LogView::Severity severity, const QString &message);
};
