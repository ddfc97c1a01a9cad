// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArrayView>

// The formula guard, shared by the CSV writer and reader. A spreadsheet runs a cell starting
// with = + - @ TAB or CR, so such text is written behind an apostrophe. Text that already starts
// with apostrophes before one of those characters gets one more, and import removes exactly one
// from any field of the shape '+[=+-@\t\r]: so every string, even "'=x", comes back exactly as
// it was exported.
namespace Csv {

inline bool isFormulaStart(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

inline qsizetype leadingApostrophes(QByteArrayView bytes)
{
    qsizetype count = 0;
    while (count < bytes.size() && bytes[count] == '\'')
        ++count;
    return count;
}

inline bool needsFormulaGuard(QByteArrayView bytes)
{
    const qsizetype apostrophes = leadingApostrophes(bytes);
    return apostrophes < bytes.size() && isFormulaStart(bytes[apostrophes]);
}

inline bool hasFormulaGuard(QByteArrayView bytes)
{
    const qsizetype apostrophes = leadingApostrophes(bytes);
    return apostrophes > 0 && apostrophes < bytes.size() && isFormulaStart(bytes[apostrophes]);
}

} // namespace Csv
