// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"

#include <QByteArrayView>
#include <QString>

// One record as the wire carries it: integers and UTF-8 text, viewed rather than owned. What a
// record source hands the frame builder, so sending needs no Employee and no QString per record.
// The text must be valid UTF-8 of at most Wire::MaxFieldBytes bytes; the views must outlive
// the call they are passed to.
struct IPCWCORE_EXPORT RecordFields
{
    quint32 id = 0;
    qint64 salaryCents = 0;
    quint16 hireYear = 0; // 0/0/0: no hire date
    quint8 hireMonth = 0;
    quint8 hireDay = 0;
    QByteArrayView name;
    QByteArrayView department;
    QByteArrayView title;
    QByteArrayView email;

    // An owning copy, for the few places that keep records (tests, the sender's preview).
    Employee toEmployee() const;
    // A field's UTF-8 as a QString, keeping a leading U+FEFF (QString::fromUtf8 would drop it
    // as a byte-order mark; in a field it is content).
    static QString text(QByteArrayView utf8);
};
