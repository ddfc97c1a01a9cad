// SPDX-License-Identifier: GPL-3.0-or-later
// The same two-process matrix over every transport plugin the program finds: real receiver and
// sender `ipcworkshop` processes, compared through the receiver's exported CSV.

#include "appprocess.h"
#include "csv.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "pluginmanager.h"
#include "privatesessionbus.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUdpSocket>

#include <algorithm>
#include <csignal>
#include <unistd.h>

namespace {

struct Transport
{
    QString id;
    bool reliable = true;
    bool multipleSenders = false;
    qint64 maxFrameBytes = 0;
    bool fanOut = false; // one to many: the sender counts no acks, each receiver its own losses
};

QVector<Transport> transportsFound()
{
    PluginManager manager;
    manager.setSearchPaths({QStringLiteral(IPCW_BIN_DIR "/plugins")});
    manager.scan();
    QVector<Transport> found;
    for (const PluginManager::Plugin *p : manager.usableTransports()) {
        const qint64 max = p->metadata.capabilities.maxMessageBytes;
        found.append({p->metadata.id, p->metadata.capabilities.reliable, p->metadata.capabilities.multipleSenders,
                      max > 0 ? qMin<qint64>(max, Wire::MaxFrameBytes) : qint64(Wire::MaxFrameBytes),
                      p->metadata.capabilities.fanOut});
    }
    return found;
}

// A fresh address per use so runs (and CTest jobs) never meet: a free loopback port for TCP,
// a free loopback udp port, a unique name for the named mechanisms; the clipboard has only one.
QString uniqueAddress(const QString &transport)
{
    static int counter = 0;
    if (transport == QLatin1String("tcp")) {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
    }
    if (transport == QLatin1String("udp")) {
        QUdpSocket probe;
        probe.bind(QHostAddress::LocalHost, 0);
        return QStringLiteral("127.0.0.1:%1").arg(probe.localPort());
    }
    if (transport == QLatin1String("clipboard"))
        return {};
    return QStringLiteral("matrix%1x%2").arg(QCoreApplication::applicationPid()).arg(++counter);
}

QStringList transportArgs(const QString &transport, const QString &address)
{
    QStringList args{QStringLiteral("--transport"), transport};
    if (!address.isEmpty())
        args << QStringLiteral("--address") << address;
    return args;
}

EmployeeList sortedById(EmployeeList list)
{
    std::sort(list.begin(), list.end(), [](const Employee &a, const Employee &b) { return a.id < b.id; });
    return list;
}

EmployeeList importCsv(const QString &path)
{
    EmployeeList rows;
    const Csv::Result r = Csv::importEmployees(path, &rows);
    if (!r.ok)
        qWarning("%s", qPrintable(r.error));
    return rows;
}

// Records per frame so that one frame is as large as the mechanism allows, give or take 5%.
int recordsFillingOneFrame(qint64 maxFrameBytes, quint64 seed)
{
    EmployeeGenerator generator(seed);
    qint64 size = Wire::HeaderSize;
    int count = 0;
    for (;;) {
        const qint64 next = FrameCodec::encodedRecordSize(generator.next());
        if (size + next > maxFrameBytes)
            return count;
        size += next;
        ++count;
    }
}

// CPU time of every thread of a process in nanoseconds, from the scheduler's own accounting
// (/proc/PID/task/*/schedstat), which is far finer than the 10 ms ticks of /proc/PID/stat.
qint64 cpuNanoseconds(qint64 pid)
{
    qint64 total = 0;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile stat(tasks.filePath(tid + QStringLiteral("/schedstat")));
        if (stat.open(QIODevice::ReadOnly))
            total += stat.readAll().split(' ').value(0).toLongLong();
    }
    return total;
}

void logLines(const QString &text)
{
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        qInfo("%s", qPrintable(line));
}

} // namespace

class TestTransferMatrix final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QVector<Transport> m_transports;
    PrivateSessionBus m_bus; // the dbus column's session bus: never the user's

    const Transport &transportNamed(const QString &id) const
    {
        return *std::find_if(m_transports.cbegin(), m_transports.cend(), [&](const Transport &t) { return t.id == id; });
    }

    void addRowsPerTransport()
    {
        QTest::addColumn<QString>("transport");
        QTest::addColumn<bool>("reliable");
        QTest::addColumn<qint64>("maxFrameBytes");
        for (const Transport &t : std::as_const(m_transports))
            QTest::newRow(qPrintable(t.id)) << t.id << t.reliable << t.maxFrameBytes;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // Child processes pick their own platform (xcb under xvfb-run) for the clipboard.
        qunsetenv("QT_QPA_PLATFORM");
        m_transports = transportsFound();
        if (std::any_of(m_transports.cbegin(), m_transports.cend(), [](const Transport &t) { return t.id == QLatin1String("dbus"); })) {
            QString error; // children inherit the bus's address
            QVERIFY2(m_bus.start(&error), qPrintable(QStringLiteral("the dbus column needs a private bus: %1").arg(error)));
        }
        QStringList ids;
        for (const Transport &t : std::as_const(m_transports))
            ids << t.id;
        qInfo("transports under test: %s", qPrintable(ids.join(QStringLiteral(", "))));
        QVERIFY2(ids.contains(QStringLiteral("tcp")), "the tcp plugin must always be there");
#if defined(Q_OS_LINUX)
        // libzmq3-dev is a build requirement on Linux: both ZeroMQ modes have their rows here.
        QVERIFY2(ids.contains(QStringLiteral("zeromq")) && ids.contains(QStringLiteral("zeromq-pubsub")),
                 "the zeromq plugins must be there on Linux");
#endif
    }

    void transfer_data()
    {
        QTest::addColumn<QString>("transport");
        QTest::addColumn<bool>("reliable");
        QTest::addColumn<int>("records");
        QTest::addColumn<int>("batch");
        for (const Transport &t : std::as_const(m_transports)) {
            QTest::addRow("%s: single record", qPrintable(t.id)) << t.id << t.reliable << 1 << 256;
            QTest::addRow("%s: 100000 records", qPrintable(t.id)) << t.id << t.reliable << 100000 << 256;
            const int fill = recordsFillingOneFrame(t.maxFrameBytes, 7);
            QTest::addRow("%s: largest frame (%d records)", qPrintable(t.id), fill) << t.id << t.reliable << fill << fill;
        }
    }

    void transfer()
    {
        QFETCH(QString, transport);
        QFETCH(bool, reliable);
        QFETCH(int, records);
        QFETCH(int, batch);
        const quint64 seed = batch == records && records > 1 ? 7 : 1;
        const QString address = uniqueAddress(transport);
        const QString csv = m_dir.filePath(QStringLiteral("%1-%2.csv").arg(transport).arg(records));

        // A lossy receiver cannot know how many will arrive: it stops at the sender's goodbye.
        QStringList receiverArgs = transportArgs(transport, address)
            << QStringLiteral("--export") << csv << QStringLiteral("--timeout") << QStringLiteral("240");
        receiverArgs << (reliable ? QStringList{QStringLiteral("--expect"), QString::number(records)}
                                  : QStringList{QStringLiteral("--senders"), QStringLiteral("1")});
        auto receiver = AppProcess::startReceiver(receiverArgs);
        QVERIFY(receiver);

        const AppProcess::Result sent = AppProcess::runSender(transportArgs(transport, address)
            << QStringLiteral("--generate") << QString::number(records) << QStringLiteral("--seed")
            << QString::number(seed) << QStringLiteral("--batch") << QString::number(batch));
        const AppProcess::Result got = AppProcess::finish(*receiver, 240000);
        logLines(sent.out);
        logLines(got.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));

        const EmployeeList generated = EmployeeGenerator(seed).take(records);
        const EmployeeList received = sortedById(importCsv(csv));
        const qint64 lost = AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames"));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) duplicates")), 0);
        if (batch == records)
            QCOMPARE(AppProcess::summaryNumber(sent.out, QStringLiteral("in (\\d+) frames")), 1);
        if (reliable) {
            QCOMPARE(lost, 0);
            QCOMPARE(received.size(), generated.size());
            QVERIFY(received == generated);
            return;
        }
        for (const Employee &e : received)
            QCOMPARE(e, generated.at(int(e.id) - 1));
        if (transportNamed(transport).fanOut) {
            // One to many: the sender counts nothing; the receiver must account for every record
            // that did not arrive (frames lost, the tail through the Bye's sequence).
            qInfo("%s: %lld frames lost, %lld of %d records arrived", qPrintable(transport), lost,
                  qint64(received.size()), records);
            QVERIFY(lost >= 0);
            if (received.size() < generated.size())
                QVERIFY2(lost > 0, "records are missing but the receiver counted no frame lost");
            return;
        }
        // Lossy: both sides must count the same overwritten frames, and what did arrive is exact.
        const qint64 unacknowledged = AppProcess::summaryNumber(sent.out, QStringLiteral("(\\d+) unacknowledged"));
        qInfo("%s: %lld frames overwritten", qPrintable(transport), lost);
        QCOMPARE(unacknowledged, lost);
    }

    void severalSendersAtOnce_data() { addRowsPerTransport(); }
    void severalSendersAtOnce()
    {
        QFETCH(QString, transport);
        QFETCH(bool, reliable);
        const auto it = std::find_if(m_transports.cbegin(), m_transports.cend(), [&](const Transport &t) { return t.id == transport; });
        if (!it->multipleSenders)
            QSKIP("This mechanism's metadata says it takes one sender at a time.");
        const QString address = uniqueAddress(transport);
        const QString csv = m_dir.filePath(QStringLiteral("%1-several.csv").arg(transport));
        auto receiver = AppProcess::startReceiver(transportArgs(transport, address)
            << QStringLiteral("--senders") << QStringLiteral("3") << QStringLiteral("--export") << csv
            << QStringLiteral("--timeout") << QStringLiteral("120"));
        QVERIFY(receiver);

        // Three senders at once, each with its own id range.
        std::vector<std::unique_ptr<QProcess>> senders;
        for (int i = 0; i < 3; ++i) {
            senders.push_back(std::make_unique<QProcess>());
            senders.back()->start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender")}
                + transportArgs(transport, address) + QStringList{QStringLiteral("--generate"), QStringLiteral("20000"),
                    QStringLiteral("--first-id"), QString::number(1 + i * 1000000), QStringLiteral("--batch"), QStringLiteral("100")});
        }
        for (auto &sender : senders) {
            const AppProcess::Result r = AppProcess::finish(*sender, 120000);
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        }
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        logLines(got.out);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("from (\\d+) sender")), 3);
        EmployeeList expected;
        for (int i = 0; i < 3; ++i)
            expected += EmployeeGenerator(1, quint32(1 + i * 1000000)).take(20000);
        const EmployeeList arrived = sortedById(importCsv(csv));
        const qint64 lost = AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames"));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) duplicates")), 0);
        if (reliable) {
            QCOMPARE(lost, 0);
            QVERIFY(arrived == sortedById(expected));
            return;
        }
        // Lossy (udp): three senders may outrun the receiver (slower under ASan, on a busy
        // machine), and a full receive buffer drops datagrams. What arrived is still exactly
        // what was sent, and every record missing is in a frame the receiver counted as lost.
        QHash<quint32, const Employee *> sent;
        for (const Employee &e : expected)
            sent.insert(e.id, &e);
        for (const Employee &e : arrived)
            QVERIFY2(sent.contains(e.id) && *sent.value(e.id) == e, qPrintable(QString::number(e.id)));
        qInfo("%s: %lld frames lost, %lld of %lld records arrived", qPrintable(transport), lost, qint64(arrived.size()),
              qint64(expected.size()));
        QCOMPARE(qint64(arrived.size()) + lost * 100, qint64(expected.size())); // --batch 100
    }

    void killedSenderLeavesReceiverWhole_data() { addRowsPerTransport(); }
    void killedSenderLeavesReceiverWhole()
    {
        QFETCH(QString, transport);
        QFETCH(bool, reliable);
        if (transport == QLatin1String("clipboard"))
            QSKIP("The clipboard has no connection to break: a vanished sender just stops writing.");
        const QString address = uniqueAddress(transport);
        const QString csv = m_dir.filePath(QStringLiteral("%1-killed.csv").arg(transport));
        // Without a connection (one to many) a dead sender is only silence: the receiver gives
        // up on it after three peer timeouts, so it gets a short one and the test waits that long.
        const bool connectionless = transportNamed(transport).fanOut;
        auto receiver = AppProcess::startReceiver(transportArgs(transport, address)
            << QStringLiteral("--senders") << QStringLiteral("1") << QStringLiteral("--export") << csv
            << QStringLiteral("--timeout") << QStringLiteral("120")
            << (connectionless ? QStringList{QStringLiteral("--peer-timeout"), QStringLiteral("1")} : QStringList()));
        QVERIFY(receiver);

        // A sender with far more to send than it will get to, killed mid-transfer. One that waits
        // for nobody (zeromq-pubsub publishes 3 M records/s) gets fifty times more, or it could
        // finish, Bye and all, before the kill.
        const QString records = connectionless ? QStringLiteral("100000000") : QStringLiteral("2000000");
        QProcess doomed;
        doomed.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender")}
            + transportArgs(transport, address) + QStringList{QStringLiteral("--generate"), records,
                                                              QStringLiteral("--batch"), QStringLiteral("64")});
        // "Sender connected ..." (or, one to many, "Sender ready ..."): from then on it sends.
        QVERIFY2(AppProcess::waitForOutput(doomed, "Sender ", 30000), doomed.peek(doomed.bytesAvailable()).constData());
        QThread::msleep(300);
        ::kill(pid_t(doomed.processId()), SIGKILL);
        QVERIFY(doomed.waitForFinished(10000));
        if (connectionless)
            QTest::qWait(4000);

        // The receiver is still there and takes a new sender.
        QCOMPARE(receiver->state(), QProcess::Running);
        const AppProcess::Result second = AppProcess::runSender(transportArgs(transport, address)
            << QStringLiteral("--generate") << QStringLiteral("1000") << QStringLiteral("--first-id")
            << QStringLiteral("10000001"));
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        logLines(got.out);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("without saying goodbye")), qPrintable(got.err));

        // Every row is a whole, correct record: all of the second sender's, and a prefix of the first's.
        const EmployeeList rows = sortedById(importCsv(csv));
        const EmployeeList secondRecords = EmployeeGenerator(1, 10000001).take(1000);
        EmployeeGenerator first(1); // walked in step with the sorted rows: no need to hold 2,000,000
        Employee expectedFirst = first.next();
        qint64 fromFirst = 0, fromSecond = 0;
        for (const Employee &e : rows) {
            if (e.id >= 10000001) {
                QCOMPARE(e, secondRecords.at(int(e.id - 10000001)));
                ++fromSecond;
                continue;
            }
            QVERIFY(e.id >= 1 && e.id <= records.toLongLong());
            while (expectedFirst.id < e.id)
                expectedFirst = first.next();
            QCOMPARE(e, expectedFirst);
            ++fromFirst;
        }
        QCOMPARE(fromSecond, 1000);
        QVERIFY2(fromFirst > 0, "the killed sender got nothing across before it died");
        if (reliable)
            QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames")), 0);
    }

    void receiverStartsOverStaleObjects_data() { addRowsPerTransport(); }
    void receiverStartsOverStaleObjects()
    {
        QFETCH(QString, transport);
        const QString address = uniqueAddress(transport);
        auto crashed = AppProcess::startReceiver(transportArgs(transport, address) << QStringLiteral("--timeout") << QStringLiteral("60"));
        QVERIFY(crashed);
        ::kill(pid_t(crashed->processId()), SIGKILL);
        QVERIFY(crashed->waitForFinished(10000));

        auto receiver = AppProcess::startReceiver(transportArgs(transport, address)
            << QStringLiteral("--expect") << QStringLiteral("10") << QStringLiteral("--timeout") << QStringLiteral("60"));
        QVERIFY2(receiver, "a receiver must start over what a killed receiver left behind");
        const AppProcess::Result sent = AppProcess::runSender(transportArgs(transport, address) << QStringLiteral("--generate") << QStringLiteral("10"));
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
    }

    void idleReceiversSleep()
    {
        // Every receiver at once, idle for 10 s: measured from /proc, bounded generously.
        std::vector<std::unique_ptr<QProcess>> receivers;
        for (const Transport &t : std::as_const(m_transports)) {
            receivers.push_back(AppProcess::startReceiver(transportArgs(t.id, uniqueAddress(t.id))
                << QStringLiteral("--timeout") << QStringLiteral("60")));
            QVERIFY2(receivers.back(), qPrintable(t.id));
        }
        QThread::sleep(1); // let start-up work settle
        QVector<qint64> before;
        for (const auto &r : receivers) {
            before << cpuNanoseconds(r->processId());
            QVERIFY2(before.last() > 0, "no CPU time readable from /proc: the measurement would prove nothing");
        }
        const int seconds = 10;
        QThread::sleep(seconds);
        for (int i = 0; i < m_transports.size(); ++i) {
            const qint64 used = cpuNanoseconds(receivers[size_t(i)]->processId()) - before.at(i);
            const double percent = 100.0 * double(used) / 1e9 / seconds;
            qInfo("idle receiver %s: %.4f%% of a core over %d s", qPrintable(m_transports.at(i).id), percent, seconds);
            QVERIFY2(percent < 1.0, qPrintable(QStringLiteral("%1 used %2% of a core while idle").arg(m_transports.at(i).id).arg(percent)));
        }
        for (const auto &r : receivers) {
            r->kill();
            r->waitForFinished();
        }
    }
};

QTEST_GUILESS_MAIN(TestTransferMatrix)
#include "tst_transfer_matrix.moc"
