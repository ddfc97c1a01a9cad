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

namespace {

// One parser for both text forms: the same characters count as white space (QChar::isSpace,
// as QString::trimmed) and as digits, so a CSV field and a form's text read alike.
template <typename View>
bool parseSalaryText(View s, qint64 *cents)
{
    while (!s.isEmpty() && QChar(s.front()).isSpace())
        s = s.sliced(1);
    while (!s.isEmpty() && QChar(s.back()).isSpace())
        s.chop(1);
    bool negative = false;
    if (!s.isEmpty() && QChar(s.front()) == QLatin1Char('-')) {
        negative = true;
        s = s.sliced(1);
    }
    const qsizetype dot = s.indexOf(QLatin1Char('.'));
    const View whole = dot < 0 ? s : s.first(dot);
    const View fraction = dot < 0 ? View() : s.sliced(dot + 1);
    if (whole.isEmpty() || fraction.size() > 2 || (dot >= 0 && fraction.isEmpty()))
        return false;
    // Accumulate the magnitude in cents with overflow checks, so every value formatSalary()
    // writes (down to the most negative qint64) reads back, and nothing beyond wraps.
    const quint64 limit = negative ? quint64(1) << 63 : (quint64(1) << 63) - 1;
    quint64 magnitude = 0;
    const auto addDigit = [&](QChar c) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return false;
        const quint64 digit = quint64(c.unicode() - '0');
        if (magnitude > (limit - digit) / 10)
            return false;
        magnitude = magnitude * 10 + digit;
        return true;
    };
    for (qsizetype i = 0; i < whole.size(); ++i)
        if (!addDigit(QChar(whole[i])))
            return false;
    for (qsizetype i = 0; i < 2; ++i)
        if (!addDigit(i < fraction.size() ? QChar(fraction[i]) : QLatin1Char('0')))
            return false;
    *cents = negative ? qint64(quint64(0) - magnitude) : qint64(magnitude);
    return true;
}

} // namespace

bool parseSalary(const QString &text, qint64 *cents)
{
    return parseSalaryText(QStringView(text), cents);
}

bool parseSalary(QLatin1StringView text, qint64 *cents)
{
    return parseSalaryText(text, cents);
}
