// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeeform.h"

#include <QDateEdit>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSpinBox>

#include <limits>

namespace {

// Loose on purpose: one @, something before it, a dotted domain after it, no spaces. Enough to
// catch a name typed in the wrong field without refusing real addresses.
bool looksLikeEmail(const QString &text)
{
    static const QRegularExpression shape(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[^@\\s.]+$"));
    return shape.match(text).hasMatch();
}

} // namespace

EmployeeForm::EmployeeForm(QWidget *parent)
    : QGroupBox(tr("One employee"), parent),
      m_id(new QSpinBox(this)),
      m_name(new QLineEdit(this)),
      m_department(new QLineEdit(this)),
      m_title(new QLineEdit(this)),
      m_email(new QLineEdit(this)),
      m_salary(new QLineEdit(this)),
      m_hireDate(new QDateEdit(QDate::currentDate(), this)),
      m_error(new QLabel(this))
{
    setObjectName(QStringLiteral("employeeForm"));
    m_id->setObjectName(QStringLiteral("idEdit"));
    m_id->setRange(0, std::numeric_limits<int>::max());
    m_id->setValue(1);
    m_id->setToolTip(tr("The id of the next employee sent, typed or generated; it moves on after every send, "
                        "so the ids this window sends never repeat"));
    // Placeholders say what a field wants and that it may stay empty; they are never values.
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_name->setPlaceholderText(tr("required, e.g. Ada Lovelace"));
    m_department->setObjectName(QStringLiteral("departmentEdit"));
    m_department->setPlaceholderText(tr("optional, e.g. Research"));
    m_title->setObjectName(QStringLiteral("titleEdit"));
    m_title->setPlaceholderText(tr("optional, e.g. Analyst"));
    m_email->setObjectName(QStringLiteral("emailEdit"));
    m_email->setPlaceholderText(tr("optional, e.g. ada@example.org"));
    m_salary->setObjectName(QStringLiteral("salaryEdit"));
    m_salary->setPlaceholderText(tr("optional, e.g. 52000.50"));
    m_salary->setToolTip(tr("A yearly amount with up to two decimals, for example 52000 or 52000.50; "
                            "left empty, the employee is sent with a salary of 0.00"));
    m_hireDate->setObjectName(QStringLiteral("hireDateEdit"));
    m_hireDate->setCalendarPopup(true);
    m_hireDate->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    m_error->setObjectName(QStringLiteral("formError"));
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->hide();

    // Two columns of fields, so the form fits half of a small screen; read and tabbed through
    // row by row.
    auto *layout = new QGridLayout(this);
    const QList<QPair<QString, QWidget *>> fields = {
        {tr("&ID:"), m_id},           {tr("&Name:"), m_name},   {tr("D&epartment:"), m_department},
        {tr("Tit&le:"), m_title},     {tr("E&mail:"), m_email}, {tr("Sala&ry:"), m_salary},
        {tr("Hire date:"), m_hireDate}};
    QWidget *previous = nullptr;
    for (int i = 0; i < fields.size(); ++i) {
        auto *label = new QLabel(fields[i].first, this);
        label->setBuddy(fields[i].second);
        layout->addWidget(label, i / 2, (i % 2) * 2);
        layout->addWidget(fields[i].second, i / 2, (i % 2) * 2 + 1);
        if (previous)
            setTabOrder(previous, fields[i].second);
        previous = fields[i].second;
    }
    layout->setColumnStretch(1, 1);
    layout->setColumnStretch(3, 1);
    layout->addWidget(m_error, 4, 0, 1, 4);

    for (QLineEdit *field : {m_name, m_email, m_salary})
        connect(field, &QLineEdit::textEdited, m_error, &QWidget::hide);
}

void EmployeeForm::addButton(QWidget *button)
{
    auto *grid = static_cast<QGridLayout *>(layout());
    grid->addWidget(button, 3, 3, Qt::AlignRight);
}

void EmployeeForm::showError(QWidget *field, const QString &message)
{
    m_error->setText(message);
    m_error->show();
    field->setFocus();
}

std::optional<Employee> EmployeeForm::employee()
{
    Employee e;
    e.id = quint32(m_id->value());
    e.name = m_name->text().trimmed();
    e.department = m_department->text().trimmed();
    e.title = m_title->text().trimmed();
    e.email = m_email->text().trimmed();
    e.hireDate = m_hireDate->date();
    if (e.name.isEmpty()) {
        showError(m_name, tr("Type a name: an employee without one cannot be sent."));
        return std::nullopt;
    }
    if (!e.email.isEmpty() && !looksLikeEmail(e.email)) {
        showError(m_email, tr("\"%1\" is not an e-mail address: write one like ada@example.org, or leave the field empty.")
                               .arg(e.email));
        return std::nullopt;
    }
    const QString salary = m_salary->text().trimmed();
    if (!salary.isEmpty() && !parseSalary(salary, &e.salaryCents)) {
        showError(m_salary, tr("\"%1\" is not a salary: write digits with up to two decimals, for example 52000.50.").arg(salary));
        return std::nullopt;
    }
    m_error->hide();
    return e;
}

void EmployeeForm::prepareNext()
{
    setNextId(nextId() + 1);
    m_name->clear();
    m_email->clear();
    m_name->setFocus();
}

quint32 EmployeeForm::nextId() const
{
    return quint32(m_id->value());
}

void EmployeeForm::setNextId(quint32 id)
{
    m_id->setValue(int(qMin<quint32>(id, quint32(m_id->maximum()))));
}
