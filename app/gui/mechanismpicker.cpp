// SPDX-License-Identifier: GPL-3.0-or-later
#include "mechanismpicker.h"

#include "flowlayout.h"

#include <QCheckBox>

MechanismPicker::MechanismPicker(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("benchTransports"));
    m_flow = new FlowLayout(this);
    m_flow->setContentsMargins(0, 0, 0, 0);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void MechanismPicker::setChoices(const QList<Choice> &choices)
{
    const QStringList wasChecked = checked();
    QStringList known;
    for (const QCheckBox *box : std::as_const(m_boxes))
        known << box->property("mechanism").toString();
    qDeleteAll(m_boxes);
    m_boxes.clear();
    for (const Choice &choice : choices) {
        auto *box = new QCheckBox(choice.id, this);
        box->setObjectName(QStringLiteral("benchTransport_") + choice.id);
        box->setProperty("mechanism", choice.id);
        box->setToolTip(choice.toolTip);
        box->setChecked(known.contains(choice.id) ? wasChecked.contains(choice.id) : choice.tickedWhenNew);
        connect(box, &QCheckBox::toggled, this, &MechanismPicker::changed);
        m_flow->addWidget(box);
        m_boxes.append(box);
    }
    // The "Mechanisms:" label's shortcut lands on the first box.
    setFocusProxy(m_boxes.value(0));
    emit changed();
}

QStringList MechanismPicker::checked() const
{
    QStringList ids;
    for (const QCheckBox *box : m_boxes)
        if (box->isChecked())
            ids << box->property("mechanism").toString();
    return ids;
}

void MechanismPicker::setChecked(const QStringList &ids)
{
    for (QCheckBox *box : std::as_const(m_boxes))
        box->setChecked(ids.contains(box->property("mechanism").toString()));
}
