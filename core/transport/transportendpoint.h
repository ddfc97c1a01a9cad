// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QByteArray>
#include <QObject>
#include <QString>

enum class EndpointRole { Receiver, Sender };

// One end of a transport. Lives in the thread that created it (the GUI thread in the app);
// every signal is emitted in that thread, so slots never need locks. Blocking OS calls belong
// on a worker thread owned by the endpoint, which hands results back with queued signals.
//
// Both directions carry whole frames: the receiver answers (acks, pongs) with sendFrame(frame,
// peer) where `peer` is the id the endpoint gave in frameReceived(). A sender has one peer, 0.
class IPCWCORE_EXPORT TransportEndpoint : public QObject
{
    Q_OBJECT
public:
    using PeerId = quint64;
    enum class State { Closed, Opening, Listening, Connected, Failed };
    Q_ENUM(State)

    TransportEndpoint(EndpointRole role, const QString &address, QObject *parent = nullptr);
    ~TransportEndpoint() override;

    EndpointRole role() const { return m_role; }
    QString address() const { return m_address; }
    State state() const { return m_state; }

    // Asynchronous: a receiver starts listening (State::Listening), a sender connects
    // (State::Connected). Failure: errorOccurred() then State::Failed.
    virtual void open() = 0;
    // Releases every OS object the endpoint created (sockets, queues, segments, files).
    virtual void close() = 0;
    // Queues one complete frame; never blocks. Frames to a peer arrive whole and, where the
    // metadata says ordered, in order.
    virtual void sendFrame(const QByteArray &frame, PeerId peer = 0) = 0;
    // Bytes accepted by sendFrame() but not yet handed to the OS.
    virtual qint64 queuedBytes() const = 0;

signals:
    void frameReceived(const QByteArray &frame, quint64 peer);
    void peerConnected(quint64 peer, const QString &description);
    void peerDisconnected(quint64 peer, const QString &reason);
    // A human sentence: what failed, and what the user can do.
    void errorOccurred(const QString &message);
    void stateChanged(TransportEndpoint::State state);
    // queuedBytes() went down: a sender waiting on backpressure may go on.
    void bytesWritten();
    // Receiver: the endpoint refused what `peer` sent or the peer itself (a stream out of
    // step, a budget or time limit, one peer too many) and is closing it; `reason` is a
    // sentence. The session counts it as a bad frame. A peer refused at connection was never
    // announced by peerConnected() and gets no peerDisconnected().
    void streamRefused(quint64 peer, const QString &reason);
    // A message-oriented endpoint dropped input that could not become a frame (a message that
    // is not ours, a fragment out of step, a frame abandoned half way or too old) and keeps
    // the peer; `peer` is 0 when the sender cannot be told. The session counts it as a bad frame.
    void messageRefused(quint64 peer, const QString &reason);

protected:
    void setState(State state);
    // errorOccurred(sentence), then State::Failed: how every endpoint gives up.
    void fail(const QString &sentence);

private:
    const EndpointRole m_role;
    const QString m_address;
    State m_state = State::Closed;
};
