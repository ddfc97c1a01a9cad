// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchplacement.h"

#include <QProcess>
#include <QScopeGuard>
#include <QtTest>

#include <sched.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

// The CPUs thread `tid` of this process may run on.
QList<int> cpusOf(pid_t tid)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(tid, sizeof set, &set) != 0)
        return {};
    QList<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set))
            cpus << cpu;
    return cpus;
}

// The CPUs the kernel lets the calling thread run on.
QList<int> threadCpus()
{
    return cpusOf(0);
}

// "0-1,3" -> {0, 1, 3}
QList<int> parseCpuList(const QString &text)
{
    QList<int> cpus;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList range = part.split(QLatin1Char('-'));
        for (int cpu = range.first().toInt(); cpu <= range.last().toInt(); ++cpu)
            cpus << cpu;
    }
    return cpus;
}

// The CPUs a real child process started as the benchmark starts its peers is allowed, as it
// reads them itself.
QList<int> peerCpus()
{
    QProcess peer;
    peer.setChildProcessModifier(BenchPlacement::pinPeer);
    peer.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("grep Cpus_allowed_list /proc/self/status")});
    if (!peer.waitForFinished(10000))
        return {};
    const QString line = QString::fromUtf8(peer.readAllStandardOutput()).trimmed();
    return parseCpuList(line.section(QLatin1Char(':'), 1).trimmed());
}

QList<int> cpusOfANewThread()
{
    QList<int> cpus;
    std::thread([&cpus] { cpus = threadCpus(); }).join();
    return cpus;
}

} // namespace

class TestBenchPlacement : public QObject
{
    Q_OBJECT

private slots:
    void parsesTheThreeNames()
    {
        BenchPlacement::Mode mode = BenchPlacement::Mode::Any;
        for (const BenchPlacement::Mode expected : {BenchPlacement::Mode::Apart, BenchPlacement::Mode::Together, BenchPlacement::Mode::Any}) {
            QVERIFY(BenchPlacement::parse(BenchPlacement::name(expected), &mode));
            QCOMPARE(mode, expected);
        }
        QVERIFY(!BenchPlacement::parse(QStringLiteral("both"), &mode));
        QVERIFY(!BenchPlacement::parse(QString(), &mode));
    }

    void apartPutsPeersOnAnotherCpu()
    {
        const QList<int> before = threadCpus();
        QVERIFY(!before.isEmpty());
        {
            const BenchPlacement::Scope scope(BenchPlacement::Mode::Apart);
            const QList<int> mine = threadCpus();
            QCOMPARE(mine.size(), 1);
            QCOMPARE(cpusOfANewThread(), mine);
            const QList<int> peer = peerCpus();
            QCOMPARE(peer.size(), 1);
            if (before.size() >= 2) {
                QVERIFY2(peer != mine, qPrintable(scope.description()));
                QVERIFY(before.contains(peer.first()));
                QCOMPARE(scope.description(), QStringLiteral("apart: this process on CPU %1, its peer processes on CPU %2")
                                                  .arg(mine.first()).arg(peer.first()));
            } else {
                // One CPU to use: apart cannot be, and the report says so.
                QCOMPARE(peer, mine);
                QVERIFY2(scope.description().contains(QLatin1String("one CPU only")), qPrintable(scope.description()));
            }
        }
        QCOMPARE(threadCpus(), before);
        QCOMPARE(peerCpus(), before); // no longer pinned: a peer inherits what we have
    }

    void togetherSharesOneCpu()
    {
        const QList<int> before = threadCpus();
        {
            const BenchPlacement::Scope scope(BenchPlacement::Mode::Together);
            const QList<int> mine = threadCpus();
            QCOMPARE(mine.size(), 1);
            QCOMPARE(peerCpus(), mine);
            QVERIFY(scope.description().startsWith(QLatin1String("together: ")));
        }
        QCOMPARE(threadCpus(), before);
    }

    // The window's way: the benchmark's thread and what it starts are pinned, a thread that was
    // already running (the GUI thread) is not.
    void thisThreadLeavesTheOtherThreadsAlone()
    {
        const QList<int> before = threadCpus();
        std::mutex mutex;
        std::condition_variable changed;
        pid_t otherTid = 0;
        bool done = false;
        std::thread other([&] {
            std::unique_lock<std::mutex> lock(mutex);
            otherTid = ::gettid();
            changed.notify_all();
            changed.wait(lock, [&] { return done; });
        });
        // Ended and joined however the test leaves, a failed comparison included.
        const auto endOther = qScopeGuard([&] {
            {
                std::lock_guard<std::mutex> lock(mutex);
                done = true;
            }
            changed.notify_all();
            other.join();
        });
        {
            std::unique_lock<std::mutex> lock(mutex);
            changed.wait(lock, [&] { return otherTid != 0; });
        }
        {
            const BenchPlacement::Scope scope(BenchPlacement::Mode::Apart, BenchPlacement::Reach::ThisThread);
            const QList<int> mine = threadCpus();
            QCOMPARE(mine.size(), 1);
            QCOMPARE(cpusOfANewThread(), mine);
            QCOMPARE(cpusOf(otherTid), before);
            const QList<int> peer = peerCpus();
            QCOMPARE(peer.size(), 1);
            if (before.size() >= 2) {
                QVERIFY2(peer != mine, qPrintable(scope.description()));
                QCOMPARE(scope.description(), QStringLiteral("apart: the benchmark's thread on CPU %1, its peer processes on CPU %2")
                                                  .arg(mine.first()).arg(peer.first()));
            }
        }
        QCOMPARE(threadCpus(), before);
        QCOMPARE(peerCpus(), before);
    }

    void anyLeavesEveryoneWhereTheyAre()
    {
        const QList<int> before = threadCpus();
        const BenchPlacement::Scope scope(BenchPlacement::Mode::Any);
        QCOMPARE(threadCpus(), before);
        QCOMPARE(peerCpus(), before);
        QVERIFY(scope.description().startsWith(QLatin1String("any: ")));
    }
};

QTEST_GUILESS_MAIN(TestBenchPlacement)
#include "tst_benchplacement.moc"
