// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A QTcpServer that keeps each accepted descriptor instead of making a QTcpSocket of it, as the
// TCP receiver's server does: a test makes a DescriptorSocket of `accepted`.

#include <QTcpServer>

class DescriptorServer : public QTcpServer
{
public:
    qintptr accepted = -1;

protected:
    void incomingConnection(qintptr descriptor) override { accepted = descriptor; }
};
