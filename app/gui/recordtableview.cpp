// SPDX-License-Identifier: GPL-3.0-or-later
#include "recordtableview.h"

#include "employeetablemodel.h"
#include "recordtableaccessible.h"

#include <QAccessible>
#include <QHeaderView>
#include <QPaintEvent>
#include <QPainter>
#include <QScrollBar>

#include <climits>

namespace {

constexpr int GridWidth = 1;

// A height on screen, computed wide and kept far enough off screen to stay clear of int's ends
// (a row a hundred million rows away is simply not in view).
int clampedY(qint64 y)
{
    constexpr qint64 Far = 1 << 24;
    return int(qBound(-Far, y, Far));
}

} // namespace

RecordTableView::RecordTableView(QWidget *parent)
    : QAbstractItemView(parent), m_header(new QHeaderView(Qt::Horizontal, this)), m_rowHeight(fontMetrics().height() + 6)
{
    RecordTableAccessible::installFactory();
    setSelectionBehavior(SelectRows);
    setSelectionMode(ExtendedSelection);
    setAlternatingRowColors(true);
    setHorizontalScrollMode(ScrollPerPixel);
    m_header->setHighlightSections(false);
    auto relayout = [this] {
        updateGeometries();
        viewport()->update();
    };
    connect(m_header, &QHeaderView::sectionResized, this, relayout);
    connect(m_header, &QHeaderView::sectionMoved, this, relayout);
    connect(m_header, &QHeaderView::sectionCountChanged, this, relayout);
    connect(m_header, &QHeaderView::geometriesChanged, this, relayout);
    connect(m_header, &QHeaderView::sortIndicatorChanged, this, [this](int column, Qt::SortOrder order) {
        if (m_sortingEnabled && model())
            model()->sort(column, order);
    });
}

RecordTableView::~RecordTableView()
{
    // QWidget's destructor hides the header, which reports new geometries: by then this is no
    // longer a RecordTableView to lay out.
    m_header->disconnect(this);
}

void RecordTableView::setModel(QAbstractItemModel *model)
{
    if (QAbstractItemModel *old = this->model())
        disconnect(old, nullptr, this, nullptr); // ours; QAbstractItemView::setModel remakes its own
    QAbstractItemView::setModel(model);
    m_header->setModel(model);
    if (model) {
        connect(model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first) { rowsChanged(first); });
        connect(model, &QAbstractItemModel::rowsRemoved, this, [this](const QModelIndex &, int first) { rowsChanged(first); });
        connect(model, &QAbstractItemModel::modelReset, this, [this] { rowsChanged(0); });
    }
    updateGeometries();
}

void RecordTableView::setColumnHidden(int column, bool hide)
{
    m_header->setSectionHidden(column, hide);
}

void RecordTableView::setSortingEnabled(bool enable)
{
    m_sortingEnabled = enable;
    m_header->setSortIndicatorShown(enable);
    m_header->setSectionsClickable(enable);
    if (enable && model())
        model()->sort(m_header->sortIndicatorSection(), m_header->sortIndicatorOrder());
}

void RecordTableView::sortByColumn(int column, Qt::SortOrder order)
{
    if (column < -1)
        return;
    const bool changes = column != m_header->sortIndicatorSection() || order != m_header->sortIndicatorOrder();
    m_header->setSortIndicator(column, order); // while sorting is enabled, a change sorts through sortIndicatorChanged
    if ((!m_sortingEnabled || !changes) && model())
        model()->sort(column, order);
}

void RecordTableView::sizeColumnsForRecords()
{
    // The widest id and salary the wire format carries; typical lengths for the text columns.
    const QList<QPair<int, QString>> samples = {
        {EmployeeTableModel::Id, QStringLiteral("4294967295")}, {EmployeeTableModel::Name, QStringLiteral("Marie-Claire Nakamura")},
        {EmployeeTableModel::Department, QStringLiteral("Engineering")}, {EmployeeTableModel::Title, QStringLiteral("Senior Engineer")},
        {EmployeeTableModel::Email, QStringLiteral("marieclaire.nakamura@example")}, {EmployeeTableModel::Salary, QStringLiteral("00000000.00")},
        {EmployeeTableModel::HireDate, QStringLiteral("0000-00-00")}, {EmployeeTableModel::Sequence, QStringLiteral("0000000")},
        {EmployeeTableModel::Transport, QStringLiteral("localsocket")}, {EmployeeTableModel::SentAt, QStringLiteral("00:00:00.000")},
        {EmployeeTableModel::ReceivedAt, QStringLiteral("00:00:00.000")}};
    const QFontMetrics cellMetrics = fontMetrics();
    const QFontMetrics headerMetrics = m_header->fontMetrics();
    for (const auto &[column, sample] : samples) {
        const QString title = model()->headerData(column, Qt::Horizontal).toString();
        m_header->resizeSection(column, qMax(cellMetrics.horizontalAdvance(sample) + 12, headerMetrics.horizontalAdvance(title) + 28));
    }
}

void RecordTableView::keyboardSearch(const QString &search)
{
    emit typedText(search);
}

int RecordTableView::rowCount() const
{
    return model() ? model()->rowCount(rootIndex()) : 0;
}

int RecordTableView::firstShownRow() const
{
    return verticalScrollBar()->value();
}

int RecordTableView::rowsInPage() const
{
    return qMax(1, viewport()->height() / m_rowHeight);
}

int RecordTableView::rowAtY(int y) const
{
    // Rounded down, also above the viewport (y < 0), where a drag may start.
    const int rowsDown = y >= 0 ? y / m_rowHeight : -1 - (-y - 1) / m_rowHeight;
    return int(qBound(qint64(INT_MIN), qint64(firstShownRow()) + rowsDown, qint64(INT_MAX)));
}

int RecordTableView::rowY(int row) const
{
    return clampedY((qint64(row) - firstShownRow()) * m_rowHeight);
}

QList<int> RecordTableView::shownColumns() const
{
    QList<int> columns;
    for (int visual = 0; visual < m_header->count(); ++visual) {
        const int logical = m_header->logicalIndex(visual);
        if (!m_header->isSectionHidden(logical))
            columns.append(logical);
    }
    return columns;
}

void RecordTableView::rowsChanged(int first)
{
    updateGeometries();
    if (first <= firstShownRow() + rowsInPage())
        viewport()->update();
}

void RecordTableView::dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles)
{
    if (topLeft == bottomRight) {
        QAbstractItemView::dataChanged(topLeft, bottomRight, roles);
        return;
    }
    // QAbstractItemView would ask for the rectangle of every changed cell: after a sorted view's
    // merge that is every cell of ten million rows (4 s here). The rows on screen are enough.
    if (topLeft.row() <= firstShownRow() + rowsInPage() && bottomRight.row() >= firstShownRow())
        viewport()->update();
}

void RecordTableView::currentChanged(const QModelIndex &current, const QModelIndex &previous)
{
    QAbstractItemView::currentChanged(current, previous);
    // QTableView tells a screen reader where the keyboard went; QAbstractItemView does not.
    if (QAccessible::isActive() && current.isValid() && hasFocus()) {
        QAccessibleEvent moved(this, QAccessible::Focus);
        moved.setChild(RecordTableAccessible::childIndex(current));
        QAccessible::updateAccessibility(&moved);
    }
}

QRect RecordTableView::visualRect(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != model() || index.parent() != rootIndex() || isIndexHidden(index))
        return {};
    return QRect(m_header->sectionViewportPosition(index.column()), rowY(index.row()),
                 m_header->sectionSize(index.column()) - GridWidth, m_rowHeight - GridWidth);
}

void RecordTableView::scrollTo(const QModelIndex &index, ScrollHint hint)
{
    if (!index.isValid() || index.model() != model())
        return;
    const int row = index.row();
    const int page = rowsInPage();
    int top = firstShownRow();
    switch (hint) {
    case EnsureVisible:
        if (row < top)
            top = row;
        else if (row >= top + page)
            top = row - page + 1;
        break;
    case PositionAtTop:
        top = row;
        break;
    case PositionAtBottom:
        top = row - page + 1;
        break;
    case PositionAtCenter:
        top = row - page / 2;
        break;
    }
    verticalScrollBar()->setValue(top); // the scroll bar keeps it within the rows

    if (isIndexHidden(index))
        return;
    QScrollBar *across = horizontalScrollBar();
    const int left = m_header->sectionPosition(index.column());
    const int right = left + m_header->sectionSize(index.column());
    if (left < across->value())
        across->setValue(left);
    else if (right > across->value() + viewport()->width())
        across->setValue(qMin(left, right - viewport()->width()));
}

QModelIndex RecordTableView::indexAt(const QPoint &point) const
{
    const int row = rowAtY(point.y());
    const int column = m_header->logicalIndexAt(point.x());
    if (!model() || row < 0 || row >= rowCount() || column < 0)
        return {};
    return model()->index(row, column, rootIndex());
}

QModelIndex RecordTableView::moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers)
{
    const int rows = rowCount();
    const QList<int> columns = shownColumns();
    if (rows == 0 || columns.isEmpty())
        return {};
    const QModelIndex current = currentIndex();
    if (!current.isValid())
        return model()->index(qMin(firstShownRow(), rows - 1), columns.first(), rootIndex());

    int row = current.row();
    int column = qMax(0, int(columns.indexOf(current.column())));
    const int forward = isRightToLeft() ? -1 : 1;
    switch (cursorAction) {
    case MoveUp: --row; break;
    case MoveDown: ++row; break;
    case MovePageUp: row -= rowsInPage(); break;
    case MovePageDown: row += rowsInPage(); break;
    case MoveHome: row = 0; break; // in a list of records, the first record
    case MoveEnd: row = rows - 1; break;
    case MoveLeft: column -= forward; break;
    case MoveRight: column += forward; break;
    case MovePrevious: --column; break;
    case MoveNext: ++column; break;
    }
    row = qBound(0, row, rows - 1);
    column = qBound(0, column, int(columns.size()) - 1);
    return model()->index(row, columns.at(column), rootIndex());
}

int RecordTableView::horizontalOffset() const
{
    return m_header->offset();
}

int RecordTableView::verticalOffset() const
{
    // In pixels, as QAbstractItemView keeps a drag's start point; past about 90 M rows that
    // no longer fits an int, and a drag selection across such a scroll starts at the cap.
    return int(qMin<qint64>(qint64(firstShownRow()) * m_rowHeight, INT_MAX));
}

bool RecordTableView::isIndexHidden(const QModelIndex &index) const
{
    return m_header->isSectionHidden(index.column());
}

void RecordTableView::setSelection(const QRect &rect, QItemSelectionModel::SelectionFlags command)
{
    const int rows = rowCount();
    const QList<int> columns = shownColumns();
    if (!selectionModel() || rows == 0 || columns.isEmpty())
        return;
    const QRect area = rect.normalized();
    const int top = qBound(0, rowAtY(area.top()), rows - 1);
    const int bottom = qBound(0, rowAtY(area.bottom()), rows - 1);
    // Columns by where they are shown; a point left or right of them all takes the nearest.
    auto columnAt = [&](int x) {
        const int logical = m_header->logicalIndexAt(x);
        if (logical >= 0 && !m_header->isSectionHidden(logical))
            return logical;
        return x < m_header->sectionViewportPosition(columns.first()) ? columns.first() : columns.last();
    };
    const int from = columnAt(area.left());
    const int to = columnAt(area.right());
    const QItemSelection selection(model()->index(top, qMin(from, to), rootIndex()), model()->index(bottom, qMax(from, to), rootIndex()));
    selectionModel()->select(selection, command);
}

QRegion RecordTableView::visualRegionForSelection(const QItemSelection &selection) const
{
    // Whole rows: a few more pixels repainted, no per-column arithmetic.
    QRegion region;
    const int first = firstShownRow();
    const int last = first + rowsInPage();
    for (const QItemSelectionRange &range : selection) {
        if (!range.isValid() || range.parent() != rootIndex())
            continue;
        const int top = qMax(range.top(), first);
        const int bottom = qMin(range.bottom(), last);
        if (top <= bottom)
            region += QRect(0, rowY(top), viewport()->width(), (bottom - top + 1) * m_rowHeight);
    }
    return region;
}

void RecordTableView::updateGeometries()
{
    if (m_layingOut) // setViewportMargins and the header's own resizing call back here
        return;
    m_layingOut = true;
    const int headerHeight = qMax(m_header->minimumHeight(), m_header->sizeHint().height());
    setViewportMargins(0, headerHeight, 0, 0);
    const QRect area = viewport()->geometry();
    m_header->setGeometry(area.left(), area.top() - headerHeight, area.width(), headerHeight);

    const int page = rowsInPage();
    QScrollBar *down = verticalScrollBar();
    down->setRange(0, qMax(0, rowCount() - page));
    down->setPageStep(page);
    down->setSingleStep(1);
    QScrollBar *across = horizontalScrollBar();
    across->setRange(0, qMax(0, m_header->length() - area.width()));
    across->setPageStep(area.width());
    across->setSingleStep(m_rowHeight);
    m_header->setOffset(across->value());
    m_layingOut = false;
    QAbstractItemView::updateGeometries();
}

void RecordTableView::scrollContentsBy(int dx, int dy)
{
    if (dx)
        m_header->setOffset(horizontalScrollBar()->value());
    const qint64 down = qint64(dy) * m_rowHeight; // the vertical scroll bar counts rows
    if (qAbs(down) >= viewport()->height())
        viewport()->update();
    else
        viewport()->scroll(isRightToLeft() ? -dx : dx, int(down));
}

void RecordTableView::resizeEvent(QResizeEvent *event)
{
    // A view showing the last row keeps showing it when it gets shorter (a status line appears
    // above it, a scroll bar below), as the sender's "Sent" table, which follows its newest row.
    QScrollBar *down = verticalScrollBar();
    const bool atBottom = down->maximum() > 0 && down->value() == down->maximum();
    QAbstractItemView::resizeEvent(event);
    if (atBottom)
        down->setValue(down->maximum());
}

void RecordTableView::paintEvent(QPaintEvent *event)
{
    const int rows = rowCount();
    const QList<int> columns = shownColumns();
    if (rows == 0 || columns.isEmpty())
        return;
    QPainter painter(viewport());
    QStyleOptionViewItem option;
    initViewItemOption(&option);
    option.showDecorationSelected = true; // a selected row is highlighted whole, as in QTableView

    const QRect dirty = event->rect();
    const int first = qMax(0, rowAtY(dirty.top()));
    const int last = qMin(rows - 1, rowAtY(dirty.bottom()));
    QList<int> painted; // the columns the dirty rectangle touches
    for (int column : columns) {
        const int x = m_header->sectionViewportPosition(column);
        if (x <= dirty.right() && x + m_header->sectionSize(column) > dirty.left())
            painted.append(column);
    }
    const QModelIndex current = currentIndex();
    const bool focused = (hasFocus() || viewport()->hasFocus()) && current.isValid();
    QItemSelectionModel *selection = selectionModel();

    for (int row = first; row <= last; ++row) {
        const int y = rowY(row);
        option.features.setFlag(QStyleOptionViewItem::Alternate, alternatingRowColors() && (row & 1));
        for (int column : std::as_const(painted)) {
            const QModelIndex index = model()->index(row, column, rootIndex());
            QStyleOptionViewItem cell = option;
            cell.rect = QRect(m_header->sectionViewportPosition(column), y, m_header->sectionSize(column) - GridWidth, m_rowHeight - GridWidth);
            if (selection && selection->isSelected(index))
                cell.state |= QStyle::State_Selected;
            if (focused && index == current)
                cell.state |= QStyle::State_HasFocus;
            style()->drawPrimitive(QStyle::PE_PanelItemViewRow, &cell, &painter, this);
            itemDelegateForIndex(index)->paint(&painter, cell, index);
        }
    }

    // The grid, as QTableView draws it: a line right of every column and below every row.
    const int gridHint = style()->styleHint(QStyle::SH_Table_GridLineColor, &option, this);
    painter.setPen(QColor::fromRgba(static_cast<QRgb>(gridHint)));
    const int top = rowY(first);
    const int bottom = rowY(last) + m_rowHeight - GridWidth;
    int right = 0;
    for (int column : std::as_const(painted)) {
        const int x = m_header->sectionViewportPosition(column) + m_header->sectionSize(column) - GridWidth;
        painter.drawLine(x, top, x, bottom);
        right = qMax(right, x);
    }
    for (int row = first; row <= last; ++row) {
        const int y = rowY(row) + m_rowHeight - GridWidth;
        painter.drawLine(dirty.left(), y, qMin(right, dirty.right()), y);
    }
}
