// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class PluginManager;
class QLabel;
class QTableWidget;

// Every plugin file found, loaded or not: how far it got (metadata, version check, load,
// instance) and the sentence saying why it stopped. Follows the plugin manager live.
class PluginsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit PluginsDialog(PluginManager &plugins, QWidget *parent = nullptr);

signals:
    // The user chose files to install; the main window installs them and reports the outcome.
    void installRequested(const QStringList &files);

private:
    void refresh();

    PluginManager &m_plugins;
    QTableWidget *m_table;
    QLabel *m_folders;
};
