// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "logview.h"
#include "transportmetadata.h"

#include <QWidget>

class TransportEndpoint;

// What the Transfer tab shows below the connection controls: the sender's forms or the
// receiver's table. The main window owns the endpoint and hands it over while it exists.
class RolePanel : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;

    // Called right after the endpoint is created, before it opens.
    virtual void attach(TransportEndpoint *endpoint, const TransportMetadata &transport) = 0;
    // Called before the endpoint is closed and deleted.
    virtual void detach() = 0;

signals:
    void logged(LogView::Severity severity, const QString &message);
    // A transfer ended with every record accounted for: problems shown before are over.
    void transferSucceeded();
};
