// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordtableaccessible.h"

#include "recordtableview.h"

#include <QAbstractItemModel>
#include <QItemSelectionModel>
#include <QPointer>

#include <algorithm>
#include <climits>

namespace {

// Lists a screen reader asks for stop here: a selection of ten million rows is not read out
// cell by cell, and building it would cost the GUI thread seconds.
constexpr int MaxListed = 10000;

// One cell: its text, where it is on screen, whether it is selected or current.
class RecordCellAccessible : public QAccessibleInterface, public QAccessibleTableCellInterface
{
public:
    RecordCellAccessible(RecordTableView *view, const QModelIndex &index) : m_view(view), m_index(index) {}

    void *interface_cast(QAccessible::InterfaceType type) override
    {
        return type == QAccessible::TableCellInterface ? static_cast<QAccessibleTableCellInterface *>(this) : nullptr;
    }
    bool isValid() const override { return m_view && m_index.isValid(); }
    QObject *object() const override { return nullptr; }
    QWindow *window() const override { return m_view ? m_view->window()->windowHandle() : nullptr; }
    QAccessibleInterface *parent() const override { return QAccessible::queryAccessibleInterface(m_view); }
    QAccessibleInterface *child(int) const override { return nullptr; }
    int childCount() const override { return 0; }
    int indexOfChild(const QAccessibleInterface *) const override { return -1; }
    QAccessibleInterface *childAt(int, int) const override { return nullptr; }
    QAccessibleInterface *focusChild() const override { return nullptr; }
    QAccessible::Role role() const override { return QAccessible::Cell; }
    QString text(QAccessible::Text t) const override
    {
        if (!isValid() || (t != QAccessible::Name && t != QAccessible::Value))
            return {};
        return m_index.data(Qt::DisplayRole).toString();
    }
    void setText(QAccessible::Text, const QString &) override {}
    QRect rect() const override
    {
        if (!isValid())
            return {};
        const QRect inViewport = m_view->visualRect(m_index);
        return QRect(m_view->viewport()->mapToGlobal(inViewport.topLeft()), inViewport.size());
    }
    QAccessible::State state() const override
    {
        QAccessible::State state;
        if (!isValid())
            return state;
        state.selectable = true;
        state.multiSelectable = true;
        state.focusable = true;
        state.selected = isSelected();
        state.focused = m_view->hasFocus() && m_view->currentIndex() == m_index;
        state.invisible = !m_view->viewport()->rect().intersects(m_view->visualRect(m_index));
        return state;
    }

    bool isSelected() const override { return isValid() && m_view->selectionModel()->isSelected(m_index); }
    QList<QAccessibleInterface *> columnHeaderCells() const override { return {}; }
    QList<QAccessibleInterface *> rowHeaderCells() const override { return {}; }
    int columnIndex() const override { return m_index.column(); }
    int rowIndex() const override { return m_index.row(); }
    int columnExtent() const override { return 1; }
    int rowExtent() const override { return 1; }
    QAccessibleInterface *table() const override { return parent(); }

private:
    QPointer<RecordTableView> m_view;
    QPersistentModelIndex m_index;
};

QAccessibleInterface *createForRecordTable(const QString &className, QObject *object)
{
    if (className == QLatin1String("RecordTableView"))
        if (auto *view = qobject_cast<RecordTableView *>(object))
            return new RecordTableAccessible(view);
    return nullptr;
}

} // namespace

RecordTableAccessible::RecordTableAccessible(RecordTableView *view) : QAccessibleWidget(view, QAccessible::Table)
{
}

RecordTableAccessible::~RecordTableAccessible()
{
    forgetCells();
}

void RecordTableAccessible::installFactory()
{
    static const bool installed = [] {
        QAccessible::installFactory(createForRecordTable);
        return true;
    }();
    Q_UNUSED(installed);
}

int RecordTableAccessible::childIndex(const QModelIndex &cell)
{
    return cell.row() * cell.model()->columnCount(cell.parent()) + cell.column();
}

RecordTableView *RecordTableAccessible::view() const
{
    return static_cast<RecordTableView *>(widget());
}

void *RecordTableAccessible::interface_cast(QAccessible::InterfaceType type)
{
    if (type == QAccessible::TableInterface)
        return static_cast<QAccessibleTableInterface *>(this);
    return QAccessibleWidget::interface_cast(type);
}

int RecordTableAccessible::rowCount() const
{
    return view()->model() ? view()->model()->rowCount(view()->rootIndex()) : 0;
}

int RecordTableAccessible::columnCount() const
{
    return view()->model() ? view()->model()->columnCount(view()->rootIndex()) : 0;
}

int RecordTableAccessible::childCount() const
{
    // Children are the cells, row by row; capped where rows x columns would pass int.
    return int(qMin<qint64>(qint64(rowCount()) * columnCount(), INT_MAX));
}

QAccessibleInterface *RecordTableAccessible::cellAt(int row, int column) const
{
    QAbstractItemModel *model = view()->model();
    if (!model || row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return nullptr;
    const QModelIndex index = model->index(row, column, view()->rootIndex());
    if (const QAccessible::Id id = m_cells.value(index))
        return QAccessible::accessibleInterface(id);
    auto *cell = new RecordCellAccessible(view(), index);
    m_cells.insert(index, QAccessible::registerAccessibleInterface(cell));
    return cell;
}

QAccessibleInterface *RecordTableAccessible::child(int index) const
{
    const int columns = columnCount();
    return columns > 0 && index >= 0 ? cellAt(index / columns, index % columns) : nullptr;
}

int RecordTableAccessible::indexOfChild(const QAccessibleInterface *child) const
{
    if (!child || child->role() != QAccessible::Cell)
        return -1;
    const auto *cell = const_cast<QAccessibleInterface *>(child)->tableCellInterface();
    if (!cell || cell->table() != this || !view()->model())
        return -1;
    return childIndex(view()->model()->index(cell->rowIndex(), cell->columnIndex(), view()->rootIndex()));
}

QAccessibleInterface *RecordTableAccessible::childAt(int x, int y) const
{
    const QPoint inViewport = view()->viewport()->mapFromGlobal(QPoint(x, y));
    const QModelIndex index = view()->indexAt(inViewport);
    return index.isValid() ? cellAt(index.row(), index.column()) : nullptr;
}

QAccessibleInterface *RecordTableAccessible::focusChild() const
{
    const QModelIndex current = view()->currentIndex();
    return current.isValid() ? cellAt(current.row(), current.column()) : nullptr;
}

QString RecordTableAccessible::columnDescription(int column) const
{
    return view()->model() ? view()->model()->headerData(column, Qt::Horizontal).toString() : QString();
}

QString RecordTableAccessible::rowDescription(int row) const
{
    return QString::number(row + 1);
}

int RecordTableAccessible::selectedCellCount() const
{
    qint64 cells = 0;
    for (const QItemSelectionRange &range : view()->selectionModel()->selection())
        cells += qint64(range.width()) * range.height();
    return int(qMin<qint64>(cells, INT_MAX));
}

QList<QAccessibleInterface *> RecordTableAccessible::selectedCells() const
{
    QList<QAccessibleInterface *> cells;
    for (const QItemSelectionRange &range : view()->selectionModel()->selection())
        for (int row = range.top(); row <= range.bottom() && cells.size() < MaxListed; ++row)
            for (int column = range.left(); column <= range.right(); ++column)
                cells.append(cellAt(row, column));
    return cells;
}

int RecordTableAccessible::selectedRowCount() const
{
    // Rows are selected whole (the view selects rows); ranges of one selection do not overlap.
    qint64 rows = 0;
    for (const QItemSelectionRange &range : view()->selectionModel()->selection())
        rows += range.height();
    return int(qMin<qint64>(rows, INT_MAX));
}

QList<int> RecordTableAccessible::selectedRows() const
{
    QList<int> rows;
    for (const QItemSelectionRange &range : view()->selectionModel()->selection())
        for (int row = range.top(); row <= range.bottom() && rows.size() < MaxListed; ++row)
            rows.append(row);
    std::sort(rows.begin(), rows.end());
    return rows;
}

bool RecordTableAccessible::isRowSelected(int row) const
{
    return view()->selectionModel()->isRowSelected(row, view()->rootIndex());
}

bool RecordTableAccessible::selectRow(int row)
{
    return changeRowSelection(row, QItemSelectionModel::Select);
}

bool RecordTableAccessible::unselectRow(int row)
{
    return changeRowSelection(row, QItemSelectionModel::Deselect);
}

bool RecordTableAccessible::changeRowSelection(int row, QItemSelectionModel::SelectionFlag change)
{
    QAbstractItemModel *model = view()->model();
    if (!model || row < 0 || row >= rowCount())
        return false;
    view()->selectionModel()->select(model->index(row, 0, view()->rootIndex()), change | QItemSelectionModel::Rows);
    return true;
}

void RecordTableAccessible::modelChange(QAccessibleTableModelChangeEvent *)
{
    // Rows moved, came or went: cells made for the old shape would name the wrong records.
    forgetCells();
}

void RecordTableAccessible::forgetCells()
{
    for (QAccessible::Id id : std::as_const(m_cells))
        QAccessible::deleteAccessibleInterface(id);
    m_cells.clear();
}
