// SPDX-License-Identifier: GPL-3.0-or-later
#include "appprocess.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>

// The headless options the benchmark's memory rows rely on, with real processes: a receiver
// that keeps no rows (--discard) and the "Memory:" lines of --report-memory.
class TestBenchPeers final : public QObject
{
    Q_OBJECT

private:
    struct Transfer
    {
        AppProcess::Result receiver;
        AppProcess::Result sender;
        QVector<qint64> residentKiB; // of the receiver's Memory lines, in order
    };

    static QString freeTcpAddress()
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
    }

    static QVector<qint64> residentKiB(const QString &output)
    {
        QVector<qint64> values;
        static const QRegularExpression line(QStringLiteral("^Memory: VmRSS (\\d+) kB, VmHWM (\\d+) kB$"),
                                             QRegularExpression::MultilineOption);
        for (auto it = line.globalMatch(output); it.hasNext();)
            values << it.next().captured(1).toLongLong();
        return values;
    }

    static Transfer transfer(qint64 records, const QStringList &receiverOptions)
    {
        Transfer t;
        const QString address = freeTcpAddress();
        const auto receiver = AppProcess::startReceiver(QStringList{QStringLiteral("--transport"), QStringLiteral("tcp"),
                                                                    QStringLiteral("--address"), address,
                                                                    QStringLiteral("--expect"), QString::number(records),
                                                                    QStringLiteral("--report-memory"), QStringLiteral("--timeout"),
                                                                    QStringLiteral("120")}
                                                        + receiverOptions);
        if (!receiver)
            return t;
        t.sender = AppProcess::runSender({QStringLiteral("--transport"), QStringLiteral("tcp"), QStringLiteral("--address"), address,
                                          QStringLiteral("--generate"), QString::number(records), QStringLiteral("--batch"),
                                          QStringLiteral("4096"), QStringLiteral("--report-memory"), QStringLiteral("--timeout"),
                                          QStringLiteral("120")});
        t.receiver = AppProcess::finish(*receiver, 120000);
        t.residentKiB = residentKiB(t.receiver.out);
        return t;
    }

private slots:
    void discardingReceiverCountsEverythingAndKeepsNothing()
    {
        // Enough rows to outweigh the frames a receiver holds while they arrive: a discarding
        // receiver may still be holding tens of MB of them when it reports (64 MB seen at its
        // peak), and whether glibc has given them back by then depends on timing.
        const qint64 records = 2000000;
        const Transfer keeping = transfer(records, {});
        const Transfer discarding = transfer(records, {QStringLiteral("--discard")});
        for (const Transfer *t : {&keeping, &discarding}) {
            QVERIFY2(t->receiver.exitCode == 0, qPrintable(t->receiver.out + t->receiver.err));
            QVERIFY2(t->receiver.out.contains(QStringLiteral("Received %1 records").arg(records)), qPrintable(t->receiver.out));
            QVERIFY2(t->receiver.out.contains(QLatin1String("lost 0 frames")), qPrintable(t->receiver.out));
            // One line once listening, one at the end.
            QCOMPARE(t->residentKiB.size(), 2);
            QVERIFY2(t->sender.exitCode == 0, qPrintable(t->sender.out + t->sender.err));
            QCOMPARE(residentKiB(t->sender.out).size(), 1);
        }
        QVERIFY(discarding.receiver.out.contains(QLatin1String("keeping no rows")));
        QVERIFY(!keeping.receiver.out.contains(QLatin1String("keeping no rows")));
        // Loose bounds: 2,000,000 kept rows hold some 160 MB of record bytes, surely over 100 MB; a
        // receiver that keeps none grows by far less than one that keeps them.
        const qint64 keptGrowth = keeping.residentKiB.at(1) - keeping.residentKiB.at(0);
        const qint64 discardedGrowth = discarding.residentKiB.at(1) - discarding.residentKiB.at(0);
        qInfo("receiver growth for %lld records: kept %lld KiB, discarded %lld KiB", records, keptGrowth, discardedGrowth);
        QVERIFY2(keptGrowth > 100000, qPrintable(QString::number(keptGrowth)));
        QVERIFY2(discardedGrowth < keptGrowth / 2, qPrintable(QStringLiteral("%1 vs %2").arg(discardedGrowth).arg(keptGrowth)));
    }

    void discardHasNothingToExport()
    {
        QProcess process;
        process.start(AppProcess::program(), {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver"),
                                              QStringLiteral("--expect"), QStringLiteral("1"), QStringLiteral("--discard"),
                                              QStringLiteral("--export"), QStringLiteral("never.csv")});
        const AppProcess::Result r = AppProcess::finish(process, 30000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QLatin1String("--discard keeps no records")), qPrintable(r.err));

        QProcess help;
        help.start(AppProcess::program(), {QStringLiteral("--help")});
        const AppProcess::Result h = AppProcess::finish(help, 30000);
        QVERIFY(h.out.contains(QLatin1String("--discard")));
        QVERIFY(h.out.contains(QLatin1String("--report-memory")));
    }
};

QTEST_GUILESS_MAIN(TestBenchPeers)
#include "tst_bench_peers.moc"
