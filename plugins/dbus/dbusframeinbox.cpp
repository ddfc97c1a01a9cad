// SPDX-License-Identifier: GPL-3.0-or-later
#include "dbusframeinbox.h"

#include <QDBusConnection>
#include <QDBusMessage>

DBusFrameInbox::DBusFrameInbox(DeliverHandler deliver, AttachHandler attach, QObject *parent)
    : QObject(parent), m_deliver(std::move(deliver)), m_attach(std::move(attach))
{
}

QByteArray DBusFrameInbox::Attach()
{
    if (!m_attach) {
        refuse({QStringLiteral("org.freedesktop.DBus.Error.UnknownMethod"),
                QStringLiteral("A sender takes frames only; Attach is the receiver's.")});
        return {};
    }
    QByteArray hello;
    const Refusal refusal = m_attach(message().service(), &hello);
    if (!refusal.errorName.isEmpty())
        refuse(refusal);
    return hello;
}

void DBusFrameInbox::Deliver(const QByteArray &frame)
{
    const Refusal refusal = m_deliver(frame, message().service());
    if (!refusal.errorName.isEmpty())
        refuse(refusal);
}

void DBusFrameInbox::refuse(const Refusal &refusal)
{
    // The error replaces the method return QtDBus would send when the slot returns.
    if (calledFromDBus())
        sendErrorReply(refusal.errorName, refusal.sentence);
}
