// SPDX-License-Identifier: GPL-3.0-or-later
#include "chartfile.h"

#include <QChart>
#include <QChartView>
#include <QDir>
#include <QImage>
#include <QPainter>
#include <QSvgGenerator>

namespace ChartFile {

bool isSvgPath(const QString &path)
{
    return path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive);
}

std::unique_ptr<QChartView> offscreenView(QChart *chart, const QSize &size)
{
    auto view = std::make_unique<QChartView>(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setAttribute(Qt::WA_DontShowOnScreen);
    view->resize(size);
    view->show();
    return view;
}

bool write(const QString &path, const QSize &size, const QString &title,
           const std::function<void(QPainter &)> &paint, QString *error)
{
    const QString cannot = QStringLiteral("Cannot write %1.").arg(QDir::toNativeSeparators(path));
    if (isSvgPath(path)) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle(title);
        QPainter painter;
        if (!painter.begin(&svg)) {
            *error = cannot;
            return false;
        }
        painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
        painter.setRenderHint(QPainter::Antialiasing);
        paint(painter);
        painter.end();
        return true;
    }
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    paint(painter);
    painter.end();
    if (!image.save(path, "PNG")) {
        *error = cannot;
        return false;
    }
    return true;
}

} // namespace ChartFile
