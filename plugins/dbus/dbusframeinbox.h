// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDBusContext>
#include <QObject>

#include <functional>

// The object each end exports on its connection: Deliver(ay) takes one frame, Attach() -> ay
// (the receiver's only) answers a new sender with the receiver's Hello. QtDBus calls the slots
// in this object's thread, through the event loop, and refuses calls of any other signature
// itself. A handler returns an empty string to accept, or a sentence that goes back to the
// caller as a D-Bus error named `errorName` and is dropped here.
class DBusFrameInbox : public QObject, protected QDBusContext
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.ipcworkshop.Transport1")
public:
    struct Refusal
    {
        QString errorName; // empty: accepted
        QString sentence;
    };
    using DeliverHandler = std::function<Refusal(const QByteArray &frame, const QString &caller)>;
    using AttachHandler = std::function<Refusal(const QString &caller, QByteArray *hello)>;

    explicit DBusFrameInbox(DeliverHandler deliver, AttachHandler attach = {}, QObject *parent = nullptr);

public slots:
    QByteArray Attach();
    void Deliver(const QByteArray &frame);

private:
    void refuse(const Refusal &refusal);

    DeliverHandler m_deliver;
    AttachHandler m_attach;
};
