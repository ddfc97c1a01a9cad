// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

// Sentences built from parts that are sentences themselves ("closed: " + a plugin's reason)
// must not end in "..", and a name that starts a sentence starts with a capital.
namespace Sentences {

// `text` without its final full stop, to go inside another sentence.
inline QString clause(QString text)
{
    text = text.trimmed();
    while (text.endsWith(QLatin1Char('.')) && !text.endsWith(QLatin1String("...")))
        text.chop(1);
    return text;
}

inline QString capitalized(QString text)
{
    if (!text.isEmpty())
        text[0] = text.at(0).toUpper();
    return text;
}

} // namespace Sentences
