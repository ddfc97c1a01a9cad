// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMimeData>

// One frame on the clipboard. A Records frame is also offered as text/csv and as tab-separated
// text/plain, so a spreadsheet can paste it; that text is made by core's codec and CSV writer
// only when someone asks for it, so the receiver, which takes the frame itself, costs nothing.
class FrameMimeData : public QMimeData
{
    Q_OBJECT
public:
    explicit FrameMimeData(const QByteArray &frame);

    QStringList formats() const override;
    bool hasFormat(const QString &mimeType) const override;

protected:
    QVariant retrieveData(const QString &mimeType, QMetaType type) const override;

private:
    void renderText() const;

    QByteArray m_frame;
    bool m_hasRecords = false;
    mutable bool m_rendered = false;
    mutable QByteArray m_csv;
    mutable QByteArray m_tabSeparated;
};
