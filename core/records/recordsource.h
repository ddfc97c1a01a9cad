// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QString>

class FrameBuilder;

// Where a sender's records come from (the generator, a CSV file, a list), pulled a frame at a
// time: a source encodes its next records straight into the frame being built, so sending N
// records holds a few frames, never N records. Not thread-safe: one thread uses a source.
class IPCWCORE_EXPORT RecordSource
{
public:
    // How far the source has got, in its own unit (records, or bytes of a file).
    struct Progress
    {
        qint64 done = 0;
        qint64 total = -1; // -1: unknown
    };

    virtual ~RecordSource() = default;

    // Appends up to `maxRecords` records to `frame`, fewer when the frame is full or the source
    // runs out or fails. Returns how many were appended: 0 only when atEnd().
    virtual int appendTo(FrameBuilder &frame, int maxRecords) = 0;
    // True once every record was taken, or on an error (then errorString() says what failed).
    virtual bool atEnd() const = 0;
    // How many records the source holds in all; -1 when that is not known.
    virtual qint64 total() const = 0;
    virtual Progress progress() const = 0;
    // Empty unless the source stopped early: what failed, where, and what the user can do.
    virtual QString errorString() const { return {}; }
};
