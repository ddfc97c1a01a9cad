// SPDX-License-Identifier: GPL-3.0-or-later
#include "logview.h"

#include <QTime>

namespace {
// A long session must not grow without bound; the newest lines matter most.
constexpr int MaxLines = 5000;
}

LogView::LogView(QWidget *parent) : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("logView"));
    setReadOnly(true);
    setMaximumBlockCount(MaxLines);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    setAccessibleName(tr("Events"));
    // A few lines are enough for the latest events; the rest of a small screen goes to the tables.
    setMinimumHeight(fontMetrics().lineSpacing() * 3 + 2 * frameWidth() + 8);
}

void LogView::append(Severity severity, const QString &message)
{
    const QString time = QTime::currentTime().toString(QStringLiteral("hh:mm:ss"));
    QString color;
    QString prefix;
    switch (severity) {
    case Severity::Info:
        break;
    case Severity::Warning:
        color = QStringLiteral("#8a5a00");
        prefix = tr("Warning: ");
        break;
    case Severity::Error:
        color = QStringLiteral("#b00020");
        prefix = tr("Error: ");
        break;
    }
    const QString text = (time + QStringLiteral("  ") + prefix + message).toHtmlEscaped();
    appendHtml(color.isEmpty() ? text : QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color, text));
}
