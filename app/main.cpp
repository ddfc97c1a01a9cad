// SPDX-License-Identifier: GPL-3.0-or-later
#include "appoptions.h"
#include "benchcommand.h"
#include "headless.h"
#include "pluginmanager.h"

#include <QApplication>
#include <QCoreApplication>
#include <QTextStream>

#include <csignal>
#include <memory>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

// The GUI needs a display; --list-transports and --headless must work without one.
bool wantsGui(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--headless" || arg == "--list-transports" || arg == "--help" || arg == "-h"
            || arg == "--version" || arg == "-v")
            return false;
    }
    return true;
}

// Headless, the clipboard still needs a connection to the display (QGuiApplication), and so
// does --list-transports to report it usable; every other transport runs without one.
bool wantsDisplay(int argc, char **argv)
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        return false; // the plugin then says why it is unavailable
#endif
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--list-transports" || arg == "--transport=clipboard" || (arg == "--transport" && i + 1 < argc && qstrcmp(argv[i + 1], "clipboard") == 0))
            return true;
    }
    return false;
}

// QGuiApplication takes "-plugin X" and "--plugin X" as its own option (a platform plugin to
// load) and removes them from the arguments, so ours would never see the file. The joined form
// "--plugin=X" Qt leaves alone: rewrite every "--plugin X" pair into it before Qt reads argv.
std::vector<QByteArray> joinPluginOptions(int argc, char **argv)
{
    std::vector<QByteArray> args;
    for (int i = 0; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if ((arg == "--plugin" || arg == "-plugin") && i + 1 < argc)
            args.push_back("--plugin=" + QByteArray(argv[++i]));
        else
            args.push_back(arg);
    }
    return args;
}

// glibc gives the top of the heap back to the kernel once 128 KiB of it is free, which
// happened after nearly every 64 KiB frame, so the next frame faulted fresh pages in again. That
// cost more than the transfer (quick bench, 64 KiB round trip: tcp 756-871 us with it, 100-135
// us without; localsocket 1,500 against 100). So up to 16 MiB of freed heap is kept, and blocks
// up to 4 MiB come from the heap instead of being mapped and unmapped each time.
void keepFreedFrameMemory()
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
#endif
}

// A write to a pipe or socket whose reader is gone must fail with EPIPE, which every transport
// reports as a sentence (and the benchmark as a peer that died), not end the program. Qt ignores
// SIGPIPE too, but only once it has made a socket; the named pipe then also skips blocking it
// around every write.
void ignoreBrokenPipeSignal()
{
#ifdef SIGPIPE
    std::signal(SIGPIPE, SIG_IGN);
#endif
}

// Without a window nothing here needs glib's main loop (that is for GTK dialogs and glib-based
// desktop integration), and Qt's own dispatcher costs less per turn: in two sets of alternating
// quick bench runs the 1-record round trip p50 over localsocket went 37.9 -> 33.2 and 39.4 ->
// 35.4 us; the other mechanisms moved within the noise (docs/benchmarks.md). Set for the whole
// process, so its threads use it too; the processes it starts inherit it (ours, which would set
// it anyway, and dbus-daemon, which has no Qt). A QT_NO_GLIB the user set, even empty, is kept.
void useQtEventDispatcherWithoutWindow()
{
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
}

} // namespace

int runGui(const AppOptions &options, PluginManager &plugins); // mainwindow side, app/gui

int main(int argc, char **argv)
{
    std::vector<QByteArray> joined = joinPluginOptions(argc, argv);
    std::vector<char *> joinedArgv;
    for (QByteArray &arg : joined)
        joinedArgv.push_back(arg.data());
    joinedArgv.push_back(nullptr);
    argc = int(joined.size());
    argv = joinedArgv.data();

    // The floor peer must run before any Qt object exists: it measures the bare OS mechanism.
    if (BenchCommand::isFloorPeer(argc, argv))
        return BenchCommand::runFloorPeer(argc, argv);
    keepFreedFrameMemory();
    ignoreBrokenPipeSignal();
    if (BenchCommand::isBench(argc, argv)) {
        useQtEventDispatcherWithoutWindow();
        return BenchCommand::run(argc, argv);
    }
    const bool gui = wantsGui(argc, argv);
    if (!gui)
        useQtEventDispatcherWithoutWindow();
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    // Without this, Qt would abort with a message about the xcb plugin.
    if (gui && qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        QTextStream(stderr) << "No display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set). "
                               "Run with --headless, or see --help." << Qt::endl;
        return Headless::Usage;
    }
#endif
    std::unique_ptr<QCoreApplication> app(gui                          ? new QApplication(argc, argv)
                                          : wantsDisplay(argc, argv) ? new QGuiApplication(argc, argv)
                                                                     : new QCoreApplication(argc, argv));
    QCoreApplication::setApplicationName(QStringLiteral("ipcworkshop"));
    QCoreApplication::setOrganizationName(QStringLiteral("ipcworkshop"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IPCW_VERSION));

    AppOptions options;
    QString error;
    if (!AppOptions::parse(QCoreApplication::arguments(), &options, &error)) {
        QTextStream(stderr) << error << Qt::endl;
        return Headless::Usage;
    }
    // Before any endpoint exists: each stream receiver reads them when it is created.
    ReceiverLimits::setCurrent(options.limits);
    // The benchmark starts its own plain receivers: outside the headless roles, endpoints get the
    // token alone (a window hands its own TLS choices to the endpoint it opens).
    ConnectionSecurity security = options.security;
    if (!options.headless) {
        security.tls = false;
        security.pinnedSha256.clear();
    }
    ConnectionSecurity::setCurrent(security);

    PluginManager plugins;
    plugins.scan();
    for (const QString &file : std::as_const(options.pluginFiles)) {
        const PluginManager::Plugin &p = plugins.loadFile(file);
        if (!p.usable())
            QTextStream(stderr) << p.error << Qt::endl;
    }

    if (options.listTransports)
        return Headless::listTransports(plugins);
    if (options.headless)
        return *options.role == EndpointRole::Receiver ? Headless::runReceiver(plugins, options)
                                                       : Headless::runSender(plugins, options);
    return runGui(options, plugins);
}
