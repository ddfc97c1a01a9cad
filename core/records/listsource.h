// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"
#include "recordsource.h"

// Records already held as Employee values: the form's few, and tests'.
class IPCWCORE_EXPORT ListSource final : public RecordSource
{
public:
    explicit ListSource(EmployeeList records);

    int appendTo(FrameBuilder &frame, int maxRecords) override;
    bool atEnd() const override;
    qint64 total() const override;
    Progress progress() const override;

private:
    EmployeeList m_records;
    qsizetype m_next = 0;
};
