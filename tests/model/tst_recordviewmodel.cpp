// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "recordbatch.h"
#include "recordviewmodel.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

namespace {

using Column = EmployeeTableModel::Column;

// Frames of `perFrame` generated records, numbered from `firstSequence`; the transport
// alternates so that column sorts too.
RecordBatchList frames(quint64 seed, int count, int perFrame, quint64 firstSequence)
{
    EmployeeGenerator generator(seed, quint32(seed * 100000));
    RecordBatchList batches;
    for (int done = 0; done < count; done += perFrame) {
        const quint64 sequence = firstSequence + quint64(batches.size());
        const qint64 sent = 1'700'000'000'000'000 + qint64(sequence) * 977 % 100000;
        batches.append(FrameCodec::batchOf(generator.take(qMin(perFrame, count - done)), sequence,
                                           sequence % 2 ? QStringLiteral("tcp") : QStringLiteral("localsocket"),
                                           sent, sent + qint64(sequence % 7) * 100));
    }
    return batches;
}

// The reference order: a stable sort of the source rows by the model's own SortRole values
// (text by its UTF-8 bytes, the order RecordViewModel documents).
QVector<int> referenceOrder(const EmployeeTableModel &model, int column, Qt::SortOrder order,
                            const std::function<bool(int)> &keep = {})
{
    QVector<int> rows;
    for (int row = 0; row < model.rowCount(); ++row)
        if (!keep || keep(row))
            rows.append(row);
    if (column < 0)
        return rows;
    const auto key = [&](int row) { return model.index(row, column).data(EmployeeTableModel::SortRole); };
    std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) {
        const QVariant ka = key(a), kb = key(b);
        int c = 0;
        if (ka.typeId() == QMetaType::QString)
            c = ka.toString().toUtf8().compare(kb.toString().toUtf8());
        else if (ka.typeId() == QMetaType::QDate)
            c = ka.toDate() < kb.toDate() ? -1 : (kb.toDate() < ka.toDate() ? 1 : 0);
        else
            c = QVariant::compare(ka, kb) == QPartialOrdering::Less ? -1 : (QVariant::compare(ka, kb) == QPartialOrdering::Greater ? 1 : 0);
        return order == Qt::AscendingOrder ? c < 0 : c > 0;
    });
    return rows;
}

QVector<int> shownOrder(const RecordViewModel &view)
{
    QVector<int> rows;
    for (int row = 0; row < view.rowCount(); ++row)
        rows.append(view.mapToSource(view.index(row, 0)).row());
    return rows;
}

bool matchesFilter(const EmployeeTableModel &model, int row, const QString &needle)
{
    for (int column : {Column::Name, Column::Department, Column::Title, Column::Email})
        if (model.index(row, column).data().toString().contains(needle, Qt::CaseInsensitive))
            return true;
    const bool digits = std::all_of(needle.cbegin(), needle.cend(), [](QChar c) { return c.isDigit(); });
    return digits && model.index(row, Column::Id).data().toString().contains(needle);
}

} // namespace

class TestRecordViewModel final : public QObject
{
    Q_OBJECT

private slots:
    void sortsLikeAStableSort_data();
    void sortsLikeAStableSort();
    void filtersCaseInsensitively_data();
    void filtersCaseInsensitively();
    void rowsArrivingWhileSortedAndFilteredAreMergedIn();
    void persistentIndexFollowsItsRecord();
    void selectionFollowsItsRecordsThroughMergeAndFilter();
    void cancelKeepsTheOrderShown();
    void clearWhileSortedStartsAfresh();
};

void TestRecordViewModel::sortsLikeAStableSort_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<Qt::SortOrder>("order");
    for (int column : {Column::Id, Column::Name, Column::Email, Column::Salary, Column::HireDate, Column::Sequence,
                       Column::Transport, Column::LatencyUs}) {
        const QByteArray name = EmployeeTableModel().headerData(column, Qt::Horizontal).toString().toUtf8();
        QTest::newRow(name + " ascending") << column << Qt::AscendingOrder;
        QTest::newRow(name + " descending") << column << Qt::DescendingOrder;
    }
}

void TestRecordViewModel::sortsLikeAStableSort()
{
    QFETCH(int, column);
    QFETCH(Qt::SortOrder, order);
    EmployeeTableModel model;
    model.appendBatches(frames(3, 3000, 7, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy busy(&view, &RecordViewModel::busyChanged);

    view.sort(column, order);
    QTRY_VERIFY(!view.isBusy());
    QCOMPARE(busy.count(), 2); // started, finished
    QCOMPARE(shownOrder(view), referenceOrder(model, column, order));
    QCOMPARE(view.index(0, column).data(), model.index(referenceOrder(model, column, order).first(), column).data());
}

void TestRecordViewModel::filtersCaseInsensitively_data()
{
    QTest::addColumn<QString>("needle");
    QTest::newRow("ascii, other case") << QStringLiteral("ANA");
    QTest::newRow("accented") << QStringLiteral("öZTÜRK");
    QTest::newRow("across a comma") << QStringLiteral("s, e");
    QTest::newRow("digits: ids too") << QStringLiteral("3001");
    QTest::newRow("nothing matches") << QStringLiteral("no such text anywhere");
}

void TestRecordViewModel::filtersCaseInsensitively()
{
    QFETCH(QString, needle);
    EmployeeTableModel model;
    model.appendBatches(frames(5, 2000, 100, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);

    view.setFilter(needle);
    QTRY_VERIFY(!view.isBusy());
    const QVector<int> expected = referenceOrder(model, -1, Qt::AscendingOrder,
                                                 [&](int row) { return matchesFilter(model, row, needle); });
    QCOMPARE(shownOrder(view), expected);

    view.setFilter(QString());
    QTRY_VERIFY(!view.isBusy());
    QCOMPARE(view.rowCount(), model.rowCount());
}

void TestRecordViewModel::rowsArrivingWhileSortedAndFilteredAreMergedIn()
{
    EmployeeTableModel model;
    model.appendBatches(frames(7, 5000, 50, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.setFilter(QStringLiteral("engineer"));
    view.sort(Column::Salary, Qt::DescendingOrder);
    // Rows keep arriving while the sort runs and after it: each burst is merged in.
    for (int burst = 0; burst < 5; ++burst) {
        model.appendBatches(frames(100 + quint64(burst), 997, 13, 1000 + quint64(burst) * 100));
        QTest::qWait(50);
    }
    const auto settled = [&] {
        return !view.isBusy()
            && shownOrder(view) == referenceOrder(model, Column::Salary, Qt::DescendingOrder,
                                                  [&](int row) { return matchesFilter(model, row, QStringLiteral("engineer")); });
    };
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 10000);
    QVERIFY(view.rowCount() > 0);
    QVERIFY(view.rowCount() < model.rowCount());
}

void TestRecordViewModel::persistentIndexFollowsItsRecord()
{
    EmployeeTableModel model;
    model.appendBatches(frames(9, 1000, 10, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.sort(Column::Salary, Qt::AscendingOrder);
    QTRY_VERIFY(!view.isBusy());
    // With a persistent index the merge is a layout change (rows announced at the end, then
    // moved into place); without one, the rows' contents change in place.
    const QPersistentModelIndex watched = view.index(500, Column::Id);
    const QVariant id = watched.data();
    model.appendBatches(frames(11, 1000, 10, 500));
    QTRY_COMPARE(view.rowCount(), 2000);
    QVERIFY(watched.isValid());
    QCOMPARE(watched.data(), id);
    QCOMPARE(shownOrder(view), referenceOrder(model, Column::Salary, Qt::AscendingOrder));
}

void TestRecordViewModel::selectionFollowsItsRecordsThroughMergeAndFilter()
{
    // A selection (several persistent indexes) goes through a layout change; its rows must
    // stay on their records whatever moves around them.
    EmployeeTableModel model;
    model.appendBatches(frames(21, 1000, 10, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QItemSelectionModel selection(&view);
    view.sort(Column::Salary, Qt::AscendingOrder);
    QTRY_VERIFY(!view.isBusy());
    selection.select(QItemSelection(view.index(300, 0), view.index(302, Column::Id)), QItemSelectionModel::Select);
    const auto selectedIds = [&] {
        QStringList ids;
        for (const QModelIndex &index : selection.selectedIndexes())
            ids << index.siblingAtColumn(Column::Id).data().toString();
        ids.removeDuplicates();
        ids.sort();
        return ids;
    };
    const QStringList before = selectedIds();
    QCOMPARE(before.size(), 3);
    model.appendBatches(frames(23, 1000, 10, 500));
    QTRY_COMPARE(view.rowCount(), 2000);
    QTRY_VERIFY(!view.isBusy());
    QCOMPARE(selectedIds(), before);
    QCOMPARE(shownOrder(view), referenceOrder(model, Column::Salary, Qt::AscendingOrder));
    view.setFilter(QStringLiteral("zzz-no-such-name"));
    QTRY_VERIFY(!view.isBusy());
    QCOMPARE(view.rowCount(), 0);
    QVERIFY(selection.selectedIndexes().isEmpty());
}

void TestRecordViewModel::cancelKeepsTheOrderShown()
{
    EmployeeTableModel model;
    model.appendBatches(frames(13, 400000, 4096, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QSignalSpy busy(&view, &RecordViewModel::busyChanged);
    view.sort(Column::Name, Qt::AscendingOrder);
    QVERIFY(view.isBusy());
    view.cancel();
    QTRY_VERIFY(!view.isBusy());
    QCOMPARE(view.query().sortColumn, -1);
    QCOMPARE(view.rowCount(), model.rowCount());
    QCOMPARE(view.mapToSource(view.index(12345, 0)).row(), 12345); // still arrival order
    QCOMPARE(busy.last().at(0).toBool(), false);
}

void TestRecordViewModel::clearWhileSortedStartsAfresh()
{
    EmployeeTableModel model;
    model.appendBatches(frames(17, 3000, 30, 1));
    RecordViewModel view;
    view.setSourceModel(&model);
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.sort(Column::Id, Qt::DescendingOrder);
    model.clear();
    QCOMPARE(view.rowCount(), 0);
    model.appendBatches(frames(19, 300, 30, 1));
    QTRY_COMPARE(shownOrder(view), referenceOrder(model, Column::Id, Qt::DescendingOrder));
}

QTEST_GUILESS_MAIN(TestRecordViewModel)
#include "tst_recordviewmodel.moc"
