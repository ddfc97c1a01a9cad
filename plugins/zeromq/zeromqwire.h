// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// How frames ride on ZeroMQ (docs/zeromq-transport.md, "Messages"): one single-part ZeroMQ
// message is exactly one wire frame, never more, never less; the ROUTER sees it after the
// routing id libzmq adds. What every endpoint checks of a message before it becomes a frame.

#include <QByteArray>
#include <QIODevice>
#include <QString>

#include <functional>

namespace ZeroMqWire {

// The largest frame a zeromq endpoint takes (the wire format's own cap); also ZMQ_MAXMSGSIZE.
qint64 maxFrameBytes();
// A sender's first message on a DEALER: a Hello frame (type 5) with `description` as payload.
QByteArray senderHello(const QString &description);
// The largest such Hello a receiver reads before it knows the sender.
constexpr int MaxHelloBytes = 40 + 256;
// "" when `message` is one whole frame of at most `limit` bytes as far as its header tells
// (magic, version, type, flags, payload length matching the message); else a clause saying
// what it is instead. The CRC and the records are checked by the session's codec.
QString frameProblem(const QByteArray &message, qint64 limit);
bool isHello(const QByteArray &frame);
// The Hello's payload as a name fit for a sentence: printable, at most 120 characters.
QString helloDescription(const QByteArray &frame);

} // namespace ZeroMqWire

// What StreamHandshake writes (the sender's proof of the access token) goes out as one
// ZeroMQ message: each write() becomes exactly one message.
class ZeroMqMessageDevice : public QIODevice
{
    Q_OBJECT
public:
    explicit ZeroMqMessageDevice(std::function<void(const QByteArray &)> send, QObject *parent = nullptr);
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 size) override;

private:
    std::function<void(const QByteArray &)> m_send;
};
