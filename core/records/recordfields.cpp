// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordfields.h"

#include <QStringDecoder>

Employee RecordFields::toEmployee() const
{
    Employee e;
    e.id = id;
    e.salaryCents = salaryCents;
    if (hireYear != 0 || hireMonth != 0 || hireDay != 0)
        e.hireDate = QDate(hireYear, hireMonth, hireDay);
    e.name = text(name);
    e.department = text(department);
    e.title = text(title);
    e.email = text(email);
    return e;
}

QString RecordFields::text(QByteArrayView utf8)
{
    if (!utf8.startsWith("\xEF\xBB\xBF"))
        return QString::fromUtf8(utf8);
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    return decoder.decode(utf8);
}
