// SPDX-License-Identifier: GPL-3.0-or-later
// The local-socket plugin, loaded as the app loads it, against real Unix domain sockets: mode
// bits, a crashed receiver's socket replaced, a live one never stolen, several senders with
// their own replies, a sender killed mid-frame (a child process), the largest frame. The same
// executable doubles as the child process (--child-...), so the test needs nothing but itself.

#include "employeegenerator.h"
#include "framecodec.h"
#include "itransport.h"

#include <QCoreApplication>
#include <QLocalSocket>
#include <QPluginLoader>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using Endpoint = std::unique_ptr<TransportEndpoint>;

ITransport *transport()
{
    static QPluginLoader loader(QStringLiteral(IPCW_LOCALSOCKET_PLUGIN));
    return qobject_cast<ITransport *>(loader.instance());
}

// Where the plugin puts the socket for `name`, given XDG_RUNTIME_DIR (set by the test).
QString socketPath(const QString &name)
{
    return qEnvironmentVariable("XDG_RUNTIME_DIR") + QStringLiteral("/ipcworkshop/localsocket-") + name + QStringLiteral(".sock");
}

QByteArray recordsFrame(quint64 sequence, quint32 senderId, int count = 3)
{
    return FrameCodec::encodeRecords(EmployeeGenerator(sequence).take(count), sequence, senderId);
}

// Child: a receiver that listens until it is killed.
int childReceiver(const QString &name)
{
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, name));
    QObject::connect(receiver.get(), &TransportEndpoint::stateChanged, [](TransportEndpoint::State s) {
        if (s == TransportEndpoint::State::Listening) {
            std::fputs("listening\n", stdout);
            std::fflush(stdout);
        } else if (s == TransportEndpoint::State::Failed) {
            QCoreApplication::exit(1);
        }
    });
    receiver->open();
    return QCoreApplication::exec();
}

// Child: writes one whole frame and the first half of a second, then waits to be killed.
int childPartialSender(const QString &name)
{
    QLocalSocket socket;
    socket.connectToServer(socketPath(name));
    if (!socket.waitForConnected(5000))
        return 2;
    const QByteArray second = recordsFrame(2, 0xC0FFEE, 50);
    socket.write(recordsFrame(1, 0xC0FFEE));
    socket.write(second.left(second.size() / 2));
    while (socket.bytesToWrite() > 0 && socket.waitForBytesWritten(5000)) {
    }
    std::fputs("sent\n", stdout);
    std::fflush(stdout);
    return QCoreApplication::exec();
}

bool waitForLine(QProcess &process, const QByteArray &line)
{
    QByteArray seen;
    for (int i = 0; i < 100 && !seen.contains(line); ++i) {
        process.waitForReadyRead(100);
        seen += process.readAllStandardOutput();
    }
    return seen.contains(line);
}

} // namespace

class TestLocalSocket final : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void socketFileIsPrivate();
    void badNameIsASentence();
    void nobodyReceiving();
    void crashedReceiversSocketIsReplaced();
    void liveReceiverIsNotStolen();
    void twoSendersGetTheirOwnReplies();
    void senderKilledMidFrame();
    void largestFrame();

private:
    Endpoint listen(const QString &name);
    Endpoint connectTo(const QString &name);

    QTemporaryDir m_runtime;
};

void TestLocalSocket::initTestCase()
{
    QVERIFY(m_runtime.isValid());
    // A private runtime folder: the test never meets a real receiver, and children inherit it.
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
    QVERIFY2(transport(), "the localsocket plugin did not load");
}

Endpoint TestLocalSocket::listen(const QString &name)
{
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, name));
    QSignalSpy errors(receiver.get(), &TransportEndpoint::errorOccurred);
    receiver->open();
    [&] { QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening); }();
    if (!errors.isEmpty())
        qWarning() << errors.first().first().toString();
    return receiver;
}

Endpoint TestLocalSocket::connectTo(const QString &name)
{
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, name));
    sender->open();
    [&] { QTRY_COMPARE(sender->state(), TransportEndpoint::State::Connected); }();
    return sender;
}

void TestLocalSocket::socketFileIsPrivate()
{
    Endpoint receiver = listen(QStringLiteral("modes"));
    QCOMPARE(receiver->state(), TransportEndpoint::State::Listening);
    struct stat st {};
    QCOMPARE(lstat(QFile::encodeName(socketPath(QStringLiteral("modes"))).constData(), &st), 0);
    QVERIFY(S_ISSOCK(st.st_mode));
    QCOMPARE(st.st_uid, getuid());
    QCOMPARE(st.st_mode & 0077, 0u); // no group or other access at all
    QCOMPARE(lstat(QFile::encodeName(m_runtime.path() + QStringLiteral("/ipcworkshop")).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0700u);

    receiver->close();
    QVERIFY2(!QFile::exists(socketPath(QStringLiteral("modes"))), "close() must remove the socket file");
}

void TestLocalSocket::badNameIsASentence()
{
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, QStringLiteral("../escape")));
    QSignalSpy errors(receiver.get(), &TransportEndpoint::errorOccurred);
    receiver->open();
    QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Failed);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.first().first().toString().contains(QStringLiteral("is not a local socket name")),
             qPrintable(errors.first().first().toString()));
}

void TestLocalSocket::nobodyReceiving()
{
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("nobody")));
    QSignalSpy errors(sender.get(), &TransportEndpoint::errorOccurred);
    sender->open();
    QCOMPARE(errors.size(), 0); // reported from the event loop, not from inside open()
    QTRY_COMPARE(sender->state(), TransportEndpoint::State::Failed);
    QCOMPARE(errors.size(), 1);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.startsWith(QStringLiteral("Nobody is receiving")) && message.contains(QStringLiteral("start a receiver first")),
             qPrintable(message));
}

void TestLocalSocket::crashedReceiversSocketIsReplaced()
{
    const QString name = QStringLiteral("stale");
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child-receiver"), name});
    QVERIFY(waitForLine(child, "listening"));
    child.kill(); // SIGKILL: no chance to remove its socket file
    QVERIFY(child.waitForFinished(5000));
    QVERIFY2(QFile::exists(socketPath(name)), "a killed receiver leaves its socket file behind");

    Endpoint receiver = listen(name);
    QCOMPARE(receiver->state(), TransportEndpoint::State::Listening);
    QSignalSpy frames(receiver.get(), &TransportEndpoint::frameReceived);
    Endpoint sender = connectTo(name);
    sender->sendFrame(recordsFrame(1, 7));
    QTRY_COMPARE(frames.size(), 1);
}

void TestLocalSocket::liveReceiverIsNotStolen()
{
    const QString name = QStringLiteral("live");
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child-receiver"), name});
    QVERIFY(waitForLine(child, "listening"));
    struct stat before {};
    QCOMPARE(lstat(QFile::encodeName(socketPath(name)).constData(), &before), 0);

    Endpoint second(transport()->createEndpoint(EndpointRole::Receiver, name));
    QSignalSpy errors(second.get(), &TransportEndpoint::errorOccurred);
    second->open();
    QTRY_COMPARE(second->state(), TransportEndpoint::State::Failed);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.first().first().toString().contains(QStringLiteral("already in use by a running receiver")),
             qPrintable(errors.first().first().toString()));
    second->close();

    struct stat after {};
    QCOMPARE(lstat(QFile::encodeName(socketPath(name)).constData(), &after), 0);
    QCOMPARE(after.st_ino, before.st_ino); // the live receiver's socket, untouched
    QCOMPARE(child.state(), QProcess::Running);
    Endpoint sender = connectTo(name); // still reaches the live receiver
    QCOMPARE(sender->state(), TransportEndpoint::State::Connected);
    child.kill();
    child.waitForFinished(5000);
}

void TestLocalSocket::twoSendersGetTheirOwnReplies()
{
    const QString name = QStringLiteral("two");
    Endpoint receiver = listen(name);
    QHash<quint32, QSet<quint64>> peersBySender;
    QHash<quint32, int> framesBySender;
    connect(receiver.get(), &TransportEndpoint::frameReceived, this, [&](const QByteArray &frame, quint64 peer) {
        DecodedFrame decoded;
        QCOMPARE(FrameCodec::decode(frame, &decoded), DecodeError::None);
        peersBySender[decoded.header.senderId].insert(peer);
        const int n = ++framesBySender[decoded.header.senderId];
        receiver->sendFrame(FrameCodec::encodeAck(decoded.header.sequence, decoded.header.senderId, n, 0), peer);
    });
    Endpoint a = connectTo(name);
    Endpoint b = connectTo(name);
    QHash<quint32, int> acksA, acksB;
    auto countAcks = [](QHash<quint32, int> *acks) {
        return [acks](const QByteArray &frame) {
            DecodedFrame decoded;
            if (FrameCodec::decode(frame, &decoded) == DecodeError::None)
                ++(*acks)[decoded.header.senderId];
        };
    };
    connect(a.get(), &TransportEndpoint::frameReceived, this, countAcks(&acksA));
    connect(b.get(), &TransportEndpoint::frameReceived, this, countAcks(&acksB));

    constexpr int Frames = 300;
    for (int i = 1; i <= Frames; ++i) { // interleaved, both connections busy at once
        a->sendFrame(recordsFrame(i, 0xA));
        b->sendFrame(recordsFrame(i, 0xB));
    }
    QTRY_COMPARE(framesBySender.value(0xA), Frames);
    QTRY_COMPARE(framesBySender.value(0xB), Frames);
    QCOMPARE(peersBySender.value(0xA).size(), 1);
    QCOMPARE(peersBySender.value(0xB).size(), 1);
    QVERIFY(peersBySender.value(0xA) != peersBySender.value(0xB));
    QTRY_COMPARE(acksA.value(0xA), Frames);
    QTRY_COMPARE(acksB.value(0xB), Frames);
    QCOMPARE(acksA.size(), 1); // nobody got the other one's acks
    QCOMPARE(acksB.size(), 1);
}

void TestLocalSocket::senderKilledMidFrame()
{
    const QString name = QStringLiteral("killed");
    Endpoint receiver = listen(name);
    QSignalSpy frames(receiver.get(), &TransportEndpoint::frameReceived);
    QSignalSpy gone(receiver.get(), &TransportEndpoint::peerDisconnected);

    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child-partial-sender"), name});
    QVERIFY(waitForLine(child, "sent"));
    QTRY_COMPARE(frames.size(), 1); // the whole frame arrived; the half one waits
    child.kill();
    QVERIFY(child.waitForFinished(5000));
    QTRY_COMPARE(gone.size(), 1);
    const QString reason = gone.first().at(1).toString();
    QVERIFY2(reason.contains(QStringLiteral("unfinished frame were discarded")), qPrintable(reason));
    QCOMPARE(frames.size(), 1);
    QCOMPARE(receiver->state(), TransportEndpoint::State::Listening);

    Endpoint next = connectTo(name); // the receiver goes on serving new senders
    next->sendFrame(recordsFrame(1, 0xBEEF));
    QTRY_COMPARE(frames.size(), 2);
    QVERIFY(frames.at(1).at(1).toULongLong() != frames.at(0).at(1).toULongLong());
}

void TestLocalSocket::largestFrame()
{
    const QString name = QStringLiteral("large");
    Endpoint receiver = listen(name);
    QByteArray received;
    connect(receiver.get(), &TransportEndpoint::frameReceived, this,
            [&](const QByteArray &frame) { received = frame; });
    Endpoint sender = connectTo(name);
    QByteArray payload(int(Wire::MaxPayloadBytes), Qt::Uninitialized);
    for (qsizetype i = 0; i < payload.size(); ++i)
        payload[i] = char(i * 7 + (i >> 12));
    const QByteArray frame = FrameCodec::encodeControl(Wire::FrameType::Ping, 1, 3, payload);
    QCOMPARE(frame.size(), 67108904); // the metadata's maxMessageBytes
    sender->sendFrame(frame);
    QTRY_VERIFY_WITH_TIMEOUT(!received.isEmpty(), 30000);
    QVERIFY(received == frame);
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc == 3 && qstrcmp(argv[1], "--child-receiver") == 0)
        return childReceiver(QString::fromLocal8Bit(argv[2]));
    if (argc == 3 && qstrcmp(argv[1], "--child-partial-sender") == 0)
        return childPartialSender(QString::fromLocal8Bit(argv[2]));
    TestLocalSocket test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_localsocket.moc"
