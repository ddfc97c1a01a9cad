// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employeegenerator.h"
#include "recordsource.h"

// `count` generated records, written straight into frames: sending a hundred million holds no
// more than the frames in flight.
class IPCWCORE_EXPORT GeneratorSource final : public RecordSource
{
public:
    GeneratorSource(const EmployeeGenerator &generator, qint64 count);

    int appendTo(FrameBuilder &frame, int maxRecords) override;
    bool atEnd() const override;
    qint64 total() const override;
    Progress progress() const override;

private:
    EmployeeGenerator m_generator;
    qint64 m_count;
    qint64 m_done = 0;
};
