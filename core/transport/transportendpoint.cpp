// SPDX-License-Identifier: GPL-3.0-or-later
#include "transportendpoint.h"

TransportEndpoint::TransportEndpoint(EndpointRole role, const QString &address, QObject *parent)
    : QObject(parent), m_role(role), m_address(address)
{
}

TransportEndpoint::~TransportEndpoint() = default;

void TransportEndpoint::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void TransportEndpoint::fail(const QString &sentence)
{
    emit errorOccurred(sentence);
    setState(State::Failed);
}
