// SPDX-License-Identifier: GPL-3.0-or-later
#include "pluginmanager.h"

#include <algorithm>

#include "itransport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QLibrary>
#include <QPluginLoader>
#include <QStandardPaths>

PluginManager::PluginManager(QObject *parent) : QObject(parent), m_searchPaths(defaultSearchPaths())
{
}

// Plugins stay loaded for the life of the process: endpoints and their meta-objects may still
// be alive when the manager goes, so nothing is unloaded here.
PluginManager::~PluginManager() = default;

QStringList PluginManager::defaultSearchPaths()
{
    QStringList paths;
    const QString appDir = QCoreApplication::applicationDirPath();
    paths << QDir(appDir).filePath(QStringLiteral("plugins"));
    paths << QDir::cleanPath(QDir(appDir).filePath(QStringLiteral(IPCW_INSTALL_PLUGIN_DIR_FROM_BIN)));
    paths << userPluginFolder();
    const QString extra = qEnvironmentVariable("IPCW_PLUGIN_PATH");
    for (const QString &p : extra.split(QDir::listSeparator(), Qt::SkipEmptyParts))
        paths << p;
    paths.removeDuplicates();
    return paths;
}

QString PluginManager::userPluginFolder()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation))
        .filePath(QStringLiteral("ipcworkshop/plugins"));
}

QString PluginManager::stageName(Stage stage)
{
    switch (stage) {
    case Stage::Found: return QStringLiteral("found");
    case Stage::MetadataRead: return QStringLiteral("metadata read");
    case Stage::VersionChecked: return QStringLiteral("version checked");
    case Stage::Loaded: return QStringLiteral("loaded");
    case Stage::Instantiated: return QStringLiteral("ready");
    }
    return {};
}

int PluginManager::indexOfPath(const QString &canonicalPath) const
{
    for (int i = 0; i < m_plugins.size(); ++i)
        if (m_plugins.at(i).filePath == canonicalPath)
            return i;
    return -1;
}

void PluginManager::scan()
{
    const auto summary = [this] {
        QStringList lines;
        for (const Plugin &p : std::as_const(m_plugins))
            lines << p.filePath + QLatin1Char('|') + p.error;
        lines.sort(); // a refusal inspected again moves to the end; that alone is no change
        return lines;
    };
    const QStringList before = summary();
    // Refused files are looked at afresh (fixed, removed, or a one-off drop); loaded plugins
    // stay, since their transports may be in use.
    m_plugins.erase(std::remove_if(m_plugins.begin(), m_plugins.end(), [](const Plugin &p) { return !p.usable(); }),
                    m_plugins.end());
    for (const QString &folder : std::as_const(m_searchPaths)) {
        const QFileInfoList files = QDir(folder).entryInfoList(QDir::Files | QDir::Readable, QDir::Name);
        for (const QFileInfo &file : files) {
            if (!QLibrary::isLibrary(file.fileName()))
                continue;
            const QString path = file.canonicalFilePath();
            if (indexOfPath(path) >= 0)
                continue;
            m_plugins.append(inspect(path));
        }
    }
    if (summary() != before)
        emit pluginsChanged();
}

const PluginManager::Plugin &PluginManager::loadFile(const QString &filePath)
{
    const QString path = QFileInfo(filePath).canonicalFilePath();
    if (const int existing = indexOfPath(path); existing >= 0)
        return m_plugins.at(existing);
    if (path.isEmpty()) {
        Plugin missing;
        missing.filePath = filePath;
        missing.error = QStringLiteral("The file %1 does not exist.").arg(QDir::toNativeSeparators(filePath));
        m_plugins.append(missing);
    } else {
        m_plugins.append(inspect(path));
    }
    emit pluginsChanged();
    return m_plugins.last();
}

const PluginManager::Plugin &PluginManager::install(const QString &filePath)
{
    // Inspect the dropped file in place first: a bad file is never copied anywhere.
    const QString source = QFileInfo(filePath).canonicalFilePath();
    const int before = m_plugins.size();
    const Plugin &checked = loadFile(filePath);
    if (!checked.usable() || m_plugins.size() == before)
        return checked; // refused, or already known

    for (const Plugin &other : std::as_const(m_plugins)) {
        if (&other != &checked && other.usable() && other.metadata.id == checked.metadata.id) {
            Plugin &entry = m_plugins.last();
            entry.stage = Stage::Loaded;
            entry.transport = nullptr;
            entry.error = QStringLiteral("A transport with the id \"%1\" is already loaded from %2.")
                              .arg(checked.metadata.id, QDir::toNativeSeparators(other.filePath));
            emit pluginsChanged();
            return entry;
        }
    }

    const QString folder = userPluginFolder();
    const QString target = QDir(folder).filePath(QFileInfo(source).fileName());
    if (QFileInfo(target).canonicalFilePath() == source)
        return checked; // already in the user folder
    Plugin &entry = m_plugins.last();
    if (!QDir().mkpath(folder)) {
        entry.error = QStringLiteral("Loaded, but could not create the plugin folder %1 to keep it for next time.")
                          .arg(QDir::toNativeSeparators(folder));
        return entry;
    }
    QFile::remove(target);
    if (!QFile::copy(source, target)) {
        entry.error = QStringLiteral("Loaded, but could not copy it to %1 to keep it for next time.")
                          .arg(QDir::toNativeSeparators(target));
        return entry;
    }
    entry.filePath = QFileInfo(target).canonicalFilePath();
    emit pluginsChanged();
    return entry;
}

PluginManager::Plugin PluginManager::inspect(const QString &filePath)
{
    Plugin p;
    p.filePath = filePath;

    auto *loader = new QPluginLoader(filePath, this);
    const QJsonObject raw = loader->metaData();
    if (raw.isEmpty()) {
        p.error = QStringLiteral("Not a Qt plugin: %1 has no plugin metadata (%2).")
                      .arg(QFileInfo(filePath).fileName(), loader->errorString());
        delete loader;
        return p;
    }
    const QString iid = raw.value(QLatin1String("IID")).toString();
    const QString metaError = TransportMetadata::fromJson(raw.value(QLatin1String("MetaData")).toObject(), &p.metadata);
    if (iid != QLatin1String(IPCW_TRANSPORT_IID) && !iid.startsWith(QLatin1String("org.ipcworkshop.ITransport/"))) {
        p.error = QStringLiteral("Not an IPC Workshop transport: %1 implements \"%2\", not \"%3\".")
                      .arg(QFileInfo(filePath).fileName(), iid, QLatin1String(IPCW_TRANSPORT_IID));
        delete loader;
        return p;
    }
    if (!metaError.isEmpty()) {
        p.error = QStringLiteral("%1: %2").arg(QFileInfo(filePath).fileName(), metaError);
        delete loader;
        return p;
    }
    p.stage = Stage::MetadataRead;

    if (iid != QLatin1String(IPCW_TRANSPORT_IID) || p.metadata.apiVersion != IpcwTransportApiVersion) {
        p.error = QStringLiteral("Built for another version: the transport \"%1\" uses interface %2 (API %3), "
                                 "this program needs %4 (API %5). Rebuild the plugin against this version.")
                      .arg(p.metadata.id, iid).arg(p.metadata.apiVersion)
                      .arg(QLatin1String(IPCW_TRANSPORT_IID)).arg(IpcwTransportApiVersion);
        delete loader;
        return p;
    }
    if (!p.metadata.supportsThisPlatform()) {
        p.error = QStringLiteral("The transport \"%1\" runs only on %2.")
                      .arg(p.metadata.id, p.metadata.platforms.join(QStringLiteral(", ")));
        delete loader;
        return p;
    }
    p.stage = Stage::VersionChecked;

    if (!loader->load()) {
        p.error = QStringLiteral("Could not load %1: %2").arg(QFileInfo(filePath).fileName(), loader->errorString());
        delete loader;
        return p;
    }
    p.stage = Stage::Loaded;

    p.transport = qobject_cast<ITransport *>(loader->instance());
    if (!p.transport) {
        p.error = QStringLiteral("%1 loaded, but its root object does not implement ITransport.")
                      .arg(QFileInfo(filePath).fileName());
        return p;
    }
    p.stage = Stage::Instantiated;
    m_loaders.append(loader);
    return p;
}

QVector<const PluginManager::Plugin *> PluginManager::usableTransports() const
{
    QVector<const Plugin *> result;
    for (const Plugin &p : m_plugins)
        if (p.usable() && findById(p.metadata.id) == &p) // the first of an id wins
            result.append(&p);
    return result;
}

const PluginManager::Plugin *PluginManager::findById(const QString &id) const
{
    for (const Plugin &p : m_plugins)
        if (p.usable() && p.metadata.id == id)
            return &p;
    return nullptr;
}
