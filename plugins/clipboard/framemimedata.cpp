// SPDX-License-Identifier: GPL-3.0-or-later
#include "framemimedata.h"

#include "clipboardformats.h"
#include "frameheader.h"
#include "recordtext.h"

using ClipboardFormats::csvMime;
using ClipboardFormats::textMime;

FrameMimeData::FrameMimeData(const QByteArray &frame) : m_frame(frame)
{
    FrameHeader header;
    m_hasRecords = FrameCodec::peekHeader(frame.constData(), frame.size(), &header) == DecodeError::None
        && header.type == Wire::FrameType::Records;
}

QStringList FrameMimeData::formats() const
{
    QStringList list{ClipboardFormats::frameMime()};
    if (m_hasRecords)
        list << csvMime() << textMime();
    return list;
}

bool FrameMimeData::hasFormat(const QString &mimeType) const
{
    return formats().contains(mimeType);
}

void FrameMimeData::renderText() const
{
    if (m_rendered)
        return;
    m_rendered = true;
    // The session only sends frames the codec made; for anything else there is nothing to show.
    RecordText::renderFrame(m_frame, &m_csv, &m_tabSeparated);
}

QVariant FrameMimeData::retrieveData(const QString &mimeType, QMetaType type) const
{
    if (mimeType == ClipboardFormats::frameMime())
        return m_frame;
    if (!m_hasRecords)
        return {};
    if (mimeType == csvMime()) {
        renderText();
        return m_csv;
    }
    if (mimeType == textMime()) {
        renderText();
        if (type.id() == QMetaType::QString)
            return QString::fromUtf8(m_tabSeparated);
        return m_tabSeparated;
    }
    return {};
}
