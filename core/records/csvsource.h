// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "csv.h"
#include "csvreader.h"
#include "recordsource.h"

#include <functional>
#include <memory>

// Employee CSV streamed from a file into frames: memory is CsvReader's chunk and the frames in
// flight, whatever the file's size.
//
// A bad row in the middle of a large file must not leave the receiver with half a file and no
// word about it. So a file is read twice: check() reads all of it first, keeping nothing (no
// allocation per row), and refuses it with the line and column of its first bad row before a
// single record is sent; only then are the records sent, in a second pass. The headless sender
// and the window both check first. Should the file change between the passes, the source stops
// at the first bad row, or at a record count that differs from the checked one, and
// errorString() says so: the session reports it with the number of records already sent, and
// never skips a row to carry on.
class IPCWCORE_EXPORT CsvSource final : public RecordSource
{
public:
    using RecordVisitor = std::function<void(const RecordFields &record)>;

    explicit CsvSource(const QString &path, qsizetype chunkBytes = CsvReader::DefaultChunkBytes);
    ~CsvSource() override;

    // The first pass: true when every row is good; then total() is the number of records.
    // `visit` sees each record (its views valid during the call only); `progress` gets bytes
    // read of the file's size now and then and may cancel by returning false. Safe to run on a
    // worker thread as long as nothing else uses the source meanwhile.
    bool check(const RecordVisitor &visit = {}, const Csv::Progress &progress = {});

    int appendTo(FrameBuilder &frame, int maxRecords) override;
    bool atEnd() const override;
    qint64 total() const override;
    Progress progress() const override; // bytes of the file read by the current pass
    QString errorString() const override;

private:
    void stop(const QString &error);

    QString m_path;
    qsizetype m_chunkBytes;
    std::unique_ptr<CsvReader> m_reader;
    RecordFields m_record;         // read but not yet in a frame (the frame was full)
    bool m_recordPending = false;
    bool m_atEnd = false;
    qint64 m_checkedRecords = -1; // -1: not checked
    QString m_error;
};
