// SPDX-License-Identifier: GPL-3.0-or-later
// Sending millions of records holds a few frames, not the records: a real headless sender
// process streams 5,000,000 generated records to a real receiver while its peak resident memory
// is sampled from /proc. Held all at once, those records would take gigabytes.

#include "appprocess.h"

#include <QFile>
#include <QTest>

namespace {

constexpr qint64 Records = 5'000'000;
constexpr qint64 BoundKiB = 128 * 1024; // loose on purpose: a memory bound, not a timing

// The process's peak resident set so far (VmHWM), in KiB; 0 when it cannot be read.
qint64 peakResidentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

} // namespace

class TestSenderMemory final : public QObject
{
    Q_OBJECT

private slots:
    void senderMemoryDoesNotGrowWithRecords()
    {
        const QString address = QStringLiteral("sendermemory%1").arg(QCoreApplication::applicationPid());
        const QStringList transport{QStringLiteral("--transport"), QStringLiteral("localsocket"), QStringLiteral("--address"), address};
        auto receiver = AppProcess::startReceiver(transport + QStringList{QStringLiteral("--expect"), QString::number(Records),
                                                                          QStringLiteral("--timeout"), QStringLiteral("280")});
        QVERIFY(receiver);

        QProcess sender;
        sender.start(AppProcess::program(),
                     QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender")} + transport
                         + QStringList{QStringLiteral("--generate"), QString::number(Records), QStringLiteral("--batch"),
                                       QStringLiteral("4096"), QStringLiteral("--timeout"), QStringLiteral("280")});
        QVERIFY2(sender.waitForStarted(5000), qPrintable(sender.errorString()));
        const qint64 pid = sender.processId();
        qint64 peakKiB = 0;
        while (sender.state() != QProcess::NotRunning) {
            peakKiB = qMax(peakKiB, peakResidentKiB(pid));
            sender.waitForFinished(20);
        }
        const AppProcess::Result sent = AppProcess::finish(sender, 1000);
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        qInfo("sender peak resident memory: %lld KiB for %lld records", peakKiB, Records);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("Received (\\d+) records")), Records);
        QVERIFY2(peakKiB > 0, "no VmHWM read from /proc: the measurement would prove nothing");
        QVERIFY2(peakKiB < BoundKiB, qPrintable(QStringLiteral("the sender peaked at %1 KiB").arg(peakKiB)));
    }
};

QTEST_GUILESS_MAIN(TestSenderMemory)
#include "tst_sendermemory.moc"
