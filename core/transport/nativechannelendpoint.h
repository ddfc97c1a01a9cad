// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "native/channel.h"
#include "transportendpoint.h"

#include <QDeadlineTimer>
#include <QMutex>
#include <QQueue>
#include <QWaitCondition>

#include <atomic>
#include <chrono>
#include <memory>

class ByteArrayFrameStore;
class QSocketNotifier;
class QThread;
class QTimer;

// Turns a blocking, Qt-free ipcw::native::Channel into a TransportEndpoint: one thread opens
// the channel and then waits in receive(), another drains the send queue through send(). A
// frame with nothing queued before it is first offered to the channel's trySend() on the
// caller's thread; only what would have to wait goes to the writer thread.
// A channel that is also a Watchable (a readiness descriptor) is not read on a thread: the event
// loop watches the descriptor and takes what is ready with receive(0), saving two thread
// wake-ups on every frame that arrives. The opening thread then ends once the channel is open.
// After a lone event, a channel that says it holds nothing more (Drainable) is not asked again:
// the loop waits for the descriptor. A channel that can (FrameStoreUser) puts received frames
// straight into QByteArrays, which reach the session with no copy.
// The threads never touch this QObject directly; results come back as queued calls, so every
// signal is emitted in the endpoint's own thread.
class IPCWCORE_EXPORT NativeChannelEndpoint : public TransportEndpoint
{
    Q_OBJECT
public:
    NativeChannelEndpoint(EndpointRole role, const QString &address,
                          std::unique_ptr<ipcw::native::Channel> channel, QObject *parent = nullptr);
    ~NativeChannelEndpoint() override;

    void open() override;
    void close() override;
    void sendFrame(const QByteArray &frame, PeerId peer) override;
    qint64 queuedBytes() const override { return m_queuedBytes.load(); }

private:
    struct Outgoing
    {
        QByteArray frame;
        PeerId peer;
    };

    void readLoop();
    // The bytes of the event receive() just returned, on the thread that called it.
    QByteArray frameOf(const ipcw::native::Event &event);
    // Whether the opened channel is read by the event loop (m_watchable with a descriptor).
    bool readByEventLoop() const;
    // The event loop's reader, for a channel with a readiness descriptor: takes the events
    // receive(0) has, a bounded number per turn, then waits for the descriptor or a deadline.
    void watchReadiness();
    void takeReadyEvents();
    // Whether a spinning channel (its nextDeadlineMs(), `wait`, is 0) is polled again before the
    // loop's turn.
    static bool pollAgainInPlace(int wait, std::chrono::steady_clock::time_point until);
    // Nothing more is ready: (re)arms m_deadline for the channel's next deadline, `wait` ms
    // (nextDeadlineMs(), asked once by the caller).
    void waitForReadiness(int wait);
    void startDeadline(int ms);
    void stopWatching();
    void writeLoop();
    void onOpened(const QString &error);
    void onEvent(int kind, const QByteArray &frame, quint64 peer, const QString &text);
    // errorOccurred(error) and, for a sender, State::Failed: emitted from the event loop.
    void reportSendError(const std::string &error);
    // Gives the writer up to `ms` to send what is queued (a receiver's last Ack), so close()
    // does not take back answers already given, as the stream transports flush theirs.
    void drainQueue(int ms);
    void stopThreads();

    // Declared before m_channel, which keeps a pointer to it until it is destroyed.
    std::unique_ptr<ByteArrayFrameStore> m_frameStore; // lent to m_channel, when it can use one
    std::unique_ptr<ipcw::native::Channel> m_channel;
    ipcw::native::Watchable *m_watchable = nullptr; // m_channel, when it can be watched
    ipcw::native::Drainable *m_drainable = nullptr; // m_channel, when it says it holds nothing more
    QThread *m_reader = nullptr;
    QThread *m_writer = nullptr;
    QSocketNotifier *m_readiness = nullptr; // with m_deadline, replaces m_reader once open
    QTimer *m_deadline = nullptr;
    QDeadlineTimer m_deadlineDue; // when m_deadline, if active, fires
    std::atomic<bool> m_stopping{false};
    std::atomic<qint64> m_queuedBytes{0};
    QMutex m_queueMutex;
    QWaitCondition m_queueNotEmpty;
    QWaitCondition m_queueDrained; // the writer has sent everything queued
    QQueue<Outgoing> m_queue;
    bool m_writing = false; // the writer holds a frame taken from m_queue (under m_queueMutex)
};
