// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// core/plugins: finding transport plugin files and loading them in explicit, explained stages.

#include "transportmetadata.h"

#include <QObject>
#include <QStringList>
#include <QVector>

class ITransport;
class QPluginLoader;

// Finds transport plugins and loads them in explicit steps, keeping the sentence of the step
// that failed so the UI can show why a file is not a usable transport:
//   Found -> MetadataRead -> VersionChecked -> Loaded -> Instantiated
class IPCWCORE_EXPORT PluginManager : public QObject
{
    Q_OBJECT
public:
    enum class Stage { Found, MetadataRead, VersionChecked, Loaded, Instantiated };
    Q_ENUM(Stage)

    struct Plugin
    {
        QString filePath;
        Stage stage = Stage::Found; // the last stage reached
        QString error;              // empty when stage == Instantiated
        TransportMetadata metadata; // valid from MetadataRead on
        ITransport *transport = nullptr;
        bool usable() const { return stage == Stage::Instantiated; }
    };

    explicit PluginManager(QObject *parent = nullptr);
    ~PluginManager() override;

    // Build tree (<exe>/plugins), install tree (<exe>/../lib/.../ipcworkshop/plugins), the
    // per-user folder, and every folder in $IPCW_PLUGIN_PATH (colon-separated), in that order.
    static QStringList defaultSearchPaths();
    static QString userPluginFolder();

    void setSearchPaths(const QStringList &paths) { m_searchPaths = paths; }
    QStringList searchPaths() const { return m_searchPaths; }

    // Forgets nothing already loaded, and every refusal (a refused file still in a search path
    // is inspected again); looks at every file in the search paths not loaded yet.
    void scan();
    // Loads one file (a drop onto the window); the returned entry says how far it got.
    const Plugin &loadFile(const QString &filePath);
    // Copies a dropped file into the user folder, then loads the copy. A file that is not a
    // valid transport is not copied and nothing changes; the sentence says why.
    const Plugin &install(const QString &filePath);

    const QVector<Plugin> &plugins() const { return m_plugins; }
    QVector<const Plugin *> usableTransports() const;
    const Plugin *findById(const QString &id) const;

    static QString stageName(Stage stage);

signals:
    void pluginsChanged();

private:
    Plugin inspect(const QString &filePath);
    int indexOfPath(const QString &canonicalPath) const;

    QStringList m_searchPaths;
    QVector<Plugin> m_plugins;
    QVector<QPluginLoader *> m_loaders;
};
