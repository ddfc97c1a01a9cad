// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QAbstractItemView>

class QHeaderView;

// The table of records: the receiver's, the sender's "Sent" preview and the benchmark's table
// rows (so the benchmark measures the table a user sees). Rows of one fixed height, whole-row
// selection, a sortable column header, no word wrap.
//
// Why not QTableView: its vertical header keeps state for every row, even hidden, and walks it
// whenever rows arrive; at ten million rows each batch cost the GUI thread 10-17 ms and the
// array's doublings up to 140 ms (docs/benchmarks.md). Here a row's place is arithmetic
// (row x height), so a view of a hundred million rows costs what a view of a hundred does:
// it keeps nothing per row, and it paints and hit-tests only the rows on screen.
class RecordTableView : public QAbstractItemView
{
    Q_OBJECT
public:
    explicit RecordTableView(QWidget *parent = nullptr);
    ~RecordTableView() override;

    void setModel(QAbstractItemModel *model) override;
    QHeaderView *horizontalHeader() const { return m_header; }
    int rowHeight() const { return m_rowHeight; }
    void setColumnHidden(int column, bool hide);
    // As QTableView's: a click on a column's title sorts the model by it (QAbstractItemModel::sort).
    void setSortingEnabled(bool enable);
    void sortByColumn(int column, Qt::SortOrder order);
    // Columns of an EmployeeTableModel wide enough for their title with its sort arrow and for
    // typical content; ids and numbers are never cut, long text is elided.
    void sizeColumnsForRecords();

    // Text typed into the table is handed on (typedText), not looked for: QAbstractItemView would
    // read every row for one that starts with it, 1.8 s a key at 10 M rows.
    void keyboardSearch(const QString &search) override;

    QRect visualRect(const QModelIndex &index) const override;
    void scrollTo(const QModelIndex &index, ScrollHint hint = EnsureVisible) override;
    QModelIndex indexAt(const QPoint &point) const override;

signals:
    void typedText(const QString &text);

protected slots:
    void dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles = {}) override;
    void currentChanged(const QModelIndex &current, const QModelIndex &previous) override;

protected:
    QModelIndex moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers modifiers) override;
    int horizontalOffset() const override;
    int verticalOffset() const override;
    bool isIndexHidden(const QModelIndex &index) const override;
    void setSelection(const QRect &rect, QItemSelectionModel::SelectionFlags command) override;
    QRegion visualRegionForSelection(const QItemSelection &selection) const override;
    void updateGeometries() override;
    void scrollContentsBy(int dx, int dy) override;
    void resizeEvent(QResizeEvent *event) override;
    void paintEvent(QPaintEvent *event) override;

private:
    int firstShownRow() const;
    int rowsInPage() const;
    // The row at viewport height y, which may lie outside the model (above it, or past its end).
    int rowAtY(int y) const;
    // Where a row's top is in the viewport; rows far off screen are kept far off, not wrapped.
    int rowY(int row) const;
    int rowCount() const;
    // Visible columns in the order shown, for the cursor's left and right.
    QList<int> shownColumns() const;
    void rowsChanged(int first);

    QHeaderView *m_header;
    int m_rowHeight;
    bool m_sortingEnabled = false;
    bool m_layingOut = false;
};
