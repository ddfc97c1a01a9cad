// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkadvisorpanel.h"

#include "flowlayout.h"

#include <QCheckBox>
#include <QLabel>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

BenchmarkAdvisorPanel::BenchmarkAdvisorPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("benchAdvisor"));
    const QList<QPair<QString, MechanismAdvisor::Need>> needs{
        {tr("Reach other machines"), MechanismAdvisor::OtherMachines},
        {tr("Large messages (≥ 1 MiB)"), MechanismAdvisor::LargeMessages},
        {tr("No loss"), MechanismAdvisor::NoLoss},
        {tr("Several senders at once"), MechanismAdvisor::SeveralSenders},
        {tr("One to many (one sender, many receivers)"), MechanismAdvisor::OneToMany},
        {tr("Lowest latency"), MechanismAdvisor::LowestLatency},
        {tr("Lowest CPU"), MechanismAdvisor::LowestCpu},
    };
    // The needs wrap onto more lines in a narrow window rather than being cut.
    auto *boxes = new FlowLayout;
    for (int i = 0; i < needs.size(); ++i) {
        auto *box = new QCheckBox(needs.at(i).first, this);
        box->setObjectName(QStringLiteral("need%1").arg(int(needs.at(i).second)));
        connect(box, &QCheckBox::toggled, this, &BenchmarkAdvisorPanel::refresh);
        boxes->addWidget(box);
        m_boxes.append({box, needs.at(i).second});
    }
    m_basis = new QLabel(this);
    m_basis->setObjectName(QStringLiteral("benchAdvisorBasis"));
    m_basis->setWordWrap(true);
    m_basis->setForegroundRole(QPalette::PlaceholderText);
    m_ranking = new QTextBrowser(this);
    m_ranking->setObjectName(QStringLiteral("benchAdvisorRanking"));
    m_ranking->setOpenLinks(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(boxes);
    layout->addWidget(m_basis);
    layout->addWidget(m_ranking, 1);
    refresh();
}

void BenchmarkAdvisorPanel::setMechanisms(const QVector<TransportMetadata> &mechanisms)
{
    m_advisor.setMechanisms(mechanisms);
    refresh();
}

void BenchmarkAdvisorPanel::setReport(const BenchReport &report)
{
    m_advisor.setReport(report);
    refresh();
}

MechanismAdvisor::Needs BenchmarkAdvisorPanel::needs() const
{
    MechanismAdvisor::Needs out;
    for (const auto &[box, need] : m_boxes)
        if (box->isChecked())
            out |= need;
    return out;
}

void BenchmarkAdvisorPanel::setNeeds(MechanismAdvisor::Needs needs)
{
    for (const auto &[box, need] : m_boxes)
        box->setChecked(needs.testFlag(need));
}

void BenchmarkAdvisorPanel::refresh()
{
    const MechanismAdvisor::Needs wanted = needs();
    m_entries = m_advisor.advise(wanted);
    m_basis->setText(m_advisor.basis(wanted));

    // Rich text so the id stands out; every piece of the sentence is the advisor's own text.
    QString html = QStringLiteral("<ol style=\"margin-left: 0\">");
    QString notFitting;
    for (const MechanismAdvisor::Entry &e : std::as_const(m_entries)) {
        const QString rest = e.text.mid(e.id.size() + 1).toHtmlEscaped();
        if (e.fits)
            html += QStringLiteral("<li><b>%1</b>:%2</li>").arg(e.id.toHtmlEscaped(), rest);
        else
            notFitting += QStringLiteral("<div style=\"color: #707070\"><b>%1</b>:%2</div>").arg(e.id.toHtmlEscaped(), rest);
    }
    html += QStringLiteral("</ol>");
    if (m_entries.isEmpty())
        html = tr("<p>No transport plugin is loaded.</p>");
    else if (std::none_of(m_entries.begin(), m_entries.end(), [](const auto &e) { return e.fits; }))
        html = tr("<p><b>No mechanism meets every need ticked.</b> Untick one to see the closest.</p>");
    m_ranking->setHtml(html + notFitting);
}
