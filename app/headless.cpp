// SPDX-License-Identifier: GPL-3.0-or-later
#include "headless.h"

#include "benchstats.h"
#include "csv.h"
#include "csvsource.h"
#include "employeetablemodel.h"
#include "endpointfactory.h"
#include "generatorsource.h"
#include "itransport.h"
#include "receiversession.h"
#include "receivertally.h"
#include "sendersession.h"
#include "tlsidentity.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopedPointer>
#include <QTextStream>
#include <QTimer>

#include <limits>
#include <optional>

namespace Headless {

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

// Stops the event loop with TimedOut after `seconds` (0: never).
void armTimeout(int seconds)
{
    if (seconds > 0)
        QTimer::singleShot(seconds * 1000, qApp, [] { qApp->exit(TimedOut); });
}

// From the first record's sending to the last one's arrival: both stamps come from this
// machine's clock, so this is the rate a user of the transfer saw, not just the receiver's part.
// Kept as batches pass, so a receiver that keeps no rows (--discard) still knows it.
class TransferClock
{
public:
    void note(const RecordBatchList &batches)
    {
        for (const RecordBatchPtr &batch : batches) {
            m_firstSentUs = qMin(m_firstSentUs, batch->sentAtUs);
            m_lastReceivedUs = qMax(m_lastReceivedUs, batch->receivedAtUs);
        }
    }
    double recordsPerSecond(qint64 records) const
    {
        if (records == 0)
            return 0;
        return double(records) * 1e6 / double(qMax<qint64>(1, m_lastReceivedUs - m_firstSentUs));
    }

private:
    qint64 m_firstSentUs = std::numeric_limits<qint64>::max();
    qint64 m_lastReceivedUs = std::numeric_limits<qint64>::min();
};

// The line the benchmark reads (--report-memory): resident memory now and at its highest.
void reportMemory()
{
    const BenchStats::ProcessMemory m = BenchStats::processMemory(QCoreApplication::applicationPid());
    if (m.known())
        out() << QStringLiteral("Memory: VmRSS %1 kB, VmHWM %2 kB").arg(m.residentKiB).arg(m.peakResidentKiB) << Qt::endl;
    else
        out() << QStringLiteral("Memory: not known on this system") << Qt::endl;
}

// TLS and the pinned certificate exist for TCP alone; a token for every stream transport.
bool securityFits(const AppOptions &options)
{
    if ((options.security.tls || !options.security.pinnedSha256.isEmpty()) && options.transport != QLatin1String("tcp")) {
        err() << QStringLiteral("--tls and --pin-sha256 work with the tcp transport only, not %1.").arg(options.transport)
              << Qt::endl;
        return false;
    }
    return true;
}

} // namespace

int listTransports(const PluginManager &plugins)
{
    QVector<QStringList> rows{{QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("platforms"),
                               QStringLiteral("status"), QStringLiteral("capabilities / error")}};
    for (const PluginManager::Plugin &p : plugins.plugins()) {
        QString status = p.usable() ? QStringLiteral("ok") : QStringLiteral("error");
        QString detail = p.usable() ? p.metadata.capabilities.summary() : p.error;
        if (p.usable()) {
            if (const QString reason = p.transport->unavailableReason(); !reason.isEmpty()) {
                status = QStringLiteral("unavailable");
                detail = reason;
            }
        }
        const QString id = p.metadata.id.isEmpty() ? QFileInfo(p.filePath).fileName() : p.metadata.id;
        rows.append({id, p.metadata.name, p.metadata.platforms.join(QLatin1Char(',')), status, detail});
    }
    // Every column as wide as its widest cell; the last one runs free.
    QVector<int> widths(rows.first().size() - 1, 0);
    for (const QStringList &row : std::as_const(rows))
        for (int c = 0; c < widths.size(); ++c)
            widths[c] = qMax(widths[c], int(row.at(c).size()));
    for (const QStringList &row : std::as_const(rows)) {
        QString line;
        for (int c = 0; c < widths.size(); ++c)
            line += row.at(c).leftJustified(widths[c] + 2);
        out() << line << row.last() << Qt::endl;
    }
    if (plugins.plugins().isEmpty())
        out() << QStringLiteral("No plugin files found in: %1").arg(plugins.searchPaths().join(QStringLiteral(", "))) << Qt::endl;
    return Ok;
}

int runReceiver(const PluginManager &plugins, const AppOptions &options)
{
    if (!securityFits(options))
        return Usage;
    QString error;
    // Shown before the endpoint exists, so a sender can pin it; the plugin loads the same files.
    QString fingerprintLine;
    if (options.security.tls) {
        const TlsIdentity identity = TlsIdentity::loadOrCreate(&error);
        if (!identity.isValid()) {
            err() << error << Qt::endl;
            return Failed;
        }
        const QString fingerprint = ConnectionSecurity::fingerprintText(identity.sha256());
        fingerprintLine = QStringLiteral("TLS certificate SHA-256 %1 (%2); senders check it with --pin-sha256 %1")
                              .arg(fingerprint, QDir::toNativeSeparators(identity.certificatePath));
    }
    const PluginManager::Plugin *plugin = nullptr;
    QScopedPointer<TransportEndpoint> endpoint(
        createEndpoint(plugins, {options.transport, EndpointRole::Receiver, options.address}, &plugin, &error));
    if (!endpoint) {
        err() << error << Qt::endl;
        return Failed;
    }
    EmployeeTableModel model;
    TransferClock transferClock;
    ReceiverSession session(endpoint.data(), plugin->metadata.id);
    QObject::connect(&session, &ReceiverSession::batchesReceived, qApp, [&transferClock](const RecordBatchList &batches) {
        transferClock.note(batches);
    });
    session.setKeepsBatches(!options.discard);
    if (!options.discard)
        QObject::connect(&session, &ReceiverSession::batchesReceived, &model, &EmployeeTableModel::appendBatches);
    QObject::connect(&session, &ReceiverSession::problem, qApp, [](const QString &message) {
        err() << message << Qt::endl;
    });
    QObject::connect(endpoint.data(), &TransportEndpoint::errorOccurred, qApp, [&endpoint](const QString &message) {
        err() << message << Qt::endl;
        if (endpoint->state() != TransportEndpoint::State::Connected && endpoint->state() != TransportEndpoint::State::Listening)
            qApp->exit(Failed);
    });
    QObject::connect(endpoint.data(), &TransportEndpoint::stateChanged, qApp, [&](TransportEndpoint::State state) {
        if (state == TransportEndpoint::State::Listening) {
            if (!fingerprintLine.isEmpty())
                out() << fingerprintLine << Qt::endl;
            QString notes;
            if (!options.security.token.isEmpty())
                notes += QStringLiteral(", access token required");
            if (options.security.tls)
                notes += QStringLiteral(", TLS");
            if (options.discard)
                notes += QStringLiteral(", keeping no rows");
            out() << QStringLiteral("Receiver listening on %1 %2%3").arg(plugin->metadata.id, endpoint->address(), notes)
                  << Qt::endl;
            if (options.reportMemory)
                reportMemory();
        } else if (state == TransportEndpoint::State::Failed)
            qApp->exit(Failed);
    });

    QObject::connect(&session, &ReceiverSession::countersChanged, qApp, [&](const ReceiverSession::Counters &c) {
        if (options.expect > 0 && c.records >= options.expect)
            qApp->exit(Ok);
    });
    QObject::connect(&session, &ReceiverSession::senderFinished, qApp, [&] {
        if (options.senders > 0 && session.counters().sendersFinished >= options.senders)
            qApp->exit(Ok);
    });

    armTimeout(options.timeoutSeconds);
    endpoint->open();
    // A plugin may fail inside open(), before the loop that would have seen exit() runs.
    if (endpoint->state() == TransportEndpoint::State::Failed)
        return Failed;
    int code = QCoreApplication::exec();
    session.flush();
    if (options.reportMemory)
        reportMemory(); // every record held, nothing freed yet
    if (code == TimedOut && options.expect == 0)
        code = Ok; // with only --timeout, running out of time is the normal end
    endpoint->close();

    const ReceiverSession::Counters &c = session.counters();
    out() << QStringLiteral("Received %1 records in %2 frames from %3 sender(s) over %4; lost %5 frames, "
                            "%6 duplicates, %7 reordered, %8 bad frames; %9 records/s")
                 .arg(c.records).arg(c.frames).arg(c.senders).arg(plugin->metadata.id)
                 .arg(c.lostFrames).arg(c.duplicateFrames).arg(c.reorderedFrames).arg(c.badFrames)
                 .arg(qint64(transferClock.recordsPerSecond(c.records)))
          << Qt::endl;
    if (!options.exportPath.isEmpty()) {
        const Csv::Result result = Csv::exportReceived(options.exportPath, model.store());
        if (!result.ok) {
            err() << result.error << Qt::endl;
            return Failed;
        }
        out() << QStringLiteral("CSV: %1 (%2 rows)").arg(QDir(options.exportPath).absolutePath()).arg(result.rows) << Qt::endl;
    }
    if (code == TimedOut)
        err() << QStringLiteral("Timed out after %1 s: only %2 of the %3 expected records arrived.")
                     .arg(options.timeoutSeconds).arg(c.records).arg(options.expect) << Qt::endl;
    return code;
}

int runSender(const PluginManager &plugins, const AppOptions &options)
{
    // Records are encoded as the window opens, never all held. A CSV file is checked whole
    // first, so a bad row refuses the file before anything is sent (see CsvSource).
    std::unique_ptr<RecordSource> source;
    if (!options.importPath.isEmpty()) {
        auto csv = std::make_unique<CsvSource>(options.importPath);
        if (!csv->check()) {
            err() << csv->errorString() << Qt::endl;
            return Failed;
        }
        source = std::move(csv);
    } else {
        source = std::make_unique<GeneratorSource>(EmployeeGenerator(options.seed, options.firstId), options.generate);
    }
    const qint64 total = source->total();
    if (!securityFits(options))
        return Usage;

    QString error;
    const PluginManager::Plugin *plugin = nullptr;
    QScopedPointer<TransportEndpoint> endpoint(
        createEndpoint(plugins, {options.transport, EndpointRole::Sender, options.address}, &plugin, &error));
    if (!endpoint) {
        err() << error << Qt::endl;
        return Failed;
    }
    SenderSession::Options sessionOptions = SenderSession::defaultOptionsFor(plugin->metadata.capabilities);
    if (options.batch > 0)
        sessionOptions.batchSize = options.batch;
    // Before the session's own slot, which may send everything at once (one to many): this line first.
    QObject::connect(endpoint.data(), &TransportEndpoint::stateChanged, qApp, [&](TransportEndpoint::State state) {
        if (state != TransportEndpoint::State::Connected)
            return;
        // One to many: "connected" would claim a receiver answered, which nobody has to.
        if (sessionOptions.fanOut)
            out() << QStringLiteral("Sender ready on %1 %2, one to many (no receiver has to answer); sending %3 records")
                         .arg(plugin->metadata.id, endpoint->address()).arg(total)
                  << Qt::endl;
        else
            out() << QStringLiteral("Sender connected to %1 %2; sending %3 records")
                         .arg(plugin->metadata.id, endpoint->address()).arg(total)
                  << Qt::endl;
    });

    SenderSession session(endpoint.data(), sessionOptions);
    // Where one sender reaches many, say how many it knows of, or that the mechanism cannot tell.
    const TransportCapabilities &caps = plugin->metadata.capabilities;
    ReceiverTally receivers(endpoint.data(), plugin->metadata);
    QObject::connect(&receivers, &ReceiverTally::changed, qApp, [&receivers] {
        out() << receivers.sentence() << Qt::endl;
    });

    // Once the session has finished (everything acknowledged, Bye queued), a receiver that
    // closes first is the normal end, not a failure.
    std::optional<int> finishedCode;
    QObject::connect(endpoint.data(), &TransportEndpoint::errorOccurred, qApp, [&finishedCode](const QString &message) {
        if (finishedCode) {
            qApp->exit(*finishedCode);
            return;
        }
        err() << message << Qt::endl;
        qApp->exit(Failed);
    });
    QObject::connect(&session, &SenderSession::errorOccurred, qApp, [](const QString &message) {
        err() << message << Qt::endl;
    });
    if (options.progress) {
        // Flushed line by line: a script that kills or loses this process still knows how much
        // the receiver confirmed holding.
        QObject::connect(&session, &SenderSession::progress, qApp, [total, printed = qint64(0)](qint64, qint64 acked, qint64) mutable {
            if (acked <= printed)
                return;
            printed = acked;
            out() << QStringLiteral("Acknowledged %1 of %2 records").arg(acked).arg(total) << Qt::endl;
        });
    }
    // One to many: the session is done as soon as every frame is queued, but the frames leave at
    // the endpoint's pace and receivers answer meanwhile, so the line waits for the queue to drain.
    std::optional<SenderSession::Summary> fanOutSummary;
    QElapsedTimer drainClock;
    QObject::connect(&session, &SenderSession::finished, qApp, [&](const SenderSession::Summary &s) {
        const QString many = caps.reachesManyReceivers() ? QLatin1Char(' ') + receivers.sentence() : QString();
        if (sessionOptions.fanOut) {
            fanOutSummary = s;
            drainClock.start();
        } else {
            out() << QStringLiteral("Sent %1 records in %2 frames over %3 to %4; %5 frames acknowledged, %6 unacknowledged; %7 records/s.%8")
                         .arg(s.recordsSent).arg(s.framesSent).arg(plugin->metadata.id, endpoint->address())
                         .arg(s.framesAcked).arg(s.framesUnacknowledged).arg(qint64(s.recordsPerSecond())).arg(many)
                  << Qt::endl;
        }
        const bool complete = (s.framesUnacknowledged == 0 || !sessionOptions.waitForAcks) && s.sourceError.isEmpty();
        finishedCode = complete ? Ok : Failed;
        // Let the Bye frame leave before closing.
        auto drain = [code = *finishedCode, &endpoint] {
            if (endpoint->queuedBytes() == 0)
                qApp->exit(code);
        };
        QObject::connect(endpoint.data(), &TransportEndpoint::bytesWritten, qApp, drain);
        QTimer::singleShot(0, qApp, drain);
    });
    session.send(std::move(source));
    session.finish();
    armTimeout(options.timeoutSeconds);
    endpoint->open();
    if (endpoint->state() == TransportEndpoint::State::Failed)
        return Failed;
    const int code = QCoreApplication::exec();
    QObject::disconnect(&receivers, nullptr, qApp, nullptr); // closing forgets every receiver: not news
    if (fanOutSummary) {
        SenderSession::Summary s = *fanOutSummary;
        s.elapsedMs += drainClock.elapsed();
        out() << QStringLiteral("Sent %1 records in %2 frames over %3 to %4, one to many: each receiver counts its own "
                                "losses; %5 records/s. %6")
                     .arg(s.recordsSent).arg(s.framesSent).arg(plugin->metadata.id, endpoint->address())
                     .arg(qint64(s.recordsPerSecond())).arg(receivers.peakSentence())
              << Qt::endl;
    }
    if (options.reportMemory)
        reportMemory();
    if (code == TimedOut)
        err() << QStringLiteral("Timed out after %1 s: %2 of %3 records acknowledged.")
                     .arg(options.timeoutSeconds).arg(session.summary().recordsAcked).arg(total) << Qt::endl;
    endpoint->close();
    return code;
}

} // namespace Headless
