// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The fan-out rows of the benchmark: one headless sender to 1, 2 and 4 headless receivers at
// once, over every mechanism whose metadata says one sender reaches many (`fanOut` or
// `multipleReceivers`). Each receiver counts what it got; a row gives records/s and frames lost
// per receiver as min, median and max over the receivers.

#include "benchreport.h"
#include "transportmetadata.h"

#include <QVector>

class IPCWCORE_EXPORT BenchFanout
{
public:
    struct Settings
    {
        QString program;     // the ipcworkshop executable started as sender and receivers
        qint64 records = 0;  // sent once, to every receiver
    };

    static bool applies(const TransportMetadata &transport) { return transport.capabilities.reachesManyReceivers(); }
    static QVector<int> receiverCounts() { return {1, 2, 4}; }
    // The address at which one sender reaches many receivers of `transportId` (a fresh multicast
    // port, a clipboard mode); empty when the benchmark knows none. A new fan-out mechanism is
    // one line here.
    static QString addressFor(const QString &transportId);

    // One row, test "fanout-<receivers>"; skipped with the reason when it could not be measured.
    static BenchRow measure(const TransportMetadata &transport, int receivers, const Settings &settings);
};
