// SPDX-License-Identifier: GPL-3.0-or-later
// The zeromq and zeromq-pubsub transports between real ipcworkshop processes, and against a raw
// libzmq peer of the test's own: what arrives, what is counted, what is said.

#include "appprocess.h"
#include "receivedcsv.h"
#include "csv.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "handshake.h"
#include "zeromqaddress.h"
#include "zeromqdealersender.h"
#include "zeromqrouterreceiver.h"
#include "zeromqsubreceiver.h"
#include "zeromqsocket.h"
#include "zeromqwire.h"

#include <QFile>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <zmq.h>

#include <algorithm>
#include <memory>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

QString uniqueName()
{
    static int counter = 0;
    return QStringLiteral("zmqtest%1x%2").arg(QCoreApplication::applicationPid()).arg(++counter);
}

quint16 freeTcpPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QString socketPathOf(const QString &name, const QString &kind = QStringLiteral("zeromq"))
{
    ZeroMqAddress a;
    const QString error = ZeroMqAddress::parse(name, kind, &a);
    if (!error.isEmpty())
        qWarning("%s", qPrintable(error));
    return a.socketPath;
}

QStringList args(const QString &transport, const QString &address)
{
    return {QStringLiteral("--transport"), transport, QStringLiteral("--address"), address};
}

QStringList receiverArgs(const QString &transport, const QString &address, const QString &csv)
{
    return args(transport, address) << QStringLiteral("--senders") << QStringLiteral("1") << QStringLiteral("--export") << csv
                                    << QStringLiteral("--timeout") << QStringLiteral("120");
}

// A DEALER of the test's own, speaking bare libzmq to a receiver.
class RawDealer
{
public:
    explicit RawDealer(const QByteArray &endpoint)
    {
        m_context = zmq_ctx_new();
        m_socket = zmq_socket(m_context, ZMQ_DEALER);
        const int timeout = 5000;
        zmq_setsockopt(m_socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_connect(m_socket, endpoint.constData());
    }
    ~RawDealer()
    {
        const int linger = 1000; // what was sent reaches the receiver before the test goes on
        zmq_setsockopt(m_socket, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(m_socket);
        zmq_ctx_term(m_context);
    }
    void send(const QByteArray &message, bool more = false)
    {
        QVERIFY(zmq_send(m_socket, message.constData(), size_t(message.size()), more ? ZMQ_SNDMORE : 0) == int(message.size()));
    }
    QByteArray receive()
    {
        zmq_msg_t m;
        zmq_msg_init(&m);
        QByteArray out;
        if (zmq_msg_recv(&m, m_socket, 0) >= 0)
            out = QByteArray(static_cast<const char *>(zmq_msg_data(&m)), qsizetype(zmq_msg_size(&m)));
        zmq_msg_close(&m);
        return out;
    }

private:
    void *m_context;
    void *m_socket;
};

} // namespace

class TestZeroMq final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    void transferUnchanged(const QString &address, int records)
    {
        const QString csv = m_dir.filePath(uniqueName() + QStringLiteral(".csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(QStringLiteral("zeromq"), address, csv));
        QVERIFY(receiver);
        const AppProcess::Result sent = AppProcess::runSender(args(QStringLiteral("zeromq"), address)
                                                              << QStringLiteral("--generate") << QString::number(records));
        const AppProcess::Result got = AppProcess::finish(*receiver, 120000);
        AppProcess::logLines(sent.out);
        AppProcess::logLines(got.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames")), 0);
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 0);
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(records));
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void ipcTransferArrivesUnchanged()
    {
        const QString name = uniqueName();
        transferUnchanged(name, 100000);
        QVERIFY2(!QFile::exists(socketPathOf(name)), "the receiver removes its socket file when it closes");
    }

    void tcpTransferArrivesUnchanged() { transferUnchanged(QStringLiteral("tcp://127.0.0.1:%1").arg(freeTcpPort()), 100000); }

    void fourSubscribersGetTheSameRecords()
    {
        const QString address = uniqueName();
        std::vector<std::unique_ptr<QProcess>> receivers;
        for (int i = 0; i < 4; ++i) {
            receivers.push_back(AppProcess::startReceiver(
                receiverArgs(QStringLiteral("zeromq-pubsub"), address, m_dir.filePath(QStringLiteral("%1-%2.csv").arg(address).arg(i)))));
            QVERIFY(receivers.back());
        }
        const AppProcess::Result sent = AppProcess::runSender(args(QStringLiteral("zeromq-pubsub"), address)
                                                              << QStringLiteral("--generate") << QStringLiteral("100000"));
        AppProcess::logLines(sent.out);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        const EmployeeList generated = EmployeeGenerator(1).take(100000);
        for (int i = 0; i < 4; ++i) {
            const AppProcess::Result got = AppProcess::finish(*receivers[size_t(i)], 120000);
            AppProcess::logLines(got.out);
            QVERIFY2(got.exitCode == 0, qPrintable(got.err));
            const qint64 lost = AppProcess::summaryNumber(got.out, QStringLiteral("lost (\\d+) frames"));
            QVERIFY2(lost >= 0, "each receiver reports its losses");
            const EmployeeList rows = ReceivedCsv::sortedById(m_dir.filePath(QStringLiteral("%1-%2.csv").arg(address).arg(i)));
            qInfo("subscriber %d: %lld of 100000 records, lost %lld frames", i + 1, qint64(rows.size()), lost);
            QVERIFY2(!rows.isEmpty(), "a subscriber that was there before the sender must get records");
            for (const Employee &e : rows)
                QCOMPARE(e, generated.at(int(e.id) - 1));
            if (rows.size() < generated.size())
                QVERIFY2(lost > 0, "records are missing but no frame was counted lost");
            else
                QCOMPARE(lost, 0);
        }
    }

    void publisherWithoutSubscribersSaysSo()
    {
        const AppProcess::Result lonely = AppProcess::runSender(args(QStringLiteral("zeromq-pubsub"), uniqueName())
                                                                << QStringLiteral("--generate") << QStringLiteral("10"), 30000);
        QCOMPARE(lonely.exitCode, 1);
        QVERIFY2(lonely.err.contains(QStringLiteral("No zeromq-pubsub receiver subscribed")), qPrintable(lonely.err));
    }

    void hostilePeerIsRefusedAndTheReceiverKeepsServing()
    {
        const QString name = uniqueName();
        const QString csv = m_dir.filePath(name + QStringLiteral(".csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(QStringLiteral("zeromq"), name, csv)
                                                  << QStringLiteral("--max-pending-mib") << QStringLiteral("1"));
        QVERIFY(receiver);
        {
            RawDealer raw("ipc://" + socketPathOf(name).toLocal8Bit());
            raw.send("not a hello");                                 // 1: a stranger's garbage
            raw.send(ZeroMqWire::senderHello(QStringLiteral("raw test peer")));
            Handshake::ReceiverHello greeting;
            QString why;
            QVERIFY2(Handshake::decodeReceiverHello(raw.receive(), &greeting, &why), qPrintable(why));
            raw.send("garbage after hello");                         // 2: not a frame
            raw.send("two", true);                                   // 3: two parts
            raw.send("parts");
            raw.send(QByteArray(2 * 1024 * 1024, 'x'));              // 4: over the 1 MiB budget
            QByteArray truncated = ZeroMqWire::senderHello(QStringLiteral("cut short"));
            truncated.chop(3);                                       // 5: header says more than came
            raw.send(truncated);
        }
        const AppProcess::Result sent = AppProcess::runSender(args(QStringLiteral("zeromq"), name)
                                                              << QStringLiteral("--generate") << QStringLiteral("1000"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        AppProcess::logLines(got.out);
        AppProcess::logLines(got.err);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 5);
        QVERIFY2(got.err.contains(QStringLiteral("that has not said hello was dropped")), qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("more than the 1048576 bytes this receiver takes in one frame")), qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("a sender sends each frame as a message of one part")), qPrintable(got.err));
        QVERIFY2(got.err.contains(QStringLiteral("raw test peer")), "the refused sender is named by its hello");
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(1000));
    }

    // A sender's connection closing and the next sender's hello on the same file descriptor can
    // both be waiting when a busy receiver next looks. The close must not be taken for the new
    // sender's, or everything that sender sends is dropped as a stranger's.
    void closedConnectionIsNotTakenForTheNextOnItsDescriptor()
    {
        const QString name = uniqueName();
        ZeroMqRouterReceiver receiver(name);
        QSignalSpy connected(&receiver, &TransportEndpoint::peerConnected);
        QSignalSpy gone(&receiver, &TransportEndpoint::peerDisconnected);
        QSignalSpy refused(&receiver, &TransportEndpoint::messageRefused);
        QSignalSpy frames(&receiver, &TransportEndpoint::frameReceived);
        receiver.open();
        QTRY_COMPARE(receiver.state(), TransportEndpoint::State::Listening);
        const QByteArray endpoint = "ipc://" + socketPathOf(name).toLocal8Bit();
        {
            RawDealer first(endpoint);
            first.send(ZeroMqWire::senderHello(QStringLiteral("first")));
            QTRY_COMPARE(connected.size(), 1);
        }
        // Busy: this thread runs none of the receiver while libzmq notices the close, frees the
        // descriptor, and takes the second sender's connection on it with its hello and a frame.
        QThread::msleep(300);
        RawDealer second(endpoint);
        second.send(ZeroMqWire::senderHello(QStringLiteral("second")));
        second.send(ZeroMqWire::senderHello(QStringLiteral("a frame like any other")));
        QThread::msleep(300);
        QTRY_COMPARE(frames.size(), 1);
        QCOMPARE(refused.size(), 0);
        QCOMPARE(connected.size(), 2);
        QCOMPARE(gone.size(), 1);
        QCOMPARE(gone.first().first(), connected.first().first());
    }

    // A closing sender's Bye reaches the ROUTER before libzmq reports the close, but the report
    // comes through the monitor, whose notifier may fire first. The sender must still be known
    // when its Bye is read, or a clean goodbye is counted as a crash and the Bye as a stranger's.
    void lastMessagesAreReadBeforeACloseIsReported()
    {
        const QString name = uniqueName();
        ZeroMqRouterReceiver receiver(name);
        QStringList order;
        connect(&receiver, &TransportEndpoint::frameReceived, this, [&] { order << QStringLiteral("frame"); });
        connect(&receiver, &TransportEndpoint::peerDisconnected, this, [&] { order << QStringLiteral("closed"); });
        QSignalSpy connected(&receiver, &TransportEndpoint::peerConnected);
        QSignalSpy refused(&receiver, &TransportEndpoint::messageRefused);
        receiver.open();
        QTRY_COMPARE(receiver.state(), TransportEndpoint::State::Listening);
        {
            RawDealer leaving("ipc://" + socketPathOf(name).toLocal8Bit());
            leaving.send(ZeroMqWire::senderHello(QStringLiteral("leaving")));
            QTRY_COMPARE(connected.size(), 1);
            leaving.send(FrameCodec::encodeControl(Wire::FrameType::Bye, 1, 7));
        } // closed, the Bye sent first (linger)
        // Busy: libzmq queues the Bye and reports the close while this thread runs none of the
        // receiver. Then the monitor is read first, the order the race would take.
        QThread::msleep(300);
        auto *socket = receiver.findChild<ZeroMqSocket *>();
        QVERIFY(socket);
        socket->readPeerEventsNow();
        QTRY_VERIFY(order.contains(QStringLiteral("closed")));
        QCOMPARE(order, (QStringList{QStringLiteral("frame"), QStringLiteral("closed")}));
        QCOMPARE(refused.size(), 0);
    }

    // The same on the sender's side: the receiver's last Ack reaches the DEALER before libzmq
    // reports the close, and must be read before the sender gives the connection up, or the
    // sender counts as unacknowledged what the receiver had.
    void senderReadsTheLastAckBeforeGivingUp()
    {
        const QString name = uniqueName();
        ZeroMqRouterReceiver receiver(name);
        QList<quint64> peers;
        connect(&receiver, &TransportEndpoint::peerConnected, this, [&](quint64 peer) { peers << peer; });
        receiver.open();
        QTRY_COMPARE(receiver.state(), TransportEndpoint::State::Listening);
        ZeroMqDealerSender sender(name);
        QStringList order;
        connect(&sender, &TransportEndpoint::frameReceived, this, [&] { order << QStringLiteral("Ack"); });
        connect(&sender, &TransportEndpoint::errorOccurred, this, [&] { order << QStringLiteral("gave up"); });
        sender.open();
        QTRY_COMPARE(sender.state(), TransportEndpoint::State::Connected);
        QTRY_COMPARE(peers.size(), 1);
        receiver.sendFrame(FrameCodec::encodeAck(1, 7, 1, 1), peers.first());
        // Busy: libzmq carries the Ack into the sender's socket, then the close, while this
        // thread runs none of the sender. Then its monitor is read first, the order the race
        // would take.
        QThread::msleep(300);
        receiver.close();
        QThread::msleep(300);
        auto *socket = sender.findChild<ZeroMqSocket *>();
        QVERIFY(socket);
        socket->readPeerEventsNow();
        QTRY_VERIFY(order.contains(QStringLiteral("gave up")));
        QCOMPARE(order, (QStringList{QStringLiteral("Ack"), QStringLiteral("gave up")}));
        QCOMPARE(sender.state(), TransportEndpoint::State::Failed);
    }

    // The same, when the close is taken while a newer sender's hello is admitted: its hello is
    // read before the leaving sender's Bye, and admit() reads the monitor's queued closes first.
    void aCloseTakenDuringAHelloWaitsForTheLastMessages()
    {
        const QString name = uniqueName();
        ZeroMqRouterReceiver receiver(name);
        QStringList order;
        connect(&receiver, &TransportEndpoint::peerConnected, this, [&](TransportEndpoint::PeerId, const QString &who) {
            order << who;
        });
        connect(&receiver, &TransportEndpoint::frameReceived, this, [&] { order << QStringLiteral("Bye"); });
        connect(&receiver, &TransportEndpoint::peerDisconnected, this, [&] { order << QStringLiteral("closed"); });
        QSignalSpy refused(&receiver, &TransportEndpoint::messageRefused);
        receiver.open();
        QTRY_COMPARE(receiver.state(), TransportEndpoint::State::Listening);
        const QByteArray endpoint = "ipc://" + socketPathOf(name).toLocal8Bit();
        auto leaving = std::make_unique<RawDealer>(endpoint);
        leaving->send(ZeroMqWire::senderHello(QStringLiteral("leaving")));
        QTRY_COMPARE(order.size(), 1);
        // Busy from here: none of the receiver runs until every message and the close wait.
        RawDealer coming(endpoint);
        coming.send(ZeroMqWire::senderHello(QStringLiteral("coming")));
        QThread::msleep(200); // the newcomer's hello is queued first
        leaving->send(FrameCodec::encodeControl(Wire::FrameType::Bye, 1, 7));
        leaving.reset();
        QThread::msleep(300);
        QTRY_VERIFY(order.contains(QStringLiteral("closed")));
        QCOMPARE(refused.size(), 0);
        // The newcomer's place in the order is libzmq's to choose; the Bye's before the close is not.
        QVERIFY2(order.contains(QStringLiteral("coming")) && order.count(QStringLiteral("closed")) == 1
                     && order.indexOf(QStringLiteral("Bye")) >= 0
                     && order.indexOf(QStringLiteral("Bye")) < order.indexOf(QStringLiteral("closed")),
                 qPrintable(order.join(QStringLiteral(", "))));
    }

    // A subscriber has the same two notifiers: the publisher's Bye must come from the sender
    // it knows, before that sender's close, not from a new one after it.
    void publishersLastMessageComesBeforeItsClose()
    {
        const QString name = uniqueName();
        const QString path = socketPathOf(name, QStringLiteral("zeromq-pubsub"));
        void *context = zmq_ctx_new();
        void *publisher = zmq_socket(context, ZMQ_PUB);
        QVERIFY(zmq_bind(publisher, ("ipc://" + path.toLocal8Bit()).constData()) == 0);
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0600) == 0); // what the subscriber requires
        ZeroMqSubReceiver receiver(name);
        QStringList order;
        connect(&receiver, &TransportEndpoint::peerConnected, this, [&] { order << QStringLiteral("connected"); });
        connect(&receiver, &TransportEndpoint::frameReceived, this, [&](const QByteArray &frame) {
            FrameHeader header;
            order << (FrameCodec::verifyFrame(frame, &header) == DecodeError::None && header.type == Wire::FrameType::Bye
                          ? QStringLiteral("Bye") : QStringLiteral("frame"));
        });
        connect(&receiver, &TransportEndpoint::peerDisconnected, this, [&] { order << QStringLiteral("closed"); });
        receiver.open();
        QTRY_COMPARE(receiver.state(), TransportEndpoint::State::Listening);
        const auto publish = [publisher](Wire::FrameType type) {
            const QByteArray frame = FrameCodec::encodeControl(type, 1, 7);
            zmq_send(publisher, frame.constData(), size_t(frame.size()), 0);
        };
        for (int i = 0; i < 100 && !order.contains(QStringLiteral("frame")); ++i) { // until subscribed
            publish(Wire::FrameType::Ping);
            QTest::qWait(20);
        }
        QVERIFY(order.contains(QStringLiteral("frame")));
        publish(Wire::FrameType::Bye);
        const int linger = 1000;
        zmq_setsockopt(publisher, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(publisher);
        zmq_ctx_term(context); // the Bye is out, the connection closed
        QThread::msleep(300);  // both wait; the monitor is read first
        auto *socket = receiver.findChild<ZeroMqSocket *>();
        QVERIFY(socket);
        socket->readPeerEventsNow();
        QTRY_VERIFY(order.contains(QStringLiteral("closed")));
        QCOMPARE(order.count(QStringLiteral("connected")), 1);
        QCOMPARE(order.mid(order.size() - 2), (QStringList{QStringLiteral("Bye"), QStringLiteral("closed")}));
    }

    void socketFileMustBePrivate()
    {
        const QString name = uniqueName();
        auto receiver = AppProcess::startReceiver(args(QStringLiteral("zeromq"), name) << QStringLiteral("--timeout") << QStringLiteral("30"));
        QVERIFY(receiver);
        const QString path = socketPathOf(name);
        struct stat st {};
        QCOMPARE(::lstat(path.toLocal8Bit().constData(), &st), 0);
        QVERIFY(S_ISSOCK(st.st_mode));
        QCOMPARE(int(st.st_mode & 0777), 0600);
        // Someone widened it: a sender refuses to use it.
        QCOMPARE(::chmod(path.toLocal8Bit().constData(), 0660), 0);
        const AppProcess::Result refused = AppProcess::runSender(args(QStringLiteral("zeromq"), name)
                                                                 << QStringLiteral("--generate") << QStringLiteral("1"), 30000);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("has mode 0660, not 0600")), qPrintable(refused.err));
        receiver->kill();
        receiver->waitForFinished();
    }

    void staleSocketFileIsReplacedAndALiveOneIsNot()
    {
        const QString name = uniqueName();
        const QByteArray path = socketPathOf(name).toLocal8Bit();
        // What a killed receiver leaves: a socket file nobody listens on.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.constData(), sizeof address.sun_path - 1);
        QCOMPARE(::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
        ::close(fd);
        QVERIFY(QFile::exists(QString::fromLocal8Bit(path)));

        const QString csv = m_dir.filePath(name + QStringLiteral(".csv"));
        auto receiver = AppProcess::startReceiver(receiverArgs(QStringLiteral("zeromq"), name, csv));
        QVERIFY2(receiver, "a receiver must start over a stale socket file");
        // A second receiver must not take a live receiver's socket (libzmq alone would unlink it).
        QProcess second;
        second.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                                 + args(QStringLiteral("zeromq"), name) + QStringList{QStringLiteral("--timeout"), QStringLiteral("30")});
        const AppProcess::Result refused = AppProcess::finish(second, 30000);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("is in use by a running zeromq receiver")), qPrintable(refused.err));

        const AppProcess::Result sent = AppProcess::runSender(args(QStringLiteral("zeromq"), name) << QStringLiteral("--generate") << QStringLiteral("10"));
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(10));

        // A file that is not a socket is not ours to remove.
        QFile plain(QString::fromLocal8Bit(path));
        QVERIFY(plain.open(QIODevice::WriteOnly));
        plain.close();
        QProcess third;
        third.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                                + args(QStringLiteral("zeromq"), name) + QStringList{QStringLiteral("--timeout"), QStringLiteral("30")});
        const AppProcess::Result notOurs = AppProcess::finish(third, 30000);
        QCOMPARE(notOurs.exitCode, 1);
        QVERIFY2(notOurs.err.contains(QStringLiteral("exists and is not a socket")), qPrintable(notOurs.err));
        QVERIFY(plain.remove());
    }

    // A receiver given an access token (required beyond loopback, allowed on it) admits a
    // sender that proves it knows the token and refuses one that does not, with a sentence and a
    // bad frame, and goes on serving.
    void accessTokenAdmitsOnlyWhoKnowsIt()
    {
        const QString address = QStringLiteral("tcp://127.0.0.1:%1").arg(freeTcpPort());
        const QString csv = m_dir.filePath(uniqueName() + QStringLiteral(".csv"));
        const QStringList token{QStringLiteral("--token"), QStringLiteral("zeromq-test-token-0123456789")};
        auto receiver = AppProcess::startReceiver(args(QStringLiteral("zeromq"), address) + token
                                                  << QStringLiteral("--expect") << QStringLiteral("500") << QStringLiteral("--export")
                                                  << csv << QStringLiteral("--timeout") << QStringLiteral("60"));
        QVERIFY(receiver);
        const AppProcess::Result wrong = AppProcess::runSender(args(QStringLiteral("zeromq"), address)
                                                               << QStringLiteral("--token") << QStringLiteral("a-wrong-token-9876543210")
                                                               << QStringLiteral("--generate") << QStringLiteral("10"),
                                                               60000);
        QVERIFY2(wrong.exitCode != 0, qPrintable(AppProcess::both(wrong)));
        const AppProcess::Result right = AppProcess::runSender(args(QStringLiteral("zeromq"), address) + token
                                                               << QStringLiteral("--generate") << QStringLiteral("500"),
                                                               60000);
        QVERIFY2(right.exitCode == 0, qPrintable(AppProcess::both(right)));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        AppProcess::logLines(got.out);
        AppProcess::logLines(got.err);
        QVERIFY2(got.exitCode == 0, qPrintable(got.err));
        const QStringList refused = AppProcess::linesWith(got.err, QStringLiteral("does not know this receiver's token"));
        QVERIFY2(refused.size() == 1, qPrintable(got.err));
        QCOMPARE(AppProcess::summaryNumber(got.out, QStringLiteral("(\\d+) bad frames")), 1);
        QVERIFY(ReceivedCsv::sortedById(csv) == EmployeeGenerator(1).take(500));
    }

    void sentencesForWhatUsersGetWrong()
    {
        const QString name = uniqueName();
        const AppProcess::Result lonely = AppProcess::runSender(args(QStringLiteral("zeromq"), name)
                                                                << QStringLiteral("--generate") << QStringLiteral("1"), 30000);
        QCOMPARE(lonely.exitCode, 1);
        QVERIFY2(lonely.err.contains(QStringLiteral("Nobody is receiving on the zeromq address")), qPrintable(lonely.err));

        const quint16 port = freeTcpPort();
        const AppProcess::Result noTcp = AppProcess::runSender(args(QStringLiteral("zeromq"), QStringLiteral("tcp://127.0.0.1:%1").arg(port))
                                                               << QStringLiteral("--generate") << QStringLiteral("1"), 30000);
        QCOMPARE(noTcp.exitCode, 1);
        QVERIFY2(noTcp.err.contains(QStringLiteral("Nobody is receiving at the zeromq address")), qPrintable(noTcp.err));

        QProcess open;
        open.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver")}
                                               + args(QStringLiteral("zeromq"), QStringLiteral("tcp://*:%1").arg(port))
                                               + QStringList{QStringLiteral("--timeout"), QStringLiteral("30")});
        const AppProcess::Result needsToken = AppProcess::finish(open, 30000);
        QCOMPARE(needsToken.exitCode, 1);
        QVERIFY2(needsToken.err.contains(QStringLiteral("needs an access token")), qPrintable(needsToken.err));

        const AppProcess::Result bad = AppProcess::runSender(args(QStringLiteral("zeromq"), QStringLiteral("../etc/passwd"))
                                                             << QStringLiteral("--generate") << QStringLiteral("1"), 30000);
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("is not a zeromq address")), qPrintable(bad.err));
    }
};

QTEST_GUILESS_MAIN(TestZeroMq)
#include "tst_zeromq.moc"
