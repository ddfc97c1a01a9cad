// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Runs real `ipcworkshop` processes for multi-process tests: a headless receiver that is
// waited for until it listens, and senders run to completion. Header-only, for tests.
// Each function takes an optional `wrapper`, a command that runs ipcworkshop for it (for
// example `ip netns exec <namespace>`, in a network namespace); empty runs it directly.

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>

#include <functional>
#include <memory>

namespace AppProcess {

inline QString program()
{
    return QStringLiteral(IPCW_BIN_DIR "/ipcworkshop");
}

// Sets `process` to run `ipcworkshop --headless --role <role> <arguments>`, through `wrapper`.
inline void setCommand(QProcess &process, const QString &role, const QStringList &arguments, const QStringList &wrapper = {})
{
    const QStringList own = QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), role} + arguments;
    process.setProgram(wrapper.isEmpty() ? program() : wrapper.first());
    process.setArguments(wrapper.isEmpty() ? own : wrapper.mid(1) + QStringList{program()} + own);
}

// Starts `ipcworkshop --headless --role receiver ...` and waits for its "listening" line.
// Returns nullptr (after a QWARN with its output) if it did not get there.
inline std::unique_ptr<QProcess> startReceiver(const QStringList &arguments, int waitMs = 15000, const QStringList &wrapper = {})
{
    auto process = std::make_unique<QProcess>();
    setCommand(*process, QStringLiteral("receiver"), arguments, wrapper);
    process->start();
    if (!process->waitForStarted(5000)) {
        qWarning("cannot start %s: %s", qPrintable(program()), qPrintable(process->errorString()));
        return nullptr;
    }
    QByteArray seen;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < waitMs) {
        process->waitForReadyRead(100);
        seen += process->readAllStandardOutput();
        if (seen.contains("listening")) {
            // Hand what was read back to the caller's view of stdout.
            process->setProperty("stdoutSoFar", seen);
            return process;
        }
        if (process->state() == QProcess::NotRunning)
            break;
    }
    qWarning("receiver did not start listening: %s %s", seen.constData(), process->readAllStandardError().constData());
    process->kill();
    process->waitForFinished();
    return nullptr;
}

struct Result
{
    int exitCode = -1;
    bool finished = false;
    QString out;
    QString err;
};

inline Result finish(QProcess &process, int timeoutMs)
{
    Result r;
    // waitForFinished() is false for a process that has already ended: that one finished too.
    r.finished = process.state() == QProcess::NotRunning || process.waitForFinished(timeoutMs);
    if (!r.finished) {
        process.kill();
        process.waitForFinished();
    }
    r.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    r.out = QString::fromUtf8(process.property("stdoutSoFar").toByteArray() + process.readAllStandardOutput());
    r.err = QString::fromUtf8(process.readAllStandardError());
    return r;
}

// Starts `ipcworkshop --headless --role sender ...` and returns at once, for a test that
// watches, stops or kills it while it runs; nullptr (after a QWARN) if it did not start.
inline std::unique_ptr<QProcess> startSender(const QStringList &arguments, const QStringList &wrapper = {})
{
    auto process = std::make_unique<QProcess>();
    setCommand(*process, QStringLiteral("sender"), arguments, wrapper);
    process->start();
    if (!process->waitForStarted(5000)) {
        qWarning("cannot start %s: %s", qPrintable(program()), qPrintable(process->errorString()));
        return nullptr;
    }
    return process;
}

inline Result runSender(const QStringList &arguments, int timeoutMs = 120000, const QStringList &wrapper = {})
{
    QProcess process;
    setCommand(process, QStringLiteral("sender"), arguments, wrapper);
    process.start();
    return finish(process, timeoutMs);
}

// The number after `label` in a summary line ("lost 3 frames" -> 3 for "lost"); -1 if absent.
inline qint64 summaryNumber(const QString &text, const QString &pattern)
{
    const QRegularExpressionMatch m = QRegularExpression(pattern).match(text);
    return m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

// The lines of `text` that contain `needle`.
inline QStringList linesWith(const QString &text, const QString &needle)
{
    QStringList found;
    for (const QString &line : text.split(QLatin1Char('\n')))
        if (line.contains(needle))
            found << line;
    return found;
}

// How many lines of a running process's stderr so far contain `needle` (nothing is consumed).
inline int errLinesWith(QProcess &process, const QString &needle)
{
    process.setReadChannel(QProcess::StandardError);
    const QString err = QString::fromUtf8(process.peek(process.bytesAvailable()));
    process.setReadChannel(QProcess::StandardOutput);
    return int(linesWith(err, needle).size());
}

// Everything a finished process printed, for a failure message.
inline QString both(const Result &r)
{
    return r.out + r.err;
}

// Waits until the running process's stdout so far holds `needle` (nothing is consumed): for a
// sender, "Sender connected" or "Sender ready", which may follow other lines (a fan-out sender
// first says how many receivers it knows of).
inline bool waitForOutput(QProcess &process, const QByteArray &needle, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!process.peek(process.bytesAvailable()).contains(needle)) {
        if (clock.elapsed() > timeoutMs || process.state() == QProcess::NotRunning)
            return false;
        process.waitForReadyRead(100);
    }
    return true;
}

// Runs this thread's event loop (the test's own sockets keep working) until `done` or the
// timeout; `meanwhile`, if given, runs on every turn.
inline bool spinUntil(const std::function<bool()> &done, int timeoutMs, const std::function<void()> &meanwhile = {})
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > timeoutMs)
            return false;
        if (meanwhile)
            meanwhile();
        QTest::qWait(10);
    }
    return true;
}

// What a receiver's summary line counts ("lost 3 frames, 0 duplicates, 1 reordered, 0 bad
// frames"); -1 for a count it does not give.
struct ReceiverCounts
{
    qint64 lost = -1;
    qint64 duplicates = -1;
    qint64 reordered = -1;
    qint64 bad = -1;
};

inline ReceiverCounts receiverCounts(const QString &text)
{
    return {summaryNumber(text, QStringLiteral("lost (\\d+) frames")), summaryNumber(text, QStringLiteral("(\\d+) duplicates")),
            summaryNumber(text, QStringLiteral("(\\d+) reordered")), summaryNumber(text, QStringLiteral("(\\d+) bad frames"))};
}

// A process's output in the test's log, a line at a time.
inline void logLines(const QString &text)
{
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        qInfo("%s", qPrintable(line));
}

} // namespace AppProcess
