// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeegenerator.h"

#include "framebuilder.h"

#include <QVarLengthArray>

#include <array>
#include <cstring>
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

constexpr int FirstNameCount = int(std::size(firstNames));
constexpr int LastNameCount = int(std::size(lastNames));
constexpr int DepartmentCount = int(std::size(departments));
constexpr int TitleCount = int(std::size(titles));
constexpr int HireDayRange = 13000; // hire dates: 1990-01-01 and the days after it
constexpr int RandomsPerRecord = 6; // first, last, department, title, salary, hire date
constexpr quint64 SplitMixIncrement = 0x9E3779B97F4A7C15ull;
constexpr char EmailDomain[] = "@example.com";

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

struct HireDate
{
    quint16 year;
    quint8 month;
    quint8 day;
};

// Everything appendNext() needs, computed once from the very functions next() uses, so the two
// cannot disagree: names and e-mail local parts per first/last pair, every hire date.
struct Utf8Tables
{
    std::array<QByteArray, FirstNameCount * LastNameCount> fullNames;   // "José García"
    std::array<QByteArray, FirstNameCount * LastNameCount> emailLocals; // "jose.garcia"
    std::array<QByteArrayView, DepartmentCount> departmentTexts;
    std::array<QByteArrayView, TitleCount> titleTexts;
    std::array<HireDate, HireDayRange> hireDates;

    Utf8Tables()
    {
        for (int f = 0; f < FirstNameCount; ++f) {
            for (int l = 0; l < LastNameCount; ++l) {
                const QString first = from(firstNames, f), last = from(lastNames, l);
                fullNames[size_t(f * LastNameCount + l)] = (first + QLatin1Char(' ') + last).toUtf8();
                emailLocals[size_t(f * LastNameCount + l)] = emailLocalPart(first, last).toUtf8();
            }
        }
        for (int i = 0; i < DepartmentCount; ++i)
            departmentTexts[size_t(i)] = QByteArrayView(departments[i]);
        for (int i = 0; i < TitleCount; ++i)
            titleTexts[size_t(i)] = QByteArrayView(titles[i]);
        const QDate firstDay(1990, 1, 1);
        for (int i = 0; i < HireDayRange; ++i) {
            const QDate day = firstDay.addDays(i);
            hireDates[size_t(i)] = {quint16(day.year()), quint8(day.month()), quint8(day.day())};
        }
    }
};

const Utf8Tables &utf8Tables()
{
    static const Utf8Tables tables;
    return tables;
}

// splitmix64: tiny, fast and identical everywhere, unlike std::uniform_int_distribution. Free
// functions rather than members, so the compiler inlines them and divides by constants.
quint64 nextRandom(quint64 &state)
{
    quint64 z = (state += SplitMixIncrement);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int pick(quint64 &state, int bound)
{
    return int(nextRandom(state) % quint64(bound));
}

// Decimal digits of `value` written at `out`; returns the end.
char *putDecimal(char *out, quint32 value)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = char('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        *out++ = digits[--n];
    return out;
}

} // namespace

EmployeeGenerator::EmployeeGenerator(quint64 seed, quint32 firstId)
    : m_state(seed), m_nextId(firstId)
{
}


Employee EmployeeGenerator::next()
{
    Employee e;
    e.id = m_nextId++;
    const QString first = from(firstNames, pick(m_state, FirstNameCount));
    const QString last = from(lastNames, pick(m_state, LastNameCount));
    e.name = first + QLatin1Char(' ') + last;
    e.department = from(departments, pick(m_state, DepartmentCount));
    e.title = from(titles, pick(m_state, TitleCount));
    e.email = QStringLiteral("%1%2@example.com").arg(emailLocalPart(first, last)).arg(e.id);
    e.salaryCents = 3000000 + qint64(nextRandom(m_state) % 20000000); // 30,000.00 .. 229,999.99
    e.hireDate = QDate(1990, 1, 1).addDays(pick(m_state, HireDayRange));
    return e;
}

// The same draws in the same order as next(), from the tables instead of QStrings.
bool EmployeeGenerator::appendNext(FrameBuilder &frame)
{
    const Utf8Tables &tables = utf8Tables();
    quint64 state = m_state; // kept only once the record is in the frame
    const int first = pick(state, FirstNameCount);
    const int last = pick(state, LastNameCount);
    const int department = pick(state, DepartmentCount);
    const int title = pick(state, TitleCount);
    const qint64 salaryCents = 3000000 + qint64(nextRandom(state) % 20000000);
    const HireDate &hired = tables.hireDates[size_t(pick(state, HireDayRange))];

    const QByteArray &local = tables.emailLocals[size_t(first * LastNameCount + last)];
    QVarLengthArray<char, 64> email(local.size() + 10 + qsizetype(sizeof(EmailDomain))); // on the stack
    std::memcpy(email.data(), local.constData(), size_t(local.size()));
    char *end = putDecimal(email.data() + local.size(), m_nextId);
    std::memcpy(end, EmailDomain, sizeof(EmailDomain) - 1);
    end += sizeof(EmailDomain) - 1;

    RecordFields record;
    record.id = m_nextId;
    record.salaryCents = salaryCents;
    record.hireYear = hired.year;
    record.hireMonth = hired.month;
    record.hireDay = hired.day;
    record.name = tables.fullNames[size_t(first * LastNameCount + last)];
    record.department = tables.departmentTexts[size_t(department)];
    record.title = tables.titleTexts[size_t(title)];
    record.email = QByteArrayView(email.data(), end - email.data());
    if (!frame.appendRecord(record))
        return false;
    m_state = state;
    ++m_nextId;
    return true;
}

void EmployeeGenerator::skip(quint64 count)
{
    m_state += count * RandomsPerRecord * SplitMixIncrement;
    m_nextId += quint32(count);
}

EmployeeList EmployeeGenerator::take(int count)
{
    EmployeeList list;
    list.reserve(count);
    for (int i = 0; i < count; ++i)
        list.append(next());
    return list;
}
