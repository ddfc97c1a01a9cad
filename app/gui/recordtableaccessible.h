// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QAccessibleWidget>
#include <QHash>
#include <QItemSelectionModel>
#include <QPersistentModelIndex>

class RecordTableView;

// What a screen reader sees of a RecordTableView: a table of rows and columns whose cells can
// be read, walked and selected. Qt gives this to QTableView alone (its factory goes by class
// name), so the records table brings its own. Cells are made when asked for and forgotten
// when the model changes shape; nothing is kept per row otherwise.
class RecordTableAccessible : public QAccessibleWidget, public QAccessibleTableInterface
{
public:
    explicit RecordTableAccessible(RecordTableView *view);
    ~RecordTableAccessible() override;
    // Lets Qt's accessibility find this interface for every RecordTableView; once per process.
    static void installFactory();
    // The cell's place among the table's children: row by row, every column of the model.
    static int childIndex(const QModelIndex &cell);

    void *interface_cast(QAccessible::InterfaceType type) override;
    int childCount() const override;
    QAccessibleInterface *child(int index) const override;
    int indexOfChild(const QAccessibleInterface *child) const override;
    QAccessibleInterface *childAt(int x, int y) const override;
    QAccessibleInterface *focusChild() const override;

    QAccessibleInterface *caption() const override { return nullptr; }
    QAccessibleInterface *summary() const override { return nullptr; }
    QAccessibleInterface *cellAt(int row, int column) const override;
    int columnCount() const override;
    int rowCount() const override;
    QString columnDescription(int column) const override;
    QString rowDescription(int row) const override;
    int selectedCellCount() const override;
    QList<QAccessibleInterface *> selectedCells() const override;
    int selectedColumnCount() const override { return 0; }
    int selectedRowCount() const override;
    QList<int> selectedColumns() const override { return {}; }
    QList<int> selectedRows() const override;
    bool isColumnSelected(int) const override { return false; }
    bool isRowSelected(int row) const override;
    bool selectRow(int row) override;
    bool selectColumn(int) override { return false; }
    bool unselectRow(int row) override;
    bool unselectColumn(int) override { return false; }
    void modelChange(QAccessibleTableModelChangeEvent *event) override;

    RecordTableView *view() const;

private:
    bool changeRowSelection(int row, QItemSelectionModel::SelectionFlag change);
    void forgetCells();

    mutable QHash<QPersistentModelIndex, QAccessible::Id> m_cells;
};
