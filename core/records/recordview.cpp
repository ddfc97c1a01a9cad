// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordview.h"

Employee RecordView::toEmployee() const
{
    Employee e;
    e.id = id;
    e.salaryCents = salaryCents;
    if (hireYear != 0 || hireMonth != 0 || hireDay != 0)
        e.hireDate = QDate(hireYear, hireMonth, hireDay);
    e.name = QString::fromUtf8(name);
    e.department = QString::fromUtf8(department);
    e.title = QString::fromUtf8(title);
    e.email = QString::fromUtf8(email);
    return e;
}
