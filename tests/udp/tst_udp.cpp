// SPDX-License-Identifier: GPL-3.0-or-later
// The udp transport between real ipcworkshop processes on loopback, and against datagrams the
// test writes itself (abandoned fragments, garbage): what arrives, what is counted, what is said.

#include "appprocess.h"
#include "employeegenerator.h"
#include "framebuilder.h"
#include "framecodec.h"
#include "receivedcsv.h"
#include "udpdatagram.h"

#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

namespace {

// A port nobody uses now, for one test: probed by binding it (a fixed one could meet a
// receiver left running by someone else).
quint16 freeUdpPort()
{
    QUdpSocket probe;
    probe.bind(QHostAddress::LocalHost, 0);
    return probe.localPort();
}

QStringList udpArgs(const QString &address)
{
    return {QStringLiteral("--transport"), QStringLiteral("udp"), QStringLiteral("--address"), address};
}

// A receiver that ends at its first sender's goodbye and exports what it got.
QStringList receiverArgs(const QString &address, const QString &csv)
{
    return udpArgs(address) << QStringLiteral("--senders") << QStringLiteral("1") << QStringLiteral("--export") << csv
                            << QStringLiteral("--timeout") << QStringLiteral("120");
}

using AppProcess::logLines;

// Writes datagrams in the udp envelope as a sender process would, from this test's own socket.
class RawSender
{
public:
    RawSender(quint16 port, quint32 pid) : m_port(port), m_pid(pid) { m_socket.bind(QHostAddress::LocalHost, 0); }

    void send(const QByteArray &datagram)
    {
        QVERIFY(m_socket.writeDatagram(datagram, QHostAddress::LocalHost, m_port) == datagram.size());
    }
    void hello()
    {
        const std::vector<std::uint8_t> d = ipcw::native::controlDatagram(ipcw::udp::DatagramMagic,
                                                                          ipcw::native::DatagramKind::Hello, m_pid, 0, "raw test sender");
        send(QByteArray(reinterpret_cast<const char *>(d.data()), qsizetype(d.size())));
    }
    // Fragments of `frame` as frame number `number`, from byte `from` up to `to` (-1: the end).
    void fragments(quint32 number, const QByteArray &frame, int datagramBytes, qsizetype to = -1)
    {
        ipcw::native::DatagramHeader h;
        h.pid = m_pid;
        h.frameNumber = number;
        std::size_t offset = 0;
        std::vector<std::uint8_t> buffer;
        const std::size_t end = to < 0 ? std::size_t(frame.size()) : std::size_t(to);
        ipcw::native::putFragments(ipcw::udp::DatagramMagic, h, std::size_t(datagramBytes),
                                   reinterpret_cast<const std::uint8_t *>(frame.constData()), std::size_t(frame.size()),
                                   &offset, buffer, [&](const std::uint8_t *data, std::size_t size) {
                                       if (offset >= end)
                                           return false;
                                       send(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
                                       return true;
                                   });
    }

private:
    QUdpSocket m_socket;
    quint16 m_port;
    quint32 m_pid;
};

QByteArray recordsFrame(quint64 sequence, quint32 senderId, const EmployeeList &records)
{
    FrameBuilder builder;
    for (const Employee &e : records)
        builder.appendRecord(e);
    return builder.seal(sequence, senderId);
}

} // namespace

class TestUdp final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void unicastHundredThousandRecords()
    {
        const QString address = QStringLiteral("127.0.0.1:%1").arg(freeUdpPort());
        const QString csv = m_dir.filePath(QStringLiteral("unicast.csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(address, csv));
        QVERIFY(receiver);
        const AppProcess::Result sent = AppProcess::runSender(udpArgs(address) << QStringLiteral("--generate")
                                                              << QStringLiteral("100000"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 120000);
        logLines(sent.out);
        logLines(got.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QVERIFY2(sent.out.contains(QStringLiteral("one to many")), qPrintable(sent.out));
        // Idle loopback and a paced sender: nothing is lost, nothing is bad.
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames")), 0);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) duplicates")), 0);
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(100000));
    }

    void fourMulticastReceiversGetEveryRecord()
    {
        const QString address = QStringLiteral("multicast:239.255.71.2:%1").arg(freeUdpPort());
        std::vector<std::unique_ptr<QProcess>> receivers;
        for (int i = 0; i < 4; ++i) {
            const QString csv = m_dir.filePath(QStringLiteral("multicast%1.csv").arg(i));
            receivers.push_back(AppProcess::startReceiver(receiverArgs(address, csv)));
            QVERIFY2(receivers.back(), "every receiver must be able to join the group on the same port");
        }
        const AppProcess::Result sent = AppProcess::runSender(udpArgs(address) << QStringLiteral("--generate")
                                                              << QStringLiteral("100000"));
        logLines(sent.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        const qint64 framesSent = AppProcess::summaryNumber(sent.out, QStringLiteral("in (\\d+) frames"));
        QVERIFY(framesSent > 0);
        // Every receiver answered the sender's Hello, so the sender knows of all four.
        QVERIFY2(sent.out.contains(QStringLiteral("At most 4 receivers known at once.")), qPrintable(sent.out));
        QVERIFY2(!sent.out.contains(QStringLiteral("connected")), qPrintable(sent.out));
        const EmployeeList generated = EmployeeGenerator(1).take(100000);
        for (int i = 0; i < 4; ++i) {
            const AppProcess::Result got = AppProcess::finish(*receivers[size_t(i)], 120000);
            logLines(got.out);
            QVERIFY2(got.exitCode == 0, qPrintable(got.err));
            const auto [lost, duplicates, reordered, bad] = AppProcess::receiverCounts(got.out);
            QVERIFY2(lost >= 0 && reordered >= 0 && duplicates >= 0 && bad >= 0, "each receiver must report its losses");
            const EmployeeList rows = ReceivedCsv::sortedById(m_dir.filePath(QStringLiteral("multicast%1.csv").arg(i)));
            qInfo("receiver %d: %lld of 100000 records, lost %lld of %lld frames, %lld reordered, %lld duplicates", i + 1,
                  qint64(rows.size()), lost, framesSent, reordered, duplicates);
            // Lossy by nature: a busy moment may drop a datagram, but what arrives is exact and
            // what was lost is counted.
            QVERIFY2(rows.size() >= 99000, qPrintable(QStringLiteral("receiver %1 got only %2 records").arg(i + 1).arg(rows.size())));
            for (const Employee &e : rows)
                QCOMPARE(e, generated.at(int(e.id) - 1));
            if (rows.size() < 100000)
                QVERIFY2(lost > 0, "records are missing but no frame was counted lost");
        }
    }

    void frameLargerThanADatagram()
    {
        // 5,000 records in one frame of several hundred kB, cut into 1,024-byte datagrams.
        const QString address = QStringLiteral("127.0.0.1:%1?datagram=1024").arg(freeUdpPort());
        const QString csv = m_dir.filePath(QStringLiteral("large.csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(address, csv));
        QVERIFY(receiver);
        const AppProcess::Result sent = AppProcess::runSender(udpArgs(address) << QStringLiteral("--generate")
                                                              << QStringLiteral("5000") << QStringLiteral("--batch")
                                                              << QStringLiteral("5000"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        logLines(sent.out);
        logLines(got.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(sent.out, QStringLiteral("in (\\d+) frames")), 1);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(5000));
    }

    void abandonedFragmentDoesNotBlockTheNextFrame()
    {
        const quint16 port = freeUdpPort();
        const QString csv = m_dir.filePath(QStringLiteral("abandoned.csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(QStringLiteral("127.0.0.1:%1").arg(port), csv));
        QVERIFY(receiver);
        const EmployeeList records = EmployeeGenerator(3).take(200);
        const QByteArray first = recordsFrame(1, 77, records.mid(0, 100));
        const QByteArray second = recordsFrame(2, 77, records.mid(100));
        QVERIFY(first.size() > 3 * 1024);
        RawSender raw(port, 4242);
        raw.hello();
        raw.fragments(1, first, 1024, 2 * (1024 - 32)); // two datagrams of frame 1, then it is abandoned
        raw.fragments(2, second, 1024);        // frame 2 whole
        raw.send(FrameCodec::encodeControl(Wire::FrameType::Bye, 3, 77)); // a frame without the envelope: garbage
        raw.fragments(3, FrameCodec::encodeControl(Wire::FrameType::Bye, 3, 77), 1024);
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        logLines(got.out);
        logLines(got.err);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        // Frame 2 arrived whole; frame 1 was reported dropped, and counted lost (its sequence
        // never came) as well as bad (the partial frame the receiver threw away).
        QVERIFY(ReceivedCsv::sortedById(csv) == records.mid(100));
        QVERIFY2(got.err.contains(QStringLiteral("left frame 1 unfinished (1984 of %1 bytes) and began frame 2").arg(first.size())),
                 qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames")), 1);
        // The abandoned frame and the bare frame sent without an envelope.
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 2);
    }

    void partialFramesAreBoundedInTimeAndMemory()
    {
        const quint16 port = freeUdpPort();
        const QString csv = m_dir.filePath(QStringLiteral("bounded.csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(QStringLiteral("127.0.0.1:%1").arg(port), csv)
                                                  << QStringLiteral("--peer-timeout") << QStringLiteral("1")
                                                  << QStringLiteral("--max-pending-mib") << QStringLiteral("1"));
        QVERIFY(receiver);
        const EmployeeList records = EmployeeGenerator(5).take(100);
        const QByteArray stalled = recordsFrame(1, 88, records.mid(0, 50));
        const QByteArray whole = recordsFrame(2, 88, records.mid(50));
        RawSender raw(port, 5151);
        raw.hello();
        // The receiver arms its 3 s silence timer now; a frame begun later must still meet its
        // 1 s limit (a timer left waiting for the later deadline once missed it).
        QTest::qWait(300);
        // A frame announced larger than the whole budget is refused before anything is reserved.
        ipcw::native::DatagramHeader h;
        h.pid = 5151;
        h.frameNumber = 7;
        h.total = 2 * 1024 * 1024;
        QByteArray huge(1024, 'x');
        ipcw::native::writeDatagramHeader(reinterpret_cast<std::uint8_t *>(huge.data()), ipcw::udp::DatagramMagic, h);
        raw.send(huge);
        // Half a frame, then silence past the time limit: dropped, the sender stays.
        raw.fragments(1, stalled, 1024, 1024 - 32);
        QTest::qWait(1600);
        raw.fragments(2, whole, 1024);
        raw.fragments(3, FrameCodec::encodeControl(Wire::FrameType::Bye, 3, 88), 1024);
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        logLines(got.out);
        logLines(got.err);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("more than this receiver's whole budget for unfinished frames (1.0 MiB")),
                 qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("stopped in the middle of frame 1: 992 of its %1 bytes").arg(stalled.size())),
                 qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 2);
        QVERIFY(ReceivedCsv::sortedById(csv) == records.mid(50));
    }

    void garbageIsCountedAndTheReceiverKeepsServing()
    {
        const quint16 port = freeUdpPort();
        const QString address = QStringLiteral("127.0.0.1:%1").arg(port);
        const QString csv = m_dir.filePath(QStringLiteral("garbage.csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(address, csv));
        QVERIFY(receiver);
        RawSender raw(port, 999);
        raw.send(QByteArray("hello?"));                       // too short for an envelope
        raw.send(QByteArray(200, 'x'));                       // wrong magic
        QByteArray fragment(64, '\0');                        // our magic, but an empty fragment of a huge frame
        ipcw::native::DatagramHeader h;
        h.pid = 999;
        h.frameNumber = 1;
        h.total = 0xffffffffu;
        ipcw::native::writeDatagramHeader(reinterpret_cast<std::uint8_t *>(fragment.data()), ipcw::udp::DatagramMagic, h);
        raw.send(fragment);
        QTest::qWait(200);

        const AppProcess::Result sent = AppProcess::runSender(udpArgs(address) << QStringLiteral("--generate")
                                                              << QStringLiteral("1000"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        logLines(got.out);
        logLines(got.err);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 3);
        QCOMPARE(got.err.count(QStringLiteral("that no IPC Workshop udp sender wrote")), 2);
        QVERIFY2(got.err.contains(QStringLiteral("announced a frame of 4294967295 bytes")), qPrintable(got.err));
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(1000));
    }

    void sentencesForWhatUsersGetWrong()
    {
        const quint16 port = freeUdpPort();
        const QString address = QStringLiteral("127.0.0.1:%1").arg(port);
        // No receiver: the kernel's "port unreachable" (or the missing answer) becomes a sentence.
        const AppProcess::Result lonely = AppProcess::runSender(udpArgs(address) << QStringLiteral("--generate") << QStringLiteral("10"), 30000);
        QCOMPARE(lonely.exitCode, 1);
        QVERIFY2(lonely.err.contains(QStringLiteral("Nobody is receiving on udp 127.0.0.1:%1").arg(port))
                     || lonely.err.contains(QStringLiteral("No udp receiver answered")),
                 qPrintable(lonely.err));

        // A second unicast receiver on a taken port is refused with a sentence.
        auto first = AppProcess::startReceiver(udpArgs(address) << QStringLiteral("--timeout") << QStringLiteral("30"));
        QVERIFY(first);
        QProcess second;
        second.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                                 + udpArgs(address) + QStringList{QStringLiteral("--timeout"), QStringLiteral("30")});
        const AppProcess::Result refused = AppProcess::finish(second, 30000);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("is already in use")), qPrintable(refused.err));
        first->kill();
        first->waitForFinished();

        // A bad address says how to write one.
        const AppProcess::Result bad = AppProcess::runSender(udpArgs(QStringLiteral("multicast:10.0.0.1:5000"))
                                                             << QStringLiteral("--generate") << QStringLiteral("1"), 30000);
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("is not an IPv4 multicast group")), qPrintable(bad.err));
    }
};

QTEST_GUILESS_MAIN(TestUdp)
#include "tst_udp.moc"
