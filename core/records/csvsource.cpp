// SPDX-License-Identifier: GPL-3.0-or-later
#include "csvsource.h"

#include "framebuilder.h"

#include <QDir>

namespace {
constexpr qint64 ProgressEveryRecords = 16384;
}

CsvSource::CsvSource(const QString &path, qsizetype chunkBytes) : m_path(path), m_chunkBytes(chunkBytes) {}

CsvSource::~CsvSource() = default;

bool CsvSource::check(const RecordVisitor &visit, const Csv::Progress &progress)
{
    m_reader = std::make_unique<CsvReader>(m_path, m_chunkBytes);
    RecordFields record;
    CsvReader::Status status;
    while ((status = m_reader->next(&record)) == CsvReader::Status::Record) {
        if (visit)
            visit(record);
        if (progress && m_reader->recordsRead() % ProgressEveryRecords == 0
            && !progress(m_reader->bytesRead(), m_reader->totalBytes())) {
            stop(QStringLiteral("Checking %1 was cancelled; nothing was sent.").arg(QDir::toNativeSeparators(m_path)));
            return false;
        }
    }
    if (status == CsvReader::Status::Error) {
        stop(m_reader->errorString());
        return false;
    }
    if (progress)
        progress(m_reader->totalBytes(), m_reader->totalBytes());
    m_checkedRecords = m_reader->recordsRead();
    m_reader.reset(); // the second pass starts from the top when the first frame wants records
    return true;
}

int CsvSource::appendTo(FrameBuilder &frame, int maxRecords)
{
    if (!m_reader && !m_atEnd)
        m_reader = std::make_unique<CsvReader>(m_path, m_chunkBytes);
    int appended = 0;
    while (appended < maxRecords && !m_atEnd) {
        if (!m_recordPending) {
            const CsvReader::Status status = m_reader->next(&m_record);
            if (status == CsvReader::Status::Error) {
                stop(m_checkedRecords < 0 ? m_reader->errorString()
                                          : m_reader->errorString() + QStringLiteral(" The file changed after it was checked."));
                break;
            }
            if (status == CsvReader::Status::End) {
                if (m_checkedRecords >= 0 && m_reader->recordsRead() != m_checkedRecords)
                    stop(QStringLiteral("%1 changed after it was checked: it held %2 records then and %3 now.")
                             .arg(QDir::toNativeSeparators(m_path)).arg(m_checkedRecords).arg(m_reader->recordsRead()));
                m_atEnd = true;
                break;
            }
            m_recordPending = true;
        }
        if (!frame.appendRecord(m_record))
            break; // the frame is full; the record opens the next one
        m_recordPending = false;
        ++appended;
    }
    return appended;
}

void CsvSource::stop(const QString &error)
{
    m_error = error;
    m_atEnd = true;
    m_recordPending = false;
}

bool CsvSource::atEnd() const
{
    return m_atEnd;
}

qint64 CsvSource::total() const
{
    return m_checkedRecords;
}

RecordSource::Progress CsvSource::progress() const
{
    if (!m_reader)
        return {};
    return {m_reader->bytesRead(), m_reader->totalBytes()};
}

QString CsvSource::errorString() const
{
    return m_error;
}
