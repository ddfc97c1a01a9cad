// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class FlowLayout;
class QCheckBox;

// The mechanisms a benchmark run measures: one check box each, all of them in view at once,
// wrapping onto more lines when the window is narrow. Tab moves from box to box, Space ticks.
class MechanismPicker : public QWidget
{
    Q_OBJECT
public:
    struct Choice
    {
        QString id;
        QString toolTip;
        bool tickedWhenNew = true; // the state of a mechanism the picker did not offer before
    };

    explicit MechanismPicker(QWidget *parent = nullptr);

    // Offers `choices` in this order; mechanisms offered before keep their tick.
    void setChoices(const QList<Choice> &choices);
    QStringList checked() const;
    void setChecked(const QStringList &ids);
    QList<QCheckBox *> boxes() const { return m_boxes; }

signals:
    void changed();

private:
    FlowLayout *m_flow = nullptr;
    QList<QCheckBox *> m_boxes;
};
