// SPDX-License-Identifier: GPL-3.0-or-later
// writeFrameToSocket() on real connected sockets, local and TCP: a frame reaches the peer
// without the writer's event loop running; a peer that does not read makes the rest queue in
// Qt, in order, and nothing is lost; a send to a closed peer raises no error inside the call,
// and the error still arrives from the event loop. The TCP sender's unbuffered socket too, and
// the receivers' DescriptorSocket over an accepted TCP connection.

#include "socketwrite.h"

#include "descriptorserver.h"
#include "descriptorsocket.h"

#include <QLocalServer>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <memory>

namespace {

// A connected pair: `writer` is ours, `peer` the other end (accepted by the server).
struct SocketPair
{
    std::unique_ptr<QIODevice> writer;
    QIODevice *peer = nullptr;
    std::unique_ptr<QObject> server;
};

SocketPair localPair()
{
    SocketPair pair;
    auto *server = new QLocalServer;
    pair.server.reset(server);
    const QString name = QStringLiteral("ipcw-socketwrite-%1").arg(QCoreApplication::applicationPid());
    QLocalServer::removeServer(name);
    if (!server->listen(name))
        return pair;
    auto *writer = new QLocalSocket;
    pair.writer.reset(writer);
    writer->connectToServer(name);
    if (writer->waitForConnected(5000) && server->waitForNewConnection(5000))
        pair.peer = server->nextPendingConnection();
    return pair;
}

// `mode` ReadWrite | Unbuffered: the TCP sender's socket, which Qt reads only when asked.
SocketPair tcpPair(QIODevice::OpenMode mode)
{
    SocketPair pair;
    auto *server = new QTcpServer;
    pair.server.reset(server);
    if (!server->listen(QHostAddress::LocalHost))
        return pair;
    auto *writer = new QTcpSocket;
    pair.writer.reset(writer);
    writer->connectToHost(QHostAddress::LocalHost, server->serverPort(), mode);
    if (writer->waitForConnected(5000) && server->waitForNewConnection(5000))
        pair.peer = server->nextPendingConnection();
    return pair;
}

#ifdef Q_OS_UNIX
// The receivers' socket on POSIX: a DescriptorSocket over the accepted end writes to the client.
SocketPair descriptorPair()
{
    SocketPair pair;
    auto *server = new DescriptorServer;
    pair.server.reset(server);
    if (!server->listen(QHostAddress::LocalHost))
        return pair;
    auto *client = new QTcpSocket(server);
    client->connectToHost(QHostAddress::LocalHost, server->serverPort());
    if (client->waitForConnected(5000) && server->waitForNewConnection(5000) && server->accepted >= 0) {
        pair.writer = std::make_unique<DescriptorSocket>(int(server->accepted));
        pair.peer = client;
    }
    return pair;
}
#endif

SocketPair makePair(const QString &kind)
{
    if (kind == QLatin1String("local"))
        return localPair();
#ifdef Q_OS_UNIX
    if (kind == QLatin1String("descriptor"))
        return descriptorPair();
#endif
    return tcpPair(kind == QLatin1String("tcp unbuffered") ? QIODevice::ReadWrite | QIODevice::Unbuffered
                                                           : QIODevice::ReadWrite);
}

// Frame `n` of `size` bytes: a byte pattern that starts where `n` says, so a reordered or
// truncated frame shows.
QByteArray numberedFrame(int n, int size)
{
    QByteArray frame(size, '\0');
    for (int i = 0; i < size; ++i)
        frame[i] = char((n * 131 + i) & 0xff);
    return frame;
}

void abortSocket(QIODevice *socket)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->abort();
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->abort();
}

} // namespace

class TestSocketWrite : public QObject
{
    Q_OBJECT
private slots:
    void kinds_data();
    void sendsWithoutTheEventLoop_data() { kinds_data(); }
    void sendsWithoutTheEventLoop();
    void queuesWhatTheKernelDoesNotTakeInOrder_data() { kinds_data(); }
    void queuesWhatTheKernelDoesNotTakeInOrder();
    void closedPeerFailsLaterNotInsideTheCall_data() { kinds_data(); }
    void closedPeerFailsLaterNotInsideTheCall();
};

void TestSocketWrite::kinds_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("local socket") << QStringLiteral("local");
    QTest::newRow("tcp") << QStringLiteral("tcp");
    QTest::newRow("tcp unbuffered") << QStringLiteral("tcp unbuffered");
#ifdef Q_OS_UNIX
    QTest::newRow("descriptor") << QStringLiteral("descriptor");
#endif
}

// QIODevice::write() alone would leave the bytes in Qt's buffer until the writer's event loop
// ran; the peer's blocking wait runs no loop of the writer's.
void TestSocketWrite::sendsWithoutTheEventLoop()
{
    QFETCH(QString, kind);
    SocketPair pair = makePair(kind);
    QVERIFY2(pair.peer, "could not connect a socket pair");
    const QByteArray frame = numberedFrame(1, 127);
    writeFrameToSocket(pair.writer.get(), frame);
    QCOMPARE(pair.writer->bytesToWrite(), qint64(0));
    QByteArray received;
    while (received.size() < frame.size() && pair.peer->waitForReadyRead(5000))
        received += pair.peer->readAll();
    QCOMPARE(received, frame);
}

// A peer that does not read: the kernel's buffer fills, the rest waits in Qt's and is sent when
// the socket is writable again; the peer reads every byte, in order.
void TestSocketWrite::queuesWhatTheKernelDoesNotTakeInOrder()
{
    QFETCH(QString, kind);
    SocketPair pair = makePair(kind);
    QVERIFY2(pair.peer, "could not connect a socket pair");
    constexpr int FrameBytes = 64 * 1024;
    constexpr int Frames = 160; // 10 MiB: more than any loopback or Unix socket buffers
    QByteArray expected;
    bool queued = false;
    for (int n = 0; n < Frames; ++n) {
        const QByteArray frame = numberedFrame(n, FrameBytes);
        writeFrameToSocket(pair.writer.get(), frame);
        expected += frame;
        queued = queued || pair.writer->bytesToWrite() > 0;
    }
    QVERIFY2(queued, "the kernel took 10 MiB unread: nothing was left to queue");
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    while (received.size() < expected.size() && timer.elapsed() < 20000) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10); // lets the writer drain its queue
        received += pair.peer->readAll();
    }
    QCOMPARE(received.size(), expected.size());
    QVERIFY(received == expected);
}

// flush() would emit errorOccurred() inside the call when the send fails; the caller's stack
// must not see that. The failure is still reported, from the event loop; an unbuffered TCP
// socket only records it, and says so to the caller by refusing the bytes.
void TestSocketWrite::closedPeerFailsLaterNotInsideTheCall()
{
    QFETCH(QString, kind);
    SocketPair pair = makePair(kind);
    QVERIFY2(pair.peer, "could not connect a socket pair");
    QSignalSpy disconnected(pair.writer.get(), SIGNAL(disconnected()));
    abortSocket(pair.peer);
    QThread::msleep(50); // the close reaches our end in the kernel; our event loop does not run
    bool refused = false;
    for (int n = 0; n < 4; ++n) {
        refused = !writeFrameToSocket(pair.writer.get(), numberedFrame(n, 4096)) || refused;
        QCOMPARE(disconnected.count(), 0);
    }
    if (kind == QLatin1String("tcp unbuffered")) {
        QVERIFY(refused);
        QCOMPARE(qobject_cast<QAbstractSocket *>(pair.writer.get())->error(), QAbstractSocket::RemoteHostClosedError);
    } else if (kind == QLatin1String("descriptor")) {
        // Whether a send is refused depends on when the peer's reset came back; the end is
        // reported from the event loop either way.
        QVERIFY(disconnected.wait(5000));
        QCOMPARE(disconnected.count(), 1);
    } else {
        QVERIFY(!refused);
        QVERIFY(disconnected.wait(5000));
    }
}

QTEST_GUILESS_MAIN(TestSocketWrite)
#include "tst_socketwrite.moc"
