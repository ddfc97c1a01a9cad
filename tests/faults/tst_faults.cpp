// SPDX-License-Identifier: GPL-3.0-or-later
// Faults with real processes and real OS objects. For every mechanism, short transfers in which
// the sender or the receiver is SIGKILLed at a random moment and started again: every exported
// row is a record that was sent, every acknowledged record is exported, a sender whose
// receiver dies ends with a sentence, what a killed process leaves behind is reclaimed by the
// next start, and the next run works. Then a receiver stopped with SIGSTOP in a large transfer:
// the sender's memory stays bounded and the transfer completes after SIGCONT.
//
// Every random choice comes from one seed, printed at the start; IPCW_FAULTS_SEED=<seed> makes
// the same choices again (the moments are the same, the machine's timing is not), and
// IPCW_FAULTS_RUNS=<n> sets the number of killed transfers per mechanism.

#include "appprocess.h"
#include "csv.h"
#include "osobjects.h"
#include "scopedmount.h"
#include "sentledger.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <optional>

namespace {

constexpr int DefaultRuns = 10;
constexpr int MaxRecords = 20000;     // per killed transfer: small enough to be quick
const QString ProcessTimeout = QStringLiteral("60"); // every process: a hang ends as a failure
constexpr int SenderNoticesMs = 5000;  // a sender must end this soon after its receiver died...
constexpr int LossySenderNoticesMs = 20000; // ...or, lossy, once its acknowledgement timeout (10 s) ran out
constexpr int ClipboardRuns = 8;       // each receiver killed costs the clipboard sender that timeout
constexpr qint64 StoppedRecords = 3'000'000;
constexpr qint64 StoppedClipboardRecords = 150'000; // a frame per round trip through X: ~25,000 records/s
constexpr int StoppedSeconds = 5;      // the sender's ack timeout is 10 s: it must not give up
constexpr qint64 MemoryGrowthBoundKiB = 200 * 1024;

// The mechanisms of issue 11, in the order they run.
const QStringList Mechanisms{QStringLiteral("tcp"), QStringLiteral("localsocket"), QStringLiteral("namedpipe"),
                             QStringLiteral("mailslot"), QStringLiteral("filemapping"), QStringLiteral("clipboard")};

// A per-mechanism seed, so one mechanism run alone makes the same choices as in the full run.
quint64 mechanismSeed(quint64 seed, const QString &mechanism)
{
    quint64 hash = 1469598103934665603ull; // FNV-1a
    for (const QChar c : mechanism) {
        hash ^= c.unicode();
        hash *= 1099511628211ull;
    }
    return seed ^ hash;
}

QStringList transportArgs(const QString &transport, const QString &address)
{
    QStringList args{QStringLiteral("--transport"), transport};
    if (!address.isEmpty())
        args << QStringLiteral("--address") << address;
    return args;
}

// The last "Acknowledged N of M records" line of a sender run with --progress; 0 if none.
qint64 lastAcknowledged(const QString &out)
{
    static const QRegularExpression line(QStringLiteral("Acknowledged (\\d+) of"));
    qint64 acknowledged = 0;
    for (auto it = line.globalMatch(out); it.hasNext();)
        acknowledged = it.next().captured(1).toLongLong();
    return acknowledged;
}

qint64 residentKiB(qint64 pid, const char *field)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(int(qstrlen(field))).trimmed().split(' ').value(0).toLongLong();
    return 0;
}

// When a kill falls: during start-up and handshake (`delayMs` after the sender process
// started), in the transfer (as soon as the sender reports `acknowledged` records confirmed),
// or at its end (`delayMs` after the sender printed its summary: goodbye, the receiver's export).
struct KillMoment
{
    enum class Anchor { Started, Acknowledged, Finished };
    Anchor anchor = Anchor::Acknowledged;
    int delayMs = 0;
    qint64 acknowledged = 0;

    QString describe() const
    {
        switch (anchor) {
        case Anchor::Started:
            return QStringLiteral("%1 ms after the sender started").arg(delayMs);
        case Anchor::Acknowledged:
            return QStringLiteral("once %1 records were acknowledged").arg(acknowledged);
        case Anchor::Finished:
            return QStringLiteral("%1 ms after the sender's summary").arg(delayMs);
        }
        return {};
    }
};

// The number in the last "Acknowledged N of" line so far; a line still arriving may read low,
// which only makes a kill wait a little longer.
qint64 acknowledgedSoFar(const QByteArray &out)
{
    const qsizetype at = out.lastIndexOf("Acknowledged ");
    if (at < 0)
        return 0;
    qint64 value = 0;
    for (qsizetype i = at + 13; i < out.size() && out.at(i) >= '0' && out.at(i) <= '9'; ++i)
        value = value * 10 + (out.at(i) - '0');
    return value;
}

// Waits for the moment while every process's output is read (a full pipe would stall a
// writer), then SIGKILLs `victim` unless it has ended by itself: true when the kill landed on a
// live process. The sender's output read here is handed on to AppProcess::finish.
bool killAt(QProcess &victim, QProcess &sender, QProcess &receiver, const KillMoment &moment)
{
    QByteArray seen = sender.property("stdoutSoFar").toByteArray();
    const auto pump = [&] {
        if (sender.state() != QProcess::NotRunning) {
            sender.waitForReadyRead(1);
            seen += sender.readAllStandardOutput();
        }
        if (receiver.state() != QProcess::NotRunning)
            receiver.waitForReadyRead(1);
    };
    const auto running = [&] {
        return victim.state() != QProcess::NotRunning && sender.state() != QProcess::NotRunning;
    };
    QElapsedTimer clock;
    clock.start();
    switch (moment.anchor) {
    case KillMoment::Anchor::Started:
        break;
    case KillMoment::Anchor::Acknowledged:
        while (running() && acknowledgedSoFar(seen) < moment.acknowledged && !seen.contains("Sent ") && clock.elapsed() < 30000)
            pump();
        break;
    case KillMoment::Anchor::Finished:
        while (running() && !seen.contains("Sent ") && clock.elapsed() < 30000)
            pump();
        clock.restart();
        break;
    }
    if (moment.anchor != KillMoment::Anchor::Acknowledged)
        while (clock.elapsed() < moment.delayMs && victim.state() != QProcess::NotRunning)
            pump();
    seen += sender.readAllStandardOutput();
    sender.setProperty("stdoutSoFar", seen);
    if (victim.state() == QProcess::NotRunning)
        return false;
    ::kill(pid_t(victim.processId()), SIGKILL);
    return true;
}

EmployeeList importExport(const QString &path, QString *error)
{
    EmployeeList rows;
    const Csv::Result result = Csv::importEmployees(path, &rows);
    if (!result.ok)
        *error = result.error;
    return rows;
}

QString joined(const QStringList &lines)
{
    return lines.isEmpty() ? QStringLiteral("nothing") : lines.join(QStringLiteral(", "));
}

} // namespace

class TestFaults final : public QObject
{
    Q_OBJECT

    quint64 m_seed = 0;
    int m_runs = DefaultRuns;
    QTemporaryDir m_work;
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of every process started: only ours are listed
    QTemporaryDir m_mqueueView;
    std::unique_ptr<ScopedMount> m_mqueueMount;
    QString m_mqueueDir;
    QStringList m_available;

    // One mechanism's state for its fault loop.
    struct Loop
    {
        QString transport;
        QString address;
        QString token;              // in the name of every OS object this loop's processes make
        bool reliable = true;
        SentLedger::Acks acks = SentLedger::Acks::FirstRecords;
        std::optional<QStringList> receiverOwns; // what a listening receiver has, before anyone connects
        int maxRecords = MaxRecords;  // per transfer; the clipboard moves a frame per round trip through X
        QVector<int> batches{16, 64, 256};
        int startupMs = 0;          // a clean sender's start until it said it is connected
        int run = 0;
    };

    OsObjects objects() const
    {
        return OsObjects(m_runtime.filePath(QStringLiteral("ipcworkshop")), m_mqueueDir);
    }

    QString csvPath(const Loop &loop, const QString &what) const
    {
        return m_work.filePath(QStringLiteral("%1-%2-%3.csv").arg(loop.transport).arg(loop.run).arg(what));
    }

    // A receiver exporting to `csv` once one sender said goodbye; nullptr if it did not listen.
    // Whatever a killed process left under this loop's names must be gone once it listens.
    std::unique_ptr<QProcess> startReceiver(const Loop &loop, const QString &csv)
    {
        auto receiver = AppProcess::startReceiver(transportArgs(loop.transport, loop.address)
            << QStringLiteral("--senders") << QStringLiteral("1") << QStringLiteral("--export") << csv
            << QStringLiteral("--timeout") << ProcessTimeout);
        if (!receiver || !loop.receiverOwns)
            return receiver;
        const QStringList now = objects().containing(loop.token);
        if (now == *loop.receiverOwns)
            return receiver;
        qWarning("%s: a new receiver is listening beside leftovers it did not reclaim: %s (a receiver alone has %s)",
                 qPrintable(loop.transport), qPrintable(joined(now)), qPrintable(joined(*loop.receiverOwns)));
        receiver->kill();
        receiver->waitForFinished();
        return nullptr;
    }

    QStringList senderArgs(const Loop &loop, quint64 seed, quint32 firstId, int records, int batch) const
    {
        return transportArgs(loop.transport, loop.address) << QStringLiteral("--generate") << QString::number(records)
            << QStringLiteral("--seed") << QString::number(seed) << QStringLiteral("--first-id") << QString::number(firstId)
            << QStringLiteral("--batch") << QString::number(batch) << QStringLiteral("--progress")
            << QStringLiteral("--timeout") << ProcessTimeout;
    }

    // A transfer with nothing killed: the receiver exports exactly what was sent.
    void cleanRun(Loop &loop, int records, int batch, QPair<int, int> *timing = nullptr)
    {
        ++loop.run;
        const QString csv = csvPath(loop, QStringLiteral("clean"));
        auto receiver = startReceiver(loop, csv);
        QVERIFY2(receiver, "a receiver must start (over anything earlier runs left)");
        if (!loop.receiverOwns)
            loop.receiverOwns = objects().containing(loop.token);
        const quint64 seed = 1000 + quint64(loop.run);
        QElapsedTimer clock;
        clock.start();
        auto sender = AppProcess::startSender(senderArgs(loop, seed, 1, records, batch));
        QVERIFY(sender);
        QByteArray seen;
        while (!seen.contains("Sender connected") && sender->state() != QProcess::NotRunning && clock.elapsed() < 30000) {
            sender->waitForReadyRead(1);
            seen += sender->readAllStandardOutput();
        }
        const qint64 connectedMs = clock.elapsed();
        sender->setProperty("stdoutSoFar", seen);
        const AppProcess::Result sent = AppProcess::finish(*sender, 90000);
        if (timing)
            *timing = {int(connectedMs), int(clock.elapsed() - connectedMs)};
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        SentLedger ledger;
        ledger.add(QStringLiteral("the sender"), seed, 1, records, lastAcknowledged(sent.out), loop.acks);
        QString error;
        const EmployeeList rows = importExport(csv, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(ledger.check(rows).isEmpty(), qPrintable(ledger.check(rows)));
        if (loop.reliable) {
            QCOMPARE(lastAcknowledged(sent.out), qint64(records));
            QCOMPARE(rows.size(), records);
        }
    }

    // A fifth of the kills fall on start-up and handshake, a fifth on the end, the rest on the
    // transfer, at a record count drawn from the whole.
    static KillMoment drawMoment(const Loop &loop, int records, QRandomGenerator &random)
    {
        KillMoment moment;
        const int draw = int(random.bounded(5));
        moment.anchor = draw == 0 ? KillMoment::Anchor::Started
                                  : draw == 1 ? KillMoment::Anchor::Finished : KillMoment::Anchor::Acknowledged;
        moment.delayMs = int(random.bounded((moment.anchor == KillMoment::Anchor::Started ? loop.startupMs : 50) + 1));
        moment.acknowledged = qint64(random.bounded(records));
        return moment;
    }

    // The sender dies at a random moment; a restarted sender (new ids) goes to the same receiver.
    void killSender(Loop &loop, QRandomGenerator &random, QString *story)
    {
        ++loop.run;
        const int records1 = int(random.bounded(loop.maxRecords / 20, loop.maxRecords + 1));
        const int records2 = int(random.bounded(loop.maxRecords / 20, loop.maxRecords + 1));
        const int batch = loop.batches.at(int(random.bounded(loop.batches.size())));
        const KillMoment moment = drawMoment(loop, records1, random);
        const quint64 seed = random.generate64() >> 1;
        const quint32 first1 = quint32(loop.run) * 1'000'000, first2 = first1 + 500'000;
        const QString csv = csvPath(loop, QStringLiteral("killed-sender"));

        auto receiver = startReceiver(loop, csv);
        QVERIFY2(receiver, "a receiver must start over what the last killed process left");
        auto doomed = AppProcess::startSender(senderArgs(loop, seed, first1, records1, batch));
        QVERIFY(doomed);
        const bool landed = killAt(*doomed, *doomed, *receiver, moment);
        const AppProcess::Result killed = AppProcess::finish(*doomed, 10000);
        const qint64 acked1 = lastAcknowledged(killed.out);
        if (!landed) {
            QVERIFY2(killed.exitCode == 0, qPrintable(killed.err)); // it finished before its moment
            if (loop.reliable)
                QCOMPARE(acked1, qint64(records1));
        }
        const QStringList left = objects().containing(loop.token);
        *story = QStringLiteral("kill sender %1 (%2), %3+%4 records, batch %5: %6 acknowledged before; left: %7")
                     .arg(moment.describe()).arg(landed ? QStringLiteral("landed") : QStringLiteral("it had finished"))
                     .arg(records1).arg(records2).arg(batch).arg(acked1).arg(joined(left));

        SentLedger ledger;
        ledger.add(QStringLiteral("the killed sender"), seed, first1, records1, acked1, loop.acks);
        if (landed) {
            const AppProcess::Result again = AppProcess::runSender(senderArgs(loop, seed + 1, first2, records2, batch), 90000);
            const qint64 acked2 = lastAcknowledged(again.out);
            if (again.exitCode != 0) {
                // Only when the killed sender had in fact finished (all acknowledged, goodbye on
                // its way) may its goodbye have ended the receiver before the restart got through.
                QVERIFY2(killed.out.contains(QLatin1String("Sent ")) || acked1 == records1, qPrintable(QStringLiteral("the restarted sender failed: %1").arg(again.err)));
                QVERIFY2(!again.err.trimmed().isEmpty(), "the restarted sender failed without a sentence");
                *story += QStringLiteral("; the killed one had finished, its goodbye ended the receiver first");
            } else if (loop.reliable) {
                QCOMPARE(acked2, qint64(records2));
            }
            ledger.add(QStringLiteral("the restarted sender"), seed + 1, first2, records2, acked2, loop.acks);
        }
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(got.finished && got.exitCode == 0, qPrintable(QStringLiteral("receiver: %1 %2").arg(got.out, got.err)));
        if (loop.reliable)
            QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames")), 0);
        QString error;
        const EmployeeList rows = importExport(csv, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString broken = ledger.check(rows);
        QVERIFY2(broken.isEmpty(), qPrintable(broken));
        *story += QStringLiteral("; exported %1 rows").arg(rows.size());
    }

    // The receiver dies at a random moment: its sender must end with a sentence; a receiver
    // started again over what it left takes the sender started again.
    void killReceiver(Loop &loop, QRandomGenerator &random, QString *story)
    {
        ++loop.run;
        const int records = int(random.bounded(loop.maxRecords / 20, loop.maxRecords + 1));
        const int batch = loop.batches.at(int(random.bounded(loop.batches.size())));
        const KillMoment moment = drawMoment(loop, records, random);
        const quint64 seed = random.generate64() >> 1;
        const quint32 first = quint32(loop.run) * 1'000'000;
        const QString killedCsv = csvPath(loop, QStringLiteral("killed-receiver"));

        auto doomed = startReceiver(loop, killedCsv);
        QVERIFY2(doomed, "a receiver must start over what the last killed process left");
        auto sender = AppProcess::startSender(senderArgs(loop, seed, first, records, batch));
        QVERIFY(sender);
        const bool landed = killAt(*doomed, *sender, *doomed, moment);
        QElapsedTimer noticed;
        noticed.start();
        const int noticeMs = loop.reliable ? SenderNoticesMs : LossySenderNoticesMs;
        const AppProcess::Result sent = AppProcess::finish(*sender, noticeMs);
        const qint64 noticedMs = noticed.elapsed();
        AppProcess::finish(*doomed, 10000);
        const qint64 acked = lastAcknowledged(sent.out);
        QVERIFY2(sent.finished && noticedMs < noticeMs,
                 qPrintable(QStringLiteral("the sender still ran %1 ms after its receiver was killed: %2")
                                .arg(noticedMs).arg(sent.err.trimmed())));
        if (sent.exitCode == 0 && loop.reliable) {
            QCOMPARE(acked, qint64(records)); // it had finished before the kill
        } else if (sent.exitCode == 0) {
            // Lossy: a dead receiver looks like overwritten frames, which the summary counts.
            const qint64 unacknowledged = AppProcess::summaryNumber(sent.out, QStringLiteral("(\\d+) unacknowledged"));
            QVERIFY2(unacknowledged >= 0, qPrintable(QStringLiteral("no summary: %1").arg(sent.out)));
            QVERIFY2(acked == records || unacknowledged > 0, "records went unacknowledged, and the summary does not say so");
        } else {
            QVERIFY2(landed, qPrintable(QStringLiteral("the sender failed with nothing killed: %1").arg(sent.err)));
            QVERIFY2(sent.exitCode == 1, qPrintable(QStringLiteral("exit code %1: %2").arg(sent.exitCode).arg(sent.err)));
            QVERIFY2(sent.err.trimmed().endsWith(QLatin1Char('.')), qPrintable(QStringLiteral("not a sentence: \"%1\"").arg(sent.err)));
        }
        const QStringList left = objects().containing(loop.token);
        *story = QStringLiteral("kill receiver %1 (%2), %3 records, batch %4: sender %5 %6 ms later with %7 acknowledged%8; left: %9")
                     .arg(moment.describe()).arg(landed ? QStringLiteral("landed") : QStringLiteral("it had finished"))
                     .arg(records).arg(batch).arg(sent.exitCode == 0 ? QStringLiteral("finished") : QStringLiteral("failed"))
                     .arg(noticedMs).arg(acked)
                     .arg(sent.exitCode == 0 ? QString() : QStringLiteral(" (\"%1\")").arg(sent.err.trimmed().section(QLatin1Char('\n'), -1)))
                     .arg(joined(left));

        // A killed receiver's file is whole or absent, never half written.
        if (QFile::exists(killedCsv)) {
            SentLedger ledger;
            ledger.add(QStringLiteral("the sender"), seed, first, records, 0, loop.acks);
            QString error;
            const EmployeeList rows = importExport(killedCsv, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QVERIFY2(ledger.check(rows).isEmpty(), qPrintable(ledger.check(rows)));
        }

        // Both started again, the sender with the same records under new ids.
        const QString csv = csvPath(loop, QStringLiteral("after-killed-receiver"));
        auto receiver = startReceiver(loop, csv);
        QVERIFY2(receiver, "a receiver must start over what the killed one left");
        const AppProcess::Result again = AppProcess::runSender(senderArgs(loop, seed, first + 500'000, records, batch), 90000);
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        SentLedger ledger;
        ledger.add(QStringLiteral("the restarted sender"), seed, first + 500'000, records, lastAcknowledged(again.out), loop.acks);
        QString error;
        const EmployeeList rows = importExport(csv, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(ledger.check(rows).isEmpty(), qPrintable(ledger.check(rows)));
        if (loop.reliable)
            QCOMPARE(rows.size(), records);
    }

    QString addressFor(const QString &transport, const QString &token) const
    {
        if (transport == QLatin1String("tcp")) {
            QTcpServer probe;
            probe.listen(QHostAddress::LocalHost, 0);
            return QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
        }
        if (transport == QLatin1String("clipboard"))
            return {};
        return token;
    }

    void addMechanismRows()
    {
        QTest::addColumn<QString>("transport");
        for (const QString &id : std::as_const(m_available))
            QTest::newRow(qPrintable(id)) << id;
    }

    bool reliable(const QString &transport) const { return transport != QLatin1String("clipboard"); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_work.isValid() && m_runtime.isValid() && m_mqueueView.isValid());
        bool ok = false;
        m_seed = qEnvironmentVariable("IPCW_FAULTS_SEED").toULongLong(&ok);
        if (!ok)
            m_seed = QRandomGenerator::system()->generate64() >> 1;
        if (const int runs = qEnvironmentVariableIntValue("IPCW_FAULTS_RUNS"); runs > 0)
            m_runs = runs;
        qInfo("fault seed %llu, %d killed transfers per mechanism: IPCW_FAULTS_SEED=%llu makes the same choices again",
              m_seed, m_runs, m_seed);

        // Children pick their own platform (xcb under xvfb-run, for the clipboard) and keep
        // their named objects in a runtime folder of this test's own.
        qunsetenv("QT_QPA_PLATFORM");
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());

        // POSIX message queues are listed through an mqueue mount: the system's, or our own.
        QFile mounts(QStringLiteral("/proc/mounts"));
        if (mounts.open(QIODevice::ReadOnly))
            for (const QByteArray &line : mounts.readAll().split('\n'))
                if (line.split(' ').value(2) == "mqueue")
                    m_mqueueDir = QString::fromLocal8Bit(line.split(' ').value(1));
        if (m_mqueueDir.isEmpty()) {
            m_mqueueMount = std::make_unique<ScopedMount>(QStringLiteral("mqueue"), m_mqueueView.path());
            if (m_mqueueMount->mounted())
                m_mqueueDir = m_mqueueView.path();
            else
                qInfo("message queues are not listed: %s", qPrintable(m_mqueueMount->why()));
        }

        // Asked of the program itself: whether the clipboard works depends on its display.
        QProcess list;
        list.start(AppProcess::program(), {QStringLiteral("--list-transports")});
        QVERIFY(list.waitForFinished(30000));
        const QStringList rows = QString::fromUtf8(list.readAllStandardOutput()).split(QLatin1Char('\n'));
        for (const QString &id : Mechanisms) {
            const auto row = std::find_if(rows.cbegin(), rows.cend(), [&](const QString &r) { return r.startsWith(id + QLatin1Char(' ')); });
            static const QRegularExpression status(QStringLiteral("\\s(ok|unavailable|error)\\s+(.*)$"));
            const QRegularExpressionMatch m = row == rows.cend() ? QRegularExpressionMatch() : status.match(*row);
            if (m.hasMatch() && m.captured(1) == QLatin1String("ok"))
                m_available << id;
            else
                qInfo("%s: not under test: %s", qPrintable(id),
                      m.hasMatch() ? qPrintable(m.captured(2)) : "its plugin was not found");
        }
        QVERIFY2(m_available.contains(QStringLiteral("tcp")), "the tcp plugin must always be there");
    }

    void killedAtRandom_data() { addMechanismRows(); }
    void killedAtRandom()
    {
        QFETCH(QString, transport);
        QElapsedTimer wall;
        wall.start();
        Loop loop;
        loop.transport = transport;
        loop.token = QStringLiteral("faults%1%2").arg(QCoreApplication::applicationPid()).arg(transport);
        loop.address = addressFor(transport, loop.token);
        loop.reliable = reliable(transport);
        loop.acks = loop.reliable ? SentLedger::Acks::FirstRecords : SentLedger::Acks::HowMany;
        QRandomGenerator random(mechanismSeed(m_seed, transport));

        // A clean transfer first, as long as the longest killed one: the kill moments are
        // drawn from its duration, so they fall on start-up, handshake, transfer and goodbye.
        if (!loop.reliable) {
            loop.maxRecords = 1500;
            loop.batches = {64, 256};
        }
        QPair<int, int> timing;
        cleanRun(loop, loop.maxRecords, loop.batches.first(), &timing);
        if (QTest::currentTestFailed())
            return;
        loop.startupMs = timing.first;
        qInfo("%s: a listening receiver has %s; a clean sender of %d records connected after %d ms and ended %d ms later",
              qPrintable(transport), qPrintable(joined(*loop.receiverOwns)), loop.maxRecords, timing.first, timing.second);

        int runs = m_runs;
        if (!loop.reliable && runs > ClipboardRuns) {
            runs = ClipboardRuns;
            qInfo("%s: %d killed transfers, not %d: a sender whose receiver died waits out its 10 s acknowledgement "
                  "timeout, as a lossy mechanism cannot tell a dead receiver from overwritten frames",
                  qPrintable(transport), runs, m_runs);
        }
        int senderKills = 0, receiverKills = 0;
        for (int i = 0; i < runs; ++i) {
            QString story;
            const bool victimIsSender = random.bounded(2) == 0;
            if (victimIsSender) {
                ++senderKills;
                killSender(loop, random, &story);
            } else {
                ++receiverKills;
                killReceiver(loop, random, &story);
            }
            qInfo("%s #%d: %s", qPrintable(transport), i + 1, qPrintable(story));
            if (QTest::currentTestFailed())
                return;
        }

        // The next run works, and once it is over nothing of any run is left.
        cleanRun(loop, 1000, 64);
        if (QTest::currentTestFailed())
            return;
        const QStringList left = objects().containing(loop.token);
        QVERIFY2(left.isEmpty(), qPrintable(QStringLiteral("left after the last clean run: %1").arg(joined(left))));
        qInfo("%s: %d killed transfers (%d senders, %d receivers killed) and 2 clean ones passed in %.1f s",
              qPrintable(transport), runs, senderKills, receiverKills, wall.elapsed() / 1000.0);
    }

    void stoppedReceiverBoundsSenderMemory_data() { addMechanismRows(); }
    void stoppedReceiverBoundsSenderMemory()
    {
        QFETCH(QString, transport);
        const QString token = QStringLiteral("stopped%1%2").arg(QCoreApplication::applicationPid()).arg(transport);
        const QStringList args = transportArgs(transport, addressFor(transport, token));
        const qint64 records = reliable(transport) ? StoppedRecords : StoppedClipboardRecords;
        // Lossy: frames overwritten while the receiver is stopped never arrive; wait for the goodbye.
        const QStringList until = reliable(transport) ? QStringList{QStringLiteral("--expect"), QString::number(records)}
                                                      : QStringList{QStringLiteral("--senders"), QStringLiteral("1")};
        auto receiver = AppProcess::startReceiver(QStringList(args) << QStringLiteral("--discard") << until
                                                  << QStringLiteral("--timeout") << QStringLiteral("120"));
        QVERIFY(receiver);
        auto sender = AppProcess::startSender(QStringList(args) << QStringLiteral("--generate") << QString::number(records)
                                              << QStringLiteral("--progress") << QStringLiteral("--timeout") << QStringLiteral("120"));
        QVERIFY(sender);

        // Stop the receiver once the transfer is under way.
        QByteArray seen;
        QElapsedTimer clock;
        clock.start();
        while (acknowledgedSoFar(seen) < records / 20 && sender->state() == QProcess::Running
               && clock.elapsed() < 60000) {
            sender->waitForReadyRead(20);
            seen += sender->readAllStandardOutput();
        }
        QVERIFY2(sender->state() == QProcess::Running, "the transfer ended before the receiver could be stopped");
        const qint64 pid = sender->processId();
        const qint64 atStopKiB = residentKiB(pid, "VmRSS:");
        QVERIFY2(atStopKiB > 0, "no VmRSS read from /proc: the measurement would prove nothing");
        ::kill(pid_t(receiver->processId()), SIGSTOP);
        const qint64 ackedAtStop = lastAcknowledged(QString::fromUtf8(seen));

        qint64 maxKiB = atStopKiB;
        clock.restart();
        while (clock.elapsed() < StoppedSeconds * 1000 && sender->state() == QProcess::Running) {
            sender->waitForReadyRead(100);
            seen += sender->readAllStandardOutput();
            maxKiB = qMax(maxKiB, residentKiB(pid, "VmRSS:"));
        }
        const qint64 peakKiB = residentKiB(pid, "VmHWM:");
        const bool stillRunning = sender->state() == QProcess::Running;
        ::kill(pid_t(receiver->processId()), SIGCONT);

        sender->setProperty("stdoutSoFar", seen);
        const AppProcess::Result sent = AppProcess::finish(*sender, 120000);
        const AppProcess::Result got = AppProcess::finish(*receiver, 120000);
        qInfo("%s: sender VmRSS %.1f MiB when the receiver was stopped (%lld of %lld records acknowledged), at most %.1f MiB "
              "over %d s stopped: growth %.1f MiB; VmHWM %.1f MiB",
              qPrintable(transport), atStopKiB / 1024.0, ackedAtStop, records, maxKiB / 1024.0, StoppedSeconds,
              (maxKiB - atStopKiB) / 1024.0, peakKiB / 1024.0);
        QVERIFY2(stillRunning, qPrintable(QStringLiteral("the sender gave up while the receiver was stopped: %1").arg(sent.err)));
        QVERIFY2(maxKiB - atStopKiB < MemoryGrowthBoundKiB,
                 qPrintable(QStringLiteral("the sender grew by %1 KiB while its receiver was stopped").arg(maxKiB - atStopKiB)));
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        if (reliable(transport)) {
            QCOMPARE(lastAcknowledged(sent.out), records);
            QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("Received (\\d+) records")), records);
        }
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
