// SPDX-License-Identifier: GPL-3.0-or-later
// Beyond one machine, proven on one machine (issue 13): two network namespaces joined by a veth
// pair stand for two hosts on a network. The receiver runs in one, the sender in the other
// (`ip netns exec`), over tcp with the access token and TLS, udp multicast, and zeromq tcp://.
// Nothing is added to the namespace the test starts in, so no packet can leave the pair.

#include "appprocess.h"
#include "employeegenerator.h"
#include "receivedcsv.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>
#include <unistd.h>

namespace {

// 198.18.0.0/15 is set aside for benchmarking network devices (RFC 2544, RFC 6890): never routed
// on the internet and not a LAN's own range, so an address here cannot be mistaken for a real
// host even in a log. A /30 holds exactly the two ends of the veth pair. The namespaces have
// their own routing tables, so these addresses cannot clash with the machine's own.
const QString ReceiverIp = QStringLiteral("198.18.0.1");
const QString SenderIp = QStringLiteral("198.18.0.2");
const QString PrefixLength = QStringLiteral("/30");
const QString MulticastGroup = QStringLiteral("239.255.71.2");
// Fixed ports are safe: the namespaces are new, so nothing else listens in them.
constexpr int TcpPort = 47001;
constexpr int TcpRefusalPort = 47011;
constexpr int UdpPort = 47003;
constexpr int ZeromqPort = 47005;

const QByteArray Token = "netns-test-token-0123456789abcdef";
const QByteArray WrongToken = "not-the-receivers-token-42";

// The namespaces and links this process makes carry its pid, so a later run can tell the
// leftovers of a crashed run (its pid gone) from those of a run still going.
const QRegularExpression OwnNamespace(QStringLiteral("^ipcw-(\\d+)-(?:recv|send)\\b"));

struct Ip
{
    int exitCode = -1;
    QString output; // stdout and stderr, for the failure message
};

// iproute2's `ip`, also where PATH lacks the sbin folders (a non-login root shell may); empty if
// it is not installed.
QString ipProgram()
{
    static const QString path = [] {
        const QString onPath = QStandardPaths::findExecutable(QStringLiteral("ip"));
        return onPath.isEmpty() ? QStandardPaths::findExecutable(QStringLiteral("ip"), {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")})
                                : onPath;
    }();
    return path;
}

// Runs `ip <arguments>` to its end.
Ip ip(const QStringList &arguments)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(ipProgram(), arguments);
    Ip result;
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished();
        result.output = QStringLiteral("ip %1 did not finish: %2").arg(arguments.join(QLatin1Char(' ')), process.errorString());
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.output = QString::fromLocal8Bit(process.readAll()).trimmed();
    return result;
}

// The interface names `ip -o link show` lists in the namespace `ip` runs in (or -n names).
QSet<QString> linkNames(const QStringList &namespaceOption = {})
{
    QSet<QString> names;
    const Ip listed = ip(namespaceOption + QStringList{QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show")});
    // "7: eth0@if8: <BROADCAST,...> ..." : the name, without the "@peer" part.
    static const QRegularExpression line(QStringLiteral("^\\d+:\\s+([^:@\\s]+)"), QRegularExpression::MultilineOption);
    for (auto it = line.globalMatch(listed.output); it.hasNext();)
        names.insert(it.next().captured(1));
    return names;
}

QString describe(const QSet<QString> &names)
{
    QStringList sorted(names.begin(), names.end());
    sorted.sort();
    return sorted.isEmpty() ? QStringLiteral("none") : sorted.join(QStringLiteral(", "));
}

// True while `pid` is a live tst_netns: the name in /proc/<pid>/stat is this program's, and the
// state is not a zombie's (a run just killed is one until it is reaped).
bool processIsAnotherRunOfThisTest(qint64 pid)
{
    QFile own(QStringLiteral("/proc/self/comm"));
    QFile other(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!own.open(QIODevice::ReadOnly) || !other.open(QIODevice::ReadOnly))
        return false;
    // "1234 (tst_netns) S 1 ...": the name may hold spaces and parentheses, the state follows the last ')'.
    const QByteArray stat = other.readAll();
    const qsizetype open = stat.indexOf('('), close = stat.lastIndexOf(')');
    if (open < 0 || close < open || close + 2 >= stat.size())
        return false;
    const char state = stat.at(close + 2);
    return stat.mid(open + 1, close - open - 1) == own.readAll().trimmed() && state != 'Z' && state != 'X';
}

// False in a chroot made in a plain folder: /proc/self/mountinfo then lists no mount at "/"
// (mounts outside the process's root are not listed).
bool rootIsAMountPoint()
{
    QFile mounts(QStringLiteral("/proc/self/mountinfo"));
    if (!mounts.open(QIODevice::ReadOnly))
        return true; // cannot tell: let `ip` say what fails
    // "36 35 98:0 /mnt1 /mnt2 rw,... - ext3 /dev/root rw": the fifth field is the mount point.
    for (const QByteArray &line : mounts.readAll().split('\n'))
        if (line.split(' ').value(4) == "/")
            return true;
    return false;
}

QString tokenFile(const QTemporaryDir &dir, const QString &name, const QByteArray &token)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(token + "\n") < 0)
        qFatal("cannot write %s", qPrintable(path));
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return path;
}

// Two network namespaces joined by a veth pair, with one address at each end, deleted (and the
// veth with them) when this object goes: at the end of the run, passed or failed.
class NamespacePair
{
public:
    NamespacePair()
        : receiver(QStringLiteral("ipcw-%1-recv").arg(QCoreApplication::applicationPid())),
          sender(QStringLiteral("ipcw-%1-send").arg(QCoreApplication::applicationPid())),
          // Interface names hold at most 15 bytes; these are unique on the machine too, so a
          // veth that appeared in the namespace the test started in would be seen there.
          receiverLink(QStringLiteral("ipcw%1r").arg(QCoreApplication::applicationPid())),
          senderLink(QStringLiteral("ipcw%1s").arg(QCoreApplication::applicationPid()))
    {
    }
    NamespacePair(const NamespacePair &) = delete;
    NamespacePair &operator=(const NamespacePair &) = delete;
    ~NamespacePair() { remove(); }

    // Makes both namespaces. An empty string when done; otherwise why not, and whether this
    // machine cannot make them at all (a reason to skip) rather than a step that went wrong.
    QString create(bool *unsupported)
    {
        *unsupported = true;
        for (const QString &name : {receiver, sender}) {
            const Ip added = ip({QStringLiteral("netns"), QStringLiteral("add"), name});
            if (added.exitCode != 0)
                return QStringLiteral("`ip netns add %1` failed (%2): this machine does not let this process make network "
                                      "namespaces (a container without CAP_SYS_ADMIN?)").arg(name, added.output);
            m_made << name;
        }
        // Made inside the receiver's namespace with its peer put straight into the sender's:
        // the pair never exists, not even for a moment, where the test started.
        const Ip veth = ip({QStringLiteral("-n"), receiver, QStringLiteral("link"), QStringLiteral("add"), receiverLink,
                            QStringLiteral("type"), QStringLiteral("veth"), QStringLiteral("peer"), QStringLiteral("name"),
                            senderLink, QStringLiteral("netns"), sender});
        if (veth.exitCode != 0)
            return QStringLiteral("`ip -n <namespace> link add ... type veth` failed (%1): this kernel cannot make a "
                                  "veth pair here")
                .arg(veth.output);
        *unsupported = false;
        for (const auto &[name, link, address] : {std::tuple{receiver, receiverLink, ReceiverIp}, std::tuple{sender, senderLink, SenderIp}}) {
            const QStringList in{QStringLiteral("-n"), name};
            const QList<QStringList> steps{
                in + QStringList{QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
                in + QStringList{QStringLiteral("addr"), QStringLiteral("add"), address + PrefixLength, QStringLiteral("dev"), link},
                in + QStringList{QStringLiteral("link"), QStringLiteral("set"), link, QStringLiteral("up")},
                // Multicast leaves by this route; with TTL 1 it reaches the other end and no further.
                in + QStringList{QStringLiteral("route"), QStringLiteral("add"), QStringLiteral("224.0.0.0/4"), QStringLiteral("dev"), link},
            };
            for (const QStringList &step : steps) {
                const Ip done = ip(step);
                if (done.exitCode != 0)
                    return QStringLiteral("`ip %1` failed: %2").arg(step.join(QLatin1Char(' ')), done.output);
            }
        }
        // A veth carries packets once both ends are up: wait for the kernel to say so.
        for (const auto &[name, link] : {std::pair{receiver, receiverLink}, std::pair{sender, senderLink}}) {
            QString state;
            const bool up = QTest::qWaitFor([&] {
                state = ip({QStringLiteral("-n"), name, QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show"),
                            QStringLiteral("dev"), link}).output;
                return state.contains(QLatin1String("LOWER_UP"));
            }, 20000);
            if (!up)
                return QStringLiteral("%1 in %2 did not come up within 20 s: %3").arg(link, name, state);
        }
        return {};
    }

    // Deletes what create() made; deleting a namespace deletes its end of the veth, and the
    // other end with it. Returns what could not be deleted, if anything.
    QString remove()
    {
        QStringList problems;
        for (const QString &name : std::as_const(m_made)) {
            const Ip deleted = ip({QStringLiteral("netns"), QStringLiteral("delete"), name});
            if (deleted.exitCode != 0)
                problems << QStringLiteral("`ip netns delete %1` failed: %2").arg(name, deleted.output);
        }
        m_made.clear();
        return problems.join(QLatin1Char(' '));
    }

    // `ip netns exec <namespace>`: AppProcess runs ipcworkshop through it.
    static QStringList in(const QString &name)
    {
        return {ipProgram(), QStringLiteral("netns"), QStringLiteral("exec"), name};
    }

    const QString receiver;
    const QString sender;
    const QString receiverLink;
    const QString senderLink;

private:
    QStringList m_made;
};

// Deletes namespaces left by runs of this test that died before their cleanup (a crash, a
// timeout's SIGKILL): each name carries the pid of the run that made it.
QStringList removeStaleNamespaces()
{
    QStringList removed;
    const Ip listed = ip({QStringLiteral("netns"), QStringLiteral("list")});
    for (const QString &line : listed.output.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QRegularExpressionMatch m = OwnNamespace.match(line);
        const qint64 pid = m.captured(1).toLongLong();
        // A name with this run's own pid is a dead run's whose pid came round again.
        if (!m.hasMatch() || (pid != QCoreApplication::applicationPid() && processIsAnotherRunOfThisTest(pid)))
            continue;
        const QString name = line.section(QLatin1Char(' '), 0, 0);
        // Receivers that dead run started would keep the namespace alive until their timeout.
        const Ip pids = ip({QStringLiteral("netns"), QStringLiteral("pids"), name});
        for (const QString &pidLine : pids.output.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            bool isPid = false;
            const qint64 leftRunning = pidLine.toLongLong(&isPid);
            if (isPid && leftRunning > 1) // never 0 or -1: kill() would take those as a whole group
                ::kill(pid_t(leftRunning), SIGKILL);
        }
        if (ip({QStringLiteral("netns"), QStringLiteral("delete"), name}).exitCode == 0)
            removed << name;
    }
    return removed;
}

} // namespace

class TestNetns final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void namespacesAreClosedToTheMachine();
    void tcpWithTokenAndTlsCarriesRecords();
    void tcpRefusesAWrongToken();
    void udpMulticastReachesTwoReceivers();
    void zeromqTcpCarriesRecords();
    void cleanupTestCase();

private:
    struct TlsReceiver
    {
        std::unique_ptr<QProcess> process;
        QString fingerprint;
    };
    TlsReceiver startTlsReceiver(int port, const QString &csv);
    AppProcess::Result sendOverTcp(int port, const QString &fingerprint, const QByteArray &token, int records);

    QTemporaryDir m_work;     // token files and exported CSV
    QTemporaryDir m_dataHome; // the receiver's TLS certificate is made here
    QSet<QString> m_rootLinksBefore;
    NamespacePair m_pair;
};

void TestNetns::initTestCase()
{
    QVERIFY(m_work.isValid() && m_dataHome.isValid());
    if (geteuid() != 0)
        QSKIP("This test makes network namespaces and a veth pair, which needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); "
              "run it as root, as CI does.");
    if (ipProgram().isEmpty())
        QSKIP("iproute2's `ip` is not installed (scripts/install-deps.sh installs the package iproute2).");
    if (!rootIsAMountPoint())
        QSKIP("This process runs in a chroot whose / is not a mount point (as scripts/check-clean-debian.sh makes): "
              "`ip netns` enters a namespace by remounting /, which cannot work here, and would leave its /run/netns "
              "mount behind in the chroot.");
    qputenv("XDG_DATA_HOME", m_dataHome.path().toLocal8Bit());
    qunsetenv("IPCW_TOKEN");

    const QStringList stale = removeStaleNamespaces();
    if (!stale.isEmpty())
        qInfo("deleted namespaces left by earlier runs that died: %s", qPrintable(stale.join(QStringLiteral(", "))));
    m_rootLinksBefore = linkNames();
    QVERIFY2(!m_rootLinksBefore.isEmpty(), "`ip -o link show` listed no interface in the namespace the test started in");

    bool unsupported = false;
    const QString problem = m_pair.create(&unsupported);
    if (!problem.isEmpty()) {
        if (unsupported)
            QSKIP(qPrintable(problem));
        QFAIL(qPrintable(problem));
    }
    qInfo("receiver namespace %s (%s %s%s), sender namespace %s (%s %s%s)", qPrintable(m_pair.receiver),
          qPrintable(m_pair.receiverLink), qPrintable(ReceiverIp), qPrintable(PrefixLength), qPrintable(m_pair.sender),
          qPrintable(m_pair.senderLink), qPrintable(SenderIp), qPrintable(PrefixLength));
}

// "Traffic never leaves the namespaces the test made": each namespace has its loopback and its
// end of the veth and nothing else, the other end of each veth is in the other namespace, no
// route leads anywhere but the /30 and multicast, and the namespace the test started in
// gained no interface.
void TestNetns::namespacesAreClosedToTheMachine()
{
    for (const auto &[name, link, peer] : {std::tuple{m_pair.receiver, m_pair.receiverLink, m_pair.sender},
                                           std::tuple{m_pair.sender, m_pair.senderLink, m_pair.receiver}}) {
        const QStringList in{QStringLiteral("-n"), name};
        QCOMPARE(describe(linkNames(in)), describe({QStringLiteral("lo"), link}));
        const Ip shown = ip(in + QStringList{QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("dev"), link});
        QVERIFY2(shown.output.contains(QStringLiteral("link-netns %1").arg(peer)),
                 qPrintable(QStringLiteral("the peer of %1 is not in %2: %3").arg(link, peer, shown.output)));
        const Ip routes = ip(in + QStringList{QStringLiteral("-4"), QStringLiteral("route"), QStringLiteral("show"),
                                              QStringLiteral("table"), QStringLiteral("all")});
        QVERIFY2(!routes.output.contains(QLatin1String("default")) && !routes.output.contains(QLatin1String(" via ")),
                 qPrintable(QStringLiteral("%1 has a route beyond the veth:\n%2").arg(name, routes.output)));
    }
    const QSet<QString> rootLinks = linkNames();
    QVERIFY2(!rootLinks.contains(m_pair.receiverLink) && !rootLinks.contains(m_pair.senderLink),
             qPrintable(QStringLiteral("a veth end is in the namespace the test started in: %1").arg(describe(rootLinks))));
    QCOMPARE(describe(rootLinks), describe(m_rootLinksBefore));
}

TestNetns::TlsReceiver TestNetns::startTlsReceiver(int port, const QString &csv)
{
    TlsReceiver r;
    // Its veth address is not loopback, so this receiver refuses to start without a token.
    r.process = AppProcess::startReceiver({QStringLiteral("--transport"), QStringLiteral("tcp"), QStringLiteral("--address"),
                                           QStringLiteral("%1:%2").arg(ReceiverIp).arg(port), QStringLiteral("--tls"),
                                           QStringLiteral("--token-file"), tokenFile(m_work, QStringLiteral("receiver.token"), Token),
                                           QStringLiteral("--senders"), QStringLiteral("1"), QStringLiteral("--export"), csv,
                                           QStringLiteral("--timeout"), QStringLiteral("90")},
                                          30000, NamespacePair::in(m_pair.receiver));
    if (r.process) {
        const QString banner = QString::fromUtf8(r.process->property("stdoutSoFar").toByteArray());
        r.fingerprint = QRegularExpression(QStringLiteral("TLS certificate SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})"))
                            .match(banner).captured(1);
        if (r.fingerprint.isEmpty())
            qWarning("the receiver printed no TLS fingerprint: %s", qPrintable(banner));
    }
    return r;
}

// A tcp sender in the sender's namespace, proving `token` and pinning the receiver's certificate.
AppProcess::Result TestNetns::sendOverTcp(int port, const QString &fingerprint, const QByteArray &token, int records)
{
    return AppProcess::runSender({QStringLiteral("--transport"), QStringLiteral("tcp"), QStringLiteral("--address"),
                                  QStringLiteral("%1:%2").arg(ReceiverIp).arg(port), QStringLiteral("--token-file"),
                                  tokenFile(m_work, QString::fromLatin1(token.toHex().left(12)) + QStringLiteral(".token"), token),
                                  QStringLiteral("--pin-sha256"), fingerprint, QStringLiteral("--generate"),
                                  QString::number(records), QStringLiteral("--timeout"), QStringLiteral("60")},
                                 90000, NamespacePair::in(m_pair.sender));
}

void TestNetns::tcpWithTokenAndTlsCarriesRecords()
{
    const QString csv = m_work.filePath(QStringLiteral("tcp.csv"));
    const TlsReceiver receiver = startTlsReceiver(TcpPort, csv);
    QVERIFY(receiver.process);
    QVERIFY(!receiver.fingerprint.isEmpty());
    const AppProcess::Result sent = sendOverTcp(TcpPort, receiver.fingerprint, Token, 10000);
    const AppProcess::Result got = AppProcess::finish(*receiver.process, 90000);
    AppProcess::logLines(sent.out);
    AppProcess::logLines(got.out);
    QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
    QVERIFY2(got.exitCode == 0, qPrintable(got.err));
    QVERIFY2(sent.out.contains(QStringLiteral("Sender connected to tcp %1:%2").arg(ReceiverIp).arg(TcpPort)), qPrintable(sent.out));
    QVERIFY2(got.out.contains(QLatin1String("access token required, TLS")), qPrintable(got.out));
    QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
    QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(10000));
}

void TestNetns::tcpRefusesAWrongToken()
{
    const QString csv = m_work.filePath(QStringLiteral("refusal.csv"));
    const TlsReceiver receiver = startTlsReceiver(TcpRefusalPort, csv);
    QVERIFY(receiver.process);
    QVERIFY(!receiver.fingerprint.isEmpty());
    const QString address = QStringLiteral("%1:%2").arg(ReceiverIp).arg(TcpRefusalPort);
    const AppProcess::Result wrong = sendOverTcp(TcpRefusalPort, receiver.fingerprint, WrongToken, 100);
    QCOMPARE(wrong.exitCode, 1);
    QVERIFY2(wrong.err.contains(QStringLiteral("The receiver at %1 refused this sender's access token").arg(address)), qPrintable(wrong.err));
    QVERIFY2(!wrong.out.contains(QLatin1String("connected")), qPrintable(wrong.out));

    // The receiver goes on serving: a sender with the token ends it, and its summary counts the refusal.
    const AppProcess::Result right = sendOverTcp(TcpRefusalPort, receiver.fingerprint, Token, 100);
    QVERIFY2(right.exitCode == 0, qPrintable(right.err));
    const AppProcess::Result got = AppProcess::finish(*receiver.process, 90000);
    AppProcess::logLines(got.out);
    AppProcess::logLines(got.err);
    QVERIFY2(got.exitCode == 0, qPrintable(got.err));
    // The refusal names where the connection came from: the sender's namespace, across the veth.
    const QStringList refusals = AppProcess::linesWith(got.err, QStringLiteral("was refused and disconnected"));
    QVERIFY2(refusals.size() == 1, qPrintable(got.err));
    QVERIFY2(refusals.first().contains(QLatin1String("Its proof of the access token was wrong")), qPrintable(refusals.first()));
    QVERIFY2(refusals.first().contains(QStringLiteral("The connection came from %1:").arg(SenderIp)), qPrintable(refusals.first()));
    QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 1);
    QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(100));
}

void TestNetns::udpMulticastReachesTwoReceivers()
{
    // 2,000 records (about 200 kB) fit in a receive buffer whole, so even a receiver that gets
    // no CPU for the whole transfer on a loaded machine loses nothing.
    constexpr int Records = 2000;
    const QString group = QStringLiteral("multicast:%1:%2?interface=").arg(MulticastGroup).arg(UdpPort);
    std::vector<std::unique_ptr<QProcess>> receivers;
    for (int i = 0; i < 2; ++i) {
        receivers.push_back(AppProcess::startReceiver({QStringLiteral("--transport"), QStringLiteral("udp"), QStringLiteral("--address"),
                                                       group + ReceiverIp, QStringLiteral("--senders"), QStringLiteral("1"),
                                                       QStringLiteral("--export"), m_work.filePath(QStringLiteral("udp%1.csv").arg(i)),
                                                       QStringLiteral("--timeout"), QStringLiteral("90")},
                                                      30000, NamespacePair::in(m_pair.receiver)));
        QVERIFY2(receivers.back(), "every receiver must be able to join the group on the veth");
    }
    const AppProcess::Result sent = AppProcess::runSender({QStringLiteral("--transport"), QStringLiteral("udp"), QStringLiteral("--address"),
                                                           group + SenderIp, QStringLiteral("--generate"), QString::number(Records),
                                                           QStringLiteral("--timeout"), QStringLiteral("60")},
                                                          90000, NamespacePair::in(m_pair.sender));
    AppProcess::logLines(sent.out);
    QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
    const qint64 framesSent = AppProcess::summaryNumber(sent.out, QStringLiteral("in (\\d+) frames"));
    QVERIFY(framesSent > 0);
    const EmployeeList generated = EmployeeGenerator(1).take(Records);
    for (int i = 0; i < 2; ++i) {
        const AppProcess::Result got = AppProcess::finish(*receivers[size_t(i)], 90000);
        AppProcess::logLines(got.out);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        const auto [lost, duplicates, reordered, bad] = AppProcess::receiverCounts(got.out);
        QVERIFY2(lost >= 0 && reordered >= 0 && duplicates >= 0 && bad >= 0, "each receiver must report its losses");
        const EmployeeList rows = ReceivedCsv::sortedById(m_work.filePath(QStringLiteral("udp%1.csv").arg(i)));
        qInfo("receiver %d across the veth: %lld of %d records, lost %lld of %lld frames, %lld reordered, %lld duplicates, "
              "%lld bad frames", i + 1, qint64(rows.size()), Records, lost, framesSent, reordered, duplicates, bad);
        QCOMPARE(lost, 0);
        QCOMPARE(bad, 0);
        QVERIFY(rows == generated);
    }
}

// zeromq's tcp:// form on the veth address: reachable from the other namespace, so the receiver
// requires the access token and the sender proves it knows it (the challenge of the handshake).
void TestNetns::zeromqTcpCarriesRecords()
{
    constexpr int Records = 10000;
    const QString address = QStringLiteral("tcp://%1:%2").arg(ReceiverIp).arg(ZeromqPort);
    const QStringList zeromqSecurity{QStringLiteral("--token-file"), tokenFile(m_work, QStringLiteral("receiver.token"), Token)};
    const QString csv = m_work.filePath(QStringLiteral("zeromq.csv"));
    auto receiver = AppProcess::startReceiver(QStringList{QStringLiteral("--transport"), QStringLiteral("zeromq"), QStringLiteral("--address"),
                                                          address, QStringLiteral("--senders"), QStringLiteral("1"),
                                                          QStringLiteral("--export"), csv, QStringLiteral("--timeout"), QStringLiteral("90")}
                                                  + zeromqSecurity,
                                              30000, NamespacePair::in(m_pair.receiver));
    QVERIFY(receiver);
    const AppProcess::Result sent = AppProcess::runSender(QStringList{QStringLiteral("--transport"), QStringLiteral("zeromq"),
                                                                      QStringLiteral("--address"), address, QStringLiteral("--generate"),
                                                                      QString::number(Records), QStringLiteral("--timeout"),
                                                                      QStringLiteral("60")}
                                                              + zeromqSecurity,
                                                          90000, NamespacePair::in(m_pair.sender));
    const AppProcess::Result got = AppProcess::finish(*receiver, 90000);
    AppProcess::logLines(sent.out);
    AppProcess::logLines(got.out);
    QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
    QVERIFY2(got.exitCode == 0, qPrintable(got.err));
    QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
    QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(Records));
}

// Every process of the test has ended (each case waits for or kills its own), so deleting the
// namespaces deletes them at once, and the veth with them.
void TestNetns::cleanupTestCase()
{
    if (m_rootLinksBefore.isEmpty())
        return; // skipped before anything was made
    const QString problem = m_pair.remove();
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    const Ip listed = ip({QStringLiteral("netns"), QStringLiteral("list")});
    QVERIFY2(!listed.output.contains(m_pair.receiver) && !listed.output.contains(m_pair.sender), qPrintable(listed.output));
    QCOMPARE(describe(linkNames()), describe(m_rootLinksBefore));
}

QTEST_GUILESS_MAIN(TestNetns)
#include "tst_netns.moc"
