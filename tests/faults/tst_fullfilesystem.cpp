// SPDX-License-Identifier: GPL-3.0-or-later
// An export into a full file system: a 64 KiB tmpfs holds a previous export; a larger export
// over it, from a headless receiver and from a receiver window (the two ways a user exports),
// must end with a sentence that names the file and says the disk is full, and leave the
// previous file byte for byte, with no temporary file beside it. Mounting needs root; without
// it the test says so and skips.

#include "appprocess.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "receiverpanel.h"
#include "employeetablemodel.h"
#include "scopedmount.h"
#include "windowtest.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr int PreviousRecords = 50;   // a few KiB: fits
constexpr int LargerRecords = 5000;   // several hundred KiB: does not

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList tcpArgs(const QString &address)
{
    return {QStringLiteral("--transport"), QStringLiteral("tcp"), QStringLiteral("--address"), address};
}

} // namespace

class TestFullFileSystem final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_mountPoint;
    std::unique_ptr<ScopedMount> m_tmpfs;
    QString m_target;
    QByteArray m_previous;

    // The sentence must say what happened to which file in words a user knows.
    static void checkSentence(const QString &sentence, const QString &path)
    {
        qInfo("the user reads: %s", qPrintable(sentence));
        const QString file = QDir::toNativeSeparators(path);
        QVERIFY2(sentence.contains(file), "the sentence must name the file");
        const QString rest = QString(sentence).remove(file); // the test's folder name says "full" too
        QVERIFY2(rest.contains(QLatin1String("disk is full")), "the sentence must say the disk is full");
        QVERIFY2(rest.contains(QLatin1String("unchanged")), "the sentence must say the file there was kept");
    }

    void checkPreviousFileKept()
    {
        QCOMPARE(readAll(m_target), m_previous);
        // QSaveFile writes beside the target: nothing of the failed attempt may stay.
        QCOMPARE(QDir(m_mountPoint.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{QFileInfo(m_target).fileName()});
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_mountPoint.isValid());
        m_tmpfs = std::make_unique<ScopedMount>(QStringLiteral("tmpfs"), m_mountPoint.path(), QStringLiteral("size=64k,mode=0700"));
        if (!m_tmpfs->mounted())
            QSKIP(qPrintable(QStringLiteral("no small file system to fill: %1").arg(m_tmpfs->why())));
        m_target = QDir(m_mountPoint.path()).filePath(QStringLiteral("received.csv"));
    }

    // A previous export, made by the program itself, that fits.
    void init()
    {
        QFile::remove(m_target);
        const QString address = WindowTest::freeTcpAddress();
        auto receiver = AppProcess::startReceiver(tcpArgs(address) << QStringLiteral("--expect") << QString::number(PreviousRecords)
                                                  << QStringLiteral("--export") << m_target << QStringLiteral("--timeout")
                                                  << QStringLiteral("60"));
        QVERIFY(receiver);
        const AppProcess::Result sent = AppProcess::runSender(tcpArgs(address) << QStringLiteral("--generate")
                                                              << QString::number(PreviousRecords));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(sent.exitCode == 0 && got.exitCode == 0, qPrintable(sent.err + got.err));
        m_previous = readAll(m_target);
        QVERIFY2(m_previous.size() > 1000, "the previous export is missing or empty");
    }

    void headlessReceiverKeepsPreviousFile()
    {
        const QString address = WindowTest::freeTcpAddress();
        auto receiver = AppProcess::startReceiver(tcpArgs(address) << QStringLiteral("--expect") << QString::number(LargerRecords)
                                                  << QStringLiteral("--export") << m_target << QStringLiteral("--timeout")
                                                  << QStringLiteral("60"));
        QVERIFY(receiver);
        const AppProcess::Result sent = AppProcess::runSender(tcpArgs(address) << QStringLiteral("--generate")
                                                              << QString::number(LargerRecords) << QStringLiteral("--seed")
                                                              << QStringLiteral("2"));
        const AppProcess::Result got = AppProcess::finish(*receiver, 60000);
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.err));
        QCOMPARE(got.exitCode, 1);
        checkSentence(got.err.trimmed(), m_target);
        checkPreviousFileKept();
    }

    void receiverWindowKeepsPreviousFile()
    {
        const std::unique_ptr<PluginManager> plugins = WindowTest::builtPlugins();
        QVERIFY2(plugins->findById(QStringLiteral("tcp")), "the tcp plugin must be built");
        AppOptions options;
        options.transport = QStringLiteral("tcp");
        options.address = WindowTest::freeTcpAddress();
        MainWindow window(EndpointRole::Receiver, options, *plugins);
        window.show();
        QTRY_COMPARE(window.connectionState(), TransportEndpoint::State::Listening);

        QProcess sender;
        sender.start(AppProcess::program(), QStringList{QStringLiteral("--headless"), QStringLiteral("--role"), QStringLiteral("sender"),
                                                        QStringLiteral("--generate"), QString::number(LargerRecords)}
                                                + tcpArgs(options.address));
        ReceiverPanel *panel = window.receiverPanel();
        QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), LargerRecords, 60000);
        sender.waitForFinished(30000); // false too when it has already finished
        QCOMPARE(sender.exitStatus(), QProcess::NormalExit);
        QCOMPARE(sender.exitCode(), 0);

        QSignalSpy exported(panel, &ReceiverPanel::exportFinished);
        QVERIFY(panel->exportCsv(m_target, false));
        QTRY_COMPARE(exported.count(), 1); // written on a worker thread
        QCOMPARE(exported.takeFirst().at(0).toBool(), false);
        QVERIFY(window.messageBar()->isVisible());
        checkSentence(window.messageBar()->text(), m_target);
        checkPreviousFileKept();
    }
};

QTEST_MAIN(TestFullFileSystem)
#include "tst_fullfilesystem.moc"
