// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Puts one sender's fragments back into a frame. A sender's datagrams arrive in the order it
// sent them (a queue and a mailslot are both FIFO), so fragments of one frame are consecutive
// for that sender, while fragments of different senders interleave: the receiver keeps one
// Reassembly per sender. Everything in a fragment header is checked before it is believed:
// the announced total is capped before any allocation, offsets must follow on exactly.

#include "mailslotdatagram.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ipcw::mailslot {

class Reassembly
{
public:
    enum class Result { Incomplete, Complete, Refused };

    // Adds a fragment; on Refused `error` ends a sentence that begins with the sender's name
    // and the partial frame (if any) is dropped.
    Result add(const DatagramHeader &h, const std::uint8_t *chunk, std::size_t size, std::string *error)
    {
        if (h.total > MaxFrameBytes) {
            *error = "announced a frame of " + std::to_string(h.total) + " bytes, more than the "
                + std::to_string(MaxFrameBytes) + " bytes a mailslot frame may have; it was refused unread.";
            reset();
            return Result::Refused;
        }
        if (h.total == 0 || size == 0) {
            *error = "sent an empty fragment, which the protocol never produces.";
            reset();
            return Result::Refused;
        }
        if (h.offset == 0) {
            if (partial()) {
                *error = "started frame " + std::to_string(h.frameNumber) + " before finishing frame "
                    + std::to_string(m_frameNumber) + "; the unfinished frame was dropped.";
                reset();
                return Result::Refused;
            }
            m_frameNumber = h.frameNumber;
            m_total = h.total;
            m_buffer.clear();
            m_buffer.reserve(h.total);
        } else if (!partial() || h.frameNumber != m_frameNumber || h.total != m_total || h.offset != m_buffer.size()) {
            *error = "sent a fragment of frame " + std::to_string(h.frameNumber) + " at offset " + std::to_string(h.offset)
                + " that does not follow on from what arrived before; the frame was dropped.";
            reset();
            return Result::Refused;
        }
        if (std::uint64_t(h.offset) + size > h.total) {
            *error = "sent a fragment that runs past the end of its " + std::to_string(h.total)
                + "-byte frame; the frame was dropped.";
            reset();
            return Result::Refused;
        }
        m_buffer.insert(m_buffer.end(), chunk, chunk + size);
        return m_buffer.size() == m_total ? Result::Complete : Result::Incomplete;
    }

    // The completed frame; the reassembly is empty again afterwards.
    std::vector<std::uint8_t> takeFrame()
    {
        std::vector<std::uint8_t> frame;
        frame.swap(m_buffer);
        m_total = 0;
        return frame;
    }

    bool partial() const { return m_total != 0; }
    std::size_t receivedBytes() const { return m_buffer.size(); }
    std::uint32_t expectedBytes() const { return m_total; }
    std::uint32_t frameNumber() const { return m_frameNumber; }

    void reset()
    {
        std::vector<std::uint8_t>().swap(m_buffer);
        m_total = 0;
    }

private:
    std::vector<std::uint8_t> m_buffer;
    std::uint32_t m_total = 0;
    std::uint32_t m_frameNumber = 0;
};

} // namespace ipcw::mailslot
