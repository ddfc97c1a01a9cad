// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Records as text, for mechanisms that also speak to ordinary programs (the clipboard offers a
// Records frame to a spreadsheet and takes employee CSV pasted from one). The conversion is
// core's, so a plugin never parses or formats a record itself; the CSV is the export format of
// docs/csv-format.md.

#include "ipcwcore_export.h"

#include <QByteArray>
#include <QByteArrayList>
#include <QString>

namespace RecordText {

// The records of a valid Records frame as CSV (header row, CRLF) and as tab-separated text
// (LF, for a spreadsheet's paste). False, leaving both untouched, for any other frame.
IPCWCORE_EXPORT bool renderFrame(const QByteArray &frame, QByteArray *csv, QByteArray *tabSeparated);

// Whether UTF-8 text starts with the employee CSV header row (a BOM and extra columns allowed).
IPCWCORE_EXPORT bool looksLikeEmployeeCsv(const QByteArray &text);

// Employee CSV as Records frames of at most `recordsPerFrame` records, numbered 1, 2, 3… for
// `senderId`. A malformed row yields no frame at all and `*error` says where ("Line 12,
// column 3: …"): nothing is half-taken.
IPCWCORE_EXPORT QByteArrayList framesFromCsv(const QByteArray &csv, quint32 senderId, int recordsPerFrame,
                                             QString *error);

} // namespace RecordText
