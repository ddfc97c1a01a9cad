// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A process the benchmark starts as a peer (a headless receiver or sender, a floor's peer) and
// what a headless receiver prints at its end. Shared by the rows of BenchRunner and BenchFanout.

#include "ipcwcore_export.h"

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

class QEventLoop;

namespace BenchProcess {

// How long a peer has to print its ready line.
constexpr int ReadyTimeoutMs = 15000;

// Turns the event loop until `loop` is quit, or gives up after `timeoutMs`; true when quit.
bool execFor(QEventLoop &loop, int timeoutMs);

// The last line of a headless receiver: "Received N records in F frames from S sender(s) over
// T; lost L frames, D duplicates, R reordered, B bad frames; X records/s".
struct ReceiverSummary
{
    bool known = false;
    qint64 records = 0;
    qint64 lost = 0;
    qint64 duplicates = 0;
    qint64 reordered = 0;
    qint64 bad = 0;
    double recordsPerSecond = 0;
    QString firstBad; // the receiver's sentence for its first bad frame or refused sender
};
IPCWCORE_EXPORT ReceiverSummary parseReceiverSummary(const QString &output);

} // namespace BenchProcess

// A peer process: started, waited for until it prints its ready line, killed if still running
// when dropped.
class BenchPeer
{
public:
    ~BenchPeer();
    // `marker` empty: nothing to wait for.
    bool start(const QString &program, const QStringList &arguments, const QByteArray &marker, QString *error);
    qint64 pid() const { return m_process.processId(); }
    double cpu() const;
    QString readyLine() const { return m_readyLine; }
    QProcess &process() { return m_process; }
    // Waits (turning the event loop, so endpoints keep flushing) until the peer exits; returns
    // everything it printed, standard output then standard error.
    QString finish(int timeoutMs);

private:
    QProcess m_process;
    QByteArray m_output;
    QString m_readyLine;
};
