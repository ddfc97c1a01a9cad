// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "native/channel.h"

#include <QByteArray>

// The FrameStore NativeChannelEndpoint lends its channel: each frame is put together in a
// QByteArray, which then reaches the session as it is, implicitly shared, with no copy.
// Like the channel's receive(), used on one thread at a time.
class ByteArrayFrameStore final : public ipcw::native::FrameStore
{
public:
    std::unique_ptr<ipcw::native::FrameBuffer> create(std::size_t reserve) override;
    void deliver(std::unique_ptr<ipcw::native::FrameBuffer> frame) override;

    // The frame of the event receive() just returned: the one delivered, if any, else a copy of
    // `frame` (the event's own bytes). Nothing delivered is held afterwards.
    QByteArray takeFrame(const std::vector<std::uint8_t> &frame);

private:
    QByteArray m_delivered;
    bool m_hasDelivered = false;
};
