// SPDX-License-Identifier: GPL-3.0-or-later
// The D-Bus transport between real ipcworkshop processes on a private session bus that this
// test starts and stops (never the user's bus), and a hostile client on that bus.

#include "appprocess.h"
#include "csv.h"
#include "employeegenerator.h"
#include "itransport.h"
#include "privatesessionbus.h"
#include "receiverlimits.h"
#include "transportendpoint.h"

#include <QDBusConnection>
#include <QDBusContext>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QPluginLoader>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <csignal>

namespace {

const QString Transport = QStringLiteral("dbus");
const QString Interface = QStringLiteral("org.ipcworkshop.Transport1");
const QString ReceiverPath = QStringLiteral("/org/ipcworkshop/Receiver");

QStringList dbusArgs(const QString &address)
{
    return {QStringLiteral("--transport"), Transport, QStringLiteral("--address"), address};
}

QString uniqueAddress()
{
    static int counter = 0;
    return QStringLiteral("t%1x%2").arg(QCoreApplication::applicationPid()).arg(++counter);
}

void logLines(const QString &text)
{
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        qInfo("%s", qPrintable(line));
}

// Runs `ipcworkshop args` to the end in `environment`.
AppProcess::Result runWith(const QProcessEnvironment &environment, const QStringList &args)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(AppProcess::program(), args);
    return AppProcess::finish(process, 60000);
}

// A sender object that takes answers and never says so: each Deliver call stays unanswered.
class SilentSender : public QObject, protected QDBusContext
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.ipcworkshop.Transport1")
public slots:
    void Deliver(const QByteArray &)
    {
        setDelayedReply(true);
        m_held << message();
    }

private:
    QList<QDBusMessage> m_held;
};

ITransport *transport()
{
    static QPluginLoader loader(QStringLiteral(IPCW_DBUS_PLUGIN));
    return qobject_cast<ITransport *>(loader.instance());
}

} // namespace

class TestDBus final : public QObject
{
    Q_OBJECT

    PrivateSessionBus m_bus;
    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        // Every child process (and the hostile client below) uses the private bus.
        QVERIFY2(m_bus.start(&error), qPrintable(error));
        qInfo("private bus at %s", qPrintable(m_bus.address()));
    }

    void transfersHundredThousandRecords()
    {
        const QString address = uniqueAddress();
        const QString csv = m_dir.filePath(QStringLiteral("100k.csv"));
        auto receiver = AppProcess::startReceiver(dbusArgs(address) << QStringLiteral("--expect") << QStringLiteral("100000")
                                                                    << QStringLiteral("--export") << csv
                                                                    << QStringLiteral("--timeout") << QStringLiteral("120"));
        QVERIFY(receiver);
        const AppProcess::Result sent = AppProcess::runSender(dbusArgs(address) << QStringLiteral("--generate") << QStringLiteral("100000"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 120000);
        logLines(sent.out);
        logLines(got.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames")), 0);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
        EmployeeList rows;
        const Csv::Result imported = Csv::importEmployees(csv, &rows);
        QVERIFY2(imported.ok, qPrintable(imported.error));
        std::sort(rows.begin(), rows.end(), [](const Employee &a, const Employee &b) { return a.id < b.id; });
        QCOMPARE(rows.size(), 100000);
        QVERIFY(rows == EmployeeGenerator(1).take(100000));
    }

    void senderWithoutReceiverSaysSo()
    {
        const AppProcess::Result sent = AppProcess::runSender(dbusArgs(uniqueAddress()) << QStringLiteral("--generate") << QStringLiteral("10"));
        QCOMPARE(sent.exitCode, 1);
        QVERIFY2(sent.err.contains(QStringLiteral("Nobody is receiving on the D-Bus name org.ipcworkshop.Receiver.")), qPrintable(sent.err));
    }

    void secondReceiverOnTheSameNameIsRefused()
    {
        const QString address = uniqueAddress();
        auto first = AppProcess::startReceiver(dbusArgs(address) << QStringLiteral("--timeout") << QStringLiteral("60"));
        QVERIFY(first);
        QProcess other;
        other.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                               + dbusArgs(address) + QStringList{QStringLiteral("--timeout"), QStringLiteral("60")});
        const AppProcess::Result refused = AppProcess::finish(other, 30000);
        qInfo("second receiver: %s", qPrintable(refused.err.trimmed()));
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("The D-Bus name org.ipcworkshop.Receiver.%1 is already in use by a running receiver").arg(address)),
                 qPrintable(refused.err));
        QCOMPARE(first->state(), QProcess::Running);
        first->kill();
        first->waitForFinished();
    }

    void receiverKilledMidTransferIsReported()
    {
        const QString address = uniqueAddress();
        auto receiver = AppProcess::startReceiver(dbusArgs(address) << QStringLiteral("--timeout") << QStringLiteral("120"));
        QVERIFY(receiver);
        auto sender = AppProcess::startSender(dbusArgs(address) << QStringLiteral("--generate") << QStringLiteral("2000000")
                                                                << QStringLiteral("--batch") << QStringLiteral("64"));
        QVERIFY(sender);
        QVERIFY(sender->waitForReadyRead(30000)); // "Sender connected ..."
        QThread::msleep(300);
        ::kill(pid_t(receiver->processId()), SIGKILL);
        receiver->waitForFinished(10000);
        const AppProcess::Result sent = AppProcess::finish(*sender, 60000);
        qInfo("sender: %s", qPrintable(sent.err.trimmed()));
        QVERIFY2(sent.finished, "the sender did not notice that its receiver died");
        QCOMPARE(sent.exitCode, 1);
        QVERIFY2(sent.err.contains(QStringLiteral("The receiver on the D-Bus name org.ipcworkshop.Receiver.%1 went away").arg(address)),
                 qPrintable(sent.err));
    }

    void hostileClientIsCountedAndGoodSenderGetsThrough()
    {
        const QString address = uniqueAddress();
        const QString name = QStringLiteral("org.ipcworkshop.Receiver.") + address;
        const QString csv = m_dir.filePath(QStringLiteral("hostile.csv"));
        auto receiver = AppProcess::startReceiver(dbusArgs(address) << QStringLiteral("--expect") << QStringLiteral("1000")
                                                                    << QStringLiteral("--export") << csv
                                                                    << QStringLiteral("--timeout") << QStringLiteral("60"));
        QVERIFY(receiver);

        QDBusConnection hostile = QDBusConnection::connectToBus(m_bus.address(), QStringLiteral("hostile"));
        QVERIFY2(hostile.isConnected(), qPrintable(hostile.lastError().message()));
        auto deliver = [&](const QVariant &argument) {
            QDBusMessage call = QDBusMessage::createMethodCall(name, ReceiverPath, Interface, QStringLiteral("Deliver"));
            call << argument;
            return hostile.call(call, QDBus::Block, 10000);
        };
        // 1. A frame from a stranger that never attached: refused, counted.
        const QDBusMessage stranger = deliver(QByteArray(100, 'x'));
        QCOMPARE(stranger.type(), QDBusMessage::ErrorMessage);
        QCOMPARE(stranger.errorName(), QStringLiteral("org.ipcworkshop.Error.Refused"));
        // 2. Attached, then bytes that are not a frame: refused, counted; the peer stays.
        const QDBusMessage hello = hostile.call(QDBusMessage::createMethodCall(name, ReceiverPath, Interface, QStringLiteral("Attach")),
                                                QDBus::Block, 10000);
        QCOMPARE(hello.type(), QDBusMessage::ReplyMessage);
        QVERIFY(hello.arguments().value(0).toByteArray().startsWith("IPCW"));
        const QDBusMessage garbage = deliver(QByteArray("this is not a frame, and much less a record"));
        QCOMPARE(garbage.type(), QDBusMessage::ErrorMessage);
        QCOMPARE(garbage.errorName(), QStringLiteral("org.ipcworkshop.Error.BadFrame"));
        // 3. The wrong argument type never reaches the plugin: QtDBus answers it.
        const QDBusMessage wrongType = deliver(QStringLiteral("a string"));
        QCOMPARE(wrongType.type(), QDBusMessage::ErrorMessage);

        const AppProcess::Result sent = AppProcess::runSender(dbusArgs(address) << QStringLiteral("--generate") << QStringLiteral("1000"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QDBusConnection::disconnectFromBus(QStringLiteral("hostile"));
        logLines(got.out);
        logLines(got.err);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 2);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("Received (\\d+) records")), 1000);
        QVERIFY2(got.err.contains(QStringLiteral("without attaching first")), qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("was not an IPC Workshop frame")), qPrintable(got.err));
    }

    void senderBeyondThePeerLimitIsRefused()
    {
        const QString address = uniqueAddress();
        const QString name = QStringLiteral("org.ipcworkshop.Receiver.") + address;
        auto receiver = AppProcess::startReceiver(dbusArgs(address) << QStringLiteral("--max-peers") << QStringLiteral("1")
                                                                    << QStringLiteral("--timeout") << QStringLiteral("3"));
        QVERIFY(receiver);
        const QDBusMessage attach = QDBusMessage::createMethodCall(name, ReceiverPath, Interface, QStringLiteral("Attach"));
        QDBusConnection first = QDBusConnection::connectToBus(m_bus.address(), QStringLiteral("first"));
        QDBusConnection second = QDBusConnection::connectToBus(m_bus.address(), QStringLiteral("second"));
        QCOMPARE(first.call(attach, QDBus::Block, 10000).type(), QDBusMessage::ReplyMessage);
        const QDBusMessage refused = second.call(attach, QDBus::Block, 10000);
        QCOMPARE(refused.errorName(), QStringLiteral("org.ipcworkshop.Error.Refused"));
        qInfo("second sender: %s", qPrintable(refused.errorMessage()));
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("its limit (--max-peers)")), qPrintable(refused.errorMessage()));
        const AppProcess::Result got = AppProcess::finish(*receiver, 30000);
        QDBusConnection::disconnectFromBus(QStringLiteral("first"));
        QDBusConnection::disconnectFromBus(QStringLiteral("second"));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 1);
        QVERIFY2(got.err.contains(QStringLiteral("was refused")), qPrintable(got.err));
    }

    void answersNobodyTakesAreBounded()
    {
        // In process, so the test can drive the receiver's answers itself: a peer that attached
        // and never replies to them is refused once --max-unsent-mib (64 KiB here) waits.
        QVERIFY2(transport(), "the dbus plugin did not load");
        ReceiverLimits limits = ReceiverLimits::current();
        const ReceiverLimits saved = limits;
        limits.maxUnsentBytes = 64 * 1024;
        ReceiverLimits::setCurrent(limits);
        std::unique_ptr<TransportEndpoint> receiver(transport()->createEndpoint(EndpointRole::Receiver, uniqueAddress()));
        ReceiverLimits::setCurrent(saved);
        QSignalSpy connected(receiver.get(), &TransportEndpoint::peerConnected);
        QSignalSpy refused(receiver.get(), &TransportEndpoint::streamRefused);
        QSignalSpy gone(receiver.get(), &TransportEndpoint::peerDisconnected);
        receiver->open();
        QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening);

        QDBusConnection silent = QDBusConnection::connectToBus(m_bus.address(), QStringLiteral("silent"));
        SilentSender inbox;
        QVERIFY(silent.registerObject(QStringLiteral("/org/ipcworkshop/Sender"), &inbox, QDBusConnection::ExportAllSlots));
        QDBusPendingCallWatcher attach(silent.asyncCall(QDBusMessage::createMethodCall(
            QStringLiteral("org.ipcworkshop.Receiver.") + receiver->address(), ReceiverPath, Interface, QStringLiteral("Attach"))));
        QTRY_VERIFY(attach.isFinished());
        QVERIFY2(!attach.isError(), qPrintable(attach.error().message()));
        QCOMPARE(connected.size(), 1);
        const quint64 peer = connected.at(0).at(0).toULongLong();

        for (int i = 0; i < 100 && refused.isEmpty(); ++i) {
            receiver->sendFrame(QByteArray(1024, 'a'), peer);
            QTest::qWait(5); // let the calls reach the peer, as answers would over time
        }
        QCOMPARE(refused.size(), 1);
        const QString why = refused.at(0).at(1).toString();
        qInfo("refused: %s", qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("--max-unsent-mib")), qPrintable(why));
        QCOMPARE(gone.size(), 1);
        QCOMPARE(receiver->queuedBytes(), 0);
        receiver->close();
        QDBusConnection::disconnectFromBus(QStringLiteral("silent"));
    }

    void withoutSessionBusThePluginSaysSo()
    {
        // No address and no per-user bus socket: the transport is listed as unavailable and
        // refuses to start, with the reason.
        QTemporaryDir emptyRuntime;
        QProcessEnvironment none = QProcessEnvironment::systemEnvironment();
        none.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
        none.remove(QStringLiteral("DISPLAY")); // libdbus would try to autolaunch a bus through X11
        none.insert(QStringLiteral("XDG_RUNTIME_DIR"), emptyRuntime.path());
        const AppProcess::Result listed = runWith(none, {QStringLiteral("--list-transports")});
        const QStringList lines = listed.out.split(QLatin1Char('\n'));
        const auto row = std::find_if(lines.cbegin(), lines.cend(), [](const QString &l) { return l.startsWith(QLatin1String("dbus ")); });
        QVERIFY2(row != lines.cend(), qPrintable(listed.out));
        qInfo("%s", qPrintable(*row));
        QVERIFY2(row->contains(QStringLiteral("unavailable")) && row->contains(QStringLiteral("No D-Bus session bus")), qPrintable(*row));
        const AppProcess::Result receiver = runWith(none, QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                                              + dbusArgs(QStringLiteral("nobus")) + QStringList{QStringLiteral("--timeout"), QStringLiteral("30")});
        QCOMPARE(receiver.exitCode, 1);
        QVERIFY2(receiver.err.contains(QStringLiteral("No D-Bus session bus")), qPrintable(receiver.err));

        // An address whose daemon is gone: open() says it cannot reach the bus.
        QProcessEnvironment dead = none;
        dead.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=") + emptyRuntime.filePath(QStringLiteral("gone")));
        const AppProcess::Result unreachable = runWith(dead, QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender")}
                                                                 + dbusArgs(QStringLiteral("nobus")) + QStringList{QStringLiteral("--generate"), QStringLiteral("1")});
        qInfo("%s", qPrintable(unreachable.err.trimmed()));
        QCOMPARE(unreachable.exitCode, 1);
        QVERIFY2(unreachable.err.contains(QStringLiteral("Cannot reach the D-Bus session bus")), qPrintable(unreachable.err));
    }

    void receiverRefusesATokenItCannotCheck()
    {
        QProcess receiver;
        receiver.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                                  + dbusArgs(uniqueAddress())
                                                  + QStringList{QStringLiteral("--token"), QStringLiteral("a long enough token"),
                                                                QStringLiteral("--timeout"), QStringLiteral("30")});
        const AppProcess::Result r = AppProcess::finish(receiver, 30000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("The D-Bus transport carries no access token")), qPrintable(r.err));
    }

    void badAddressIsNamed()
    {
        const AppProcess::Result sent = AppProcess::runSender(dbusArgs(QStringLiteral("9lives")) << QStringLiteral("--generate") << QStringLiteral("1"));
        QCOMPARE(sent.exitCode, 1);
        QVERIFY2(sent.err.contains(QStringLiteral("\"9lives\" is not a D-Bus receiver name")), qPrintable(sent.err));
    }
};

QTEST_GUILESS_MAIN(TestDBus)
#include "tst_dbus.moc"
