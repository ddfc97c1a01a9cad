// SPDX-License-Identifier: GPL-3.0-or-later
// The clipboard plugin under a real X server (run by xvfb-run): records moved between two app
// processes, paced and unpaced, with the sender's unacknowledged frames equal to the frames
// the receiver counts as lost, over either backend at either end (its own xcb, Qt's
// QClipboard); the text/csv and text/plain flavours as another program (xclip) reads them;
// employee CSV copied by another program arriving as records; values larger than one X
// request going incrementally (INCR) both ways, and an owner that drips one giving way to a newer
// frame; the sentence given when there is no display.

#include "appprocess.h"
#include "csv.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "itransport.h"
#include "receiverlimits.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QPluginLoader>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <xcb/xcb.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace {

using Endpoint = std::unique_ptr<TransportEndpoint>;

ITransport *transport()
{
    static QPluginLoader loader(QStringLiteral(IPCW_CLIPBOARD_PLUGIN));
    return qobject_cast<ITransport *>(loader.instance());
}

struct Transfer
{
    qint64 sent = -1, framesSent = -1, acked = -1, unacknowledged = -1;
    qint64 received = -1, framesReceived = -1, lost = -1, duplicates = -1, csvRows = -1;
};

// The backend a process started now uses: "xcb" (the default on X11) or "qt".
void useBackend(const QByteArray &backend)
{
    if (backend == "qt")
        qputenv("IPCW_CLIPBOARD_BACKEND", "qt");
    else
        qunsetenv("IPCW_CLIPBOARD_BACKEND");
}

// Runs a headless receiver and sender over the clipboard and reads both summaries.
Transfer transfer(const QString &address, int records, int batch, const QString &csvPath,
                  const QByteArray &receiverBackend = "xcb", const QByteArray &senderBackend = "xcb")
{
    Transfer t;
    useBackend(receiverBackend);
    std::unique_ptr<QProcess> receiver = AppProcess::startReceiver(
        {QStringLiteral("--transport"), QStringLiteral("clipboard"), QStringLiteral("--senders"), QStringLiteral("1"),
         QStringLiteral("--timeout"), QStringLiteral("90"), QStringLiteral("--export"), csvPath});
    useBackend(senderBackend);
    if (!receiver)
        return t;
    const AppProcess::Result s = AppProcess::runSender(
        {QStringLiteral("--transport"), QStringLiteral("clipboard"), QStringLiteral("--address"), address,
         QStringLiteral("--generate"), QString::number(records), QStringLiteral("--batch"), QString::number(batch)});
    useBackend("xcb");
    const AppProcess::Result r = AppProcess::finish(*receiver, 60000);
    qInfo().noquote() << s.out.trimmed() << "\n" << r.out.trimmed();
    if (!s.err.trimmed().isEmpty() || s.exitCode != 0)
        qWarning().noquote() << "sender exit" << s.exitCode << s.err;
    const QString sent = QStringLiteral("Sent (\\d+) records in (\\d+) frames .*; (\\d+) frames acknowledged, (\\d+) unacknowledged");
    const QRegularExpressionMatch sm = QRegularExpression(sent).match(s.out);
    if (sm.hasMatch()) {
        t.sent = sm.captured(1).toLongLong();
        t.framesSent = sm.captured(2).toLongLong();
        t.acked = sm.captured(3).toLongLong();
        t.unacknowledged = sm.captured(4).toLongLong();
    }
    const QRegularExpressionMatch rm = QRegularExpression(
        QStringLiteral("Received (\\d+) records in (\\d+) frames .*; lost (\\d+) frames, (\\d+) duplicates")).match(r.out);
    if (rm.hasMatch()) {
        t.received = rm.captured(1).toLongLong();
        t.framesReceived = rm.captured(2).toLongLong();
        t.lost = rm.captured(3).toLongLong();
        t.duplicates = rm.captured(4).toLongLong();
    }
    t.csvRows = AppProcess::summaryNumber(r.out, QStringLiteral("CSV: .* \\((\\d+) rows\\)"));
    return t;
}

// xclip, kept in the foreground (-quiet) so the test can end it.
std::unique_ptr<QProcess> xclip(const QStringList &arguments)
{
    auto process = std::make_unique<QProcess>();
    process->start(QStringLiteral("xclip"), arguments);
    return process;
}

// Another program owning the CLIPBOARD selection with `file`'s bytes as `target`, until killed.
std::unique_ptr<QProcess> copyWithXclip(const QString &target, const QString &file)
{
    return xclip({QStringLiteral("-quiet"), QStringLiteral("-selection"), QStringLiteral("clipboard"), QStringLiteral("-t"),
                  target, QStringLiteral("-i"), file});
}

// What another program reads from the CLIPBOARD selection as `target`. xclip asks this process
// for the data, so the event loop runs while it reads.
QByteArray readWithXclip(const QString &target)
{
    std::unique_ptr<QProcess> p = xclip({QStringLiteral("-o"), QStringLiteral("-selection"), QStringLiteral("clipboard"),
                                         QStringLiteral("-t"), target});
    QSignalSpy done(p.get(), &QProcess::finished);
    if (!done.wait(30000) && p->state() != QProcess::NotRunning)
        return QByteArray("xclip did not finish");
    return p->readAllStandardOutput();
}

// Another X client, on a connection of its own, with an input-only window: a requestor or an
// owner played by hand.
struct OtherXClient
{
    xcb_connection_t *connection = xcb_connect(nullptr, nullptr);
    xcb_window_t window = XCB_NONE;
    xcb_atom_t clipboard = XCB_NONE, frameTarget = XCB_NONE, incr = XCB_NONE;

    OtherXClient()
    {
        if (!ok())
            return;
        const xcb_screen_t *screen = xcb_setup_roots_iterator(xcb_get_setup(connection)).data;
        window = xcb_generate_id(connection);
        xcb_create_window(connection, XCB_COPY_FROM_PARENT, window, screen->root, 0, 0, 1, 1, 0,
                          XCB_WINDOW_CLASS_INPUT_ONLY, screen->root_visual, 0, nullptr);
        clipboard = atom("CLIPBOARD");
        frameTarget = atom("application/x-ipcworkshop-frame");
        incr = atom("INCR");
    }
    ~OtherXClient() { xcb_disconnect(connection); }
    OtherXClient(const OtherXClient &) = delete;
    OtherXClient &operator=(const OtherXClient &) = delete;

    bool ok() const { return !xcb_connection_has_error(connection); }
    xcb_atom_t atom(const QByteArray &name) const
    {
        xcb_intern_atom_reply_t *reply = xcb_intern_atom_reply(
            connection, xcb_intern_atom(connection, 0, quint16(name.size()), name.constData()), nullptr);
        const xcb_atom_t a = reply ? reply->atom : xcb_atom_t(XCB_NONE);
        std::free(reply);
        return a;
    }
};

} // namespace

class TestClipboard final : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void availableOnARealDisplay();
    void unavailableWithoutDisplay();
    void unavailableOnTheOffscreenPlatform();
    void pacedTransferCountsAlike_data();
    void pacedTransferCountsAlike();
    void unpacedTransferCountsOverwrites();
    void recordsReadableAsText();
    void nobodyReceiving();
    void copiedCsvArrivesAsRecords();
    void badCopiedCsvIsASentence();
    void ordinaryTextIsIgnored();
    void eachBackendOffersItsTargets_data();
    void eachBackendOffersItsTargets();
    void qtBackendOffersAgainAfterALaterClaim();
    void largeValuesGoIncrementally();
    void incrementalTransfersAreBounded();
    void aDrippingOwnerGivesWayToANewerFrame();
    void init() { useBackend("xcb"); }

private:
    QTemporaryDir m_dir;
};

void TestClipboard::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(qobject_cast<QGuiApplication *>(QCoreApplication::instance()), "the test needs QGuiApplication");
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
    QVERIFY2(transport(), "the clipboard plugin did not load");
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("xclip")).isEmpty(), "xclip is needed (package xclip)");
}

void TestClipboard::availableOnARealDisplay()
{
    QCOMPARE(transport()->unavailableReason(), QString());
}

void TestClipboard::unavailableWithoutDisplay()
{
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    app.setProcessEnvironment(env);
    app.start(AppProcess::program(), {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("receiver"),
                                      QStringLiteral("--transport"), QStringLiteral("clipboard"), QStringLiteral("--timeout"),
                                      QStringLiteral("5")});
    QVERIFY(app.waitForFinished(20000));
    QVERIFY(app.exitCode() != 0);
    const QString err = QString::fromUtf8(app.readAllStandardError());
    QVERIFY2(err.contains(QStringLiteral("No X display: the clipboard needs a running X11 or Wayland session "
                                         "(DISPLAY/WAYLAND_DISPLAY is not set).")), qPrintable(err));
}

void TestClipboard::unavailableOnTheOffscreenPlatform()
{
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    app.setProcessEnvironment(env);
    app.start(AppProcess::program(), {QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender"),
                                      QStringLiteral("--transport"), QStringLiteral("clipboard"), QStringLiteral("--generate"),
                                      QStringLiteral("1")});
    QVERIFY(app.waitForFinished(20000));
    QVERIFY(app.exitCode() != 0);
    const QString err = QString::fromUtf8(app.readAllStandardError());
    QVERIFY2(err.contains(QStringLiteral("\"offscreen\" platform")), qPrintable(err));
}

void TestClipboard::pacedTransferCountsAlike_data()
{
    QTest::addColumn<QByteArray>("receiverBackend");
    QTest::addColumn<QByteArray>("senderBackend");
    QTest::newRow("xcb to xcb") << QByteArray("xcb") << QByteArray("xcb");
    QTest::newRow("Qt sender to xcb receiver") << QByteArray("xcb") << QByteArray("qt");
    QTest::newRow("xcb sender to Qt receiver") << QByteArray("qt") << QByteArray("xcb");
    QTest::newRow("Qt to Qt") << QByteArray("qt") << QByteArray("qt");
}

void TestClipboard::pacedTransferCountsAlike()
{
    QFETCH(QByteArray, receiverBackend);
    QFETCH(QByteArray, senderBackend);
    const QString csv = m_dir.filePath(QStringLiteral("paced.csv"));
    const Transfer t = transfer(QStringLiteral("paced"), 5000, 100, csv, receiverBackend, senderBackend);
    QCOMPARE(t.sent, 5000);
    QCOMPARE(t.framesSent, 50);
    QVERIFY(t.lost >= 0);
    // Each frame the receiver never saw is one the sender never saw acknowledged, and back.
    QCOMPARE(t.unacknowledged, t.lost);
    QCOMPARE(t.framesReceived, t.framesSent - t.lost);
    QCOMPARE(t.received, (t.framesSent - t.lost) * 100);
    QCOMPARE(t.duplicates, 0);
    QCOMPARE(t.csvRows, t.received);
    if (t.lost > 0)
        qWarning("paced: %lld of %lld frames were overwritten (a receiver slower than %d ms per frame)",
                 t.lost, t.framesSent, 200);
}

void TestClipboard::unpacedTransferCountsOverwrites()
{
    const QString csv = m_dir.filePath(QStringLiteral("unpaced.csv"));
    const Transfer t = transfer(QStringLiteral("unpaced"), 20000, 100, csv);
    QCOMPARE(t.sent, 20000);
    QCOMPARE(t.framesSent, 200);
    QVERIFY2(t.lost > 0, "replacing 200 frames at once must overwrite most of them");
    QCOMPARE(t.unacknowledged, t.lost);
    QCOMPARE(t.acked, t.framesSent - t.lost);
    QCOMPARE(t.framesReceived, t.framesSent - t.lost);
    QCOMPARE(t.received, (t.framesSent - t.lost) * 100);
    QCOMPARE(t.csvRows, t.received);
}

void TestClipboard::recordsReadableAsText()
{
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("paced")));
    sender->open();
    QTRY_COMPARE(sender->state(), TransportEndpoint::State::Connected);
    const EmployeeList records = EmployeeGenerator(42).take(25);
    sender->sendFrame(FrameCodec::encodeRecords(records, 1, 0x5EED));

    const auto read = readWithXclip;
    const QByteArray targets = read(QStringLiteral("TARGETS"));
    QVERIFY2(targets.contains("application/x-ipcworkshop-frame") && targets.contains("text/csv"), targets.constData());
    QCOMPARE(read(QStringLiteral("text/csv")), Csv::encode(records));

    const QList<QByteArray> lines = read(QStringLiteral("text/plain")).split('\n');
    QCOMPARE(lines.size(), records.size() + 2); // header, rows, and the empty rest after the last newline
    QCOMPARE(lines.first(), QByteArray("id\tname\tdepartment\ttitle\temail\tsalary\thire_date"));
    for (int i = 0; i < records.size(); ++i) {
        const QList<QByteArray> cells = lines.at(i + 1).split('\t');
        QCOMPARE(cells.size(), 7);
        QCOMPARE(cells.at(0).toUInt(), records.at(i).id);
        QCOMPARE(cells.at(5), formatSalary(records.at(i).salaryCents).toUtf8());
    }
    sender->close();
}

void TestClipboard::nobodyReceiving()
{
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("paced")));
    QSignalSpy errors(sender.get(), &TransportEndpoint::errorOccurred);
    sender->open();
    QTRY_COMPARE(sender->state(), TransportEndpoint::State::Connected);
    sender->sendFrame(FrameCodec::encodeRecords(EmployeeGenerator(1).take(2), 1, 0xABC));
    QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, 10000);
    QVERIFY2(errors.first().first().toString().contains(QStringLiteral("start a receiver first")),
             qPrintable(errors.first().first().toString()));
    QCOMPARE(sender->state(), TransportEndpoint::State::Failed);
    QCOMPARE(sender->queuedBytes(), 0);
}

void TestClipboard::copiedCsvArrivesAsRecords()
{
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, QStringLiteral("paced")));
    QList<DecodedFrame> frames;
    connect(receiver.get(), &TransportEndpoint::frameReceived, this, [&](const QByteArray &frame) {
        DecodedFrame decoded;
        QCOMPARE(FrameCodec::decode(frame, &decoded), DecodeError::None);
        frames << decoded;
    });
    receiver->open();
    QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening);

    // As text/plain, 2500 rows: more than one frame's worth.
    const EmployeeList first = EmployeeGenerator(7).take(2500);
    const QString plainFile = m_dir.filePath(QStringLiteral("copied.csv"));
    QVERIFY(Csv::exportEmployees(plainFile, first).ok);
    std::unique_ptr<QProcess> owner = copyWithXclip(QStringLiteral("text/plain"), plainFile);
    QTRY_COMPARE_WITH_TIMEOUT(frames.size(), 3, 15000);
    EmployeeList got;
    for (int i = 0; i < frames.size(); ++i) {
        QCOMPARE(frames.at(i).header.senderId & 0xFFFF0000u, 0xC11B0000u);
        QCOMPARE(frames.at(i).header.senderId, frames.first().header.senderId); // one paste, one sender
        QCOMPARE(frames.at(i).header.sequence, quint64(i + 1));
        got += frames.at(i).records;
    }
    QCOMPARE(got, first);
    owner->kill();
    owner->waitForFinished();

    // As text/csv: a second paste is a second sender.
    const EmployeeList second = EmployeeGenerator(8).take(3);
    const QString csvFile = m_dir.filePath(QStringLiteral("copied2.csv"));
    QVERIFY(Csv::exportEmployees(csvFile, second).ok);
    owner = copyWithXclip(QStringLiteral("text/csv"), csvFile);
    QTRY_COMPARE_WITH_TIMEOUT(frames.size(), 4, 15000);
    QCOMPARE(frames.last().records, second);
    QVERIFY(frames.last().header.senderId != frames.first().header.senderId);
    owner->kill();
    owner->waitForFinished();
    receiver->close();
}

void TestClipboard::badCopiedCsvIsASentence()
{
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, QStringLiteral("paced")));
    QSignalSpy frames(receiver.get(), &TransportEndpoint::frameReceived);
    QSignalSpy errors(receiver.get(), &TransportEndpoint::errorOccurred);
    receiver->open();
    QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening);
    std::unique_ptr<QProcess> owner = xclip({QStringLiteral("-quiet"), QStringLiteral("-selection"), QStringLiteral("clipboard")});
    owner->waitForStarted();
    owner->write("id,name,department,title,email,salary,hire_date\r\n1,Ann,Ops,Lead,a@x,12.345,2020-01-01\r\n");
    owner->closeWriteChannel();
    QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, 15000);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.startsWith(QStringLiteral("Employee CSV copied to the clipboard was not taken:")) && message.contains(QStringLiteral("salary")),
             qPrintable(message));
    QCOMPARE(frames.size(), 0);
    QCOMPARE(receiver->state(), TransportEndpoint::State::Listening);
    owner->kill();
    owner->waitForFinished();
}

void TestClipboard::ordinaryTextIsIgnored()
{
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, QStringLiteral("paced")));
    QSignalSpy frames(receiver.get(), &TransportEndpoint::frameReceived);
    QSignalSpy errors(receiver.get(), &TransportEndpoint::errorOccurred);
    receiver->open();
    QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening);
    QSignalSpy changed(QGuiApplication::clipboard(), &QClipboard::dataChanged);
    QGuiApplication::clipboard()->setText(QStringLiteral("just some words, with a comma"));
    QTRY_VERIFY(changed.size() >= 1);
    QTest::qWait(200); // the receiver reads changes from the event loop
    QCOMPARE(frames.size(), 0);
    QCOMPARE(errors.size(), 0);
}

void TestClipboard::eachBackendOffersItsTargets_data()
{
    QTest::addColumn<QByteArray>("backend");
    QTest::newRow("xcb") << QByteArray("xcb");
    QTest::newRow("qt") << QByteArray("qt");
}

// Which backend an endpoint chose shows in what it offers: ours has exactly these targets,
// Qt's adds its own (TIMESTAMP, MULTIPLE, ...). So IPCW_CLIPBOARD_BACKEND really switches.
void TestClipboard::eachBackendOffersItsTargets()
{
    QFETCH(QByteArray, backend);
    useBackend(backend);
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("paced")));
    sender->open();
    QTRY_COMPARE(sender->state(), TransportEndpoint::State::Connected);
    sender->sendFrame(FrameCodec::encodeRecords(EmployeeGenerator(5).take(3), 1, 0x7A6));
    const auto offered = [] {
        QByteArrayList targets = readWithXclip(QStringLiteral("TARGETS")).split('\n');
        targets.removeAll(QByteArray());
        std::sort(targets.begin(), targets.end());
        return targets;
    };
    const QByteArrayList ours{"TARGETS", "UTF8_STRING", "application/x-ipcworkshop-frame", "text/csv", "text/plain",
                              "text/plain;charset=utf-8"};
    if (backend == "xcb") {
        QCOMPARE(offered(), ours);
    } else {
        // Qt's claim may be made again (qtBackendOffersAgainAfterALaterClaim): asked until it holds.
        QByteArrayList targets;
        QTRY_VERIFY2((targets = offered()).contains("TIMESTAMP") && targets.contains("application/x-ipcworkshop-frame"),
                     targets.join(' ').constData());
    }
    sender->close();
}

// Through QClipboard on X11, Qt stamps its claim on the clipboard with the time of the last X
// event it handled, and the server ignores a claim older than the clipboard's last change. So
// when another program (here our xcb backend, on a connection of its own) takes the clipboard
// after that event and our sender offers a frame before its event loop ran, the other program
// keeps the clipboard while Qt believes it has it. The sender must notice and offer again.
void TestClipboard::qtBackendOffersAgainAfterALaterClaim()
{
    useBackend("qt");
    Endpoint qtSender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("unpaced")));
    qtSender->open();
    QTRY_COMPARE(qtSender->state(), TransportEndpoint::State::Connected);
    useBackend("xcb");
    Endpoint xcbSender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("unpaced")));
    xcbSender->open();
    QTRY_COMPARE(xcbSender->state(), TransportEndpoint::State::Connected);
    const auto frame = [](quint64 sequence) { return FrameCodec::encodeRecords(EmployeeGenerator(int(sequence)).take(2), sequence, 0x7A7); };
    const auto ownerIsQt = [] { return readWithXclip(QStringLiteral("TARGETS")).contains("TIMESTAMP"); }; // Qt's target, not ours

    qtSender->sendFrame(frame(1)); // Qt takes the clipboard and hears of it: its last event is now
    QTRY_VERIFY(ownerIsQt());
    QTest::qWait(50);
    QThread::msleep(20); // the server's clock moves past that event, and this thread handles nothing more
    xcbSender->sendFrame(frame(2)); // claimed at the server's current time
    QThread::msleep(100); // long enough for the server to have taken that claim
    const QByteArray last = frame(3);
    qtSender->sendFrame(last); // stamped with Qt's older time: the server ignores it at first
    QVERIFY2(qtSender->state() == TransportEndpoint::State::Connected, "the sender failed instead of offering again");
    QTRY_VERIFY2(ownerIsQt(), "the frame offered through QClipboard never reached the clipboard");
    QCOMPARE(readWithXclip(QStringLiteral("application/x-ipcworkshop-frame")), last);
}

// Xvfb takes at most 16 MiB in one request: a 300,000-record frame (about 25 MiB) and its text
// go piece by piece, from our owner to our reader, to xclip, and from xclip to our reader.
void TestClipboard::largeValuesGoIncrementally()
{
    const EmployeeList records = EmployeeGenerator(11).take(300000);
    const QByteArray frame = FrameCodec::encodeRecords(records, 1, 0xB16);
    QVERIFY2(frame.size() > 16 * 1024 * 1024, "the frame must not fit one X request");

    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, QStringLiteral("paced")));
    QByteArrayList received;
    connect(receiver.get(), &TransportEndpoint::frameReceived, this, [&](const QByteArray &f) { received << f; });
    receiver->open();
    QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening);
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("paced")));
    sender->open();
    QTRY_COMPARE(sender->state(), TransportEndpoint::State::Connected);

    // Our owner to our reader.
    sender->sendFrame(frame);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 30000);
    QVERIFY(received.first() == frame);

    // Our owner to xclip, as CSV (larger still).
    const QByteArray csv = readWithXclip(QStringLiteral("text/csv"));
    QCOMPARE(csv.size(), Csv::encode(records).size());
    QVERIFY(csv == Csv::encode(records));
    sender->close();

    // xclip's owner to our reader: the CSV copied as text arrives as 300 frames of records.
    received.clear();
    const QString file = m_dir.filePath(QStringLiteral("large.csv"));
    QVERIFY(Csv::exportEmployees(file, records).ok);
    std::unique_ptr<QProcess> owner = copyWithXclip(QStringLiteral("text/csv"), file);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 300, 60000);
    EmployeeList got;
    for (const QByteArray &f : received) {
        DecodedFrame decoded;
        QCOMPARE(FrameCodec::decode(f, &decoded), DecodeError::None);
        got += decoded.records;
    }
    QVERIFY(got == records);
    owner->kill();
    owner->waitForFinished();
    receiver->close();
}

// A requestor that asks for a large frame again and again and never reads: the owner serves
// 16 incremental transfers at once and refuses the rest, rather than keeping state for each.
void TestClipboard::incrementalTransfersAreBounded()
{
    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("paced")));
    sender->open();
    QTRY_COMPARE(sender->state(), TransportEndpoint::State::Connected);
    sender->sendFrame(FrameCodec::encodeRecords(EmployeeGenerator(12).take(300000), 1, 0xB17));

    OtherXClient other;
    QVERIFY(other.ok());
    xcb_connection_t *x = other.connection;
    constexpr int Asks = 20;
    for (int i = 0; i < Asks; ++i)
        xcb_convert_selection(x, other.window, other.clipboard, other.frameTarget, other.atom("_GREEDY_" + QByteArray::number(i)),
                              XCB_CURRENT_TIME);
    xcb_flush(x);

    int served = 0, refused = 0, announcedIncr = 0;
    QVERIFY(AppProcess::spinUntil([&] {
        while (xcb_generic_event_t *event = xcb_poll_for_event(x)) {
            if ((event->response_type & 0x7f) == XCB_SELECTION_NOTIFY) {
                const auto *notify = reinterpret_cast<const xcb_selection_notify_event_t *>(event);
                if (notify->property == XCB_NONE) {
                    ++refused;
                } else {
                    ++served;
                    xcb_get_property_reply_t *reply =
                        xcb_get_property_reply(x, xcb_get_property(x, 0, other.window, notify->property, XCB_GET_PROPERTY_TYPE_ANY, 0, 1), nullptr);
                    announcedIncr += reply && reply->type == other.incr; // announced, never read: it stays
                    std::free(reply);
                }
            }
            std::free(event);
        }
        return served + refused == Asks;
    }, 20000));
    QCOMPARE(served, 16);
    QCOMPARE(announcedIncr, served);
    QCOMPARE(refused, Asks - 16);
    sender->close();
}

// Another program owns the clipboard and hands its frame over piece by piece (INCR), one byte
// every 300 ms and never the end. Once a real sender offers a newer frame, the receiver keeps
// at the drip for --peer-timeout (1.5 s here) more, then gives it up with a sentence, counted
// as a refusal, and takes the newer frame. Before, the drip held the receiver for good.
void TestClipboard::aDrippingOwnerGivesWayToANewerFrame()
{
    const ReceiverLimits defaults = ReceiverLimits::current();
    ReceiverLimits limits = defaults;
    limits.peerTimeoutMs = 1500;
    ReceiverLimits::setCurrent(limits);
    Endpoint receiver(transport()->createEndpoint(EndpointRole::Receiver, QStringLiteral("paced")));
    QByteArrayList received;
    QStringList refusals;
    connect(receiver.get(), &TransportEndpoint::frameReceived, this, [&](const QByteArray &f) { received << f; });
    connect(receiver.get(), &TransportEndpoint::messageRefused, this,
            [&](quint64, const QString &reason) { refusals << reason; });
    receiver->open();
    QTRY_COMPARE(receiver->state(), TransportEndpoint::State::Listening);
    ReceiverLimits::setCurrent(defaults); // the channel read them as it was made

    OtherXClient other;
    QVERIFY(other.ok());
    xcb_connection_t *x = other.connection;
    xcb_set_selection_owner(x, other.window, other.clipboard, XCB_CURRENT_TIME);
    xcb_flush(x);

    // The owner's side of ICCCM's INCR: announce 1 MiB, then a chunk after each delete.
    xcb_window_t requestor = XCB_NONE;
    xcb_atom_t property = XCB_NONE;
    bool chunkWanted = false;
    int chunks = 0;
    QElapsedTimer sinceDelete;
    const auto drip = [&] {
        while (xcb_generic_event_t *event = xcb_poll_for_event(x)) {
            const int type = event->response_type & 0x7f;
            if (type == XCB_SELECTION_REQUEST && requestor == XCB_NONE) {
                const auto *request = reinterpret_cast<const xcb_selection_request_event_t *>(event);
                requestor = request->requestor;
                property = request->property;
                const std::uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
                xcb_change_window_attributes(x, requestor, XCB_CW_EVENT_MASK, &mask);
                const std::uint32_t size = 1 << 20;
                xcb_change_property(x, XCB_PROP_MODE_REPLACE, requestor, property, other.incr, 32, 1, &size);
                xcb_selection_notify_event_t notify = {};
                notify.response_type = XCB_SELECTION_NOTIFY;
                notify.time = request->time;
                notify.requestor = requestor;
                notify.selection = request->selection;
                notify.target = request->target;
                notify.property = property;
                xcb_send_event(x, 0, requestor, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char *>(&notify));
            } else if (type == XCB_PROPERTY_NOTIFY) {
                const auto *notify = reinterpret_cast<const xcb_property_notify_event_t *>(event);
                if (notify->window == requestor && notify->atom == property && notify->state == XCB_PROPERTY_DELETE) {
                    chunkWanted = true;
                    sinceDelete.start();
                }
            }
            std::free(event);
        }
        if (chunkWanted && sinceDelete.hasExpired(300)) {
            const char byte = 'I'; // never empty: an empty chunk would end the transfer
            xcb_change_property(x, XCB_PROP_MODE_REPLACE, requestor, property, other.frameTarget, 8, 1, &byte);
            chunkWanted = false;
            ++chunks;
        }
        xcb_flush(x);
    };
    QVERIFY2(AppProcess::spinUntil([&] { return chunks >= 3; }, 10000, drip), "the receiver did not read the drip");

    Endpoint sender(transport()->createEndpoint(EndpointRole::Sender, QStringLiteral("paced")));
    sender->open();
    QVERIFY(AppProcess::spinUntil([&] { return sender->state() == TransportEndpoint::State::Connected; }, 10000, drip));
    const QByteArray newer = FrameCodec::encodeRecords(EmployeeGenerator(13).take(10), 1, 0xD21);
    QElapsedTimer sinceOffer;
    sinceOffer.start();
    sender->sendFrame(newer);
    const int chunksAtOffer = chunks;
    QVERIFY2(AppProcess::spinUntil([&] { return !received.isEmpty(); }, 15000, drip),
             qPrintable(QStringLiteral("the newer frame never arrived; %1 chunks of the drip were read").arg(chunks)));
    QVERIFY2(sinceOffer.elapsed() >= 1400, "the drip was given up before --peer-timeout");
    QVERIFY2(chunks > chunksAtOffer, "the receiver stopped reading the drip before --peer-timeout");
    qInfo("%d chunks read, %d of them after the newer offer; given up after %lld ms: %s", chunks, chunks - chunksAtOffer,
          sinceOffer.elapsed(), qPrintable(refusals.value(0)));
    QStringList got;
    for (const QByteArray &f : received)
        got << QStringLiteral("%1 bytes: %2").arg(f.size()).arg(QString::fromLatin1(f.left(48).toHex()));
    QVERIFY2(received == QByteArrayList{newer}, qPrintable(got.join(QStringLiteral("; "))));
    QCOMPARE(refusals.size(), 1);
    QVERIFY2(refusals.first().startsWith(QStringLiteral("The clipboard's owner was handing over a frame piece by piece (INCR); "
                                                        "it was given up after ")),
             qPrintable(refusals.first()));
    QVERIFY2(refusals.first().endsWith(QStringLiteral("a newer value was waiting, and 1.5 s later it had not finished "
                                                      "(--peer-timeout).")),
             qPrintable(refusals.first()));
    sender->close();
    receiver->close();
}

QTEST_MAIN(TestClipboard)
#include "tst_clipboard.moc"
