// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchpeer.h"

#include "benchplacement.h"
#include "benchstats.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QRegularExpression>
#include <QTimer>

namespace BenchProcess {

bool execFor(QEventLoop &loop, int timeoutMs)
{
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
    timer.start(timeoutMs);
    return loop.exec() == 0;
}

ReceiverSummary parseReceiverSummary(const QString &output)
{
    static const QRegularExpression re(QStringLiteral(
        "Received (\\d+) records in \\d+ frames from \\d+ sender\\(s\\) over \\S+; lost (-?\\d+) frames, "
        "(\\d+) duplicates, (\\d+) reordered, (\\d+) bad frames; (\\d+) records/s"));
    ReceiverSummary s;
    const QRegularExpressionMatch m = re.match(output);
    if (!m.hasMatch())
        return s;
    s.known = true;
    s.records = m.captured(1).toLongLong();
    s.lost = m.captured(2).toLongLong();
    s.duplicates = m.captured(3).toLongLong();
    s.reordered = m.captured(4).toLongLong();
    s.bad = m.captured(5).toLongLong();
    s.recordsPerSecond = m.captured(6).toDouble();
    // ReceiverSession::problem's sentences for what it counts as bad.
    static const QRegularExpression bad(QStringLiteral("^(Dropped .*|.* was refused and disconnected\\. .*)$"),
                                        QRegularExpression::MultilineOption);
    if (s.bad > 0)
        s.firstBad = bad.match(output).captured(1);
    return s;
}

} // namespace BenchProcess

BenchPeer::~BenchPeer()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(3000);
    }
}

bool BenchPeer::start(const QString &program, const QStringList &arguments, const QByteArray &marker, QString *error)
{
#if defined(Q_OS_UNIX)
    m_process.setChildProcessModifier(BenchPlacement::pinPeer);
#endif
    m_process.start(program, arguments);
    if (!m_process.waitForStarted(10000)) {
        *error = QStringLiteral("Cannot start %1: %2").arg(program, m_process.errorString());
        return false;
    }
    if (marker.isEmpty())
        return true; // nothing to wait for
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < BenchProcess::ReadyTimeoutMs) {
        m_process.waitForReadyRead(50);
        m_output += m_process.readAllStandardOutput();
        const qsizetype at = m_output.indexOf(marker);
        if (at >= 0 && m_output.indexOf('\n', at) > at) {
            m_readyLine = QString::fromUtf8(m_output.mid(at, m_output.indexOf('\n', at) - at)).trimmed();
            return true;
        }
        if (m_process.state() == QProcess::NotRunning)
            break;
    }
    *error = QStringLiteral("The peer \"%1 %2\" did not get ready: %3")
                 .arg(program, arguments.join(QLatin1Char(' ')),
                      QString::fromUtf8(m_output + m_process.readAllStandardError()).trimmed());
    return false;
}

double BenchPeer::cpu() const
{
    return BenchStats::processCpuSeconds(pid());
}

QString BenchPeer::finish(int timeoutMs)
{
    if (m_process.state() != QProcess::NotRunning) {
        QEventLoop loop;
        QObject::connect(&m_process, &QProcess::finished, &loop, [&loop] { loop.quit(); });
        if (!BenchProcess::execFor(loop, timeoutMs)) {
            m_process.kill();
            m_process.waitForFinished(3000);
        }
    }
    m_output += m_process.readAllStandardOutput();
    return QString::fromUtf8(m_output) + QString::fromUtf8(m_process.readAllStandardError());
}
