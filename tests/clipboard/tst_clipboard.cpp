// SPDX-License-Identifier: GPL-3.0-or-later
// The clipboard plugin under a real X server (run by xvfb-run): records moved between two app
// processes, paced and unpaced, with the sender's unacknowledged frames equal to the frames
// the receiver counts as lost; the text/csv and text/plain flavours as another program (xclip)
// reads them; employee CSV copied by another program arriving as records; the sentence given
// when there is no display.

#include "appprocess.h"
#include "csv.h"
#include "employeegenerator.h"
#include "framecodec.h"
#include "itransport.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QPluginLoader>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

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

// Runs a headless receiver and sender over the clipboard and reads both summaries.
Transfer transfer(const QString &address, int records, int batch, const QString &csvPath)
{
    Transfer t;
    std::unique_ptr<QProcess> receiver = AppProcess::startReceiver(
        {QStringLiteral("--transport"), QStringLiteral("clipboard"), QStringLiteral("--senders"), QStringLiteral("1"),
         QStringLiteral("--timeout"), QStringLiteral("90"), QStringLiteral("--export"), csvPath});
    if (!receiver)
        return t;
    const AppProcess::Result s = AppProcess::runSender(
        {QStringLiteral("--transport"), QStringLiteral("clipboard"), QStringLiteral("--address"), address,
         QStringLiteral("--generate"), QString::number(records), QStringLiteral("--batch"), QString::number(batch)});
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

} // namespace

class TestClipboard final : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void availableOnARealDisplay();
    void unavailableWithoutDisplay();
    void unavailableOnTheOffscreenPlatform();
    void pacedTransferCountsAlike();
    void unpacedTransferCountsOverwrites();
    void recordsReadableAsText();
    void nobodyReceiving();
    void copiedCsvArrivesAsRecords();
    void badCopiedCsvIsASentence();
    void ordinaryTextIsIgnored();

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

void TestClipboard::pacedTransferCountsAlike()
{
    const QString csv = m_dir.filePath(QStringLiteral("paced.csv"));
    const Transfer t = transfer(QStringLiteral("paced"), 5000, 100, csv);
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

    // xclip asks this process for the data, so the event loop must run while it reads.
    auto read = [](const QString &target) {
        std::unique_ptr<QProcess> p = xclip({QStringLiteral("-o"), QStringLiteral("-selection"), QStringLiteral("clipboard"),
                                             QStringLiteral("-t"), target});
        QSignalSpy done(p.get(), &QProcess::finished);
        if (!done.wait(10000) && p->state() != QProcess::NotRunning)
            return QByteArray("xclip did not finish");
        return p->readAllStandardOutput();
    };
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
    std::unique_ptr<QProcess> owner = xclip({QStringLiteral("-quiet"), QStringLiteral("-selection"), QStringLiteral("clipboard"),
                                             QStringLiteral("-t"), QStringLiteral("text/plain"), QStringLiteral("-i"), plainFile});
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
    owner = xclip({QStringLiteral("-quiet"), QStringLiteral("-selection"), QStringLiteral("clipboard"),
                   QStringLiteral("-t"), QStringLiteral("text/csv"), QStringLiteral("-i"), csvFile});
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

QTEST_MAIN(TestClipboard)
#include "tst_clipboard.moc"
