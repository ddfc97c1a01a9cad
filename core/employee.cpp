// SPDX-License-Identifier: GPL-3.0-or-later
#include "employee.h"

bool Employee::operator==(const Employee &o) const
{
    return id == o.id && name == o.name && department == o.department && title == o.title
        && email == o.email && salaryCents == o.salaryCents && hireDate == o.hireDate;
}

QString formatSalary(qint64 cents)
{
    const bool negative = cents < 0;
    const quint64 magnitude = negative ? quint64(0) - quint64(cents) : quint64(cents);
    return QStringLiteral("%1%2.%3")
        .arg(negative ? QStringLiteral("-") : QString())
        .arg(magnitude / 100)
        .arg(magnitude % 100, 2, 10, QLatin1Char('0'));
}

bool parseSalary(const QString &text, qint64 *cents)
{
    QStringView s(text);
    s = s.trimmed();
    bool negative = false;
    if (s.startsWith(QLatin1Char('-'))) {
        negative = true;
        s = s.mid(1);
    }
    const qsizetype dot = s.indexOf(QLatin1Char('.'));
    const QStringView whole = dot < 0 ? s : s.left(dot);
    const QStringView fraction = dot < 0 ? QStringView() : s.mid(dot + 1);
    if (whole.isEmpty() || whole.size() > 16 || fraction.size() > 2 || (dot >= 0 && fraction.isEmpty()))
        return false;
    for (QChar c : whole)
        if (!c.isDigit() || c.unicode() > '9')
            return false;
    for (QChar c : fraction)
        if (!c.isDigit() || c.unicode() > '9')
            return false;
    qint64 value = whole.toLongLong() * 100;
    if (!fraction.isEmpty())
        value += fraction.size() == 1 ? fraction.toInt() * 10 : fraction.toInt();
    *cents = negative ? -value : value;
    return true;
}
