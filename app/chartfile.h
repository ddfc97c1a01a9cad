// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSize>
#include <QString>

#include <functional>
#include <memory>

class QChart;
class QChartView;
class QPainter;

namespace ChartFile {

// Paints a picture of `size` into `path`: an SVG drawing when the name ends in .svg, a PNG
// image otherwise. `paint` draws on a white page; `title` names an SVG. False, with a sentence
// in `error`, when the file cannot be written.
bool write(const QString &path, const QSize &size, const QString &title,
           const std::function<void(QPainter &)> &paint, QString *error);

bool isSvgPath(const QString &path);

// An antialiased view that lays `chart` out at `size` (and owns it) without showing a window,
// ready to paint into a file. A view never shown is never laid out and paints a thumbnail.
std::unique_ptr<QChartView> offscreenView(QChart *chart, const QSize &size);

} // namespace ChartFile
