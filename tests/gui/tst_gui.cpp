// SPDX-License-Identifier: GPL-3.0-or-later
#include "connectionpanel.h"
#include "csv.h"
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "pluginmanager.h"
#include "receiverpanel.h"
#include "recordviewmodel.h"
#include "senderpanel.h"
#include "windowtest.h"

#include <QAction>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSignalSpy>
#include <QPushButton>
#include <QSpinBox>
#include "recordtableview.h"
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using WindowTest::child;

// A receiver window and a sender window in one process, talking over real TCP on loopback,
// driven the way a user would: typing in the form, pressing buttons, dropping files.
class TestGui final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void titlesNameRoleTransportAndAddress();
    void typedEmployeeArrives();
    void generatedEmployeesArrive();
    void tableSortsAndFilters();
    void exportImportsBack();
    void droppedPluginIsListed();
    void droppedPluginCarriesRecords();
    void droppedTextFileChangesNothing();
    void pluginsDialogListsEveryFile();
    void csvFileIsCheckedWholeThenSent();
    void sharedMemoryWaitIsChosenInTheWindow();
    void cleanupTestCase();

private:
    QString counter(const char *name) { return child<QLabel>(m_receiver.get(), name)->text(); }
    static void reconnect(MainWindow *window, const QString &transport, const QString &address);

    QTemporaryDir m_dataHome;
    QTemporaryDir m_work;
    QString m_address;
    std::unique_ptr<PluginManager> m_plugins;
    std::unique_ptr<MainWindow> m_receiver;
    std::unique_ptr<MainWindow> m_sender;
    Employee m_typed;
};

void TestGui::initTestCase()
{
    QVERIFY(m_dataHome.isValid() && m_work.isValid());
    // The per-user plugin folder, where drops are copied, must be this test's own.
    qputenv("XDG_DATA_HOME", m_dataHome.path().toLocal8Bit());

    m_address = WindowTest::freeTcpAddress();
    m_plugins = WindowTest::builtPlugins();
    QVERIFY2(m_plugins->findById(QStringLiteral("tcp")), "the tcp plugin must be built");

    AppOptions options;
    options.transport = QStringLiteral("tcp");
    options.address = m_address;
    m_receiver = std::make_unique<MainWindow>(EndpointRole::Receiver, options, *m_plugins);
    m_receiver->show();
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);

    options.seed = 11;
    options.firstId = 1000;
    m_sender = std::make_unique<MainWindow>(EndpointRole::Sender, options, *m_plugins);
    m_sender->show();
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
    QTRY_VERIFY(child<QLabel>(m_receiver.get(), "stateLabel")->text().contains(QLatin1String("1 sender connected")));
}

void TestGui::titlesNameRoleTransportAndAddress()
{
    for (MainWindow *window : {m_receiver.get(), m_sender.get()}) {
        QVERIFY(window->windowTitle().contains(QLatin1String("TCP")));
        QVERIFY(window->windowTitle().contains(m_address));
    }
    QVERIFY(m_receiver->windowTitle().startsWith(QLatin1String("Receiver")));
    QVERIFY(m_sender->windowTitle().startsWith(QLatin1String("Sender")));
    const QString info = child<QLabel>(m_sender.get(), "transportInfo")->text();
    QVERIFY(info.contains(m_plugins->findById(QStringLiteral("tcp"))->metadata.capabilities.summary()));
    // Locked while connected: the address cannot change under an open endpoint.
    QVERIFY(!child<QComboBox>(m_sender.get(), "transportCombo")->isEnabled());
    QVERIFY(!child<QLineEdit>(m_sender.get(), "addressEdit")->isEnabled());
}

void TestGui::typedEmployeeArrives()
{
    MainWindow *sender = m_sender.get();
    auto *id = child<QSpinBox>(sender, "idEdit");
    id->selectAll();
    QTest::keyClicks(id, QStringLiteral("4242"));
    QTest::keyClicks(child<QLineEdit>(sender, "nameEdit"), QStringLiteral("Grace Hopper"));
    QTest::keyClicks(child<QLineEdit>(sender, "departmentEdit"), QStringLiteral("Navy, Research"));
    QTest::keyClicks(child<QLineEdit>(sender, "titleEdit"), QStringLiteral("Rear \"Amazing\" Admiral"));
    QTest::keyClicks(child<QLineEdit>(sender, "emailEdit"), QStringLiteral("grace@example.org"));
    QTest::keyClicks(child<QLineEdit>(sender, "salaryEdit"), QStringLiteral("98765.43"));
    const QDate hired = child<QDateEdit>(sender, "hireDateEdit")->date();

    sender->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(sender));
    QTest::keyClick(child<QLineEdit>(sender, "nameEdit"), Qt::Key_Return, Qt::ControlModifier);

    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    QTRY_COMPARE(model->rowCount(), 1);
    m_typed = {4242, QStringLiteral("Grace Hopper"), QStringLiteral("Navy, Research"),
               QStringLiteral("Rear \"Amazing\" Admiral"), QStringLiteral("grace@example.org"), 9876543, hired};
    QCOMPARE(model->store().record(0).toEmployee(), m_typed);
    QCOMPARE(model->store().locate(0).batch->transport, QStringLiteral("tcp"));
    QTRY_COMPARE(counter("receivedCounter"), QStringLiteral("1"));
    // The form is ready for the next person.
    QCOMPARE(child<QSpinBox>(sender, "idEdit")->value(), 4243);
    QVERIFY(child<QLineEdit>(sender, "nameEdit")->text().isEmpty());
}

void TestGui::generatedEmployeesArrive()
{
    MainWindow *sender = m_sender.get();
    child<QSpinBox>(sender, "generateCount")->setValue(500);
    QTest::mouseClick(child<QPushButton>(sender, "generateButton"), Qt::LeftButton);

    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 501, 20000);
    QTRY_COMPARE(counter("receivedCounter"), QLocale().toString(501));
    QCOMPARE(counter("lostCounter"), QStringLiteral("0"));
    QCOMPARE(counter("duplicateCounter"), QStringLiteral("0"));
    QCOMPARE(counter("badFrameCounter"), QStringLiteral("0"));
    QVERIFY(counter("rateCounter") != QLatin1String("0"));
    // The seed's records, under ids that go on from the form's ID field (4243 after the typed 4242).
    QCOMPARE(model->store().record(1).toEmployee(), EmployeeGenerator(11, 4243).next());
    QCOMPARE(child<QSpinBox>(sender, "idEdit")->value(), 4243 + 500);

    auto *progress = child<QProgressBar>(sender, "sendProgress");
    QTRY_COMPARE(progress->value(), progress->maximum());
    QTRY_VERIFY(child<QLabel>(sender, "sendStatus")->text().contains(QLatin1String("all acknowledged")));
    QVERIFY(child<QPlainTextEdit>(m_receiver.get(), "logView")->toPlainText().contains(QLatin1String("connected")));
}

void TestGui::tableSortsAndFilters()
{
    RecordTableView *table = m_receiver->receiverPanel()->table();
    QAbstractItemModel *view = table->model();
    RecordViewModel *records = m_receiver->receiverPanel()->view();
    table->sortByColumn(EmployeeTableModel::Salary, Qt::DescendingOrder);
    QTRY_VERIFY(!records->isBusy()); // sorting runs on a worker thread
    QCOMPARE(view->rowCount(), 501);
    for (int row = 1; row < view->rowCount(); ++row)
        QVERIFY(view->index(row - 1, EmployeeTableModel::Salary).data(EmployeeTableModel::SortRole).toLongLong()
                >= view->index(row, EmployeeTableModel::Salary).data(EmployeeTableModel::SortRole).toLongLong());

    QTest::keyClicks(child<QLineEdit>(m_receiver.get(), "filterEdit"), QStringLiteral("grace hopper"));
    QTRY_COMPARE(view->rowCount(), 1); // after a pause in typing, on a worker thread
    QCOMPARE(view->index(0, EmployeeTableModel::Id).data().toUInt(), 4242u);
    QVERIFY(child<QLabel>(m_receiver.get(), "rowInfo")->text().contains(QLatin1String("1 of")));
    child<QLineEdit>(m_receiver.get(), "filterEdit")->clear();
    QTRY_COMPARE(view->rowCount(), 501);
    // Typed into the table, a letter starts the filter (Qt's own search would read every row).
    QTest::keyClick(table, Qt::Key_G);
    QTest::keyClick(table, Qt::Key_R);
    QCOMPARE(child<QLineEdit>(m_receiver.get(), "filterEdit")->text(), QStringLiteral("gr"));
    child<QLineEdit>(m_receiver.get(), "filterEdit")->clear();
    QTRY_COMPARE(view->rowCount(), 501);
    table->sortByColumn(-1, Qt::AscendingOrder);
    QTRY_COMPARE(records->query().sortColumn, -1);
    QTRY_VERIFY(!records->isBusy());
    QCOMPARE(view->index(0, EmployeeTableModel::Id).data().toUInt(), 4242u); // arrival order again
}

void TestGui::exportImportsBack()
{
    ReceiverPanel *panel = m_receiver->receiverPanel();
    const QString all = m_work.filePath(QStringLiteral("all.csv"));
    QSignalSpy exported(panel, &ReceiverPanel::exportFinished);
    QVERIFY(panel->exportCsv(all, false));
    QTRY_COMPARE(exported.count(), 1); // written on a worker thread
    QVERIFY(exported.takeFirst().at(0).toBool());
    EmployeeList imported;
    const Csv::Result result = Csv::importEmployees(all, &imported);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(imported.size(), 501);
    for (int row = 0; row < imported.size(); ++row)
        QCOMPARE(imported.at(row), panel->model()->store().record(row).toEmployee());
    QCOMPARE(imported.first(), m_typed);

    // Only the selected rows, in table order.
    panel->table()->selectionModel()->select(
        QItemSelection(panel->table()->model()->index(10, 0), panel->table()->model()->index(19, 0)),
        QItemSelectionModel::Select | QItemSelectionModel::Rows);
    const QString some = m_work.filePath(QStringLiteral("some.csv"));
    QVERIFY(panel->exportCsv(some, true));
    QTRY_COMPARE(exported.count(), 1);
    QVERIFY(exported.takeFirst().at(0).toBool());
    QVERIFY(Csv::importEmployees(some, &imported).ok);
    QCOMPARE(imported.size(), 10);
    QCOMPARE(imported.first(), panel->model()->store().record(10).toEmployee());
}

void TestGui::droppedPluginIsListed()
{
    auto *combo = child<QComboBox>(m_receiver.get(), "transportCombo");
    QCOMPARE(combo->findData(QStringLiteral("fixture-loopback")), -1);
    const QString plugin = QStringLiteral(IPCW_LOOPBACK_PLUGIN);
    WindowTest::drop(m_receiver.get(), {plugin});

    QVERIFY(combo->findData(QStringLiteral("fixture-loopback")) >= 0);
    QVERIFY(child<QComboBox>(m_sender.get(), "transportCombo")->findData(QStringLiteral("fixture-loopback")) >= 0);
    QVERIFY(m_receiver->messageBar()->isVisible());
    QVERIFY(m_receiver->messageBar()->text().contains(QLatin1String("fixture-loopback")));
    // Copied to the per-user folder, so the next start finds it too.
    QVERIFY(QFileInfo::exists(QDir(PluginManager::userPluginFolder()).filePath(QFileInfo(plugin).fileName())));
    QVERIFY(PluginManager::userPluginFolder().startsWith(m_dataHome.path()));
}

void TestGui::reconnect(MainWindow *window, const QString &transport, const QString &address)
{
    ConnectionPanel *connection = window->connectionPanel();
    QTest::mouseClick(connection->closeButton(), Qt::LeftButton);
    QCOMPARE(window->connectionState(), TransportEndpoint::State::Closed);
    QVERIFY(connection->selectTransport(transport));
    auto *edit = window->findChild<QLineEdit *>(QStringLiteral("addressEdit"));
    edit->clear();
    QTest::keyClicks(edit, address);
    QTest::mouseClick(connection->openButton(), Qt::LeftButton);
}

void TestGui::droppedPluginCarriesRecords()
{
    reconnect(m_sender.get(), QStringLiteral("fixture-loopback"), QStringLiteral("gui-test"));
    reconnect(m_receiver.get(), QStringLiteral("fixture-loopback"), QStringLiteral("gui-test"));
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);
    QVERIFY(m_receiver->windowTitle().contains(QLatin1String("Fixture loopback gui-test")));
    // The sender tried before the receiver listened; it says so and can simply try again.
    QVERIFY(child<QPlainTextEdit>(m_sender.get(), "logView")->toPlainText().contains(QLatin1String("No loopback receiver")));
    QTest::mouseClick(m_sender->connectionPanel()->openButton(), Qt::LeftButton);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);

    QVERIFY(m_sender->senderPanel()->sendGenerated(25));
    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    QTRY_COMPARE(model->rowCount(), 526);
    QCOMPARE(model->store().locate(525).batch->transport, QStringLiteral("fixture-loopback"));
    QTRY_COMPARE(counter("receivedCounter"), QLocale().toString(526));
    QCOMPARE(counter("lostCounter"), QStringLiteral("0"));
}

void TestGui::droppedTextFileChangesNothing()
{
    const QString text = m_work.filePath(QStringLiteral("notes.txt"));
    QFile file(text);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("Not a plugin, just notes.\n");
    file.close();

    auto *combo = child<QComboBox>(m_sender.get(), "transportCombo");
    QStringList before;
    for (int i = 0; i < combo->count(); ++i)
        before << combo->itemData(i).toString();
    WindowTest::drop(m_sender.get(), {text});

    const QString message = m_sender->messageBar()->text();
    QVERIFY2(message.contains(QLatin1String("notes.txt was not opened: only transport plugins")), qPrintable(message));
    QVERIFY2(message.contains(QLatin1String("Nothing was changed")), qPrintable(message));
    QVERIFY(m_sender->messageBar()->isVisible());
    QStringList after;
    for (int i = 0; i < combo->count(); ++i)
        after << combo->itemData(i).toString();
    QCOMPARE(after, before);
    QVERIFY(!QFileInfo::exists(QDir(PluginManager::userPluginFolder()).filePath(QStringLiteral("notes.txt"))));
    QCOMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
}

void TestGui::pluginsDialogListsEveryFile()
{
    m_sender->findChild<QAction *>(QStringLiteral("pluginsAction"))->trigger();
    auto *table = m_sender->findChild<QTableWidget *>(QStringLiteral("pluginTable"));
    QVERIFY(table && table->isVisible());
    QCOMPARE(table->rowCount(), int(m_plugins->plugins().size()));
    QMap<QString, QString> results; // file name -> stage and sentence
    for (int row = 0; row < table->rowCount(); ++row)
        results.insert(table->item(row, 0)->text(), table->item(row, 3)->text() + QLatin1Char('|') + table->item(row, 4)->text());
    QVERIFY(results.value(QStringLiteral("libipcw_tcp.so")).startsWith(QLatin1String("ready|Ready: reliable")));
    QVERIFY(results.value(QFileInfo(QStringLiteral(IPCW_LOOPBACK_PLUGIN)).fileName()).startsWith(QLatin1String("ready|")));
    // A dropped text file never reached the plugin manager.
    QVERIFY(!results.contains(QStringLiteral("notes.txt")));
}

void TestGui::csvFileIsCheckedWholeThenSent()
{
    SenderPanel *panel = m_sender->senderPanel();
    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    const int before = model->rowCount();
    const EmployeeList employees = EmployeeGenerator(21, 50000).take(300);
    const QByteArray csv = Csv::encode(employees);
    const auto write = [&](const QString &name, const QByteArray &bytes) {
        const QString path = m_work.filePath(name);
        QFile file(path);
        return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() ? path : QString();
    };

    // A bad last row refuses the whole file: not one of the rows before it is sent.
    const QString bad = write(QStringLiteral("bad.csv"), csv + "x,a,b,c,d,1.00,\r\n");
    QVERIFY(panel->sendCsvFile(bad));
    auto *log = child<QPlainTextEdit>(m_sender.get(), "logView");
    QTRY_VERIFY(log->toPlainText().contains(QLatin1String("column 1: the id must be a whole number")));
    QTest::qWait(200);
    QCOMPARE(model->rowCount(), before);

    QVERIFY(panel->sendCsvFile(write(QStringLiteral("good.csv"), csv)));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), before + 300, 20000);
    QCOMPARE(model->store().record(before).toEmployee(), employees.first());
    QCOMPARE(model->store().record(before + 299).toEmployee(), employees.last());
    // The sender's preview ends with the file's last record.
    QAbstractItemModel *sent = child<RecordTableView>(m_sender.get(), "sentTable")->model();
    QCOMPARE(sent->index(sent->rowCount() - 1, EmployeeTableModel::Id).data().toUInt(), employees.last().id);
}

// The filemapping transport's way to wait: a choice under the address, kept in the address
// (?wait=), reachable from the keyboard, and records cross with both ends spinning.
void TestGui::sharedMemoryWaitIsChosenInTheWindow()
{
    const QString name = QStringLiteral("gui-wait-%1").arg(QCoreApplication::applicationPid());
    for (MainWindow *window : {m_receiver.get(), m_sender.get()}) {
        ConnectionPanel *connection = window->connectionPanel();
        QTest::mouseClick(connection->closeButton(), Qt::LeftButton);
        QVERIFY(connection->selectTransport(QStringLiteral("filemapping"), name));
        auto *wait = child<QComboBox>(window, "waitCombo");
        QVERIFY(wait->isVisible());
        QCOMPARE(wait->currentData().toString(), QStringLiteral("block"));
        window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window));
        QTest::keyClick(window, Qt::Key_W, Qt::AltModifier); // the label's mnemonic
        QTRY_VERIFY(wait->hasFocus());
        QTest::keyClick(wait, Qt::Key_End);
        QCOMPARE(wait->currentData().toString(), QStringLiteral("spin"));
        QCOMPARE(child<QLineEdit>(window, "addressEdit")->text(), name + QStringLiteral("?wait=spin"));
    }
    // Typed into the address, the choice follows; back to blocking, the option goes.
    auto *edit = child<QLineEdit>(m_sender.get(), "addressEdit");
    auto *senderWait = child<QComboBox>(m_sender.get(), "waitCombo");
    edit->setText(name + QStringLiteral("?size=1M&wait=spinblock"));
    QCOMPARE(senderWait->currentData().toString(), QStringLiteral("spinblock"));
    senderWait->setCurrentIndex(senderWait->findData(QStringLiteral("block")));
    QCOMPARE(edit->text(), name + QStringLiteral("?size=1M"));
    senderWait->setCurrentIndex(senderWait->findData(QStringLiteral("spin")));
    QCOMPARE(edit->text(), name + QStringLiteral("?size=1M&wait=spin"));

    QTest::mouseClick(m_receiver->connectionPanel()->openButton(), Qt::LeftButton);
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);
    QTest::mouseClick(m_sender->connectionPanel()->openButton(), Qt::LeftButton);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
    QVERIFY(!senderWait->isEnabled()); // locked with the address while connected
    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    const int before = model->rowCount();
    QVERIFY(m_sender->senderPanel()->sendGenerated(200));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), before + 200, 20000);
    QCOMPARE(model->store().locate(before).batch->transport, QStringLiteral("filemapping"));

    // Only the shared-memory transport offers it.
    QTest::mouseClick(m_sender->connectionPanel()->closeButton(), Qt::LeftButton);
    QVERIFY(m_sender->connectionPanel()->selectTransport(QStringLiteral("tcp")));
    QVERIFY(!senderWait->isVisible());
}

void TestGui::cleanupTestCase()
{
    m_sender.reset();
    m_receiver.reset();
}

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
