// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/bench: the benchmark engine. BenchRunner drives every mechanism with a real peer
// process; benchfloor measures the bare OS mechanism under it in the same run; benchstats and
// benchreport turn samples into the table, CSV, JSON and charts; MechanismAdvisor ranks the
// mechanisms for what the user needs from the measured numbers.

#include "benchplacement.h"
#include "benchreport.h"
#include "benchstats.h"
#include "employee.h"

#include <QHash>
#include <QObject>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class BenchPeer;
class PluginManager;
class QProcess;
class TransportEndpoint;
struct TransportMetadata;
class ITransport;

struct IPCWCORE_EXPORT BenchConfig
{
    QString program;        // the ipcworkshop executable started as peer; empty: this program
    QStringList transports; // empty: every usable transport
    bool quick = false;     // CI profile: every row, far smaller volumes
    QStringList shmWaits = {QStringLiteral("block"), QStringLiteral("spinblock"), QStringLiteral("spin")};
    // Every measurement this many times, interleaved (run 1 of every row, then run 2, ...);
    // the report gives each figure's median and its min-max spread.
    int repeat = 1;
    // Where this process and its peers run (benchplacement.h), and which of its threads are
    // pinned: the command line pins the whole process apart; a window pins the benchmark's
    // thread only and leaves its GUI thread alone.
    BenchPlacement::Mode placement = BenchPlacement::Mode::Any;
    BenchPlacement::Reach placementReach = BenchPlacement::Reach::WholeProcess;
    // A measurement the engine cannot make itself because it needs widgets, which live in app/.
    // Called once per run after the engine's own rows, on the thread that runs the benchmark;
    // returns its row, skipped with the reason where it cannot measure.
    struct Extra
    {
        QString step; // for the progress line
        std::function<BenchRow(bool quick)> measure;
    };
    QVector<Extra> extras;
};

// Measures every transport against its bare-OS floor, each side with a real second process as
// the peer: `ipcworkshop --headless --role receiver` for a transport, `ipcworkshop
// bench-floor-peer` for a floor. Rows are emitted as soon as they are measured.
//
// run() blocks until done, turning nested event loops while transports work, and runs the
// floors' blocking system calls directly. A GUI therefore moves the runner to a worker thread
// (QObject::moveToThread, then invoke run() there) and listens to its signals, which arrive
// queued; requestStop() may be called from any thread. Transports whose endpoints must live in
// the GUI thread (the clipboard) are skipped with a sentence when run() is not on that thread.
class IPCWCORE_EXPORT BenchRunner : public QObject
{
    Q_OBJECT
public:
    struct Profile
    {
        int warmUp = 0;
        int roundTrips = 0;
        qint64 recordsBatch1 = 0;
        qint64 recordsBatch64 = 0;
        qint64 recordsBatch4096 = 0;
        qint64 recordsMiBFrames = 0;
        qint64 scalingRecordsPerSender = 0;
        int idleSeconds = 0;
        qint64 ingestRecords = 0;
        qint64 receiverRows = 0;  // held by a headless receiver for its bytes per row
        qint64 senderRecords = 0; // sent by a headless sender for its peak memory
        qint64 tableRows = 0;     // streamed into a visible table (an Extra of app/)
        qint64 fanOutRecords = 0; // sent once to every receiver of a fan-out row
    };
    static Profile profileFor(bool quick);

    BenchRunner(const PluginManager &plugins, const BenchConfig &config, QObject *parent = nullptr);
    ~BenchRunner() override;

    BenchReport run();
    void requestStop() { m_stop = true; }

    // Which floor stands under a transport ("" when none exists), and why not.
    static QString floorFor(const QString &transportId, QString *whyNone = nullptr);

signals:
    void progress(int done, int total, const QString &step);
    void rowReady(const BenchRow &row);
    void finished(const BenchReport &report);

private:
    struct FloorResults;
    struct Plan;
    struct MemoryTransfer;
    struct Target;
    struct LatencyRows;
    // One mechanism's ping-pong at one frame size: the latency and the CPU of both processes.
    struct RoundTrips
    {
        BenchStats::LatencySummary latency;
        double cpuPerRoundTripUs = 0;
        QString error; // the row is skipped with this
    };

    void step(const QString &what);
    void addRow(BenchRow row);
    QString uniqueName();
    QString addressFor(const QString &transportId);

    void measureRun(const QVector<Target> &targets, const Plan &plan, const QStringList &extraWaits);
    // `oneWay`: also the one-way streams (not wanted where the mechanism's own are skipped).
    FloorResults measureFloor(const QString &floorId, const Plan &plan, bool oneWay = true);
    void measureTransport(const QString &id, ITransport *transport, const TransportMetadata &meta, const Plan &plan,
                          const FloorResults *floor);
    // The filemapping transport among `targets`, if it is measured: its ways to wait get rows too.
    static const Target *measuredFileMapping(const QVector<Target> &targets);
    void measureFileMappingWait(const Target &target, const QString &wait, const Plan &plan, const FloorResults *floor);
    // Round trips over `pinger` with frames of `frameBytes` to the receiver `peer`.
    RoundTrips measureRoundTrips(TransportEndpoint *pinger, BenchPeer &peer, qint64 frameBytes, quint64 *sequence);
    // p50 ... max and cpu/rt of `trips` on `row`, against the floor's frame size `size` (0, 1).
    void addLatencyFigures(BenchRow *row, const RoundTrips &trips, const FloorResults *floor, int size);
    void measureScaling(const QString &id, const TransportMetadata &meta, const FloorResults *floor, BenchLosses *losses);
    void measureIdle(const QStringList &transportIds, const QStringList &floorIds);
    // A second floor beside the bare one under a mechanism (a library's own loop, or the bare
    // calls waited on with poll()): rows "floor:<id>", and notes comparing the mechanism to it.
    void measureSecondFloor(const QString &secondFloorId, const QString &bareFloorId, const Plan &plan,
                            const FloorResults *bare);
    void addSecondFloorNotes();
    void measureIngest();
    MemoryTransfer transferWatchingMemory(const QStringList &receiverOptions, qint64 records, qint64 senderCapKiB);
    void measureReceiverMemory();
    void measureSenderMemory();
    void addTargetNotes();

    const PluginManager &m_plugins;
    BenchConfig m_config;
    Profile m_profile;
    std::atomic<bool> m_stop{false};
    BenchReport m_report;
    EmployeeList m_pool;
    std::vector<qint64> m_prefixBytes; // encoded bytes of the first n records of the pool
    int m_done = 0;
    int m_total = 0;
    int m_nameCounter = 0;
    int m_run = -1; // the run under way, from 0; -1 before the first
    QHash<QString, double> m_floorIdle;
    QString m_floorError; // of the floor measured last, for the rows that lack it
};
