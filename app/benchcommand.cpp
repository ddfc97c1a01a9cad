// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchcommand.h"

#include "benchcharts.h"
#include "benchfloor.h"
#include "benchrunner.h"
#include "benchtablelag.h"
#include "headless.h"
#include "pluginmanager.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace BenchCommand {

namespace {

bool writeFile(const QString &path, const QByteArray &data, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(data) != data.size()) {
        *error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace

bool isBench(int argc, char **argv)
{
    return argc > 1 && std::strcmp(argv[1], "bench") == 0;
}

bool isFloorPeer(int argc, char **argv)
{
    return argc > 1 && std::strcmp(argv[1], "bench-floor-peer") == 0;
}

int runFloorPeer(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: ipcworkshop bench-floor-peer <floor> <address>\n");
        return Headless::Usage;
    }
    return ipcw::bench::runFloorPeer(argv[2], argv[3]);
}

int run(int argc, char **argv)
{
    // Charts are widgets drawn offscreen; without a display the xcb platform would abort.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")
        && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ipcworkshop"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IPCW_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures every transport against the bare OS mechanism under it (latency percentiles, throughput, "
        "CPU, idle cost, losses) with a real second process, and writes a table, CSV, JSON and charts."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("bench"), QStringLiteral("The benchmark subcommand."));
    parser.addOptions({
        {QStringLiteral("transports"), QStringLiteral("Comma-separated transport ids; default: every one found."), QStringLiteral("a,b,...")},
        {QStringLiteral("quick"), QStringLiteral("Small volumes (CI): every row, well under a minute.")},
        {QStringLiteral("repeat"), QStringLiteral("Measure every row N times, one run of all rows after the other, and report each figure "
                                                  "as the median of its runs with the min-max spread. Default: 1."),
         QStringLiteral("N")},
        {QStringLiteral("out"), QStringLiteral("Folder for bench.csv, bench.json and the charts. Default: bench-results."), QStringLiteral("DIR")},
        {QStringLiteral("shm-wait"), QStringLiteral("Shared-memory floor wait strategies to compare: block, spinblock, spin or all (default), comma-separated."),
         QStringLiteral("W")},
        {QStringLiteral("cpus"), QStringLiteral("Where the processes run: apart (this one on one CPU, its peers on another; default), "
                                                "together (all on one CPU: the software's own cost) or any (the scheduler chooses)."),
         QStringLiteral("P")},
        {QStringLiteral("plugin"), QStringLiteral("Also load this plugin file (may be repeated)."), QStringLiteral("file")},
    });
    parser.process(app);
    if (parser.positionalArguments().size() != 1) {
        QTextStream(stderr) << QStringLiteral("Unexpected argument \"%1\"; see ipcworkshop bench --help.")
                                   .arg(parser.positionalArguments().value(1)) << Qt::endl;
        return Headless::Usage;
    }

    BenchConfig config;
    config.quick = parser.isSet(QStringLiteral("quick"));
    if (parser.isSet(QStringLiteral("repeat"))) {
        bool ok = false;
        config.repeat = parser.value(QStringLiteral("repeat")).toInt(&ok);
        if (!ok || config.repeat < 1 || config.repeat > 100) {
            QTextStream(stderr) << QStringLiteral("--repeat takes a whole number from 1 to 100, not \"%1\".")
                                       .arg(parser.value(QStringLiteral("repeat"))) << Qt::endl;
            return Headless::Usage;
        }
    }
    // This command runs the benchmark on the GUI thread of a QApplication: the rows that need
    // widgets can be measured (offscreen when there is no display).
    config.extras = BenchTableLag::extras();
    if (parser.isSet(QStringLiteral("transports")))
        config.transports = parser.value(QStringLiteral("transports")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (parser.isSet(QStringLiteral("shm-wait"))) {
        const QStringList waits = parser.value(QStringLiteral("shm-wait")).split(QLatin1Char(','), Qt::SkipEmptyParts);
        if (!waits.contains(QStringLiteral("all"))) {
            for (const QString &w : waits)
                if (w != QLatin1String("block") && w != QLatin1String("spinblock") && w != QLatin1String("spin")) {
                    QTextStream(stderr) << QStringLiteral("--shm-wait takes block, spinblock, spin or all, not \"%1\".").arg(w) << Qt::endl;
                    return Headless::Usage;
                }
            config.shmWaits = waits;
        }
    }
    config.placement = BenchPlacement::Mode::Apart;
    if (parser.isSet(QStringLiteral("cpus")) && !BenchPlacement::parse(parser.value(QStringLiteral("cpus")), &config.placement)) {
        QTextStream(stderr) << QStringLiteral("--cpus takes apart, together or any, not \"%1\".").arg(parser.value(QStringLiteral("cpus"))) << Qt::endl;
        return Headless::Usage;
    }
    const QString outDir = parser.isSet(QStringLiteral("out")) ? parser.value(QStringLiteral("out")) : QStringLiteral("bench-results");

    PluginManager plugins;
    plugins.scan();
    for (const QString &file : parser.values(QStringLiteral("plugin"))) {
        const PluginManager::Plugin &p = plugins.loadFile(file);
        if (!p.usable())
            QTextStream(stderr) << p.error << Qt::endl;
    }

    BenchRunner runner(plugins, config);
    const bool tty = ::isatty(STDERR_FILENO);
    QObject::connect(&runner, &BenchRunner::progress, &app, [tty](int done, int total, const QString &step) {
        const QString line = QStringLiteral("[%1/%2] %3").arg(done, 3).arg(total).arg(step);
        if (tty)
            std::fprintf(stderr, "\r\033[K%s", qPrintable(line));
        else
            std::fprintf(stderr, "%s\n", qPrintable(line));
        std::fflush(stderr);
    });
    const BenchReport report = runner.run();
    if (tty)
        std::fprintf(stderr, "\r\033[K");

    QTextStream out(stdout);
    out << report.toTable();
    out.flush();

    QString error;
    const QStringList written = writeReport(report, outDir, &error);
    if (written.isEmpty()) {
        QTextStream(stderr) << error << Qt::endl;
        return Headless::Failed;
    }
    const QDir dir(outDir);
    out << Qt::endl << QStringLiteral("Written to %1: %2")
                           .arg(dir.absolutePath(), QStringList(written).replaceInStrings(dir.path() + QLatin1Char('/'), QString()).join(QStringLiteral(", ")))
        << Qt::endl;
    return Headless::Ok;
}

QStringList writeReport(const BenchReport &report, const QString &dir, QString *error)
{
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("Cannot create the folder %1.").arg(dir);
        return {};
    }
    const QDir out(dir);
    const QStringList files{out.filePath(QStringLiteral("bench.csv")), out.filePath(QStringLiteral("bench.json")),
                            out.filePath(QStringLiteral("bench.txt"))};
    if (!writeFile(files.at(0), report.toCsv(), error) || !writeFile(files.at(1), QJsonDocument(report.toJson()).toJson(), error)
        || !writeFile(files.at(2), report.toTable().toUtf8(), error))
        return {};
    const QStringList charts = BenchCharts::save(report, dir, error);
    if (charts.isEmpty())
        return {};
    return files + charts;
}

} // namespace BenchCommand
