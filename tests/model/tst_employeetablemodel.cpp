// SPDX-License-Identifier: GPL-3.0-or-later
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "recordbatch.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QSignalSpy>
#include <QTest>

namespace {

// `count` frames of one record each, numbered from `firstSequence`, as a receiver indexes them.
RecordBatchList makeRecords(quint32 firstId, int count, quint64 firstSequence)
{
    EmployeeGenerator generator(7, firstId);
    RecordBatchList batches;
    for (int i = 0; i < count; ++i) {
        const qint64 sent = 1'700'000'000'000'000 + i;
        batches.append(FrameCodec::batchOf(EmployeeList{generator.next()}, firstSequence + quint64(i),
                                           QStringLiteral("tcp"), sent, sent + 250));
    }
    return batches;
}

// A local wall-clock time, so the expected display text does not depend on the time zone.
const QDateTime sentLocal(QDate(2024, 1, 2), QTime(13, 14, 15, 678));
const qint64 knownSentAtUs = sentLocal.toMSecsSinceEpoch() * 1000 + 901;
const qint64 knownReceivedAtUs = knownSentAtUs + 1500;

Employee knownEmployee()
{
    Employee e;
    e.id = 4'000'000'000u;
    e.name = QStringLiteral("Zoë Müller");
    e.department = QStringLiteral("Research & Development");
    e.title = QStringLiteral("=Head of Sums");
    e.email = QStringLiteral("zoe@example.com");
    e.salaryCents = 123456;
    e.hireDate = QDate(2021, 3, 4);
    return e;
}

RecordBatchPtr knownRecord(const Employee &employee = knownEmployee())
{
    return FrameCodec::batchOf(EmployeeList{employee}, 99, QStringLiteral("localsocket"), knownSentAtUs, knownReceivedAtUs);
}

} // namespace

class TestEmployeeTableModel final : public QObject
{
    Q_OBJECT

private slots:
    void batchesAndClearKeepTheModelConsistent();
    void displayRole();
    void sortRole();
    void alignmentAndHeaders();
    void nullHireDateDisplaysEmpty();
    void holdsAMillionRows();
};

void TestEmployeeTableModel::batchesAndClearKeepTheModelConsistent()
{
    EmployeeTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    const int batchSizes[] = {1, 250, 17};
    int expectedRows = 0;
    for (int size : batchSizes) {
        model.appendBatches(makeRecords(quint32(expectedRows + 1), size, quint64(expectedRows)));
        QCOMPARE(inserted.count(), 1);
        const QList<QVariant> arguments = inserted.takeFirst();
        QCOMPARE(arguments.at(1).toInt(), expectedRows);
        QCOMPARE(arguments.at(2).toInt(), expectedRows + size - 1);
        expectedRows += size;
        QCOMPARE(model.rowCount(), expectedRows);
    }
    QCOMPARE(model.columnCount(), int(EmployeeTableModel::ColumnCount));
    QCOMPARE(model.store().record(250).id(), 251u);

    model.appendBatches({});
    QCOMPARE(inserted.count(), 0);

    model.clear();
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.store().rowCount(), 0);

    model.appendBatches(makeRecords(1, 5, 0));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), 5);
}

void TestEmployeeTableModel::displayRole()
{
    EmployeeTableModel model;
    model.appendBatches({knownRecord()});
    const auto display = [&](EmployeeTableModel::Column column) { return model.index(0, column).data(); };

    QCOMPARE(display(EmployeeTableModel::Id).toString(), QStringLiteral("4000000000"));
    QCOMPARE(display(EmployeeTableModel::Name).toString(), QStringLiteral("Zoë Müller"));
    QCOMPARE(display(EmployeeTableModel::Department).toString(), QStringLiteral("Research & Development"));
    QCOMPARE(display(EmployeeTableModel::Title).toString(), QStringLiteral("=Head of Sums"));
    QCOMPARE(display(EmployeeTableModel::Email).toString(), QStringLiteral("zoe@example.com"));
    QCOMPARE(display(EmployeeTableModel::Salary).toString(), QStringLiteral("1234.56"));
    QCOMPARE(display(EmployeeTableModel::HireDate).toString(), QStringLiteral("2021-03-04"));
    QCOMPARE(display(EmployeeTableModel::Sequence).toString(), QStringLiteral("99"));
    QCOMPARE(display(EmployeeTableModel::Transport).toString(), QStringLiteral("localsocket"));
    QCOMPARE(display(EmployeeTableModel::SentAt).toString(), QStringLiteral("13:14:15.678"));
    QCOMPARE(display(EmployeeTableModel::ReceivedAt).toString(), QStringLiteral("13:14:15.680"));
    QCOMPARE(display(EmployeeTableModel::LatencyUs).toString(), QStringLiteral("1500"));
}

void TestEmployeeTableModel::sortRole()
{
    EmployeeTableModel model;
    model.appendBatches({knownRecord()});
    const auto sortValue = [&](EmployeeTableModel::Column column) {
        return model.index(0, column).data(EmployeeTableModel::SortRole);
    };

    QCOMPARE(sortValue(EmployeeTableModel::Id).typeId(), QMetaType::UInt);
    QCOMPARE(sortValue(EmployeeTableModel::Id).toUInt(), 4'000'000'000u);
    QCOMPARE(sortValue(EmployeeTableModel::Salary).typeId(), QMetaType::LongLong);
    QCOMPARE(sortValue(EmployeeTableModel::Salary).toLongLong(), 123456);
    QCOMPARE(sortValue(EmployeeTableModel::HireDate).typeId(), QMetaType::QDate);
    QCOMPARE(sortValue(EmployeeTableModel::HireDate).toDate(), QDate(2021, 3, 4));
    QCOMPARE(sortValue(EmployeeTableModel::Sequence).toULongLong(), 99u);
    QCOMPARE(sortValue(EmployeeTableModel::SentAt).typeId(), QMetaType::LongLong);
    QCOMPARE(sortValue(EmployeeTableModel::SentAt).toLongLong(), knownSentAtUs);
    QCOMPARE(sortValue(EmployeeTableModel::ReceivedAt).toLongLong(), knownReceivedAtUs);
    QCOMPARE(sortValue(EmployeeTableModel::LatencyUs).typeId(), QMetaType::LongLong);
    QCOMPARE(sortValue(EmployeeTableModel::LatencyUs).toLongLong(), 1500);
    QCOMPARE(sortValue(EmployeeTableModel::Name).toString(), QStringLiteral("Zoë Müller"));
}

void TestEmployeeTableModel::alignmentAndHeaders()
{
    EmployeeTableModel model;
    model.appendBatches({knownRecord()});
    const auto alignment = [&](EmployeeTableModel::Column column) {
        return model.index(0, column).data(Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignHorizontal_Mask;
    };
    QCOMPARE(alignment(EmployeeTableModel::Id), Qt::AlignRight);
    QCOMPARE(alignment(EmployeeTableModel::Salary), Qt::AlignRight);
    QCOMPARE(alignment(EmployeeTableModel::LatencyUs), Qt::AlignRight);
    QCOMPARE(alignment(EmployeeTableModel::Name), Qt::AlignLeft);

    const auto header = [&](int section) { return model.headerData(section, Qt::Horizontal).toString(); };
    QCOMPARE(header(EmployeeTableModel::Id), QStringLiteral("ID"));
    QCOMPARE(header(EmployeeTableModel::Name), QStringLiteral("Name"));
    QCOMPARE(header(EmployeeTableModel::HireDate), QStringLiteral("Hire date"));
    QCOMPARE(header(EmployeeTableModel::LatencyUs), QStringLiteral("Latency (µs)"));
    for (int section = 0; section < EmployeeTableModel::ColumnCount; ++section)
        QVERIFY2(!header(section).isEmpty(), qPrintable(QString::number(section)));
}

void TestEmployeeTableModel::nullHireDateDisplaysEmpty()
{
    Employee employee = knownEmployee();
    employee.hireDate = QDate();
    EmployeeTableModel model;
    model.appendBatches({knownRecord(employee)});
    QCOMPARE(model.index(0, EmployeeTableModel::HireDate).data().toString(), QString());
}

void TestEmployeeTableModel::holdsAMillionRows()
{
    constexpr int rows = 1'000'000;
    EmployeeTableModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    {
        // One frame of 4,000 records, appended 250 times: batches are immutable, so sharing is fine.
        const RecordBatchPtr frame = FrameCodec::batchOf(EmployeeList(4000, knownEmployee()), 1, QStringLiteral("tcp"), 0, 0);
        model.appendBatches(RecordBatchList(rows / 4000, frame));
    }
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), rows);
    QCOMPARE(model.index(rows - 1, EmployeeTableModel::Salary).data().toString(), QStringLiteral("1234.56"));

    model.appendBatches(makeRecords(1, 10, 0));
    QCOMPARE(model.rowCount(), rows + 10);
    QCOMPARE(inserted.count(), 2);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

QTEST_GUILESS_MAIN(TestEmployeeTableModel)
#include "tst_employeetablemodel.moc"
