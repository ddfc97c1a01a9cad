// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "transportendpoint.h"

#include <QDialog>
#include <optional>

// Asked at start when --role was not given: is this window the receiver or the sender?
class RoleChooser : public QDialog
{
    Q_OBJECT
public:
    explicit RoleChooser(QWidget *parent = nullptr);

    // Shows the dialog; nothing when the user cancels.
    static std::optional<EndpointRole> ask(QWidget *parent = nullptr);
    EndpointRole role() const { return m_role; }

private:
    EndpointRole m_role = EndpointRole::Receiver;
};
