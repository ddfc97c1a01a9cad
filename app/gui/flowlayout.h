// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLayout>
#include <QList>
#include <QStyle>

// Lays its widgets out left to right and starts a new line when the width runs out, like words
// in a paragraph: a narrow window gets more lines instead of cut or scrolled items. Its height
// follows from the width it is given (heightForWidth), so the layouts around it make room.
class FlowLayout : public QLayout
{
public:
    explicit FlowLayout(QWidget *parent = nullptr);
    ~FlowLayout() override;

    void addItem(QLayoutItem *item) override;
    int count() const override;
    QLayoutItem *itemAt(int index) const override;
    QLayoutItem *takeAt(int index) override;
    Qt::Orientations expandingDirections() const override;
    bool hasHeightForWidth() const override;
    int heightForWidth(int width) const override;
    QSize minimumSize() const override;
    QSize sizeHint() const override;
    void setGeometry(const QRect &rect) override;

private:
    // Places the items in `rect`, or only measures when `apply` is false; returns the height used.
    int arrange(const QRect &rect, bool apply) const;
    // The layout's spacing, or where none was set, the style's for its widget.
    int gap(QStyle::PixelMetric metric) const;

    QList<QLayoutItem *> m_items;
};
