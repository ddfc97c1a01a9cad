// SPDX-License-Identifier: GPL-3.0-or-later
#include "connectionpanel.h"
#include "csv.h"
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "framecodec.h"
#include "framestreamreader.h"
#include "handshake.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "pluginmanager.h"
#include "receiverpanel.h"
#include "senderpanel.h"
#include "windowplacement.h"
#include "windowtest.h"

#include <QAbstractButton>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSpinBox>
#include "recordtableview.h"
#include <QTabWidget>
#include <QTableWidget>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using WindowTest::child;

// What tripped a new user, each as it would regress: a receiver and a sender window under a
// real X server, talking over real TCP on loopback, driven through their widgets.
class TestNewUser final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void windowsFitSideBySideOnASmallScreen();
    void placeholdersAreNotValues();
    void bannerClearsOnceTheProblemIsFixed();
    void senderSaysConnectedOnlyAfterTheReceiversHello();
    void tlsFingerprintIsShownAndPinned();
    void generatedIdsGoOnFromTheIdField();
    void peersHaveReadableNamesAndSentencesOneFullStop();
    void exportShortcutWorksFromTheFilterField();
    void sentTableShowsWholeIds();
    void connectedWindowsGiveTheirTablesTheRoom();
    void progressBarAgreesWithTheResult();
    void droppedCsvLoadsIntoTheSender();
    void droppedRefusalsSayWhyAndRescanForgetsThem();
    void closingAsksWhileRecordsAreUnexported();
    void cleanupTestCase();

private:
    static QString logText(MainWindow *window) { return child<QPlainTextEdit>(window, "logView")->toPlainText(); }
    static void reopen(MainWindow *window, const QString &address);
    QString writeFile(const QString &name, const QByteArray &bytes);
    bool sendAndWait(int count);

    QTemporaryDir m_dataHome;
    QTemporaryDir m_work;
    QString m_address;
    std::unique_ptr<PluginManager> m_plugins;
    std::unique_ptr<MainWindow> m_receiver;
    std::unique_ptr<MainWindow> m_sender;
};

namespace {

// A widget is cut when it has less room than its smallest readable size, or when part of it
// lies outside the window.
QStringList cutWidgets(QWidget *window)
{
    QStringList cut;
    const QRect inside = window->rect();
    const auto widgets = window->findChildren<QWidget *>();
    for (QWidget *w : widgets) {
        if (!w->isVisibleTo(window) || w->isWindow())
            continue;
        if (!qobject_cast<QLabel *>(w) && !qobject_cast<QAbstractButton *>(w) && !qobject_cast<QComboBox *>(w)
            && !qobject_cast<QLineEdit *>(w) && !qobject_cast<QAbstractSpinBox *>(w))
            continue;
        if (qobject_cast<QLineEdit *>(w) && qobject_cast<QAbstractSpinBox *>(w->parentWidget()))
            continue; // the spin box is checked whole
        if (auto *button = qobject_cast<QAbstractButton *>(w); button && button->text().isEmpty())
            continue; // Qt's own icon buttons (a line edit's clear button, a dock's title buttons)
        // Only what the current tab shows: a hidden tab's widgets are laid out when shown.
        if (!w->isVisible())
            continue;
        const QRect where(w->mapTo(window, QPoint(0, 0)), w->size());
        const QString name = QStringLiteral("%1 \"%2\" (%3)")
                                 .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName(),
                                      qobject_cast<QLabel *>(w) ? qobject_cast<QLabel *>(w)->text().left(30)
                                      : qobject_cast<QAbstractButton *>(w) ? qobject_cast<QAbstractButton *>(w)->text()
                                                                             : QString());
        if (!inside.contains(where))
            cut << name + QStringLiteral(" lies outside the window");
        auto *label = qobject_cast<QLabel *>(w);
        if (label && label->wordWrap()) {
            if (label->heightForWidth(label->width()) > label->height() + 1)
                cut << name + QStringLiteral(": its wrapped text needs more height");
        } else if (w->width() < w->minimumSizeHint().width()) {
            cut << name + QStringLiteral(": %1 px wide, needs %2").arg(w->width()).arg(w->minimumSizeHint().width());
        }
    }
    return cut;
}

// Answers the sender like a receiver that acknowledges every frame but the last one it got,
// so a transfer ends with one frame never acknowledged.
class ForgetfulReceiver : public QObject
{
public:
    explicit ForgetfulReceiver(QObject *parent = nullptr) : QObject(parent)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            QTcpSocket *socket = m_server.nextPendingConnection();
            socket->write(Handshake::encodeReceiverHello({})); // a receiver greets first
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                for (const QByteArray &frame : m_reader.readFrom(socket)) {
                    DecodedFrame decoded;
                    if (FrameCodec::decode(frame, &decoded) != DecodeError::None
                        || decoded.header.type != Wire::FrameType::Records)
                        continue;
                    if (m_pending) // the one before is acknowledged now; this one perhaps never
                        socket->write(*m_pending);
                    m_frames += 1;
                    m_records += decoded.header.recordCount;
                    m_pending = FrameCodec::encodeAck(decoded.header.sequence, decoded.header.senderId,
                                                      quint64(m_frames), quint64(m_records));
                }
            });
        });
    }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_server.serverPort()); }

private:
    QTcpServer m_server;
    FrameStreamReader m_reader;
    std::optional<QByteArray> m_pending;
    qint64 m_frames = 0;
    qint64 m_records = 0;
};

} // namespace

void TestNewUser::initTestCase()
{
    QVERIFY(m_dataHome.isValid() && m_work.isValid());
    qputenv("XDG_DATA_HOME", m_dataHome.path().toLocal8Bit());
    m_address = WindowTest::freeTcpAddress();
    m_plugins = WindowTest::builtPlugins();
    QVERIFY2(m_plugins->findById(QStringLiteral("tcp")), "the tcp plugin must be built");

    AppOptions options;
    options.transport = QStringLiteral("tcp");
    options.address = m_address;
    options.firstId = 700;
    // The sender first, with no receiver yet: its refusal is the banner the user sees.
    m_sender = std::make_unique<MainWindow>(EndpointRole::Sender, options, *m_plugins);
    m_sender->show();
    QTRY_VERIFY(m_sender->messageBar()->isVisible());
}

void TestNewUser::windowsFitSideBySideOnASmallScreen()
{
    AppOptions options;
    options.transport = QStringLiteral("tcp");
    options.address = m_address;
    m_receiver = std::make_unique<MainWindow>(EndpointRole::Receiver, options, *m_plugins);
    m_receiver->show();
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);

    // A 1366x768 screen, less what a desktop takes: a panel (about 27 px) and each window's
    // title bar and borders.
    const QRect screen(0, 0, 1366, 768);
    const QSize frameAllowance(10, 64);
    const QRect left = WindowPlacement::halfFor(EndpointRole::Receiver, screen);
    const QRect right = WindowPlacement::halfFor(EndpointRole::Sender, screen);
    QVERIFY(!left.intersects(right));
    QVERIFY(screen.contains(left) && screen.contains(right));
    QCOMPARE(left.width() + right.width(), 1366);

    // Every problem of both windows at once: one fix may need to see them all.
    QStringList problems;
    for (MainWindow *window : {m_receiver.get(), m_sender.get()}) {
        const QSize room = left.size() - frameAllowance;
        const QSize smallest = window->minimumSizeHint().expandedTo(window->minimumSize());
        qInfo("%s needs at least %dx%d", qPrintable(window->objectName()), smallest.width(), smallest.height());
        if (smallest.width() > room.width() || smallest.height() > room.height())
            problems << QStringLiteral("%1 needs %2x%3, half the screen gives %4x%5")
                            .arg(window->objectName()).arg(smallest.width()).arg(smallest.height())
                            .arg(room.width()).arg(room.height());
        window->resize(room);
        QTest::qWait(50);
        auto *tabs = child<QTabWidget>(window, "tabs");
        for (int tab = 0; tab < tabs->count(); ++tab) {
            tabs->setCurrentIndex(tab);
            QTest::qWait(50);
            for (const QString &cut : cutWidgets(window))
                problems << QStringLiteral("%1, tab %2: %3").arg(window->objectName(), tabs->tabText(tab), cut);
        }
        tabs->setCurrentIndex(0);
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

void TestNewUser::placeholdersAreNotValues()
{
    // Every optional field's hint says it is optional and only an example.
    for (const char *name : {"departmentEdit", "titleEdit", "emailEdit", "salaryEdit"}) {
        const QString hint = child<QLineEdit>(m_sender.get(), name)->placeholderText();
        QVERIFY2(hint.startsWith(QLatin1String("optional, e.g. ")), qPrintable(hint));
    }
    auto *email = child<QLineEdit>(m_sender.get(), "emailEdit");
    child<QLineEdit>(m_sender.get(), "nameEdit")->setText(QStringLiteral("Ada Lovelace"));
    email->setText(QStringLiteral("not an email"));
    // Not connected yet, but the form is checked first.
    QVERIFY(!m_sender->senderPanel()->sendForm());
    auto *error = child<QLabel>(m_sender.get(), "formError");
    QVERIFY(error->isVisibleTo(m_sender.get()));
    QVERIFY2(error->text().contains(QLatin1String("is not an e-mail address")), qPrintable(error->text()));
    email->clear();
    child<QLineEdit>(m_sender.get(), "nameEdit")->clear();
}

void TestNewUser::bannerClearsOnceTheProblemIsFixed()
{
    // The sender tried before anyone listened: its banner says so...
    MessageBar *banner = m_sender->messageBar();
    QVERIFY2(banner->isVisible() && banner->text().contains(QLatin1String("Nobody is listening")), qPrintable(banner->text()));
    // ... until it connects.
    QTest::mouseClick(m_sender->connectionPanel()->openButton(), Qt::LeftButton);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
    QVERIFY(!banner->isVisible());

    // A bad CSV file: a sentence in the banner until a transfer goes through.
    QVERIFY(m_sender->senderPanel()->sendCsvFile(writeFile(QStringLiteral("bad.csv"), "id,name,department,title,email,salary,hire_date\r\nx,Ada,,,,,\r\n")));
    QTRY_VERIFY(banner->isVisible());
    QVERIFY2(banner->text().startsWith(QLatin1String("bad.csv was not sent: Line 2")), qPrintable(banner->text()));
    QVERIFY(sendAndWait(10));
    QTRY_VERIFY(!banner->isVisible());

    // The receiver's banner: a port already in use, gone once it listens elsewhere.
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    reopen(m_receiver.get(), QStringLiteral("127.0.0.1:%1").arg(squatter.serverPort()));
    QTRY_VERIFY(m_receiver->messageBar()->isVisible());
    QVERIFY2(m_receiver->messageBar()->text().contains(QLatin1String("already in use")), qPrintable(m_receiver->messageBar()->text()));
    reopen(m_receiver.get(), m_address);
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);
    QVERIFY(!m_receiver->messageBar()->isVisible());
    reopen(m_sender.get(), m_address);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
}

// Issue 11, item 7: a program that accepts the connection and says nothing is not a receiver.
// The window never says "Connected", and within seconds says what is wrong.
void TestNewUser::senderSaysConnectedOnlyAfterTheReceiversHello()
{
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<QTcpSocket>> held;
    connect(&silent, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = silent.nextPendingConnection())
            held.emplace_back(s);
    });
    const QString address = QStringLiteral("127.0.0.1:%1").arg(silent.serverPort());
    const qsizetype logBefore = logText(m_sender.get()).size();
    reopen(m_sender.get(), address);
    auto *status = child<QLabel>(m_sender.get(), "stateLabel");
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 5000 && !m_sender->messageBar()->isVisible()) {
        QVERIFY(m_sender->connectionState() != TransportEndpoint::State::Connected);
        QVERIFY2(!status->text().startsWith(QLatin1String("Connected")), qPrintable(status->text()));
        QTest::qWait(20);
    }
    QVERIFY2(!held.empty(), "the window never reached the silent listener");
    const QString banner = m_sender->messageBar()->text();
    QVERIFY2(banner.contains(QStringLiteral("The program at %1 accepted the connection but did not answer as an IPC "
                                            "Workshop receiver within 3 s.").arg(address)), qPrintable(banner));
    QVERIFY(!logText(m_sender.get()).mid(logBefore).contains(QLatin1String("Connected")));

    reopen(m_sender.get(), m_address);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
}

// Issue 11, item 8, in the windows: the receiver shows the fingerprint of the certificate it
// made, a sender that pins it sends over TLS, and one that pins another is refused with a sentence.
void TestNewUser::tlsFingerprintIsShownAndPinned()
{
    const QString address = WindowTest::freeTcpAddress();
    child<QCheckBox>(m_receiver.get(), "tlsCheck")->setChecked(true);
    reopen(m_receiver.get(), address);
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);
    const QString shown = child<QLineEdit>(m_receiver.get(), "fingerprintEdit")->text();
    const QList<QSslCertificate> certificates =
        QSslCertificate::fromPath(m_dataHome.filePath(QStringLiteral("ipcworkshop/tls/receiver-certificate.pem")));
    QCOMPARE(certificates.size(), 1);
    QCOMPARE(shown, QString::fromLatin1(certificates.first().digest(QCryptographicHash::Sha256).toHex(':').toUpper()));

    auto *pin = child<QLineEdit>(m_sender.get(), "fingerprintEdit");
    QString other = shown;
    other[0] = other.at(0) == QLatin1Char('0') ? QLatin1Char('1') : QLatin1Char('0');
    pin->setText(other);
    reopen(m_sender.get(), address);
    QTRY_VERIFY(m_sender->messageBar()->isVisible());
    QVERIFY2(m_sender->messageBar()->text().contains(QStringLiteral("presented a TLS certificate with SHA-256 %1, not the expected %2")
                                                         .arg(shown, other)), qPrintable(m_sender->messageBar()->text()));
    QVERIFY(m_sender->connectionState() != TransportEndpoint::State::Connected);

    pin->setText(shown);
    reopen(m_sender.get(), address);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
    QVERIFY(sendAndWait(25));

    // Back to plain loopback for what follows.
    child<QCheckBox>(m_receiver.get(), "tlsCheck")->setChecked(false);
    pin->clear();
    reopen(m_receiver.get(), m_address);
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);
    reopen(m_sender.get(), m_address);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
}

void TestNewUser::generatedIdsGoOnFromTheIdField()
{
    auto *id = child<QSpinBox>(m_sender.get(), "idEdit");
    const int first = id->value();
    QVERIFY(first > 700); // 700 was --first-id; sendAndWait(10) used 700..709
    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    const int before = model->rowCount();
    QVERIFY(sendAndWait(20));
    QCOMPARE(model->store().record(before).toEmployee().id, quint32(first));
    QCOMPARE(model->store().record(before + 19).toEmployee().id, quint32(first + 19));
    QCOMPARE(id->value(), first + 20);
    // Sessions, not connections, and the tooltip says so.
    auto *sessions = child<QLabel>(m_receiver.get(), "sendersCounter");
    QVERIFY(sessions->toolTip().contains(QLatin1String("session")));
    QVERIFY(child<QLabel>(m_receiver.get(), "duplicateCounter")->toolTip().contains(QLatin1String("share an id")));
}

void TestNewUser::peersHaveReadableNamesAndSentencesOneFullStop()
{
    const QString receiverLog = logText(m_receiver.get());
    QVERIFY2(receiverLog.contains(QRegularExpression(QStringLiteral("Sender #\\d+ \\(127\\.0\\.0\\.1:\\d+\\) connected\\."))),
             qPrintable(receiverLog));
    QVERIFY2(!receiverLog.contains(QRegularExpression(QStringLiteral("\\d{7,}\\s+(connected|disconnected)"))), qPrintable(receiverLog));
    for (MainWindow *window : {m_receiver.get(), m_sender.get()}) {
        const QString log = logText(window);
        QVERIFY2(!log.contains(QRegularExpression(QStringLiteral("[^.]\\.\\.(\\s|$)"))), qPrintable(log));
    }
    QVERIFY(child<QLabel>(m_sender.get(), "stateLabel")->text().startsWith(QLatin1String("Connected over TCP (127.0.0.1:")));
}

void TestNewUser::exportShortcutWorksFromTheFilterField()
{
    auto *filter = child<QLineEdit>(m_receiver.get(), "filterEdit");
    m_receiver->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_receiver.get()));
    filter->setFocus();
    QTRY_VERIFY(filter->hasFocus());
    QSignalSpy triggered(m_receiver->receiverPanel()->exportAction(), &QAction::triggered);
    // The file dialog the action opens is closed as soon as it shows.
    QTimer::singleShot(300, this, [] {
        if (QWidget *dialog = QApplication::activeModalWidget())
            dialog->close();
    });
    QTest::keyClick(filter, Qt::Key_E, Qt::ControlModifier);
    QTRY_COMPARE(triggered.count(), 1);
    QTRY_VERIFY(!QApplication::activeModalWidget());
}

void TestNewUser::sentTableShowsWholeIds()
{
    auto *table = child<RecordTableView>(m_sender.get(), "sentTable");
    const int width = table->horizontalHeader()->sectionSize(EmployeeTableModel::Id);
    QVERIFY2(width >= table->fontMetrics().horizontalAdvance(QStringLiteral("4294967295")), qPrintable(QString::number(width)));
}

// Once connected, a window on half of a 1366x768 screen folds the transport's description
// (its tooltip keeps it) so that the records table shows rows, not a sliver.
void TestNewUser::connectedWindowsGiveTheirTablesTheRoom()
{
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
    QTRY_COMPARE(m_receiver->connectionState(), TransportEndpoint::State::Listening);
    const QSize room = WindowPlacement::halfFor(EndpointRole::Sender, QRect(0, 0, 1366, 768)).size() - QSize(10, 64);
    const QString description = m_plugins->findById(QStringLiteral("tcp"))->metadata.description;
    for (MainWindow *window : {m_sender.get(), m_receiver.get()}) {
        window->resize(room);
        QTest::qWait(100);
        auto *info = child<QLabel>(window, "transportInfo");
        QVERIFY(!info->text().contains(description.toHtmlEscaped()));
        QCOMPARE(info->toolTip(), description);
        auto *table = child<RecordTableView>(window, window == m_sender.get() ? "sentTable" : "receivedTable");
        const int rows = table->viewport()->height() / table->rowHeight();
        qInfo("%s: %d rows of the table in view", qPrintable(window->objectName()), rows);
        QVERIFY2(rows >= 3, qPrintable(QString::number(rows)));
    }
    // Closed, the description is back where a user choosing a mechanism reads it.
    QTest::mouseClick(m_sender->connectionPanel()->closeButton(), Qt::LeftButton);
    QVERIFY(child<QLabel>(m_sender.get(), "transportInfo")->text().contains(description.toHtmlEscaped()));
    QTest::mouseClick(m_sender->connectionPanel()->openButton(), Qt::LeftButton);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
}

void TestNewUser::progressBarAgreesWithTheResult()
{
    // A full transfer: the bar at its end, the sentence says all acknowledged.
    QVERIFY(sendAndWait(5));
    auto *bar = child<QProgressBar>(m_sender.get(), "sendProgress");
    auto *status = child<QLabel>(m_sender.get(), "sendStatus");
    QCOMPARE(bar->value(), bar->maximum());
    QVERIFY(status->text().contains(QLatin1String("all acknowledged")));

    // A receiver that never acknowledges the last frame: the bar stops short and says so.
    ForgetfulReceiver forgetful;
    reopen(m_sender.get(), forgetful.address());
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
    child<QSpinBox>(m_sender.get(), "generateCount")->setValue(3 * 64 * 1024); // several frames
    QTest::mouseClick(child<QPushButton>(m_sender.get(), "generateButton"), Qt::LeftButton);
    // The session waits 10 s for the last acknowledgement before it gives up.
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QLatin1String("never acknowledged")), 30000);
    QVERIFY2(status->text().contains(QRegularExpression(QStringLiteral("(1 frame was|\\d frames were) never acknowledged"))),
             qPrintable(status->text()));
    QVERIFY2(bar->value() < bar->maximum(), qPrintable(QStringLiteral("%1 of %2").arg(bar->value()).arg(bar->maximum())));
    QVERIFY(bar->text().endsWith(QLatin1String("acknowledged")));
    QVERIFY(!status->text().contains(QLatin1String(" 1 frames")));
    reopen(m_sender.get(), m_address);
    QTRY_COMPARE(m_sender->connectionState(), TransportEndpoint::State::Connected);
}

void TestNewUser::droppedCsvLoadsIntoTheSender()
{
    const EmployeeList employees = EmployeeGenerator(5, 90000).take(40);
    const QString csv = writeFile(QStringLiteral("dropped.csv"), Csv::encode(employees));
    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    const int before = model->rowCount();
    QCOMPARE(WindowTest::drop(m_sender.get(), {csv}), Qt::CopyAction); // read, never moved
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), before + 40, 20000);
    QCOMPARE(model->store().record(before).toEmployee(), employees.first());

    // On the receiver, a CSV file gets a sentence and changes nothing.
    WindowTest::drop(m_receiver.get(), {csv});
    QVERIFY2(m_receiver->messageBar()->text().contains(QLatin1String("sent from a sender window")),
             qPrintable(m_receiver->messageBar()->text()));
    QCOMPARE(model->rowCount(), before + 40);
}

void TestNewUser::droppedRefusalsSayWhyAndRescanForgetsThem()
{
    const QString fake = writeFile(QStringLiteral("libipcw_fake.so"), "not a library\n");
    WindowTest::drop(m_sender.get(), {fake});
    QVERIFY2(m_sender->messageBar()->text().contains(QLatin1String("libipcw_fake.so was not installed")),
             qPrintable(m_sender->messageBar()->text()));
    m_sender->findChild<QAction *>(QStringLiteral("pluginsAction"))->trigger();
    auto *table = m_sender->findChild<QTableWidget *>(QStringLiteral("pluginTable"));
    QVERIFY(table);
    const auto listed = [table](const QString &file) {
        for (int row = 0; row < table->rowCount(); ++row)
            if (table->item(row, 0)->text() == file)
                return true;
        return false;
    };
    QVERIFY(listed(QStringLiteral("libipcw_fake.so")));
    QPushButton *rescan = nullptr;
    for (QPushButton *button : table->window()->findChildren<QPushButton *>())
        if (button->text().contains(QLatin1String("Rescan")))
            rescan = button;
    QVERIFY(rescan);
    QTest::mouseClick(rescan, Qt::LeftButton);
    QTRY_VERIFY(!listed(QStringLiteral("libipcw_fake.so")));
    QVERIFY(listed(QStringLiteral("libipcw_tcp.so")));
    table->window()->close();
}

void TestNewUser::closingAsksWhileRecordsAreUnexported()
{
    ReceiverPanel *panel = m_receiver->receiverPanel();
    QVERIFY(panel->unexportedRows() > 0);
    // Cancel: the window stays.
    QTimer::singleShot(200, this, [] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("have not been exported")));
        box->reject();
    });
    QVERIFY(!m_receiver->close());
    QVERIFY(m_receiver->isVisible());

    // Once every row is in a file, closing asks nothing.
    QSignalSpy exported(panel, &ReceiverPanel::exportFinished);
    QVERIFY(panel->exportCsv(m_work.filePath(QStringLiteral("everything.csv")), false));
    QTRY_COMPARE(exported.count(), 1);
    QCOMPARE(panel->unexportedRows(), 0);
    QVERIFY(m_receiver->close());
}

void TestNewUser::cleanupTestCase()
{
    m_sender.reset();
    m_receiver.reset();
}

void TestNewUser::reopen(MainWindow *window, const QString &address)
{
    ConnectionPanel *connection = window->connectionPanel();
    if (connection->closeButton()->isEnabled())
        QTest::mouseClick(connection->closeButton(), Qt::LeftButton);
    auto *edit = window->findChild<QLineEdit *>(QStringLiteral("addressEdit"));
    edit->setText(address);
    QTest::mouseClick(connection->openButton(), Qt::LeftButton);
}

QString TestNewUser::writeFile(const QString &name, const QByteArray &bytes)
{
    const QString path = m_work.filePath(name);
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() ? path : QString();
}

bool TestNewUser::sendAndWait(int count)
{
    EmployeeTableModel *model = m_receiver->receiverPanel()->model();
    const int expected = model->rowCount() + count;
    child<QSpinBox>(m_sender.get(), "generateCount")->setValue(count);
    QTest::mouseClick(child<QPushButton>(m_sender.get(), "generateButton"), Qt::LeftButton);
    auto *status = child<QLabel>(m_sender.get(), "sendStatus");
    return QTest::qWaitFor([&] { return model->rowCount() == expected && status->text().startsWith(QLatin1String("Done")); },
                           20000);
}

QTEST_MAIN(TestNewUser)
#include "tst_newuser.moc"
