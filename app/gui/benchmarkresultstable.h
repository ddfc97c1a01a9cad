// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchreport.h"

#include <QTableWidget>

// The Benchmark tab's rows as they arrive, one column per question: which mechanism, what was
// measured, the headline figure with its unit, how it compares with the floor, the same figure
// over the bare OS mechanism underneath (the floor, named in words), and the other figures.
// Columns take the width of their text and the table scrolls sideways when narrow: no cell is
// ever cut to "…". A row that could not be measured says why in words, in the error colour.
class BenchmarkResultsTable : public QTableWidget
{
    Q_OBJECT
public:
    enum Column { Mechanism, Measurement, Value, Ratio, Floor, Details, ColumnCount };

    explicit BenchmarkResultsTable(QWidget *parent = nullptr);

    void clearRows();
    void addRow(const BenchRow &row);

    // "p50 67 µs", "1.12 M records/s", "CPU 12 µs per round trip".
    static QString formatFigure(const BenchFigure &figure);
    // "bare Unix socket", "bare shared memory (blocking)".
    static QString floorName(const QString &floorId);
};
