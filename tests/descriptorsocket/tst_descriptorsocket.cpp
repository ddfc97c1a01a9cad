// SPDX-License-Identifier: GPL-3.0-or-later
// DescriptorSocket, the receivers' socket on POSIX, on real connected sockets: what arrives is
// read in order and the end reported after it, once; a reset is the peer closing; the read
// buffer limit holds the peer back in the kernel and reading on lets it go on; abort() reports
// nothing; a Unix socket is connected to, or the failure says why, and the device can connect
// again; disconnectWhenSent() sends every queued byte before it closes; writes queued behind a
// slow reader go out whole and in order.

#include "descriptorserver.h"
#include "descriptorsocket.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTcpSocket>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

// A Unix stream socket pair: ours as a DescriptorSocket, the other end a plain descriptor.
struct UnixPair
{
    std::unique_ptr<DescriptorSocket> ours;
    int peer = -1;
    UnixPair() = default;
    UnixPair(UnixPair &&other) noexcept : ours(std::move(other.ours)), peer(std::exchange(other.peer, -1)) {}
    ~UnixPair()
    {
        if (peer >= 0)
            ::close(peer);
    }
};

UnixPair unixPair()
{
    UnixPair pair;
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0)
        return pair;
    pair.ours = std::make_unique<DescriptorSocket>(fds[0]);
    pair.peer = fds[1];
    return pair;
}

QByteArray pattern(int size, int seed)
{
    QByteArray bytes(size, '\0');
    for (int i = 0; i < size; ++i)
        bytes[i] = char((seed * 131 + i) & 0xff);
    return bytes;
}

// Writes as much of `bytes` as the kernel takes now; returns how much.
qsizetype writeSome(int descriptor, const QByteArray &bytes, qsizetype from)
{
    const ssize_t n = ::send(descriptor, bytes.constData() + from, size_t(bytes.size() - from), MSG_DONTWAIT | MSG_NOSIGNAL);
    return n > 0 ? qsizetype(n) : 0;
}

qint64 threadCpuMs()
{
    timespec now {};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return qint64(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

} // namespace

class TestDescriptorSocket : public QObject
{
    Q_OBJECT
private slots:
    void readsWhatArrivesThenTheEndOnce();
    void resetIsThePeerClosing();
    void readBufferLimitHoldsThePeerBack();
    void abortReportsNothing();
    void connectsToAUnixSocketOrSaysWhyNot();
    void disconnectWhenSentSendsTheQueueFirst();
    void queuedWritesGoOutWholeAndInOrder();
};

void TestDescriptorSocket::readsWhatArrivesThenTheEndOnce()
{
    UnixPair pair = unixPair();
    QVERIFY(pair.ours);
    QSignalSpy disconnected(pair.ours.get(), &DescriptorSocket::disconnected);
    const QByteArray sent = pattern(200 * 1024, 1); // more than one read takes
    qsizetype written = 0;
    QByteArray received;
    connect(pair.ours.get(), &QIODevice::readyRead, this, [&] {
        QCOMPARE(disconnected.count(), 0); // the end comes after every byte
        received += pair.ours->readAll();
    });
    QElapsedTimer timer;
    timer.start();
    while (written < sent.size() && timer.elapsed() < 10000) {
        written += writeSome(pair.peer, sent, written);
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    }
    ::close(pair.peer);
    pair.peer = -1;
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(received.size(), sent.size());
    QVERIFY(received == sent);
    QVERIFY2(pair.ours->endReason().isEmpty(), qPrintable(pair.ours->endReason()));
    QCOMPARE(pair.ours->read(1), QByteArray()); // nothing more, ever
    QTest::qWait(50);
    QCOMPARE(disconnected.count(), 1);
}

// A TCP peer that resets the connection (SO_LINGER 0), and a send after the peer closed: both
// are the peer closing, reported once and without an error's sentence (as Qt's sockets say
// "closed" for them), so a sender says "the receiver closed the connection" whichever it met.
void TestDescriptorSocket::resetIsThePeerClosing()
{
    DescriptorServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTcpSocket peer;
    peer.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(peer.waitForConnected(5000));
    QTRY_VERIFY(server.accepted >= 0);
    DescriptorSocket ours(int(server.accepted));
    QSignalSpy disconnected(&ours, &DescriptorSocket::disconnected);
    const linger reset {1, 0};
    QCOMPARE(::setsockopt(int(peer.socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    peer.abort();
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(disconnected.count(), 1);
    QVERIFY2(ours.endReason().isEmpty(), qPrintable(ours.endReason()));

    UnixPair pair = unixPair(); // a send into a closed Unix socket fails with EPIPE at once
    QVERIFY(pair.ours);
    QSignalSpy ended(pair.ours.get(), &DescriptorSocket::disconnected);
    ::close(pair.peer);
    pair.peer = -1;
    QCOMPARE(pair.ours->write("late", 4), qint64(-1));
    QVERIFY(ended.wait(5000));
    QCOMPARE(ended.count(), 1);
    QVERIFY2(pair.ours->endReason().isEmpty(), qPrintable(pair.ours->endReason()));
}

// Qt's sockets stop reading the kernel once their read buffer is full; StreamPeers relies on
// it to hold back a peer it does not read. Reading on must let the peer go on, losing nothing.
void TestDescriptorSocket::readBufferLimitHoldsThePeerBack()
{
    UnixPair pair = unixPair();
    QVERIFY(pair.ours);
    constexpr qint64 Limit = 64 * 1024;
    pair.ours->setReadBufferSize(Limit);
    const QByteArray sent = pattern(8 * 1024 * 1024, 4); // far more than the kernel buffers
    qsizetype written = 0;
    QElapsedTimer timer;
    timer.start();
    for (qsizetype before = -1; written != before && timer.elapsed() < 10000;) { // until the peer is stuck
        before = written;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        written += writeSome(pair.peer, sent, written);
    }
    QVERIFY2(written < sent.size(), "the kernel took 8 MiB: the peer was not held back");
    QCOMPARE(pair.ours->bytesAvailable(), Limit);
    // Held back, it waits without spinning: a readable descriptor it may not read is not watched.
    const qint64 cpuBefore = threadCpuMs();
    QTest::qWait(300);
    const qint64 spentMs = threadCpuMs() - cpuBefore;
    QVERIFY2(spentMs < 150, qPrintable(QStringLiteral("%1 ms of CPU in 300 ms of waiting").arg(spentMs)));
    QByteArray received = pair.ours->readAll();
    timer.restart();
    while (received.size() < sent.size() && timer.elapsed() < 20000) {
        written += writeSome(pair.peer, sent, written);
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QVERIFY(pair.ours->bytesAvailable() <= Limit);
        received += pair.ours->readAll();
    }
    QCOMPARE(received.size(), sent.size());
    QVERIFY(received == sent);
}

void TestDescriptorSocket::abortReportsNothing()
{
    UnixPair pair = unixPair();
    QVERIFY(pair.ours);
    QSignalSpy disconnected(pair.ours.get(), &DescriptorSocket::disconnected);
    QSignalSpy readyRead(pair.ours.get(), &QIODevice::readyRead);
    const int descriptor = pair.ours->descriptor();
    pair.ours->abort();
    QCOMPARE(pair.ours->descriptor(), -1);
    QCOMPARE(::fcntl(descriptor, F_GETFD), -1); // the descriptor is closed
    ::close(pair.peer);
    pair.peer = -1;
    QTest::qWait(100);
    QCOMPARE(disconnected.count(), 0);
    QCOMPARE(readyRead.count(), 0);
    QCOMPARE(pair.ours->write("x", 1), qint64(-1));
}

namespace {

// A Unix stream socket bound at `path`, listening when `listen`; -1 when that failed.
int boundSocket(const QString &path, bool listen)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray name = QFile::encodeName(path);
    std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
    const int descriptor = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (::bind(descriptor, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0
        || (listen && ::listen(descriptor, 4) != 0)) {
        ::close(descriptor);
        return -1;
    }
    return descriptor;
}

} // namespace

void TestDescriptorSocket::connectsToAUnixSocketOrSaysWhyNot()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    DescriptorSocket ours;
    QVERIFY(!ours.isConnected());
    QCOMPARE(ours.connectToUnixSocket(dir.filePath(QStringLiteral("nobody"))), ENOENT);
    const QString deaf = dir.filePath(QStringLiteral("deaf"));
    const int deafSocket = boundSocket(deaf, false); // a file left by a receiver that is gone
    QVERIFY(deafSocket >= 0);
    QCOMPARE(ours.connectToUnixSocket(deaf), ECONNREFUSED);
    ::close(deafSocket);
    QCOMPARE(ours.connectToUnixSocket(dir.filePath(QString(200, QLatin1Char('x')))), ENAMETOOLONG);
    QVERIFY(!ours.isConnected());

    const QString path = dir.filePath(QStringLiteral("listening"));
    const int listener = boundSocket(path, true);
    QVERIFY(listener >= 0);
    for (int round = 1; round <= 2; ++round) { // the same device connects again after abort()
        QCOMPARE(ours.connectToUnixSocket(path), 0);
        QVERIFY(ours.isConnected());
        const int accepted = ::accept(listener, nullptr, nullptr);
        QVERIFY(accepted >= 0);
        const QByteArray hello = pattern(100, round);
        QCOMPARE(ours.write(hello), qint64(hello.size()));
        QByteArray got(hello.size(), '\0');
        QCOMPARE(::recv(accepted, got.data(), size_t(got.size()), MSG_WAITALL), ssize_t(hello.size()));
        QCOMPARE(got, hello);
        QCOMPARE(::send(accepted, "ok", 2, 0), ssize_t(2));
        QTRY_COMPARE(ours.bytesAvailable(), qint64(2));
        QCOMPARE(ours.readAll(), QByteArray("ok"));
        ours.abort();
        ::close(accepted);
    }
    ::close(listener);

    // A receiver that accepts nothing: once its backlog is full, a connection is refused at once.
    const QString full = dir.filePath(QStringLiteral("full"));
    const int busy = boundSocket(full, true);
    QVERIFY(busy >= 0);
    std::vector<std::unique_ptr<DescriptorSocket>> waiting;
    int error = 0;
    while (error == 0 && waiting.size() < 64) {
        waiting.push_back(std::make_unique<DescriptorSocket>());
        error = waiting.back()->connectToUnixSocket(full);
    }
    QCOMPARE(error, EAGAIN);
    ::close(busy);
}

// What the kernel did not take yet still goes out, all of it, before the descriptor closes.
void TestDescriptorSocket::disconnectWhenSentSendsTheQueueFirst()
{
    UnixPair pair = unixPair();
    QVERIFY(pair.ours);
    QSignalSpy disconnected(pair.ours.get(), &DescriptorSocket::disconnected);
    const QByteArray sent = pattern(4 * 1024 * 1024, 5); // more than the kernel buffers
    QCOMPARE(pair.ours->write(sent), qint64(sent.size()));
    QVERIFY2(pair.ours->bytesToWrite() > 0, "the kernel took 4 MiB unread: nothing was queued");
    pair.ours->disconnectWhenSent();
    QVERIFY(pair.ours->descriptor() >= 0); // still sending
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    for (bool open = true; open && timer.elapsed() < 20000;) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        char chunk[65536];
        ssize_t n;
        while ((n = ::recv(pair.peer, chunk, sizeof chunk, MSG_DONTWAIT)) > 0)
            received.append(chunk, qsizetype(n));
        open = n != 0; // 0: the end of the stream
    }
    QCOMPARE(received.size(), sent.size());
    QVERIFY(received == sent);
    QCOMPARE(pair.ours->descriptor(), -1);
    QCOMPARE(disconnected.count(), 0);
}

// Writes of every size queued behind a peer that does not read (small ones joined, large ones
// pieces of their own, more pieces than one send hands over), then read a little at a time so
// the kernel takes pieces in parts: every byte arrives once, in order, and bytesWritten() counts
// exactly what was queued.
void TestDescriptorSocket::queuedWritesGoOutWholeAndInOrder()
{
    UnixPair pair = unixPair();
    QVERIFY(pair.ours);
    qint64 reportedWritten = 0;
    connect(pair.ours.get(), &QIODevice::bytesWritten, this, [&](qint64 n) { reportedWritten += n; });
    QByteArray sent;
    for (int i = 0; i < 200; ++i) { // about 100 pieces, a quarter of them 256 KiB
        const QByteArray write = pattern(i % 4 == 0 ? 256 * 1024 + i : 1 + (i * 37) % 900, i);
        QCOMPARE(pair.ours->write(write), qint64(write.size()));
        sent += write;
    }
    const qint64 queued = pair.ours->bytesToWrite();
    QVERIFY2(queued > sent.size() / 2, "the kernel took most of 13 MiB unread: too little was queued");
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    while (received.size() < sent.size() && timer.elapsed() < 20000) {
        char chunk[7000]; // the kernel's room opens a little at a time: a large piece takes sends
        const ssize_t n = ::recv(pair.peer, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0)
            received.append(chunk, qsizetype(n));
        QCoreApplication::processEvents(QEventLoop::AllEvents, n > 0 ? 0 : 10);
    }
    QCOMPARE(received.size(), sent.size());
    QVERIFY(received == sent);
    QCOMPARE(pair.ours->bytesToWrite(), qint64(0));
    QCOMPARE(reportedWritten, queued);
}

QTEST_GUILESS_MAIN(TestDescriptorSocket)
#include "tst_descriptorsocket.moc"
