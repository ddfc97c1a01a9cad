// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordtext.h"

#include "csv.h"
#include "framecodec.h"

namespace RecordText {

bool renderFrame(const QByteArray &frame, QByteArray *csv, QByteArray *tabSeparated)
{
    DecodedFrame decoded;
    if (FrameCodec::decode(frame, &decoded) != DecodeError::None
        || decoded.header.type != Wire::FrameType::Records)
        return false;
    *csv = Csv::encode(decoded.records);
    *tabSeparated = Csv::encodeTabSeparated(decoded.records);
    return true;
}

bool looksLikeEmployeeCsv(const QByteArray &text)
{
    QByteArrayView view(text);
    if (view.startsWith("\xEF\xBB\xBF"))
        view = view.sliced(3);
    const QByteArray header = Csv::headerLine(false).toUtf8();
    if (!view.startsWith(header))
        return false;
    const QByteArrayView rest = view.sliced(header.size());
    return rest.isEmpty() || rest.front() == ',' || rest.front() == '\r' || rest.front() == '\n';
}

QByteArrayList framesFromCsv(const QByteArray &csv, quint32 senderId, int recordsPerFrame, QString *error)
{
    EmployeeList employees;
    const Csv::Result result = Csv::parseEmployees(csv, &employees);
    if (!result.ok) {
        *error = result.error;
        return {};
    }
    QByteArrayList frames;
    quint64 sequence = 0;
    for (qsizetype at = 0; at < employees.size(); at += recordsPerFrame) {
        const qsizetype count = qMin<qsizetype>(recordsPerFrame, employees.size() - at);
        frames.append(FrameCodec::encodeRecords(employees.constData() + at, count, ++sequence, senderId));
    }
    return frames;
}

} // namespace RecordText
