// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mechanismadvisor.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QTextBrowser;

// "Which should I use?": the user ticks what they need; the panel lists the mechanisms that
// fit, best first, each with the measured numbers behind its place, then the ones that do not
// fit and why. Before any run it ranks by capabilities and says the numbers come later.
// The Benchmark tab shows it as its "Which should I use?" page.
class BenchmarkAdvisorPanel : public QWidget
{
    Q_OBJECT
public:
    explicit BenchmarkAdvisorPanel(QWidget *parent = nullptr);

    void setMechanisms(const QVector<TransportMetadata> &mechanisms);
    void setReport(const BenchReport &report);

    MechanismAdvisor::Needs needs() const;
    void setNeeds(MechanismAdvisor::Needs needs);
    // What is shown now, for tests and for reading it out.
    QVector<MechanismAdvisor::Entry> entries() const { return m_entries; }

private:
    void refresh();

    MechanismAdvisor m_advisor;
    QVector<MechanismAdvisor::Entry> m_entries;
    QList<QPair<QCheckBox *, MechanismAdvisor::Need>> m_boxes;
    QLabel *m_basis = nullptr;
    QTextBrowser *m_ranking = nullptr;
};
