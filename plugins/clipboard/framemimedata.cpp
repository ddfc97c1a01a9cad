// SPDX-License-Identifier: GPL-3.0-or-later
#include "framemimedata.h"

#include "clipboardformats.h"
#include "csv.h"
#include "framecodec.h"

namespace {

QString csvMime() { return QStringLiteral("text/csv"); }
QString textMime() { return QStringLiteral("text/plain"); }

// A cell a spreadsheet would run as a formula gets a leading apostrophe, as in the CSV export;
// tabs and line breaks would split cells and rows, so they become spaces.
QByteArray cell(const QString &text)
{
    QByteArray bytes = text.toUtf8();
    bytes.replace('\t', ' ').replace('\r', ' ').replace('\n', ' ');
    if (!bytes.isEmpty() && QByteArrayView("=+-@").contains(bytes.front()))
        bytes.prepend('\'');
    return bytes;
}

QByteArray tabSeparated(const EmployeeList &employees)
{
    QByteArray out = Csv::headerLine(false).toUtf8().replace(',', '\t') + '\n';
    for (const Employee &e : employees) {
        out += QByteArray::number(e.id) + '\t' + cell(e.name) + '\t' + cell(e.department) + '\t' + cell(e.title) + '\t'
            + cell(e.email) + '\t' + formatSalary(e.salaryCents).toLatin1() + '\t'
            + (e.hireDate.isValid() ? e.hireDate.toString(Qt::ISODate).toLatin1() : QByteArray()) + '\n';
    }
    return out;
}

} // namespace

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
    DecodedFrame decoded;
    if (FrameCodec::decode(m_frame, &decoded) != DecodeError::None)
        return; // the session only sends frames the codec made; nothing sensible to show otherwise
    m_csv = Csv::encode(decoded.records);
    m_tabSeparated = tabSeparated(decoded.records);
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
