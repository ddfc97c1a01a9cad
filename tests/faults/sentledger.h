// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the senders of one receiver sent (generated records: seed, first id, count) and how many
// of them each was told were acknowledged, checked against that receiver's export: every row
// is a record one of them sent, field for field, no row comes twice, and every acknowledged
// record is there. Acknowledgements are cumulative: over a reliable mechanism "N acknowledged"
// means a sender's first N records; over a lossy one (frames may be overwritten) it says how
// many of its records the receiver holds, not which. Header-only, for tests.

#include "employeegenerator.h"

#include <QHash>
#include <QString>
#include <QVector>

class SentLedger
{
public:
    enum class Acks { FirstRecords, HowMany };

    void add(const QString &who, quint64 seed, quint32 firstId, int count, qint64 acknowledged, Acks acks = Acks::FirstRecords)
    {
        m_runs.append({who, firstId, count, acknowledged, acks, EmployeeGenerator(seed, firstId).take(count)});
    }

    // Empty when the export keeps every promise; otherwise the first broken one, in a sentence.
    QString check(const EmployeeList &exported) const
    {
        QHash<quint32, int> seen;
        for (const Employee &row : exported) {
            const Run *run = runOf(row.id);
            if (!run)
                return QStringLiteral("exported id %1 was never sent").arg(row.id);
            if (!(row == run->records.at(int(row.id - run->firstId))))
                return QStringLiteral("exported id %1 differs from what %2 sent").arg(row.id).arg(run->who);
            if (++seen[row.id] > 1)
                return QStringLiteral("id %1 was exported twice").arg(row.id);
        }
        for (const Run &run : m_runs) {
            if (run.acks == Acks::HowMany) {
                qint64 exportedOfRun = 0;
                for (const Employee &row : exported)
                    exportedOfRun += runOf(row.id) == &run ? 1 : 0;
                if (exportedOfRun < run.acknowledged)
                    return QStringLiteral("%1 was told %2 records were acknowledged, but only %3 of its records are in the export")
                        .arg(run.who).arg(run.acknowledged).arg(exportedOfRun);
                continue;
            }
            for (qint64 i = 0; i < run.acknowledged; ++i) {
                const quint32 id = run.firstId + quint32(i);
                if (!seen.contains(id))
                    return QStringLiteral("%1 was told %2 records were acknowledged, but id %3 is not in the export")
                        .arg(run.who).arg(run.acknowledged).arg(id);
            }
        }
        return {};
    }

private:
    struct Run
    {
        QString who;
        quint32 firstId;
        int count;
        qint64 acknowledged;
        Acks acks;
        EmployeeList records;
    };

    const Run *runOf(quint32 id) const
    {
        for (const Run &run : m_runs)
            if (id >= run.firstId && id - run.firstId < quint32(run.count))
                return &run;
        return nullptr;
    }

    QVector<Run> m_runs;
};
