// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A FrameStore (native/channel.h) for channel tests: frames are kept as delivered, and `live`
// counts the buffers not yet destroyed, so a test sees that none leaks.

#include "native/channel.h"

#include <memory>
#include <vector>

struct CountingFrameStore final : ipcw::native::FrameStore
{
    struct Buffer final : ipcw::native::FrameBuffer
    {
        explicit Buffer(int &liveCount) : live(liveCount) { ++live; }
        ~Buffer() override { --live; }
        std::uint8_t *extend(std::size_t size) override
        {
            bytes.resize(bytes.size() + size);
            return bytes.data() + bytes.size() - size;
        }
        const std::uint8_t *data() const override { return bytes.data(); }
        std::size_t size() const override { return bytes.size(); }
        int &live;
        std::vector<std::uint8_t> bytes;
    };
    std::unique_ptr<ipcw::native::FrameBuffer> create(std::size_t reserve) override
    {
        auto buffer = std::make_unique<Buffer>(live);
        buffer->bytes.reserve(reserve);
        return buffer;
    }
    void deliver(std::unique_ptr<ipcw::native::FrameBuffer> frame) override
    {
        delivered.push_back(static_cast<Buffer &>(*frame).bytes);
    }
    // The bytes of the Frame event `e` a channel just returned, as NativeChannelEndpoint takes
    // them: delivered to this store (`e.frame` must then be empty), or in `e.frame`.
    std::vector<std::uint8_t> frameOf(const ipcw::native::Event &e, bool *stored)
    {
        *stored = delivered.size() > taken && e.frame.empty();
        return *stored ? delivered[taken++] : e.frame;
    }

    int live = 0;
    std::vector<std::vector<std::uint8_t>> delivered;
    std::size_t taken = 0; // delivered frames frameOf() has given out
};
