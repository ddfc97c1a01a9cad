// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchreport.h"

#include <QTableWidget>

// The Benchmark tab's rows as they arrive: mechanism, measurement, its figures, and how the
// first figure compares with the floor. A row that could not be measured shows its sentence
// across the figure columns, in the error colour, never as an empty line.
class BenchmarkResultsTable : public QTableWidget
{
    Q_OBJECT
public:
    explicit BenchmarkResultsTable(QWidget *parent = nullptr);

    void clearRows();
    void addRow(const BenchRow &row);

    static QString formatFigure(const BenchFigure &figure);
};
