// SPDX-License-Identifier: GPL-3.0-or-later
#include "appoptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

QString roleName(EndpointRole role)
{
    return role == EndpointRole::Receiver ? QStringLiteral("receiver") : QStringLiteral("sender");
}

namespace {

bool readNumber(const QCommandLineParser &parser, const QString &name, qint64 min, qint64 max, qint64 *out, QString *error)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const qint64 value = parser.value(name).toLongLong(&ok);
    if (!ok || value < min || value > max) {
        *error = QStringLiteral("--%1 takes a whole number from %2 to %3, not \"%4\".")
                     .arg(name).arg(min).arg(max).arg(parser.value(name));
        return false;
    }
    *out = value;
    return true;
}

// The token from --token-file (its first line), --token, or IPCW_TOKEN, in that order.
bool readToken(const QCommandLineParser &parser, QByteArray *token, QString *error)
{
    if (parser.isSet(QStringLiteral("token-file"))) {
        QFile file(parser.value(QStringLiteral("token-file")));
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("Cannot read the token file %1: %2.").arg(file.fileName(), file.errorString());
            return false;
        }
        *token = file.readLine(4096).trimmed();
    } else if (parser.isSet(QStringLiteral("token"))) {
        *token = parser.value(QStringLiteral("token")).toUtf8();
    } else {
        *token = qgetenv("IPCW_TOKEN").trimmed();
    }
    if (!token->isEmpty())
        *error = ConnectionSecurity::tokenProblem(*token);
    return error->isEmpty();
}

} // namespace

bool AppOptions::parse(const QStringList &arguments, AppOptions *out, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "IPC Workshop moves employee records between two processes over every common IPC mechanism "
        "and shows, measures and explains how each behaves. Start one receiver and one sender."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("list-transports"), QStringLiteral("Print every transport plugin found, with capabilities or the reason it cannot be used.")},
        {QStringLiteral("headless"), QStringLiteral("No window: run as receiver or sender from the command line and print a summary.")},
        {QStringLiteral("role"), QStringLiteral("receiver or sender."), QStringLiteral("role")},
        {QStringLiteral("transport"), QStringLiteral("Transport plugin id (see --list-transports). Default: tcp."), QStringLiteral("id")},
        {QStringLiteral("address"), QStringLiteral("Where to listen or connect; default: the transport's own."), QStringLiteral("address")},
        {QStringLiteral("expect"), QStringLiteral("Receiver: finish once N records have arrived."), QStringLiteral("N")},
        {QStringLiteral("senders"), QStringLiteral("Receiver: finish once N senders have said goodbye (sent everything and closed)."), QStringLiteral("N")},
        {QStringLiteral("export"), QStringLiteral("Receiver: write the received records to this CSV file at the end."), QStringLiteral("file.csv")},
        {QStringLiteral("discard"), QStringLiteral("Headless receiver: validate, count and acknowledge every record but keep none "
                                                   "(throughput runs, senders of huge volumes); nothing to --export.")},
        {QStringLiteral("report-memory"), QStringLiteral("Headless: print a \"Memory: VmRSS … kB, VmHWM … kB\" line when ready "
                                                         "(receiver: listening) and at the end (receiver: before anything is freed).")},
        {QStringLiteral("timeout"), QStringLiteral("Give up after this many seconds (exit code 3)."), QStringLiteral("seconds")},
        {QStringLiteral("generate"), QStringLiteral("Sender: send N generated employees."), QStringLiteral("N")},
        {QStringLiteral("seed"), QStringLiteral("Sender: seed of the generator (same seed, same records). Default: 1."), QStringLiteral("S")},
        {QStringLiteral("first-id"), QStringLiteral("Sender: id of the first generated employee. Default: 1."), QStringLiteral("id")},
        {QStringLiteral("batch"), QStringLiteral("Sender: records per frame. Default: 256."), QStringLiteral("B")},
        {QStringLiteral("import"), QStringLiteral("Sender: send the employees in this CSV file."), QStringLiteral("file.csv")},
        {QStringLiteral("progress"), QStringLiteral("Headless sender: print \"Acknowledged N of M records\" each time the receiver "
                                                    "confirms more, so a script knows what arrived even if the transfer breaks.")},
        {QStringLiteral("send-on-start"), QStringLiteral("Sender window: send the generated or imported records as soon as connected.")},
        {QStringLiteral("plugin"), QStringLiteral("Also load this plugin file (may be repeated)."), QStringLiteral("file")},
        {QStringLiteral("token-file"), QStringLiteral("Access token shared by receiver and senders, read from the file's first line "
                                                      "(or set IPCW_TOKEN). A TCP receiver beyond loopback requires one; on loopback "
                                                      "it is checked when given. Only a proof travels, never the token."),
         QStringLiteral("file")},
        {QStringLiteral("token"), QStringLiteral("The access token itself; other users can see it with ps: prefer --token-file "
                                                 "or IPCW_TOKEN."), QStringLiteral("token")},
        {QStringLiteral("tls"), QStringLiteral("TCP receiver: serve TLS with this user's self-signed certificate, made on first "
                                               "use; its SHA-256 fingerprint is printed for senders to pin.")},
        {QStringLiteral("pin-sha256"), QStringLiteral("TCP sender: connect with TLS and accept only the receiver certificate with "
                                                      "this SHA-256 fingerprint (as the receiver prints it)."),
         QStringLiteral("fingerprint")},
        {QStringLiteral("max-pending-mib"), QStringLiteral("Receiver: memory for frames still arriving, all senders together "
                                                           "(tcp, localsocket, namedpipe, mailslot, filemapping); on tcp and "
                                                           "localsocket a sender whose frame does not fit waits, on the others its "
                                                           "frame is refused. Default: 256."), QStringLiteral("MiB")},
        {QStringLiteral("peer-timeout"), QStringLiteral("Receiver: a sender stopped this long in the middle of a frame loses it "
                                                        "(tcp, localsocket, namedpipe: the sender is dropped too; mailslot, "
                                                        "filemapping: it stays). Default: 10."), QStringLiteral("seconds")},
        {QStringLiteral("max-peers"), QStringLiteral("Receiver: senders served at once; the next one is refused (tcp, localsocket, "
                                                     "namedpipe, mailslot, filemapping). Default: 64."), QStringLiteral("N")},
        {QStringLiteral("max-unsent-mib"), QStringLiteral("Receiver: answers queued for a sender that does not read them, "
                                                          "beyond which it is not read until they drain (tcp, localsocket). "
                                                          "Default: 8."),
         QStringLiteral("MiB")},
    });
    if (!parser.parse(arguments)) {
        *error = parser.errorText();
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        parser.showHelp(0);
    }
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty()) {
        *error = QStringLiteral("Unexpected argument \"%1\"; see --help.").arg(parser.positionalArguments().first());
        return false;
    }

    AppOptions o;
    o.listTransports = parser.isSet(QStringLiteral("list-transports"));
    o.headless = parser.isSet(QStringLiteral("headless"));
    if (parser.isSet(QStringLiteral("role"))) {
        const QString role = parser.value(QStringLiteral("role")).toLower();
        if (role == QLatin1String("receiver"))
            o.role = EndpointRole::Receiver;
        else if (role == QLatin1String("sender"))
            o.role = EndpointRole::Sender;
        else {
            *error = QStringLiteral("--role is \"receiver\" or \"sender\", not \"%1\".").arg(role);
            return false;
        }
    }
    if (parser.isSet(QStringLiteral("transport")))
        o.transport = parser.value(QStringLiteral("transport"));
    o.address = parser.value(QStringLiteral("address"));
    o.exportPath = parser.value(QStringLiteral("export"));
    o.importPath = parser.value(QStringLiteral("import"));
    o.sendOnStart = parser.isSet(QStringLiteral("send-on-start"));
    o.progress = parser.isSet(QStringLiteral("progress"));
    o.discard = parser.isSet(QStringLiteral("discard"));
    o.reportMemory = parser.isSet(QStringLiteral("report-memory"));
    o.pluginFiles = parser.values(QStringLiteral("plugin"));
    if (!readToken(parser, &o.security.token, error))
        return false;
    o.security.tls = parser.isSet(QStringLiteral("tls"));
    if (parser.isSet(QStringLiteral("pin-sha256"))) {
        o.security.pinnedSha256 = ConnectionSecurity::parseFingerprint(parser.value(QStringLiteral("pin-sha256")));
        if (o.security.pinnedSha256.isEmpty()) {
            *error = QStringLiteral("--pin-sha256 takes the receiver's SHA-256 fingerprint: 64 hexadecimal digits, with or "
                                    "without colons, not \"%1\".").arg(parser.value(QStringLiteral("pin-sha256")));
            return false;
        }
    }

    qint64 timeout = 0, seed = 1, firstId = 1, batch = 0, senders = 0;
    if (!readNumber(parser, QStringLiteral("expect"), 1, std::numeric_limits<qint32>::max(), &o.expect, error)
        || !readNumber(parser, QStringLiteral("timeout"), 1, 7 * 24 * 3600, &timeout, error)
        || !readNumber(parser, QStringLiteral("generate"), 1, 100'000'000, &o.generate, error)
        || !readNumber(parser, QStringLiteral("seed"), 0, std::numeric_limits<qint64>::max(), &seed, error)
        || !readNumber(parser, QStringLiteral("first-id"), 0, std::numeric_limits<quint32>::max(), &firstId, error)
        || !readNumber(parser, QStringLiteral("batch"), 1, 10'000'000, &batch, error)
        || !readNumber(parser, QStringLiteral("senders"), 1, 1000, &senders, error))
        return false;
    // The stream transports (TCP, local sockets) and the native ones (named pipe, mailslot,
    // filemapping) enforce these; see docs/wire-format.md, "What a receiver refuses".
    qint64 pendingMiB = o.limits.maxPendingBytes / ReceiverLimits::MiB;
    qint64 peerTimeout = o.limits.peerTimeoutMs / 1000;
    qint64 maxPeers = o.limits.maxPeers;
    qint64 unsentMiB = o.limits.maxUnsentBytes / ReceiverLimits::MiB;
    if (!readNumber(parser, QStringLiteral("max-pending-mib"), 1, 1024 * 1024, &pendingMiB, error)
        || !readNumber(parser, QStringLiteral("peer-timeout"), 1, 24 * 3600, &peerTimeout, error)
        || !readNumber(parser, QStringLiteral("max-peers"), 1, 100'000, &maxPeers, error)
        || !readNumber(parser, QStringLiteral("max-unsent-mib"), 1, 1024 * 1024, &unsentMiB, error))
        return false;
    o.limits.maxPendingBytes = pendingMiB * ReceiverLimits::MiB;
    o.limits.peerTimeoutMs = int(peerTimeout * 1000);
    o.limits.maxPeers = int(maxPeers);
    o.limits.maxUnsentBytes = unsentMiB * ReceiverLimits::MiB;
    o.timeoutSeconds = int(timeout);
    o.seed = quint64(seed);
    o.firstId = quint32(firstId);
    o.batch = int(batch);
    o.senders = int(senders);

    if (o.generate > 0 && !o.importPath.isEmpty()) {
        *error = QStringLiteral("Use --generate or --import, not both.");
        return false;
    }
    if (o.discard && !o.exportPath.isEmpty()) {
        *error = QStringLiteral("--discard keeps no records, so --export would have nothing to write.");
        return false;
    }
    if (o.discard && (!o.headless || o.role != EndpointRole::Receiver)) {
        *error = QStringLiteral("--discard is for a headless receiver (--headless --role receiver).");
        return false;
    }
    if (o.role == EndpointRole::Sender && o.security.tls && o.security.pinnedSha256.isEmpty()) {
        *error = QStringLiteral("A TLS sender checks the receiver's certificate: give its fingerprint with --pin-sha256 "
                                "(the receiver prints it when it starts with --tls).");
        return false;
    }
    if (o.role == EndpointRole::Receiver && !o.security.pinnedSha256.isEmpty()) {
        *error = QStringLiteral("--pin-sha256 is for a sender; a receiver serves its own certificate with --tls.");
        return false;
    }
    if (o.headless && !o.listTransports) {
        if (!o.role) {
            *error = QStringLiteral("--headless needs --role receiver or --role sender.");
            return false;
        }
        if (*o.role == EndpointRole::Sender && o.generate == 0 && o.importPath.isEmpty()) {
            *error = QStringLiteral("A headless sender needs --generate N or --import file.csv.");
            return false;
        }
        if (*o.role == EndpointRole::Receiver && o.expect == 0 && o.senders == 0 && o.timeoutSeconds == 0) {
            *error = QStringLiteral("A headless receiver needs --expect N, --senders N or --timeout seconds, or it would never stop.");
            return false;
        }
    }
    *out = o;
    return true;
}
