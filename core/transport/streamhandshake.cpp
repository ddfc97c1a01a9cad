// SPDX-License-Identifier: GPL-3.0-or-later
#include "streamhandshake.h"

#include "handshake.h"

#include <QIODevice>

namespace {

QString seconds(int ms)
{
    return QString::number(ms / 1000.0);
}

} // namespace

StreamHandshake::StreamHandshake(QIODevice *device, const QString &where, QObject *parent)
    : QObject(parent), m_device(device), m_where(where), m_security(ConnectionSecurity::current())
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        if (m_step == Step::AwaitingGreeting)
            fail(QStringLiteral("The program %1 accepted the connection but did not answer as an IPC Workshop receiver "
                                "within %2 s.").arg(m_where, seconds(m_security.handshakeTimeoutMs)));
        else if (m_step == Step::AwaitingVerdict)
            fail(QStringLiteral("The receiver %1 neither accepted nor refused the access token within %2 s.")
                     .arg(m_where, seconds(m_security.handshakeTimeoutMs)));
    });
}

void StreamHandshake::start()
{
    m_step = Step::AwaitingGreeting;
    m_deadline.start(m_security.handshakeTimeoutMs);
}

void StreamHandshake::handleFrame(const QByteArray &frame)
{
    if (finished())
        return;
    Handshake::ReceiverHello hello;
    QString why;
    if (!Handshake::decodeReceiverHello(frame, &hello, &why))
        return fail(QStringLiteral("The program %1 is not an IPC Workshop receiver that this version can talk to: %2.")
                        .arg(m_where, why));
    if (m_step == Step::AwaitingGreeting && hello.step == Handshake::Step::Greeting) {
        if (!hello.tokenRequired)
            return succeed();
        if (m_security.token.isEmpty())
            return fail(QStringLiteral("The receiver %1 requires an access token: give this sender the receiver's token "
                                       "(--token-file FILE or the IPCW_TOKEN variable, or the Token field).").arg(m_where));
        m_step = Step::AwaitingVerdict;
        m_device->write(Handshake::encodeProof(Handshake::proofFor(m_security.token, hello.nonce, m_certificateSha256)));
        return;
    }
    if (m_step == Step::AwaitingVerdict && hello.step == Handshake::Step::Accepted)
        return succeed();
    if (m_step == Step::AwaitingVerdict && hello.step == Handshake::Step::Refused)
        return fail(QStringLiteral("The receiver %1 refused this sender's access token: it is not the token the receiver "
                                   "was given.").arg(m_where));
    fail(QStringLiteral("The program %1 broke the IPC Workshop handshake: it sent a receiver Hello out of turn.").arg(m_where));
}

QString StreamHandshake::interruptedSentence(const QString &detail) const
{
    if (m_step == Step::AwaitingVerdict)
        return QStringLiteral("The receiver %1 closed the connection while checking the access token (%2); it may "
                              "have refused it.").arg(m_where, detail);
    return QStringLiteral("The program %1 accepted the connection but did not answer as an IPC Workshop receiver (%2).")
        .arg(m_where, detail);
}

void StreamHandshake::fail(const QString &sentence)
{
    m_deadline.stop();
    m_step = Step::Failed;
    emit failed(sentence);
}

void StreamHandshake::succeed()
{
    m_deadline.stop();
    m_step = Step::Done;
    emit succeeded();
}
