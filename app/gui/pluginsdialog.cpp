// SPDX-License-Identifier: GPL-3.0-or-later
#include "pluginsdialog.h"

#include "itransport.h"
#include "pluginmanager.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {
enum Column { File, Transport, Version, Stage, Result, ColumnCount };
}

PluginsDialog::PluginsDialog(PluginManager &plugins, QWidget *parent)
    : QDialog(parent), m_plugins(plugins), m_table(new QTableWidget(this)), m_folders(new QLabel(this))
{
    setObjectName(QStringLiteral("pluginsDialog"));
    setWindowTitle(tr("Plugins — IPC Workshop"));
    resize(900, 420);

    m_table->setObjectName(QStringLiteral("pluginTable"));
    m_table->setColumnCount(ColumnCount);
    m_table->setHorizontalHeaderLabels({tr("File"), tr("Transport"), tr("Version"), tr("Stage reached"), tr("Result")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    // The sentences wrap: rows grow once the last column knows its width.
    connect(m_table->horizontalHeader(), &QHeaderView::sectionResized, m_table, &QTableView::resizeRowsToContents);
    m_folders->setObjectName(QStringLiteral("pluginFolders"));
    m_folders->setWordWrap(true);
    m_folders->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *install = buttons->addButton(tr("&Install plugin file…"), QDialogButtonBox::ActionRole);
    install->setObjectName(QStringLiteral("installPluginButton"));
    QPushButton *rescan = buttons->addButton(tr("&Rescan folders"), QDialogButtonBox::ActionRole);
    rescan->setObjectName(QStringLiteral("rescanButton"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(rescan, &QPushButton::clicked, &m_plugins, &PluginManager::scan);
    connect(install, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(this, tr("Install transport plugins"), QDir::homePath(),
                                                                tr("Plugins (*.so *.dll *.dylib);;All files (*)"));
        if (!files.isEmpty())
            emit installRequested(files);
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_folders);
    layout->addWidget(buttons);

    connect(&m_plugins, &PluginManager::pluginsChanged, this, &PluginsDialog::refresh);
    refresh();
}

void PluginsDialog::refresh()
{
    const QVector<PluginManager::Plugin> &all = m_plugins.plugins();
    m_table->setRowCount(int(all.size()));
    for (int row = 0; row < all.size(); ++row) {
        const PluginManager::Plugin &p = all.at(row);
        QString result = p.error;
        if (p.usable()) {
            const QString reason = p.transport->unavailableReason();
            result = reason.isEmpty() ? tr("Ready: %1").arg(p.metadata.capabilities.summary()) : tr("Loaded, but: %1").arg(reason);
            if (m_plugins.findById(p.metadata.id) != &p)
                result = tr("Not used: another file already provides \"%1\".").arg(p.metadata.id);
        }
        const QStringList cells = {QFileInfo(p.filePath).fileName(), p.metadata.id, p.metadata.version,
                                   PluginManager::stageName(p.stage), result};
        for (int column = 0; column < ColumnCount; ++column) {
            auto *item = new QTableWidgetItem(cells.at(column));
            item->setToolTip(column == File ? QDir::toNativeSeparators(p.filePath) : cells.at(column));
            if (!p.usable())
                item->setForeground(QColor(0xb0, 0x00, 0x20));
            m_table->setItem(row, column, item);
        }
    }
    for (int column = File; column < Result; ++column) // the sentences get the rest, wrapped
        m_table->resizeColumnToContents(column);
    m_table->resizeRowsToContents();

    QStringList folders;
    for (const QString &folder : m_plugins.searchPaths())
        folders << QDir::toNativeSeparators(folder);
    m_folders->setText(tr("Searched: %1.\nA plugin file dropped on the main window (or installed here) is copied to %2.")
                           .arg(folders.join(QStringLiteral("; ")), QDir::toNativeSeparators(PluginManager::userPluginFolder())));
    if (all.isEmpty())
        m_folders->setText(tr("No plugin files were found.") + QLatin1Char('\n') + m_folders->text());
}
