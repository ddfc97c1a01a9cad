// SPDX-License-Identifier: GPL-3.0-or-later
#include "loopbackendpoints.h"

#include <QTimer>

namespace {
QHash<QString, QPointer<LoopbackReceiver>> &listening()
{
    static QHash<QString, QPointer<LoopbackReceiver>> receivers;
    return receivers;
}
} // namespace

LoopbackReceiver::LoopbackReceiver(const QString &address) : TransportEndpoint(EndpointRole::Receiver, address)
{
}

LoopbackReceiver::~LoopbackReceiver()
{
    close();
}

void LoopbackReceiver::open()
{
    if (listening().value(address())) {
        emit errorOccurred(QStringLiteral("Another loopback receiver already listens on \"%1\".").arg(address()));
        setState(State::Failed);
        return;
    }
    listening().insert(address(), this);
    setState(State::Listening);
}

void LoopbackReceiver::close()
{
    if (listening().value(address()) == this)
        listening().remove(address());
    const auto senders = m_senders;
    m_senders.clear();
    for (const QPointer<LoopbackSender> &sender : senders)
        if (sender)
            sender->receiverGone();
    setState(State::Closed);
}

TransportEndpoint::PeerId LoopbackReceiver::addSender(LoopbackSender *sender)
{
    const PeerId peer = m_nextPeer++;
    m_senders.insert(peer, sender);
    emit peerConnected(peer, QStringLiteral("loopback sender %1").arg(peer));
    return peer;
}

void LoopbackReceiver::removeSender(PeerId peer)
{
    if (m_senders.remove(peer))
        emit peerDisconnected(peer, QString());
}

void LoopbackReceiver::sendFrame(const QByteArray &frame, PeerId peer)
{
    if (LoopbackSender *sender = m_senders.value(peer))
        QTimer::singleShot(0, sender, [sender, frame] { emit sender->frameReceived(frame, 0); });
}

LoopbackSender::LoopbackSender(const QString &address) : TransportEndpoint(EndpointRole::Sender, address)
{
}

LoopbackSender::~LoopbackSender()
{
    close();
}

void LoopbackSender::open()
{
    m_receiver = listening().value(address());
    if (!m_receiver) {
        emit errorOccurred(QStringLiteral("No loopback receiver listens on \"%1\".").arg(address()));
        setState(State::Failed);
        return;
    }
    setState(State::Opening);
    m_peer = m_receiver->addSender(this);
    setState(State::Connected);
}

void LoopbackSender::close()
{
    if (m_receiver)
        m_receiver->removeSender(m_peer);
    m_receiver = nullptr;
    if (state() != State::Failed)
        setState(State::Closed);
}

void LoopbackSender::sendFrame(const QByteArray &frame, PeerId)
{
    if (!m_receiver)
        return;
    LoopbackReceiver *receiver = m_receiver;
    const PeerId peer = m_peer;
    QTimer::singleShot(0, receiver, [receiver, frame, peer] { emit receiver->frameReceived(frame, peer); });
    QTimer::singleShot(0, this, [this] { emit bytesWritten(); });
}

void LoopbackSender::receiverGone()
{
    m_receiver = nullptr;
    emit errorOccurred(QStringLiteral("The loopback receiver on \"%1\" closed.").arg(address()));
    setState(State::Failed);
}
