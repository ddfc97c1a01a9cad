// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "employee.h"

#include <QGroupBox>
#include <optional>

class QDateEdit;
class QLabel;
class QLineEdit;
class QSpinBox;

// One employee typed by hand. Checks the fields before anything is sent and says which one
// is wrong, in the form itself. The ID field holds the id of the next employee sent, typed or
// generated, so the ids of one window never repeat.
class EmployeeForm : public QGroupBox
{
    Q_OBJECT
public:
    explicit EmployeeForm(QWidget *parent = nullptr);

    // The employee in the fields, or nothing (with the reason shown under the form).
    std::optional<Employee> employee();
    // After a send: the next id, and the name and email cleared for the next person.
    void prepareNext();

    // A button beside the last field (the window's Send).
    void addButton(QWidget *button);

    quint32 nextId() const;
    void setNextId(quint32 id);

private:
    void showError(QWidget *field, const QString &message);

    QSpinBox *m_id;
    QLineEdit *m_name;
    QLineEdit *m_department;
    QLineEdit *m_title;
    QLineEdit *m_email;
    QLineEdit *m_salary;
    QDateEdit *m_hireDate;
    QLabel *m_error;
};
