// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"

// A record as the receiver saw it: the employee plus where and when it came from.
struct ReceivedRecord
{
    Employee employee;
    quint64 sequence = 0;     // the frame's sequence number
    QString transport;        // plugin id, e.g. "tcp" (implicitly shared, cheap per row)
    qint64 sentAtUs = 0;      // sender's clock, microseconds since the epoch
    qint64 receivedAtUs = 0;  // receiver's clock
    qint64 latencyUs() const { return receivedAtUs - sentAtUs; }
};

using ReceivedRecordList = QVector<ReceivedRecord>;
Q_DECLARE_METATYPE(ReceivedRecord)
