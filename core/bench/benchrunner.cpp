// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchrunner.h"

#include "benchfloor.h"
#include "benchfanout.h"
#include "benchmerge.h"
#include "benchpeer.h"
#include "benchsinkendpoint.h"
#include "benchstats.h"
#include "employeegenerator.h"
#include "employeetablemodel.h"
#include "framebuilder.h"
#include "framecodec.h"
#include "generatorsource.h"
#include "itransport.h"
#include "pluginmanager.h"
#include "privatesessionbus.h"
#include "receiversession.h"
#include "sendersession.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHostAddress>
#include <QLocale>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QUdpSocket>
#include <QTimer>

#include <cmath>
#include <unistd.h>

using BenchProcess::execFor;
using BenchProcess::parseReceiverSummary;
using BenchProcess::ReceiverSummary;
using Peer = BenchPeer; // the rows below were written when it was BenchRunner's own

namespace {

constexpr int FrameWindow = 16; // SenderSession's default window, used by the floors too
constexpr qint64 LargePingBytes = 64 * 1024;
constexpr quint32 PingerId = 0x42454e43; // "BENC": pings need no random id
constexpr qint64 MiBFrameBytes = 1024 * 1024;
constexpr int ConnectTimeoutMs = 15000;
constexpr int RowTimeoutMs = 180000;
// After the last ack the receiver still hands its coalesced batch to the model (a 50 ms
// timer): wait that long before reading its CPU time, so the figure includes the model.
constexpr int ModelSettleMs = 150;

const QString Us = QStringLiteral("us");

// The memory rows: a headless receiver and sender over localsocket, 4096 records a frame.
const QString MemoryRowTransport = QStringLiteral("localsocket");
constexpr int MemoryRowBatch = 4096;
// Their time limit grows with the volume: a minute plus the records at 100,000 a second.
constexpr int MemoryRowBaseSeconds = 60;
constexpr qint64 MemoryRowSlowestRate = 100000;
// Either process is stopped once it holds more than half of the memory the machine had
// available: a sender that keeps every record in memory must fail as a row, never take the
// machine down. The sender whose peak is the figure is stopped sooner: beyond this its row
// could only say "missed by far".
constexpr qint64 MeasuredSenderCapKiB = 4 * 1024 * 1024;
constexpr qint64 UnknownAvailableCapKiB = 4 * 1024 * 1024;
constexpr int MemoryPollMs = 100;
// Targets the project set for the record path.
constexpr double ReceiverBytesPerRowTarget = 160;
constexpr double SenderPeakMiBTarget = 64;
constexpr double IngestRecordsPerSecondTarget = 10e6;

BenchFigure figure(const QString &name, const QString &unit, double value, double floor, bool lowerIsBetter)
{
    BenchFigure f;
    f.name = name;
    f.unit = unit;
    f.value = value;
    f.floor = floor;
    f.lowerIsBetter = lowerIsBetter;
    return f;
}

double noFloor()
{
    return std::numeric_limits<double>::quiet_NaN();
}

void settle(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool waitConnected(TransportEndpoint *endpoint, QString *error)
{
    if (endpoint->state() == TransportEndpoint::State::Connected)
        return true;
    QEventLoop loop;
    const auto a = QObject::connect(endpoint, &TransportEndpoint::stateChanged, &loop, [&](TransportEndpoint::State s) {
        if (s == TransportEndpoint::State::Connected)
            loop.quit();
        else if (s == TransportEndpoint::State::Failed)
            loop.exit(2);
    });
    const auto b = QObject::connect(endpoint, &TransportEndpoint::errorOccurred, &loop, [&](const QString &message) {
        *error = message;
    });
    endpoint->open();
    const bool ok = execFor(loop, ConnectTimeoutMs);
    QObject::disconnect(a);
    QObject::disconnect(b);
    if (!ok && error->isEmpty())
        *error = QStringLiteral("The sender did not connect within %1 s.").arg(ConnectTimeoutMs / 1000);
    return ok;
}

// The "Memory:" lines a headless process prints with --report-memory, in order.
QVector<BenchStats::ProcessMemory> memoryLines(const QString &output)
{
    static const QRegularExpression re(QStringLiteral("^Memory: VmRSS (\\d+) kB, VmHWM (\\d+) kB$"), QRegularExpression::MultilineOption);
    QVector<BenchStats::ProcessMemory> lines;
    for (auto it = re.globalMatch(output); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        lines << BenchStats::ProcessMemory{m.captured(1).toLongLong(), m.captured(2).toLongLong()};
    }
    return lines;
}

// 10,000,000, 160 and 123.4: as a sentence reads them.
QString targetNumber(double value)
{
    const bool whole = std::fabs(value) >= 1000 || value == std::floor(value);
    return QLocale(QLocale::English).toString(value, 'f', whole ? 0 : 1);
}

QString lastLine(const QString &text)
{
    return text.trimmed().section(QLatin1Char('\n'), -1);
}

void addSummary(BenchLosses *losses, const ReceiverSummary &s)
{
    if (!s.known)
        return;
    losses->known = true;
    losses->lostFrames += s.lost;
    losses->duplicateFrames += s.duplicates;
    losses->reorderedFrames += s.reordered;
    losses->badFrames += s.bad;
    if (losses->firstBadFrame.isEmpty())
        losses->firstBadFrame = s.firstBad;
}

} // namespace

// A mechanism to measure, or the reason it cannot be.
struct BenchRunner::Target
{
    QString id;
    const PluginManager::Plugin *plugin = nullptr;
    QString skipped;
};

struct BenchRunner::Plan
{
    struct Stream
    {
        QString test;
        QString label;
        qint64 records = 0;
        int batch = 0;
        qint64 maxFrameBytes = 0; // 0: no cap beyond the transport's
        qint64 frames = 0;        // as the sender session will cut them
        qint64 bytes = 0;
        double frameBytes() const { return frames > 0 ? double(bytes) / double(frames) : 0; }
    };
    qint64 oneRecordFrameBytes = 0;
    QVector<Stream> streams;
};

// What a memory row's transfer left: each process's output, or why it did not complete.
struct BenchRunner::MemoryTransfer
{
    QString error;
    QString receiverOutput;
    QString senderOutput;
};

// The two round-trip rows every mechanism and floor has: one-record frames and 64 KiB ones.
struct BenchRunner::LatencyRows
{
    explicit LatencyRows(const Plan &plan)
        : frameBytes{plan.oneRecordFrameBytes, LargePingBytes},
          labels{QStringLiteral("round trip, 1-record frames, %1 B").arg(plan.oneRecordFrameBytes),
                 QStringLiteral("round trip, 64 KiB frames")}
    {
    }
    const qint64 frameBytes[2];
    const QString tests[2] = {QStringLiteral("latency-1"), QStringLiteral("latency-64k")};
    const QString labels[2];
};

struct BenchRunner::FloorResults
{
    QString error;
    BenchStats::LatencySummary latency[2];
    double cpuPerRoundTripUs[2] = {0, 0};
    struct Stream
    {
        bool ok = false;
        double recordsPerSecond = 0;
        double megabytesPerSecond = 0;
        double cpuPerMillion = 0;
    };
    QVector<Stream> streams;
};

BenchRunner::Profile BenchRunner::profileFor(bool quick)
{
    Profile p;
    if (quick) {
        p.warmUp = 200;
        p.roundTrips = 2000;
        p.recordsBatch1 = 2000;
        p.recordsBatch64 = 32 * 1024;
        p.recordsBatch4096 = 128 * 1024;
        p.recordsMiBFrames = 128 * 1024;
        p.scalingRecordsPerSender = 32 * 1024;
        p.idleSeconds = 2;
        p.ingestRecords = 256 * 1024;
        p.receiverRows = 200000;
        p.senderRecords = 1000000;
        p.tableRows = 200000;
        p.fanOutRecords = 16 * 1024;
    } else {
        p.warmUp = 1000;
        p.roundTrips = 10000;
        p.recordsBatch1 = 20000;
        p.recordsBatch64 = 256 * 1024;
        p.recordsBatch4096 = 10000000;
        p.recordsMiBFrames = 1024 * 1024;
        p.scalingRecordsPerSender = 256 * 1024;
        p.idleSeconds = 10;
        p.ingestRecords = 1024 * 1024;
        p.receiverRows = 10000000;
        p.senderRecords = 100000000;
        p.tableRows = 10000000;
        p.fanOutRecords = 100000;
    }
    return p;
}

QString BenchRunner::floorFor(const QString &transportId, QString *whyNone)
{
    static const QHash<QString, QString> floors{
        {QStringLiteral("tcp"), QStringLiteral("tcp")},
        {QStringLiteral("localsocket"), QStringLiteral("unix")},
        {QStringLiteral("namedpipe"), QStringLiteral("pipe")},
        {QStringLiteral("mailslot"), QStringLiteral("mq")},
        {QStringLiteral("udp"), QStringLiteral("udp")},
        {QStringLiteral("filemapping"), QStringLiteral("shm-block")},
        {QStringLiteral("zeromq"), QStringLiteral("unix")},        // ipc:// is a Unix socket
        {QStringLiteral("zeromq-pubsub"), QStringLiteral("unix")},
        {QStringLiteral("dbus"), QStringLiteral("dbus")},
        {QStringLiteral("clipboard"), QStringLiteral("xcb")},
    };
    const QString floor = floors.value(transportId);
    if (floor.isEmpty() && whyNone)
        *whyNone = QStringLiteral("no floor known for this mechanism");
    return floor;
}

// A second floor measured beside the bare one of floorFor(), so a part of the mechanism's cost
// shows apart: for a mechanism built on a library, the library's own loop; for one a program
// waits on in its event loop, the bare calls with every read waiting in poll() first, which is
// what any event-loop program pays before doing anything (filemapping's doorbell has no bare
// counterpart: its floor wakes with futexes).
static QString secondFloorFor(const QString &transportId)
{
    static const QHash<QString, QString> floors{
        {QStringLiteral("zeromq"), QStringLiteral("zeromq")},
        {QStringLiteral("tcp"), QStringLiteral("tcp-poll")},
        {QStringLiteral("localsocket"), QStringLiteral("unix-poll")},
        {QStringLiteral("namedpipe"), QStringLiteral("pipe-poll")},
        {QStringLiteral("mailslot"), QStringLiteral("mq-poll")},
    };
    return floors.value(transportId);
}

BenchRunner::BenchRunner(const PluginManager &plugins, const BenchConfig &config, QObject *parent)
    : QObject(parent), m_plugins(plugins), m_config(config), m_profile(profileFor(config.quick))
{
    qRegisterMetaType<BenchRow>();
    qRegisterMetaType<BenchReport>();
    if (m_config.program.isEmpty())
        m_config.program = QCoreApplication::applicationFilePath();
}

BenchRunner::~BenchRunner() = default;

void BenchRunner::step(const QString &what)
{
    emit progress(m_done, m_total, m_config.repeat > 1 && m_run >= 0 ? QStringLiteral("run %1/%2: %3").arg(m_run + 1).arg(m_config.repeat).arg(what) : what);
    ++m_done;
}

void BenchRunner::addRow(BenchRow row)
{
    // Repeated, a row is only known once every run measured it (run() emits the medians).
    if (m_config.repeat == 1)
        emit rowReady(row);
    m_report.rows.append(std::move(row));
}

QString BenchRunner::uniqueName()
{
    return QStringLiteral("bench%1x%2").arg(::getpid()).arg(++m_nameCounter);
}

QString BenchRunner::addressFor(const QString &transportId)
{
    if (transportId == QLatin1String("tcp")) {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
    }
    if (transportId == QLatin1String("udp")) {
        QUdpSocket probe;
        probe.bind(QHostAddress::LocalHost, 0);
        // Unpaced: a round trip keeps one frame in flight, and the row measures the mechanism,
        // not the sender's default rate.
        return QStringLiteral("127.0.0.1:%1?rate=0").arg(probe.localPort());
    }
    if (transportId == QLatin1String("clipboard"))
        return QStringLiteral("paced"); // one clipboard per display: its address is a mode, not a name
    return uniqueName();
}

BenchReport BenchRunner::run()
{
    // The machine first: once pinned, this process sees one CPU (QThread::idealThreadCount).
    BenchMachine machine = BenchMachine::current(m_config.quick ? QStringLiteral("quick") : QStringLiteral("full"));
    const BenchPlacement::Scope placement(m_config.placement, m_config.placementReach);
    machine.placement = placement.description();
    m_done = 0;
    m_run = -1; // not yet in a run: the steps before the first are shared by all

    // Which mechanisms, in a stable order.
    QVector<Target> targets;
    QStringList wanted = m_config.transports;
    if (wanted.isEmpty())
        for (const PluginManager::Plugin &p : m_plugins.plugins())
            if (!p.metadata.id.isEmpty() && !wanted.contains(p.metadata.id))
                wanted << p.metadata.id;
    // The dbus rows and their floor run on a bus of their own, started before the plugin is
    // asked whether a bus is there.
    PrivateSessionBus privateBus;
    QString busNote;
    if (wanted.contains(QStringLiteral("dbus"))) {
        QString error;
        busNote = privateBus.start(&error)
                      ? QStringLiteral("dbus was measured on a private session bus the benchmark started (%1).").arg(privateBus.address())
                      : QStringLiteral("No private D-Bus session bus for the dbus rows: %1; they use DBUS_SESSION_BUS_ADDRESS's bus, if any.").arg(error);
    }
    for (const QString &id : std::as_const(wanted)) {
        Target t;
        t.id = id;
        t.plugin = m_plugins.findById(id);
        if (!t.plugin) {
            t.skipped = QStringLiteral("no usable plugin with this id");
            for (const PluginManager::Plugin &p : m_plugins.plugins())
                if (p.metadata.id == id && !p.error.isEmpty())
                    t.skipped = p.error;
        } else if (!t.plugin->metadata.supportsThisPlatform()) {
            t.skipped = QStringLiteral("the plugin does not support this platform");
        } else if (const QString reason = t.plugin->transport->unavailableReason(); !reason.isEmpty()) {
            t.skipped = reason;
        }
        targets.append(t);
    }

    // Frame sizes every mechanism and floor share: the same records, cut the same way.
    const qint64 poolSize = qMax(qMax(m_profile.recordsBatch4096, m_profile.recordsMiBFrames),
                                 qMax(m_profile.recordsBatch64, m_profile.ingestRecords));
    if (qint64(m_prefixBytes.size()) < poolSize + 1) {
        // Sizes of every record the rows send; only the ingest's records are kept as objects.
        step(QStringLiteral("generating %1 records").arg(poolSize));
        EmployeeGenerator generator(1, 1);
        m_pool.clear();
        m_pool.reserve(m_profile.ingestRecords);
        m_prefixBytes.assign(size_t(poolSize) + 1, 0);
        for (qint64 i = 0; i < poolSize; ++i) {
            const Employee e = generator.next();
            m_prefixBytes[size_t(i) + 1] = m_prefixBytes[size_t(i)] + FrameCodec::encodedRecordSize(e);
            if (i < m_profile.ingestRecords)
                m_pool.append(e);
        }
    }
    Plan plan;
    plan.oneRecordFrameBytes = FrameCodec::encodeRecords(m_pool.constData(), 1, 1, 1).size();
    auto batched = [&](const QString &test, const QString &label, qint64 records, int batch) {
        Plan::Stream s{test, label, records, batch, 0, (records + batch - 1) / batch, 0};
        s.bytes = m_prefixBytes[size_t(records)] + s.frames * Wire::HeaderSize;
        plan.streams.append(s);
    };
    batched(QStringLiteral("throughput-1"), QStringLiteral("one way, 1 record/frame"), m_profile.recordsBatch1, 1);
    batched(QStringLiteral("throughput-64"), QStringLiteral("one way, 64 records/frame"), m_profile.recordsBatch64, 64);
    batched(QStringLiteral("throughput-4096"), QStringLiteral("one way, 4096 records/frame"), m_profile.recordsBatch4096, 4096);
    {
        // Frames filled up to 1 MiB, cut as SenderSession cuts them (whole records that fit).
        Plan::Stream s{QStringLiteral("throughput-1mib"), QStringLiteral("one way, 1 MiB frames"), m_profile.recordsMiBFrames, 0, MiBFrameBytes, 0, 0};
        qint64 inFrame = Wire::HeaderSize, records = 0, biggest = 0;
        for (qint64 i = 0; i < s.records; ++i) {
            const qint64 size = m_prefixBytes[size_t(i) + 1] - m_prefixBytes[size_t(i)];
            if (records > 0 && inFrame + size > MiBFrameBytes) {
                ++s.frames;
                biggest = qMax(biggest, records);
                inFrame = Wire::HeaderSize;
                records = 0;
            }
            inFrame += size;
            ++records;
        }
        ++s.frames;
        s.batch = int(qMax(biggest, records) * 2); // beyond any frame's count: the byte cap cuts
        s.bytes = m_prefixBytes[size_t(s.records)] + s.frames * Wire::HeaderSize;
        plan.streams.append(s);
    }

    const QStringList extraWaits = [this] {
        QStringList waits;
        for (const QString &w : m_config.shmWaits)
            if (w != QLatin1String("block"))
                waits << QStringLiteral("shm-") + w;
        return waits;
    }();
    int fanOutSteps = 0;
    for (const Target &t : std::as_const(targets))
        if (t.skipped.isEmpty() && BenchFanout::applies(t.plugin->metadata))
            fanOutSteps += int(BenchFanout::receiverCounts().size());
    const bool fileMappingWaits = measuredFileMapping(targets) != nullptr;
    const int stepsPerRun = int(targets.size()) * 11 + fanOutSteps + int(extraWaits.size()) * (fileMappingWaits ? 4 : 1) + 4
        + int(m_config.extras.size())
        + int(std::count_if(targets.cbegin(), targets.cend(), [](const Target &t) { return !secondFloorFor(t.id).isEmpty(); }));
    m_total = m_done + stepsPerRun * m_config.repeat;

    // Run after run of every row: drift of a shared machine then hits every row and its floor alike.
    QVector<BenchReport> runs;
    for (m_run = 0; m_run < m_config.repeat && !m_stop; ++m_run) {
        m_report = BenchReport();
        measureRun(targets, plan, extraWaits);
        runs.append(m_report);
    }
    m_report = BenchMerge::combine(runs);
    m_report.machine = machine;
    m_report.machine.runs = int(runs.size());
    addTargetNotes();
    if (!busNote.isEmpty())
        m_report.notes << busNote;
    if (m_stop)
        m_report.notes << QStringLiteral("The run was stopped before the end; rows not listed were not measured.");
    if (m_config.repeat > 1)
        for (const BenchRow &row : std::as_const(m_report.rows))
            emit rowReady(row);
    emit progress(m_total, m_total, QStringLiteral("done"));
    emit finished(m_report);
    return m_report;
}

const BenchRunner::Target *BenchRunner::measuredFileMapping(const QVector<Target> &targets)
{
    const auto it = std::find_if(targets.cbegin(), targets.cend(), [](const Target &t) {
        return t.id == QLatin1String("filemapping") && t.skipped.isEmpty();
    });
    return it == targets.cend() ? nullptr : &*it;
}

void BenchRunner::measureRun(const QVector<Target> &targets, const Plan &plan, const QStringList &extraWaits)
{
    m_floorIdle.clear();
    QStringList idleTransports;
    QStringList idleFloors;
    for (const Target &t : targets) {
        if (m_stop)
            break;
        if (!t.skipped.isEmpty()) {
            BenchRow row;
            row.mechanism = t.id;
            row.test = QStringLiteral("all");
            row.label = QStringLiteral("every measurement");
            row.skipped = t.skipped;
            addRow(row);
            m_report.notes << QStringLiteral("%1 was not measured: %2").arg(t.id, t.skipped);
            m_done += 11;
            continue;
        }
        QString whyNoFloor;
        const QString floorId = floorFor(t.id, &whyNoFloor);
        FloorResults floor;
        if (!floorId.isEmpty()) {
            step(QStringLiteral("%1: floor %2").arg(t.id, floorId));
            // A lossy mechanism's one-way rows are skipped (see measureTransport), so are its floor's.
            floor = measureFloor(floorId, plan, t.plugin->metadata.capabilities.reliable);
            m_floorError = floor.error;
            if (!floor.error.isEmpty())
                m_report.notes << QStringLiteral("The %1 floor failed: %2").arg(floorId, floor.error);
            else
                idleFloors << floorId;
        } else {
            ++m_done;
            m_report.notes << QStringLiteral("%1 has %2.").arg(t.id, whyNoFloor);
        }
        measureTransport(t.id, t.plugin->transport, t.plugin->metadata, plan,
                         floorId.isEmpty() || !floor.error.isEmpty() ? nullptr : &floor);
        idleTransports << t.id;
        if (const QString second = secondFloorFor(t.id); !second.isEmpty() && !m_stop)
            measureSecondFloor(second, floorId, plan, floorId.isEmpty() || !floor.error.isEmpty() ? nullptr : &floor);
        if (BenchFanout::applies(t.plugin->metadata))
            for (int receivers : BenchFanout::receiverCounts()) {
                if (m_stop)
                    break;
                step(QStringLiteral("%1: one sender to %2 receivers").arg(t.id).arg(receivers));
                addRow(BenchFanout::measure(t.plugin->metadata, receivers, {m_config.program, m_profile.fanOutRecords}));
            }
    }

    // The wait strategies of the shared-memory floor, each beside the blocking one, and the
    // shared-memory transport waiting the same way beside each.
    const Target *fileMapping = measuredFileMapping(targets);
    if (!m_stop && !extraWaits.isEmpty()) {
        const FloorResults block = measureFloor(QStringLiteral("shm-block"), plan);
        if (!idleFloors.contains(QStringLiteral("shm-block")))
            idleFloors << QStringLiteral("shm-block");
        for (const QString &id : extraWaits) {
            step(QStringLiteral("floor %1").arg(id));
            const FloorResults r = measureFloor(id, plan);
            BenchRow row;
            row.mechanism = QStringLiteral("floor:") + id;
            row.test = QStringLiteral("latency-1");
            row.label = QStringLiteral("round trip, %1 B").arg(plan.oneRecordFrameBytes);
            row.floorId = QStringLiteral("shm-block");
            row.floorNote = QString::fromStdString(ipcw::bench::floorDescription(id.toStdString()));
            row.frameBytes = double(plan.oneRecordFrameBytes);
            if (!r.error.isEmpty() || !block.error.isEmpty()) {
                row.skipped = r.error.isEmpty() ? block.error : r.error;
                addRow(row);
            } else {
                row.figures << figure(QStringLiteral("p50"), Us, r.latency[0].p50, block.latency[0].p50, true)
                            << figure(QStringLiteral("p99"), Us, r.latency[0].p99, block.latency[0].p99, true)
                            << figure(QStringLiteral("cpu/rt"), QStringLiteral("us cpu"), r.cpuPerRoundTripUs[0], block.cpuPerRoundTripUs[0], true);
                BenchRow mib = row;
                mib.test = QStringLiteral("throughput-4096");
                mib.label = QStringLiteral("one way, 4096 records/frame");
                mib.frameBytes = plan.streams.at(2).frameBytes();
                mib.figures.clear();
                if (r.streams.at(2).ok && block.streams.at(2).ok)
                    mib.figures << figure(QStringLiteral("MB/s"), QStringLiteral("MB/s"), r.streams.at(2).megabytesPerSecond, block.streams.at(2).megabytesPerSecond, false)
                                << figure(QStringLiteral("cpu/Mrec"), QStringLiteral("s"), r.streams.at(2).cpuPerMillion, block.streams.at(2).cpuPerMillion, true);
                addRow(row);
                if (!mib.figures.isEmpty())
                    addRow(mib);
                idleFloors << id;
            }
            if (fileMapping && !m_stop)
                measureFileMappingWait(*fileMapping, id.mid(4), plan, r.error.isEmpty() ? &r : nullptr);
        }
    }

    if (!m_stop) {
        step(QStringLiteral("idle receivers, %1 s").arg(m_profile.idleSeconds));
        measureIdle(idleTransports, idleFloors);
    }
    if (!m_stop) {
        step(QStringLiteral("model ingest"));
        measureIngest();
    }
    if (!m_stop) {
        step(QStringLiteral("receiver holding %1 rows").arg(m_profile.receiverRows));
        measureReceiverMemory();
    }
    if (!m_stop) {
        step(QStringLiteral("sender of %1 records").arg(m_profile.senderRecords));
        measureSenderMemory();
    }
    for (const BenchConfig::Extra &extra : m_config.extras) {
        if (m_stop)
            break;
        step(extra.step);
        addRow(extra.measure(m_config.quick));
    }
}

BenchRunner::FloorResults BenchRunner::measureFloor(const QString &floorId, const Plan &plan, bool oneWay)
{
    FloorResults r;
    r.streams.resize(plan.streams.size());
    Peer peer;
    QString error;
    const std::string id = floorId.toStdString();
    if (!peer.start(m_config.program, {QStringLiteral("bench-floor-peer"), floorId, uniqueName()}, "ready ", &error)) {
        r.error = error;
        return r;
    }
    std::string linkError;
    const std::string announced = peer.readyLine().mid(6).toStdString();
    std::unique_ptr<ipcw::bench::FloorLink> link = ipcw::bench::connectFloor(id, announced, long(peer.pid()), &linkError);
    if (!link) {
        r.error = QString::fromStdString(linkError);
        return r;
    }
    const qint64 sizes[2] = {plan.oneRecordFrameBytes, LargePingBytes};
    for (int i = 0; i < 2; ++i) {
        const double self0 = BenchStats::selfCpuSeconds(), peer0 = peer.cpu();
        ipcw::bench::LatencyRun run = ipcw::bench::floorPingPong(*link, size_t(sizes[i]), m_profile.warmUp, m_profile.roundTrips);
        const double cpu = BenchStats::selfCpuSeconds() - self0 + peer.cpu() - peer0;
        if (!run.error.empty()) {
            r.error = QString::fromStdString(run.error);
            return r;
        }
        r.latency[i] = BenchStats::summarize(run.roundTripsUs);
        // The warm-up round trips are in the CPU time too; spread it over all of them.
        r.cpuPerRoundTripUs[i] = cpu * 1e6 / double(m_profile.warmUp + m_profile.roundTrips);
    }
    for (int i = 0; oneWay && i < plan.streams.size(); ++i) {
        const Plan::Stream &s = plan.streams.at(i);
        const double self0 = BenchStats::selfCpuSeconds(), peer0 = peer.cpu();
        const ipcw::bench::ThroughputRun run = ipcw::bench::floorStream(*link, size_t(std::llround(s.frameBytes())), quint64(s.frames), FrameWindow);
        const double cpu = BenchStats::selfCpuSeconds() - self0 + peer.cpu() - peer0;
        if (!run.error.empty()) {
            r.error = QString::fromStdString(run.error);
            return r;
        }
        FloorResults::Stream &out = r.streams[i];
        out.ok = true;
        out.recordsPerSecond = BenchStats::perSecond(double(s.records), run.seconds);
        out.megabytesPerSecond = BenchStats::megabytesPerSecond(double(run.bytes), run.seconds);
        out.cpuPerMillion = BenchStats::cpuSecondsPerMillion(cpu, double(s.records));
    }
    ipcw::bench::floorStop(*link);
    link.reset();
    peer.finish(5000);
    return r;
}

void BenchRunner::measureTransport(const QString &id, ITransport *transport, const TransportMetadata &meta,
                                   const Plan &plan, const FloorResults *floor)
{
    const QString floorId = floor ? floorFor(id) : QString();
    QString floorNote;
    if (floorId.isEmpty() && !floorFor(id).isEmpty())
        floorNote = QStringLiteral("the %1 floor failed: %2").arg(floorFor(id), m_floorError);
    else if (floorId.isEmpty())
        floorFor(id, &floorNote);
    else
        floorNote = QString::fromStdString(ipcw::bench::floorDescription(floorId.toStdString()));
    const bool lossy = !meta.capabilities.reliable;
    BenchLosses losses;
    losses.mechanism = id;

    auto baseRow = [&](const QString &test, const QString &label, double frameBytes, double recordsPerFrame) {
        BenchRow row;
        row.mechanism = id;
        row.test = test;
        row.label = label;
        row.floorId = floorId;
        row.floorNote = floorNote;
        row.frameBytes = frameBytes;
        row.recordsPerFrame = recordsPerFrame;
        return row;
    };
    auto skipAll = [&](const QString &reason, int fromStep) {
        const QString tests[] = {QStringLiteral("latency-1"), QStringLiteral("latency-64k"), QStringLiteral("throughput-1"),
                                 QStringLiteral("throughput-64"), QStringLiteral("throughput-4096"), QStringLiteral("throughput-1mib")};
        for (int i = fromStep; i < 6; ++i) {
            BenchRow row = baseRow(tests[i], tests[i], 0, 0);
            row.skipped = reason;
            addRow(row);
        }
    };

    const QString address = addressFor(id);
    const int throughputRows = lossy ? 0 : int(plan.streams.size());
    Peer peer;
    QString error;
    step(QStringLiteral("%1: starting the receiver").arg(id));
    if (!peer.start(m_config.program,
                    {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver"),
                     QStringLiteral("--transport"), id, QStringLiteral("--address"), address,
                     QStringLiteral("--senders"), QString::number(1 + throughputRows),
                     QStringLiteral("--timeout"), QString::number(RowTimeoutMs / 1000 * 4)},
                    "listening", &error)) {
        skipAll(error, 0);
        m_report.losses.append(losses);
        m_done += 9;
        return;
    }

    // Latency: ping-pong over one sender endpoint, frames of the same sizes as the floor's.
    std::unique_ptr<TransportEndpoint> pinger(transport->createEndpoint(EndpointRole::Sender, address));
    if (!waitConnected(pinger.get(), &error)) {
        skipAll(error, 0);
        m_report.losses.append(losses);
        m_done += 9;
        return;
    }
    quint64 sequence = 0;
    const LatencyRows latencyRows(plan);
    for (int i = 0; i < 2 && !m_stop; ++i) {
        step(QStringLiteral("%1: %2").arg(id, latencyRows.labels[i]));
        const RoundTrips trips = measureRoundTrips(pinger.get(), peer, latencyRows.frameBytes[i], &sequence);
        BenchRow row = baseRow(latencyRows.tests[i], latencyRows.labels[i], double(latencyRows.frameBytes[i]), i == 0 ? 1 : 0);
        addLatencyFigures(&row, trips, floor, i);
        addRow(row);
    }

    // Throughput: a fresh sender session per row, acknowledged with the usual window.
    for (int i = 0; i < plan.streams.size() && !m_stop; ++i) {
        const Plan::Stream &s = plan.streams.at(i);
        step(QStringLiteral("%1: %2").arg(id, s.label));
        BenchRow row = baseRow(s.test, s.label, s.frameBytes(), double(s.records) / double(s.frames));
        if (lossy) {
            // One to many (udp) drops what a receiver cannot take; the clipboard keeps only the latest frame.
            row.skipped = meta.capabilities.fanOut
                ? QStringLiteral("%1 has no flow control: one-way throughput would measure the sender's pacing and the "
                                 "frames dropped, not delivery (latency above is measured with round trips)").arg(meta.name)
                : QStringLiteral("%1 keeps only the latest frame: one-way throughput would measure overwrites, "
                                 "not delivery (latency above is measured with acknowledged round trips)").arg(meta.name);
            addRow(row);
            continue;
        }
        std::unique_ptr<TransportEndpoint> endpoint(transport->createEndpoint(EndpointRole::Sender, address));
        if (!waitConnected(endpoint.get(), &error)) {
            row.skipped = error;
            addRow(row);
            continue;
        }
        SenderSession::Options options = SenderSession::defaultOptionsFor(meta.capabilities);
        options.batchSize = s.batch;
        options.windowFrames = FrameWindow;
        options.waitForAcks = true;
        if (s.maxFrameBytes > 0)
            options.maxFrameBytes = options.maxFrameBytes > 0 ? qMin(options.maxFrameBytes, s.maxFrameBytes) : s.maxFrameBytes;
        SenderSession session(endpoint.get(), options);
        QEventLoop loop;
        QString sessionError;
        qint64 elapsedNs = 0;
        QElapsedTimer clock;
        double selfEnd = 0;
        QObject::connect(&session, &SenderSession::finished, &loop, [&] {
            elapsedNs = clock.nsecsElapsed();
            selfEnd = BenchStats::selfCpuSeconds();
            loop.quit();
        });
        QObject::connect(&session, &SenderSession::errorOccurred, &loop, [&](const QString &message) { sessionError = message; });
        QObject::connect(endpoint.get(), &TransportEndpoint::errorOccurred, &loop, [&](const QString &message) {
            sessionError = message;
            loop.exit(2);
        });
        const double self0 = BenchStats::selfCpuSeconds(), peer0 = peer.cpu();
        clock.start();
        // Generated as sent, as a real sender does: the pool's records, the same bytes.
        session.send(std::make_unique<GeneratorSource>(EmployeeGenerator(1, 1), s.records));
        session.finish();
        const bool ok = execFor(loop, RowTimeoutMs);
        settle(ModelSettleMs);
        const double cpu = selfEnd - self0 + peer.cpu() - peer0;
        const SenderSession::Summary &summary = session.summary();
        losses.overwrittenFrames += summary.framesUnacknowledged;
        endpoint->close();
        if (!ok || summary.recordsAcked < s.records) {
            row.skipped = sessionError.isEmpty() ? QStringLiteral("only %1 of %2 records were acknowledged").arg(summary.recordsAcked).arg(s.records)
                                                 : sessionError;
            addRow(row);
            continue;
        }
        const double seconds = double(elapsedNs) / 1e9;
        const double bytes = double(m_prefixBytes[size_t(s.records)] + summary.framesSent * Wire::HeaderSize);
        row.frameBytes = bytes / double(summary.framesSent);
        const FloorResults::Stream f = floor ? floor->streams.at(i) : FloorResults::Stream();
        auto fl = [&](double v) { return f.ok ? v : noFloor(); };
        row.figures << figure(QStringLiteral("records/s"), QStringLiteral("rec/s"), BenchStats::perSecond(double(s.records), seconds), fl(f.recordsPerSecond), false)
                    << figure(QStringLiteral("MB/s"), QStringLiteral("MB/s"), BenchStats::megabytesPerSecond(bytes, seconds), fl(f.megabytesPerSecond), false)
                    << figure(QStringLiteral("cpu/Mrec"), QStringLiteral("s"), BenchStats::cpuSecondsPerMillion(cpu, double(s.records)), fl(f.cpuPerMillion), true);
        addRow(row);
    }

    // Goodbye from the pinger: the receiver has now seen every sender leave, prints its
    // counters and exits. Bye carries the next unused Records sequence, and the pinger sent no
    // Records frame: 1 (its ping count would be counted as that many frames lost).
    pinger->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Bye, 1, PingerId));
    const ReceiverSummary summary = parseReceiverSummary(peer.finish(15000));
    pinger->close();
    addSummary(&losses, summary);

    if (m_stop) {
        m_report.losses.append(losses);
        return;
    }
    step(QStringLiteral("%1: 1, 2, 4 senders").arg(id));
    measureScaling(id, meta, floor, &losses);
    m_report.losses.append(losses);
}

BenchRunner::RoundTrips BenchRunner::measureRoundTrips(TransportEndpoint *pinger, BenchPeer &peer, qint64 frameBytes,
                                                       quint64 *sequenceCounter)
{
    quint64 &sequence = *sequenceCounter;
    QByteArray payload(int(frameBytes - Wire::HeaderSize), Qt::Uninitialized);
    for (int b = 0; b < payload.size(); ++b)
        payload[b] = char(b * 131);
    std::vector<double> samples;
    samples.reserve(size_t(m_profile.roundTrips));
    int done = 0;
    double self0 = 0, peer0 = 0;
    QElapsedTimer clock;
    clock.start();
    qint64 sentAtNs = 0;
    QString pingError;
    QEventLoop loop;
    // The Ping is built once and each round trip rewrites only its header, as the floor's pinger
    // sends one buffer again: the measuring side does not copy and sum 64 KiB a round trip that
    // the floor's does not. A large payload's CRC is summed once here and combined with each
    // header's (FrameBuilder::writeHeader); the receiver and the pinger check every frame whole.
    QByteArray ping = FrameCodec::encodeControl(Wire::FrameType::Ping, 0, PingerId, payload);
    const std::optional<quint32> payloadCrc = payload.size() >= FrameCodec::PayloadCrcKeptFromBytes
        ? std::optional<quint32>(FrameCodec::crc32(payload.constData(), payload.size()))
        : std::nullopt;
    auto sendPing = [&] {
        sentAtNs = clock.nsecsElapsed();
        // Detaches, so copies, only while the endpoint still holds the last Ping.
        FrameBuilder::writeHeader(ping, Wire::FrameType::Ping, ++sequence, PingerId, FrameCodec::nowMicroseconds(), 0,
                                  payloadCrc);
        pinger->sendFrame(ping);
    };
    auto snapshot = [&] {
        self0 = BenchStats::selfCpuSeconds();
        peer0 = peer.cpu();
    };
    const auto onFrame = QObject::connect(pinger, &TransportEndpoint::frameReceived, &loop, [&](const QByteArray &frame) {
        DecodedFrame decoded;
        if (FrameCodec::decode(frame, &decoded) != DecodeError::None) {
            pingError = QStringLiteral("A bad pong came back.");
            loop.exit(2);
            return;
        }
        if (decoded.header.type != Wire::FrameType::Pong || decoded.header.sequence != sequence)
            return;
        const double us = double(clock.nsecsElapsed() - sentAtNs) / 1000.0;
        if (done >= m_profile.warmUp)
            samples.push_back(us);
        ++done;
        if (done == m_profile.warmUp)
            snapshot();
        if (done == m_profile.warmUp + m_profile.roundTrips)
            loop.quit();
        else
            sendPing();
    });
    const auto onError = QObject::connect(pinger, &TransportEndpoint::errorOccurred, &loop, [&](const QString &message) {
        pingError = message;
        loop.exit(2);
    });
    if (m_profile.warmUp == 0)
        snapshot();
    sendPing();
    const bool ok = execFor(loop, RowTimeoutMs);
    const double cpu = BenchStats::selfCpuSeconds() - self0 + peer.cpu() - peer0;
    QObject::disconnect(onFrame);
    QObject::disconnect(onError);
    RoundTrips trips;
    if (!ok) {
        trips.error = pingError.isEmpty() ? QStringLiteral("no pong within %1 s after %2 round trips").arg(RowTimeoutMs / 1000).arg(done)
                                          : pingError;
        return trips;
    }
    trips.latency = BenchStats::summarize(samples);
    trips.cpuPerRoundTripUs = cpu * 1e6 / double(m_profile.roundTrips);
    return trips;
}

void BenchRunner::addLatencyFigures(BenchRow *row, const RoundTrips &trips, const FloorResults *floor, int size)
{
    if (!trips.error.isEmpty()) {
        row->skipped = trips.error;
        return;
    }
    const BenchStats::LatencySummary &s = trips.latency;
    const BenchStats::LatencySummary f = floor ? floor->latency[size] : BenchStats::LatencySummary();
    auto fl = [&](double v) { return floor ? v : noFloor(); };
    row->figures << figure(QStringLiteral("p50"), Us, s.p50, fl(f.p50), true)
                 << figure(QStringLiteral("p90"), Us, s.p90, fl(f.p90), true)
                 << figure(QStringLiteral("p99"), Us, s.p99, fl(f.p99), true)
                 << figure(QStringLiteral("p99.9"), Us, s.p999, fl(f.p999), true)
                 << figure(QStringLiteral("max"), Us, s.max, fl(f.max), true)
                 << figure(QStringLiteral("cpu/rt"), QStringLiteral("us cpu"), trips.cpuPerRoundTripUs,
                           floor ? floor->cpuPerRoundTripUs[size] : noFloor(), true);
}

// The shared-memory transport with both ends waiting as `wait` says (spinblock, spin), beside
// the floor that waits the same way: round trips only (rows "filemapping?wait=<wait>"), so the
// latency a way of waiting buys stands next to the CPU it costs.
void BenchRunner::measureFileMappingWait(const Target &target, const QString &wait, const Plan &plan,
                                         const FloorResults *floor)
{
    const QString options = QStringLiteral("?wait=") + wait;
    const QString mechanism = target.id + options;
    const QString address = addressFor(target.id) + options;
    const QString floorId = QStringLiteral("shm-") + wait;
    const LatencyRows latencyRows(plan);
    auto row = [&](int i) {
        BenchRow r;
        r.mechanism = mechanism;
        r.test = latencyRows.tests[i];
        r.label = latencyRows.labels[i];
        r.floorId = floor ? floorId : QString();
        r.floorNote = QString::fromStdString(ipcw::bench::floorDescription(floorId.toStdString()));
        r.frameBytes = double(latencyRows.frameBytes[i]);
        r.recordsPerFrame = i == 0 ? 1 : 0;
        return r;
    };
    auto skipBoth = [&](const QString &reason) {
        for (int i = 0; i < 2; ++i) {
            BenchRow r = row(i);
            r.skipped = reason;
            addRow(r);
        }
        m_done += 2;
    };

    step(QStringLiteral("%1: starting the receiver").arg(mechanism));
    Peer peer;
    QString error;
    if (!peer.start(m_config.program,
                    {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver"),
                     QStringLiteral("--transport"), target.id, QStringLiteral("--address"), address,
                     QStringLiteral("--senders"), QStringLiteral("1"),
                     QStringLiteral("--timeout"), QString::number(RowTimeoutMs / 1000 * 4)},
                    "listening", &error)) {
        skipBoth(error);
        return;
    }
    std::unique_ptr<TransportEndpoint> pinger(target.plugin->transport->createEndpoint(EndpointRole::Sender, address));
    if (!waitConnected(pinger.get(), &error)) {
        skipBoth(error);
        peer.finish(5000);
        return;
    }
    quint64 sequence = 0;
    for (int i = 0; i < 2 && !m_stop; ++i) {
        step(QStringLiteral("%1: %2").arg(mechanism, latencyRows.labels[i]));
        BenchRow r = row(i);
        addLatencyFigures(&r, measureRoundTrips(pinger.get(), peer, latencyRows.frameBytes[i], &sequence), floor, i);
        addRow(r);
    }
    pinger->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Bye, 1, PingerId));
    peer.finish(15000);
    pinger->close();
}

void BenchRunner::measureScaling(const QString &id, const TransportMetadata &meta, const FloorResults *floor, BenchLosses *losses)
{
    QString floorNote = QStringLiteral("floor: one sender, 64 records/frame");
    for (int senders : {1, 2, 4}) {
        BenchRow row;
        row.mechanism = id;
        row.test = QStringLiteral("scaling-%1").arg(senders);
        row.label = QStringLiteral("%1 sender%2 -> 1 receiver, 64/frame").arg(senders).arg(senders > 1 ? QStringLiteral("s") : QString());
        row.floorId = floor ? floorFor(id) : QString();
        row.floorNote = floorNote;
        row.recordsPerFrame = 64;
        if (!meta.capabilities.multipleSenders || !meta.capabilities.reliable) {
            const TransportCapabilities &c = meta.capabilities;
            row.skipped = !c.reliable && !c.fanOut ? QStringLiteral("lossy: concurrent senders would overwrite each other")
                          : !c.multipleSenders    ? QStringLiteral("the mechanism takes one sender at a time%1")
                                                        .arg(c.fanOut ? QStringLiteral(" (one to many: see the fan-out rows)") : QString())
                                                  : QStringLiteral("no flow control: several senders would measure what they "
                                                                   "lose, not their throughput (one to many: see the fan-out rows)");
            addRow(row);
            continue;
        }
        const QString address = addressFor(id);
        Peer receiver;
        QString error;
        if (!receiver.start(m_config.program,
                            {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver"),
                             QStringLiteral("--transport"), id, QStringLiteral("--address"), address,
                             QStringLiteral("--senders"), QString::number(senders),
                             QStringLiteral("--timeout"), QString::number(RowTimeoutMs / 1000)},
                            "listening", &error)) {
            row.skipped = error;
            addRow(row);
            continue;
        }
        std::vector<std::unique_ptr<QProcess>> processes;
        for (int k = 0; k < senders; ++k) {
            auto p = std::make_unique<QProcess>();
            p->start(m_config.program,
                     {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender"),
                      QStringLiteral("--transport"), id, QStringLiteral("--address"), address,
                      QStringLiteral("--generate"), QString::number(m_profile.scalingRecordsPerSender),
                      QStringLiteral("--seed"), QString::number(k + 1),
                      QStringLiteral("--first-id"), QString::number(1 + k * m_profile.scalingRecordsPerSender),
                      QStringLiteral("--batch"), QStringLiteral("64"),
                      QStringLiteral("--timeout"), QString::number(RowTimeoutMs / 1000)});
            processes.push_back(std::move(p));
        }
        const QString receiverOutput = receiver.finish(RowTimeoutMs);
        const ReceiverSummary s = parseReceiverSummary(receiverOutput);
        QString senderError;
        for (auto &p : processes) {
            if (!p->waitForFinished(10000))
                p->kill();
            const QString text = QString::fromUtf8(p->readAllStandardError()).trimmed();
            if (senderError.isEmpty() && !text.isEmpty())
                senderError = text.section(QLatin1Char('\n'), 0, 0);
        }
        addSummary(losses, s);
        const qint64 expected = m_profile.scalingRecordsPerSender * senders;
        if (!s.known || s.records < expected) {
            row.skipped = QStringLiteral("the receiver got %1 of %2 records: %3%4").arg(s.records).arg(expected)
                              .arg(lastLine(receiverOutput),
                                   senderError.isEmpty() ? QString() : QStringLiteral("; a sender said: ") + senderError);
            addRow(row);
            continue;
        }
        const double floorRate = floor && floor->streams.at(1).ok ? floor->streams.at(1).recordsPerSecond : noFloor();
        row.figures << figure(QStringLiteral("records/s"), QStringLiteral("rec/s"), s.recordsPerSecond, floorRate, false);
        addRow(row);
    }
}

void BenchRunner::measureIdle(const QStringList &transportIds, const QStringList &floorIds)
{
    // Every idle receiver at once: each sleeps in the kernel, so they do not disturb each other,
    // and the whole window is paid once.
    struct Idle
    {
        QString id;
        std::unique_ptr<Peer> peer;
        std::unique_ptr<TransportEndpoint> endpoint;
        std::unique_ptr<ipcw::bench::FloorLink> link;
        QString error;
        double cpu0 = 0;
        double percent = 0;
    };
    std::vector<Idle> transports;
    std::vector<Idle> floors;
    for (const QString &id : transportIds) {
        Idle idle;
        idle.id = id;
        const PluginManager::Plugin *plugin = m_plugins.findById(id);
        const QString address = addressFor(id);
        idle.peer = std::make_unique<Peer>();
        if (idle.peer->start(m_config.program,
                             {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver"),
                              QStringLiteral("--transport"), id, QStringLiteral("--address"), address,
                              QStringLiteral("--senders"), QStringLiteral("1"),
                              QStringLiteral("--timeout"), QString::number(m_profile.idleSeconds + 60)},
                             "listening", &idle.error)) {
            idle.endpoint.reset(plugin->transport->createEndpoint(EndpointRole::Sender, address));
            waitConnected(idle.endpoint.get(), &idle.error);
        }
        transports.push_back(std::move(idle));
    }
    for (const QString &id : floorIds) {
        Idle idle;
        idle.id = id;
        idle.peer = std::make_unique<Peer>();
        if (idle.peer->start(m_config.program, {QStringLiteral("bench-floor-peer"), id, uniqueName()}, "ready ", &idle.error)) {
            std::string error;
            idle.link = ipcw::bench::connectFloor(id.toStdString(), idle.peer->readyLine().mid(6).toStdString(),
                                                  long(idle.peer->pid()), &error);
            idle.error = QString::fromStdString(error);
        }
        floors.push_back(std::move(idle));
    }
    settle(300); // let connection set-up work finish before the window opens
    for (auto *list : {&transports, &floors})
        for (Idle &idle : *list)
            idle.cpu0 = idle.error.isEmpty() ? idle.peer->cpu() : 0;
    QElapsedTimer window;
    window.start();
    settle(m_profile.idleSeconds * 1000);
    const double seconds = double(window.nsecsElapsed()) / 1e9;
    for (auto *list : {&transports, &floors})
        for (Idle &idle : *list) {
            if (!idle.error.isEmpty())
                continue;
            // A peer gone before the window closed has no CPU time to read (-1): that is no
            // measurement, not an idle 0 %.
            const double cpu = idle.peer->cpu();
            if (cpu < 0 || idle.cpu0 < 0)
                idle.error = QStringLiteral("the peer exited during the idle window");
            else
                idle.percent = BenchStats::cpuPercentOfCore(cpu - idle.cpu0, seconds);
        }
    for (Idle &idle : floors) {
        if (idle.error.isEmpty())
            m_floorIdle.insert(idle.id, idle.percent);
        if (idle.link)
            ipcw::bench::floorStop(*idle.link);
    }
    for (Idle &idle : transports) {
        const QString floorId = floorFor(idle.id);
        BenchRow row;
        row.mechanism = idle.id;
        row.test = QStringLiteral("idle");
        row.label = QStringLiteral("idle receiver, %1 s").arg(m_profile.idleSeconds);
        row.floorId = m_floorIdle.contains(floorId) ? floorId : QString();
        if (!idle.error.isEmpty())
            row.skipped = idle.error;
        else
            row.figures << figure(QStringLiteral("idle cpu"), QStringLiteral("% core"), idle.percent,
                                  m_floorIdle.contains(floorId) ? m_floorIdle.value(floorId) : noFloor(), true);
        addRow(row);
        if (idle.endpoint) {
            idle.endpoint->sendFrame(FrameCodec::encodeControl(Wire::FrameType::Bye, 1, 0x49444c45));
            idle.peer->finish(5000);
            idle.endpoint->close();
        }
    }
    for (Idle &idle : floors) {
        if (!idle.id.startsWith(QLatin1String("shm-")) || idle.id == QLatin1String("shm-block") || !idle.error.isEmpty())
            continue;
        BenchRow row;
        row.mechanism = QStringLiteral("floor:") + idle.id;
        row.test = QStringLiteral("idle");
        row.label = QStringLiteral("idle peer, %1 s").arg(m_profile.idleSeconds);
        row.floorId = QStringLiteral("shm-block");
        row.floorNote = QString::fromStdString(ipcw::bench::floorDescription(idle.id.toStdString()));
        row.figures << figure(QStringLiteral("idle cpu"), QStringLiteral("% core"), idle.percent,
                              m_floorIdle.value(QStringLiteral("shm-block"), noFloor()), true);
        addRow(row);
    }
}

void BenchRunner::measureIngest()
{
    // The receiver's side alone, in this process: frames of 4096 records through
    // ReceiverSession (decode, sequence check, coalescing) into EmployeeTableModel, beside
    // decoding the same frames and nothing else.
    const qint64 count = qMin<qint64>(m_profile.ingestRecords, m_pool.size());
    QVector<QByteArray> frames;
    for (qint64 at = 0, sequence = 1; at < count; at += 4096, ++sequence)
        frames.append(FrameCodec::encodeRecords(m_pool.constData() + at, int(qMin<qint64>(4096, count - at)), quint64(sequence), 7));

    double decodeSeconds = 0, decodeCpu = 0;
    {
        const double cpu0 = BenchStats::selfCpuSeconds();
        QElapsedTimer clock;
        clock.start();
        for (const QByteArray &frame : std::as_const(frames)) {
            RecordBatch batch;
            FrameCodec::indexRecords(frame, &batch);
        }
        decodeSeconds = double(clock.nsecsElapsed()) / 1e9;
        decodeCpu = BenchStats::selfCpuSeconds() - cpu0;
    }
    // Twice, timing the second: the first run's storage goes back to the system and the second
    // gets memory the system has already handed out once. On a virtual machine the first touch
    // of memory the guest never used costs the host's page faults, milliseconds per MiB, which
    // would measure the host rather than the record path (the transfer rows pay it as it comes).
    double seconds = 0, cpu = 0;
    qint64 rows = 0;
    for (int pass = 0; pass < 2; ++pass) {
        BenchSinkEndpoint endpoint;
        EmployeeTableModel model;
        ReceiverSession session(&endpoint, QStringLiteral("bench"));
        QObject::connect(&session, &ReceiverSession::batchesReceived, &model, &EmployeeTableModel::appendBatches);
        const double cpu0 = BenchStats::selfCpuSeconds();
        QElapsedTimer clock;
        clock.start();
        for (const QByteArray &frame : std::as_const(frames)) {
            endpoint.deliver(frame);
            QCoreApplication::processEvents(); // the coalescing timer fires as it would in a receiver
        }
        while (session.framesInCheck() > 0) // large frames are validated off this thread
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        session.flush();
        seconds = double(clock.nsecsElapsed()) / 1e9;
        cpu = BenchStats::selfCpuSeconds() - cpu0;
        rows = model.rowCount();
    }

    BenchRow row;
    row.mechanism = QStringLiteral("model ingest");
    row.test = QStringLiteral("ingest");
    row.label = QStringLiteral("%1 rec -> session -> model").arg(count);
    row.floorId = QStringLiteral("decode");
    row.floorNote = QStringLiteral("codec validation alone");
    row.frameBytes = double(m_prefixBytes[size_t(count)] + frames.size() * Wire::HeaderSize) / double(frames.size());
    row.recordsPerFrame = 4096;
    if (rows != count) {
        row.skipped = QStringLiteral("the model holds %1 of %2 records").arg(rows).arg(count);
    } else {
        BenchFigure rate = figure(QStringLiteral("records/s"), QStringLiteral("rec/s"), BenchStats::perSecond(double(count), seconds),
                                  BenchStats::perSecond(double(count), decodeSeconds), false);
        rate.target = IngestRecordsPerSecondTarget;
        row.figures << rate
                    << figure(QStringLiteral("cpu/Mrec"), QStringLiteral("s"), BenchStats::cpuSecondsPerMillion(cpu, double(count)),
                              BenchStats::cpuSecondsPerMillion(decodeCpu, double(count)), true);
    }
    addRow(row);
}

BenchRunner::MemoryTransfer BenchRunner::transferWatchingMemory(const QStringList &receiverOptions, qint64 records, qint64 senderCapKiB)
{
    MemoryTransfer t;
    const PluginManager::Plugin *plugin = m_plugins.findById(MemoryRowTransport);
    if (!plugin) {
        t.error = QStringLiteral("needs the %1 plugin, which is not loaded").arg(MemoryRowTransport);
        return t;
    }
    if (const QString reason = plugin->transport->unavailableReason(); !reason.isEmpty()) {
        t.error = reason;
        return t;
    }
    const int timeoutSeconds = MemoryRowBaseSeconds + int(records / MemoryRowSlowestRate);
    const qint64 available = BenchStats::availableMemoryKiB();
    const qint64 safetyCapKiB = available > 0 ? available / 2 : UnknownAvailableCapKiB;
    const QString address = addressFor(MemoryRowTransport);
    const QStringList common{QStringLiteral("--headless"), QStringLiteral("--transport"), MemoryRowTransport,
                             QStringLiteral("--address"), address, QStringLiteral("--report-memory"),
                             QStringLiteral("--timeout"), QString::number(timeoutSeconds)};
    Peer receiver;
    Peer sender;
    // The receiver's first Memory line comes once it listens: its size before any record.
    if (!receiver.start(m_config.program, common + QStringList{QStringLiteral("--role"), QStringLiteral("receiver")} + receiverOptions,
                        "Memory: ", &t.error)
        || !sender.start(m_config.program,
                         common + QStringList{QStringLiteral("--role"), QStringLiteral("sender"), QStringLiteral("--generate"),
                                              QString::number(records), QStringLiteral("--batch"), QString::number(MemoryRowBatch)},
                         QByteArray(), &t.error))
        return t;

    QElapsedTimer clock;
    clock.start();
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(MemoryPollMs);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        struct Watched
        {
            Peer *peer;
            QString role;
            qint64 capKiB;
        };
        for (const Watched &w : {Watched{&receiver, QStringLiteral("receiver"), safetyCapKiB},
                                 Watched{&sender, QStringLiteral("sender"), qMin(safetyCapKiB, senderCapKiB)}}) {
            if (w.peer->process().state() == QProcess::NotRunning)
                continue;
            if (BenchStats::processMemory(w.peer->pid()).residentKiB > w.capKiB) {
                t.error = QStringLiteral("the %1 went past the benchmark's memory cap of %2 MiB after %3 s, so both "
                                         "processes were stopped")
                              .arg(w.role).arg(w.capKiB / 1024).arg(double(clock.elapsed()) / 1000.0, 0, 'f', 1);
                loop.quit();
                return;
            }
        }
        QProcess &s = sender.process();
        if (s.state() == QProcess::NotRunning && (s.exitStatus() != QProcess::NormalExit || s.exitCode() != 0)) {
            t.error = QStringLiteral("the sender failed (%1)").arg(s.exitStatus() != QProcess::NormalExit
                                                                       ? QStringLiteral("it crashed")
                                                                       : QStringLiteral("exit code %1").arg(s.exitCode()));
            loop.quit();
        } else if (s.state() == QProcess::NotRunning && receiver.process().state() == QProcess::NotRunning) {
            loop.quit();
        }
    });
    poll.start();
    if (!execFor(loop, (timeoutSeconds + 10) * 1000) && t.error.isEmpty())
        t.error = QStringLiteral("the transfer did not end within %1 s").arg(timeoutSeconds + 10);
    if (!t.error.isEmpty()) {
        receiver.process().kill();
        sender.process().kill();
    }
    t.receiverOutput = receiver.finish(5000);
    t.senderOutput = sender.finish(5000);
    if (!t.error.isEmpty()) {
        if (const QString said = lastLine(t.senderOutput); !said.isEmpty())
            t.error += QStringLiteral("; the sender's last words: ") + said;
        return t;
    }
    const ReceiverSummary summary = parseReceiverSummary(t.receiverOutput);
    if (summary.records != records)
        t.error = QStringLiteral("the receiver got %1 of %2 records: %3").arg(summary.records).arg(records).arg(lastLine(t.receiverOutput));
    return t;
}

void BenchRunner::measureReceiverMemory()
{
    const qint64 rows = m_profile.receiverRows;
    BenchRow row;
    row.mechanism = QStringLiteral("receiver");
    row.test = QStringLiteral("receiver-bytes-per-row");
    row.label = QStringLiteral("holding %1 rows, %2").arg(rows).arg(MemoryRowTransport);
    row.floorNote = QStringLiteral("resident memory of a headless receiver, listening and after the last record");
    row.recordsPerFrame = MemoryRowBatch;
    const MemoryTransfer t = transferWatchingMemory({QStringLiteral("--senders"), QStringLiteral("1")}, rows,
                                                    std::numeric_limits<qint64>::max()); // the sender only feeds
    const QVector<BenchStats::ProcessMemory> memory = memoryLines(t.receiverOutput);
    if (!t.error.isEmpty()) {
        row.skipped = t.error;
    } else if (memory.size() < 2) {
        row.skipped = QStringLiteral("the receiver did not report its memory: %1").arg(lastLine(t.receiverOutput));
    } else {
        const double grownBytes = double(memory.last().residentKiB - memory.first().residentKiB) * 1024;
        BenchFigure perRow = figure(QStringLiteral("bytes/row"), QStringLiteral("B"), grownBytes / double(rows), noFloor(), true);
        perRow.target = ReceiverBytesPerRowTarget;
        row.figures << perRow << figure(QStringLiteral("RSS growth"), QStringLiteral("MiB"), grownBytes / double(1 << 20), noFloor(), true);
    }
    addRow(row);
}

void BenchRunner::measureSenderMemory()
{
    const qint64 records = m_profile.senderRecords;
    BenchRow row;
    row.mechanism = QStringLiteral("sender");
    row.test = QStringLiteral("sender-peak-rss");
    row.label = QStringLiteral("sending %1 records, %2").arg(records).arg(MemoryRowTransport);
    row.floorNote = QStringLiteral("peak resident memory (VmHWM) of a headless sender; the receiver keeps no rows");
    row.recordsPerFrame = MemoryRowBatch;
    const MemoryTransfer t = transferWatchingMemory({QStringLiteral("--senders"), QStringLiteral("1"), QStringLiteral("--discard")}, records,
                                                    MeasuredSenderCapKiB);
    const QVector<BenchStats::ProcessMemory> memory = memoryLines(t.senderOutput);
    if (!t.error.isEmpty()) {
        row.skipped = t.error;
    } else if (memory.isEmpty()) {
        row.skipped = QStringLiteral("the sender did not report its memory: %1").arg(lastLine(t.senderOutput));
    } else {
        BenchFigure peak = figure(QStringLiteral("peak RSS"), QStringLiteral("MiB"), double(memory.last().peakResidentKiB) / 1024.0, noFloor(), true);
        peak.target = SenderPeakMiBTarget;
        row.figures << peak;
    }
    addRow(row);
}

void BenchRunner::measureSecondFloor(const QString &secondFloorId, const QString &bareFloorId, const Plan &plan,
                                     const FloorResults *bare)
{
    step(QStringLiteral("floor %1").arg(secondFloorId));
    const FloorResults r = measureFloor(secondFloorId, plan, false); // round trips only: its rows have no others
    const QString tests[2] = {QStringLiteral("latency-1"), QStringLiteral("latency-64k")};
    const qint64 sizes[2] = {plan.oneRecordFrameBytes, LargePingBytes};
    for (int i = 0; i < 2; ++i) {
        BenchRow row;
        row.mechanism = QStringLiteral("floor:") + secondFloorId;
        row.test = tests[i];
        row.label = QStringLiteral("round trip, %1 B").arg(sizes[i]);
        row.floorId = bare ? bareFloorId : QString();
        row.floorNote = QString::fromStdString(ipcw::bench::floorDescription(secondFloorId.toStdString()));
        row.frameBytes = double(sizes[i]);
        if (!r.error.isEmpty()) {
            row.skipped = r.error;
        } else {
            auto fl = [&](double v) { return bare ? v : noFloor(); };
            row.figures << figure(QStringLiteral("p50"), Us, r.latency[i].p50, fl(bare ? bare->latency[i].p50 : 0), true)
                        << figure(QStringLiteral("p99"), Us, r.latency[i].p99, fl(bare ? bare->latency[i].p99 : 0), true)
                        << figure(QStringLiteral("cpu/rt"), QStringLiteral("us cpu"), r.cpuPerRoundTripUs[i],
                                  fl(bare ? bare->cpuPerRoundTripUs[i] : 0), true);
        }
        addRow(row);
    }
}

void BenchRunner::addSecondFloorNotes()
{
    for (const BenchRow &row : std::as_const(m_report.rows)) {
        const QString second = secondFloorFor(row.mechanism);
        if (second.isEmpty() || !row.test.startsWith(QLatin1String("latency-")) || !row.skipped.isEmpty())
            continue;
        for (const BenchRow &floorRow : std::as_const(m_report.rows)) {
            if (floorRow.mechanism != QLatin1String("floor:") + second || floorRow.test != row.test)
                continue;
            // "p50 1.15x floor:mq-poll (which is 1.22x the bare mq floor)", and the same for CPU.
            QStringList parts;
            for (const QString &name : {QStringLiteral("p50"), QStringLiteral("cpu/rt")}) {
                const BenchFigure *ours = row.figure(name);
                const BenchFigure *beside = floorRow.figure(name);
                if (!ours || !beside || beside->value <= 0)
                    continue;
                parts << QStringLiteral("%1 %2x").arg(name).arg(ours->value / beside->value, 0, 'f', 2)
                             + (beside->hasFloor() ? QStringLiteral(" (which is %1x the bare %2 floor)").arg(beside->ratio(), 0, 'f', 2).arg(floorRow.floorId)
                                                   : QString());
            }
            if (!parts.isEmpty())
                m_report.notes << QStringLiteral("%1, %2: %3 against floor:%4, %5")
                                      .arg(row.mechanism, row.label, parts.join(QStringLiteral(", ")), second, floorRow.floorNote);
        }
    }
}

void BenchRunner::addTargetNotes()
{
    addSecondFloorNotes();
    const BenchRow *fastest = nullptr;
    for (const BenchRow &row : std::as_const(m_report.rows)) {
        if (row.mechanism.startsWith(QLatin1String("floor:")) || !row.skipped.isEmpty())
            continue;
        const auto note = [&](const QString &text) { m_report.notes << QStringLiteral("%1: %2").arg(row.mechanism, text); };
        if (row.test == QLatin1String("latency-1")) {
            const BenchFigure *p50 = row.figure(QStringLiteral("p50"));
            if (p50 && p50->hasFloor())
                note(QStringLiteral("p50 round trip is %1x its floor (target 1.5x): %2")
                         .arg(p50->ratio(), 0, 'f', 2).arg(p50->ratio() <= 1.5 ? QStringLiteral("met") : QStringLiteral("missed")));
        } else if (row.test == QLatin1String("throughput-4096")) {
            const BenchFigure *mb = row.figure(QStringLiteral("MB/s"));
            if (mb && mb->hasFloor())
                note(QStringLiteral("4096-record throughput is %1 of the floor's MB/s (target at least 0.5): %2")
                         .arg(mb->ratio(), 0, 'f', 2).arg(mb->ratio() >= 0.5 ? QStringLiteral("met") : QStringLiteral("missed")));
            const BenchFigure *rate = row.figure(QStringLiteral("records/s"));
            if (rate && (!fastest || rate->value > fastest->figure(QStringLiteral("records/s"))->value))
                fastest = &row;
        } else if (row.test == QLatin1String("idle")) {
            const BenchFigure *idle = row.figure(QStringLiteral("idle cpu"));
            if (idle)
                note(QStringLiteral("idle receiver uses %1% of a core (target below 0.1%): %2")
                         .arg(idle->value, 0, 'f', 3).arg(idle->value < 0.1 ? QStringLiteral("met") : QStringLiteral("missed")));
        }
        for (const BenchFigure &f : row.figures)
            if (f.hasTarget())
                note(QStringLiteral("%1: %2 is %3 %4 (target %5 %6 %4): %7")
                         .arg(row.label, f.name, targetNumber(f.value), f.unit, f.lowerIsBetter ? QStringLiteral("at most") : QStringLiteral("at least"),
                              targetNumber(f.target), f.meetsTarget() ? QStringLiteral("met") : QStringLiteral("missed")));
    }
    if (fastest) {
        const double rate = fastest->figure(QStringLiteral("records/s"))->value;
        m_report.notes << QStringLiteral("Fastest mechanism end to end into the receiver's model: %1 at %2 records/s over %3 records "
                                         "(target 1,000,000 records/s): %4")
                              .arg(fastest->mechanism).arg(qint64(rate)).arg(m_profile.recordsBatch4096)
                              .arg(rate >= 1e6 ? QStringLiteral("met") : QStringLiteral("missed"));
    }
}
