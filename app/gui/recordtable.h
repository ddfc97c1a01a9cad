// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

class QTableView;

// How a table of records behaves, shared by the receiver's table, the sender's "Sent" preview
// and the benchmark's table rows (so the benchmark measures the table a user sees): whole-row
// selection, no word wrap, and no per-row header — rows of one fixed height, so ten million of
// them cost the view next to nothing to lay out.
void configureRecordTable(QTableView *table);
// Columns of an EmployeeTableModel wide enough for their header with its sort arrow and for
// typical content; ids and numbers are never cut, long text is elided.
void sizeRecordColumns(QTableView *table);
