// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeeform.h"

#include <QDateEdit>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

#include <limits>

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
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_name->setPlaceholderText(tr("Ada Lovelace"));
    m_department->setObjectName(QStringLiteral("departmentEdit"));
    m_department->setPlaceholderText(tr("Research"));
    m_title->setObjectName(QStringLiteral("titleEdit"));
    m_title->setPlaceholderText(tr("Analyst"));
    m_email->setObjectName(QStringLiteral("emailEdit"));
    m_email->setPlaceholderText(tr("ada@example.org"));
    m_salary->setObjectName(QStringLiteral("salaryEdit"));
    m_salary->setPlaceholderText(tr("52000.00"));
    m_salary->setToolTip(tr("A yearly amount with up to two decimals, for example 52000 or 52000.50"));
    m_hireDate->setObjectName(QStringLiteral("hireDateEdit"));
    m_hireDate->setCalendarPopup(true);
    m_hireDate->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    m_error->setObjectName(QStringLiteral("formError"));
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->hide();

    auto *layout = new QFormLayout(this);
    layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addRow(tr("&ID:"), m_id);
    layout->addRow(tr("&Name:"), m_name);
    layout->addRow(tr("D&epartment:"), m_department);
    layout->addRow(tr("Tit&le:"), m_title);
    layout->addRow(tr("E&mail:"), m_email);
    layout->addRow(tr("Sala&ry:"), m_salary);
    layout->addRow(tr("Hire date:"), m_hireDate);
    layout->addRow(m_error);

    for (QLineEdit *field : {m_name, m_salary})
        connect(field, &QLineEdit::textEdited, m_error, &QWidget::hide);
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
    if (m_id->value() < m_id->maximum())
        m_id->setValue(m_id->value() + 1);
    m_name->clear();
    m_email->clear();
    m_name->setFocus();
}
