// SPDX-License-Identifier: GPL-3.0-or-later
#include "itransport.h"
#include "pluginmanager.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QFile>
#include <QTest>

class TestPluginManager final : public QObject
{
    Q_OBJECT

private:
    static QString fixture(const char *name)
    {
        return QDir(QStringLiteral(IPCW_FIXTURE_PLUGIN_DIR)).filePath(QString::fromLatin1(name));
    }
    static const PluginManager::Plugin *entryFor(const PluginManager &manager, const QString &path)
    {
        const QString canonical = QFileInfo(path).canonicalFilePath();
        for (const PluginManager::Plugin &p : manager.plugins())
            if (p.filePath == canonical)
                return &p;
        return nullptr;
    }

    QTemporaryDir m_home;

private slots:
    void initTestCase()
    {
        // The per-user plugin folder must be this test's own.
        QVERIFY(m_home.isValid());
        qputenv("XDG_DATA_HOME", m_home.path().toUtf8());
        qunsetenv("IPCW_PLUGIN_PATH");
    }

    void goodPluginIsInstantiated()
    {
        PluginManager manager;
        const PluginManager::Plugin &p = manager.loadFile(fixture("libipcw_fixture_good.so"));
        QCOMPARE(p.stage, PluginManager::Stage::Instantiated);
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        QCOMPARE(p.metadata.id, QStringLiteral("fixture-good"));
        QVERIFY(p.metadata.capabilities.reliable);
        QVERIFY(p.transport);
        QScopedPointer<TransportEndpoint> endpoint(p.transport->createEndpoint(EndpointRole::Receiver, QStringLiteral("x")));
        endpoint->open();
        QCOMPARE(endpoint->state(), TransportEndpoint::State::Listening);
        QVERIFY(manager.findById(QStringLiteral("fixture-good")));
    }

    void wrongIidIsRefusedBeforeLoading()
    {
        PluginManager manager;
        const PluginManager::Plugin &p = manager.loadFile(fixture("libipcw_fixture_wrongiid.so"));
        QCOMPARE(p.stage, PluginManager::Stage::Found);
        QCOMPARE(p.error, QStringLiteral("Not an IPC Workshop transport: libipcw_fixture_wrongiid.so implements "
                                         "\"org.example.ImageFilter/1\", not \"%1\".").arg(QLatin1String(IPCW_TRANSPORT_IID)));
        QVERIFY(!p.transport);
    }

    void wrongApiVersionIsRefusedBeforeLoading()
    {
        PluginManager manager;
        const PluginManager::Plugin &p = manager.loadFile(fixture("libipcw_fixture_wrongapi.so"));
        QCOMPARE(p.stage, PluginManager::Stage::MetadataRead);
        QCOMPARE(p.error, QStringLiteral("Built for another version: the transport \"fixture-old\" uses interface "
                                         "org.ipcworkshop.ITransport/1 (API 1), this program needs %1 (API %2). "
                                         "Rebuild the plugin against this version.")
                              .arg(QLatin1String(IPCW_TRANSPORT_IID)).arg(IpcwTransportApiVersion));
        QVERIFY(!p.transport);
    }

    void badMetadataIsExplained()
    {
        PluginManager manager;
        const PluginManager::Plugin &p = manager.loadFile(fixture("libipcw_fixture_badmetadata.so"));
        QCOMPARE(p.stage, PluginManager::Stage::Found);
        QCOMPARE(p.error, QStringLiteral("libipcw_fixture_badmetadata.so: The plugin's metadata has no \"id\" or \"name\"."));
    }

    // Found by fuzz_pluginmetadata: a size beyond qint64 was converted anyway (undefined
    // behaviour) and a negative one was taken as it was.
    void messageSizesOutOfRangeAreExplained()
    {
        const QJsonObject good = QJsonDocument::fromJson(R"({"id": "x", "name": "X", "defaultAddress": "a",
            "capabilities": {"maxMessageBytes": 67108904, "osMessageBytes": 8192}})").object();
        TransportMetadata metadata;
        QCOMPARE(TransportMetadata::fromJson(good, &metadata), QString());
        QCOMPARE(metadata.capabilities.maxMessageBytes, qint64(67108904));
        QCOMPARE(metadata.capabilities.osMessageBytes, qint64(8192));
        for (const char *bad : {R"({"maxMessageBytes": 8.9e101})", R"({"maxMessageBytes": -1})",
                                R"({"osMessageBytes": 1.5})", R"({"osMessageBytes": 1e19})"}) {
            QJsonObject json = good;
            json.insert(QStringLiteral("capabilities"), QJsonDocument::fromJson(bad).object());
            TransportMetadata refused;
            QCOMPARE(TransportMetadata::fromJson(json, &refused),
                     QStringLiteral("The plugin's metadata gives \"maxMessageBytes\" or \"osMessageBytes\" that is "
                                    "not a whole number of bytes from 0 to 2^53."));
            QVERIFY(refused.id.isEmpty());
        }
    }

    void fileThatIsNotALibrary()
    {
        PluginManager manager;
        const PluginManager::Plugin &p = manager.loadFile(fixture("libipcw_notalibrary.so"));
        QCOMPARE(p.stage, PluginManager::Stage::Found);
        QVERIFY2(p.error.startsWith(QStringLiteral("Not a Qt plugin: libipcw_notalibrary.so has no plugin metadata (")),
                 qPrintable(p.error));
    }

    void missingFile()
    {
        PluginManager manager;
        const PluginManager::Plugin &p = manager.loadFile(fixture("libdoes_not_exist.so"));
        QVERIFY(!p.usable());
        QVERIFY2(p.error.contains(QStringLiteral("does not exist")), qPrintable(p.error));
    }

    void scanListsEveryFileWithItsStage()
    {
        PluginManager manager;
        manager.setSearchPaths({QStringLiteral(IPCW_FIXTURE_PLUGIN_DIR)});
        QSignalSpy changed(&manager, &PluginManager::pluginsChanged);
        manager.scan();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(manager.plugins().size(), 5);
        QCOMPARE(manager.usableTransports().size(), 1);
        for (const PluginManager::Plugin &p : manager.plugins())
            QVERIFY2(p.usable() == p.error.isEmpty(), qPrintable(p.filePath));
        manager.scan(); // nothing new: no second signal, no duplicate entries
        QCOMPARE(changed.count(), 1);
        QCOMPARE(manager.plugins().size(), 5);
    }

    void rescanForgetsRefusalsWhoseFileIsGone()
    {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const QString bad = folder.filePath(QStringLiteral("libipcw_notaplugin.so"));
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write("not a library\n") > 0);
        file.close();
        PluginManager manager;
        manager.setSearchPaths({folder.path()});
        manager.scan();
        QCOMPARE(manager.plugins().size(), 1);
        QVERIFY(!manager.plugins().first().usable());
        QSignalSpy changed(&manager, &PluginManager::pluginsChanged);
        QVERIFY(QFile::remove(bad));
        manager.scan();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(manager.plugins().size(), 0);
    }

    void defaultPathsFindTheBuiltTransports()
    {
        // The build tree layout the program relies on: plugins beside the executable.
        PluginManager manager;
        manager.setSearchPaths({QStringLiteral(IPCW_BIN_DIR "/plugins")});
        manager.scan();
        const PluginManager::Plugin *tcp = manager.findById(QStringLiteral("tcp"));
        QVERIFY(tcp);
        QCOMPARE(tcp->metadata.defaultAddress, QStringLiteral("127.0.0.1:47001"));
        QVERIFY(PluginManager::defaultSearchPaths().contains(PluginManager::userPluginFolder()));
    }

    void installCopiesOnlyValidPlugins()
    {
        const QDir userFolder(PluginManager::userPluginFolder());
        PluginManager manager;
        manager.setSearchPaths({});

        const PluginManager::Plugin &bad = manager.install(fixture("libipcw_notalibrary.so"));
        QVERIFY(!bad.usable());
        QVERIFY(!userFolder.exists(QStringLiteral("libipcw_notalibrary.so")));
        const PluginManager::Plugin &old = manager.install(fixture("libipcw_fixture_wrongapi.so"));
        QVERIFY(!old.usable());
        QVERIFY(!userFolder.exists(QStringLiteral("libipcw_fixture_wrongapi.so")));

        const PluginManager::Plugin &good = manager.install(fixture("libipcw_fixture_good.so"));
        QVERIFY2(good.usable(), qPrintable(good.error));
        QVERIFY(userFolder.exists(QStringLiteral("libipcw_fixture_good.so")));
        QCOMPARE(good.filePath, QFileInfo(userFolder.filePath(QStringLiteral("libipcw_fixture_good.so"))).canonicalFilePath());

        // Next start: the copy is found by a plain scan of the default folders.
        PluginManager next;
        next.setSearchPaths({PluginManager::userPluginFolder()});
        next.scan();
        QVERIFY(next.findById(QStringLiteral("fixture-good")));
    }
};

QTEST_GUILESS_MAIN(TestPluginManager)
#include "tst_pluginmanager.moc"
