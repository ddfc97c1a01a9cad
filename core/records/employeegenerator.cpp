// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeegenerator.h"

#include <iterator>

namespace {

// Awkward on purpose: accents, CJK, Cyrillic, apostrophes, a comma, a quote, a line break.
const char *const firstNames[] = {
    "Ada", "José", "Zoë", "Björn", "Łukasz", "Marie-Claire", "Søren", "Ngozi", "Aiko", "李",
    "Олена", "Seán", "François", "Anaïs", "Ömer", "Priya", "Kwame", "Ingrid", "Mateus", "Hana",
};
const char *const lastNames[] = {
    "Lovelace", "García", "Müller", "O'Brien", "Nakamura", "明", "Шевченко", "Dubois, Jr.",
    "Nørgaard", "Okafor", "Smith \"Smitty\"", "van der Berg", "Kowalski", "Ramírez", "Öztürk",
    "Chen", "Haddad", "Svensson", "Mensah", "Kaur",
};
const char *const departments[] = {
    "Engineering", "Sales", "Research & Development", "Finance", "Human Resources",
    "Operations, EMEA", "Support", "Legal", "Marketing", "Facilities",
};
const char *const titles[] = {
    "Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Intern",
    "Team Lead\nPlatform", "\"Chief\" Architect", "Consultant", "=Head of Sums",
};

template <std::size_t N>
QString from(const char *const (&list)[N], int index)
{
    return QString::fromUtf8(list[index % int(N)]);
}

// ASCII letters only, so every address is valid: accents are dropped after decomposing
// ("José" -> "jose", "Ömer" -> "omer"), other scripts vanish ("李" -> "").
QString asciiLetters(const QString &text)
{
    QString letters;
    for (QChar c : text.normalized(QString::NormalizationForm_D)) {
        if ((c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z')))
            letters += c.toLower();
    }
    return letters;
}

QString emailLocalPart(const QString &first, const QString &last)
{
    QStringList parts{asciiLetters(first), asciiLetters(last)};
    parts.removeAll(QString());
    return parts.isEmpty() ? QStringLiteral("employee") : parts.join(QLatin1Char('.'));
}

} // namespace

EmployeeGenerator::EmployeeGenerator(quint64 seed, quint32 firstId)
    : m_state(seed), m_nextId(firstId)
{
}

// splitmix64: tiny, fast and identical everywhere, unlike std::uniform_int_distribution.
quint64 EmployeeGenerator::nextRandom()
{
    quint64 z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int EmployeeGenerator::pick(int bound)
{
    return int(nextRandom() % quint64(bound));
}

Employee EmployeeGenerator::next()
{
    Employee e;
    e.id = m_nextId++;
    const QString first = from(firstNames, pick(int(std::size(firstNames))));
    const QString last = from(lastNames, pick(int(std::size(lastNames))));
    e.name = first + QLatin1Char(' ') + last;
    e.department = from(departments, pick(int(std::size(departments))));
    e.title = from(titles, pick(int(std::size(titles))));
    e.email = QStringLiteral("%1%2@example.com").arg(emailLocalPart(first, last)).arg(e.id);
    e.salaryCents = 3000000 + qint64(nextRandom() % 20000000); // 30,000.00 .. 229,999.99
    e.hireDate = QDate(1990, 1, 1).addDays(pick(13000));
    return e;
}

EmployeeList EmployeeGenerator::take(int count)
{
    EmployeeList list;
    list.reserve(count);
    for (int i = 0; i < count; ++i)
        list.append(next());
    return list;
}
