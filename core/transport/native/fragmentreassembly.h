// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Puts one sender's fragments (datagramenvelope.h) back into a frame. Fragments of one frame
// must arrive consecutively and in order for that sender (a queue and a mailslot are FIFO; a
// udp datagram overtaken by a later one costs its frame), while fragments of different senders
// interleave: the receiver keeps one FragmentReassembly per sender. Everything in a fragment
// header is checked before it is believed: the announced total is capped before any
// allocation, offsets must follow on exactly. What is refused costs that frame only: the
// sender's next frame goes through. With a FrameStore (channel.h), frames are put together in
// its buffers. Header-only and Qt-free, like the envelope.

#include "datagramenvelope.h"
#include "receivedframes.h"
#include "receivelimits.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ipcw::native {

class FragmentReassembly
{
public:
    // Skipped: a later fragment of a frame already refused, dropped without another sentence.
    enum class Result { Incomplete, Complete, Refused, Skipped };

    // `maxFrameBytes`: the largest total believed; `frameNoun` names such a frame in sentences
    // ("a mailslot frame").
    FragmentReassembly(std::uint32_t maxFrameBytes, std::string frameNoun)
        : m_maxFrameBytes(maxFrameBytes), m_frameNoun(std::move(frameNoun))
    {
    }

    // Adds a fragment. `error`, when set, ends a sentence that begins with the sender's name:
    // on Refused why this fragment and its frame were dropped; on Incomplete or Complete that
    // an earlier frame was left unfinished and dropped when this one began. A refused or
    // abandoned frame never blocks the next one.
    Result add(const DatagramHeader &h, const std::uint8_t *chunk, std::size_t size, std::string *error)
    {
        if (m_skipping && h.frameNumber == m_skippedFrame && h.offset != 0)
            return Result::Skipped;
        m_skipping = false;
        if (h.total > m_maxFrameBytes)
            return refuse(h, "announced a frame of " + std::to_string(h.total) + " bytes, more than the "
                                 + std::to_string(m_maxFrameBytes) + " bytes " + m_frameNoun + " may have; it was refused unread.",
                          error);
        if (h.total == 0 || size == 0)
            return refuse(h, "sent an empty fragment, which the protocol never produces; it was dropped.", error);
        if (h.offset == 0) {
            if (partial())
                *error = "left frame " + std::to_string(m_frameNumber) + " unfinished (" + std::to_string(m_frame.size())
                    + " of " + std::to_string(m_total) + " bytes) and began frame " + std::to_string(h.frameNumber)
                    + "; the unfinished frame was dropped.";
            m_frameNumber = h.frameNumber;
            m_total = h.total;
            // Memory follows the bytes that arrived, not the header's word: a sender that
            // announces megabytes and sends one fragment holds what it sent.
            m_frame.start(m_store, h.total);
        } else if (!partial() || h.frameNumber != m_frameNumber || h.total != m_total || h.offset != m_frame.size()) {
            return refuse(h, "sent a fragment of frame " + std::to_string(h.frameNumber) + " at offset " + std::to_string(h.offset)
                                 + " that does not follow on from what arrived before; the frame was dropped.",
                          error);
        }
        if (std::uint64_t(h.offset) + size > h.total)
            return refuse(h, "sent a fragment that runs past the end of its " + std::to_string(h.total)
                                 + "-byte frame; the frame was dropped.",
                          error);
        m_frame.append(chunk, size);
        return m_frame.size() == m_total ? Result::Complete : Result::Incomplete;
    }

    // Frames are put together in `store`'s buffers from the next one on; null: in vectors.
    void setFrameStore(FrameStore *store) { m_store = store; }

    // The completed frame, without a frame store; the reassembly is empty again afterwards.
    std::vector<std::uint8_t> takeFrame()
    {
        m_total = 0;
        return m_frame.takeVector();
    }
    // The completed frame, with or without one, as a Frame event from `peer` in `events`.
    void takeFrame(EventQueue &events, std::uint64_t peer)
    {
        m_total = 0;
        events.pushFrame(peer, m_frame);
    }

    bool partial() const { return m_total != 0; }
    std::size_t receivedBytes() const { return m_frame.size(); }
    std::uint32_t expectedBytes() const { return m_total; }
    std::uint32_t frameNumber() const { return m_frameNumber; }
    std::uint32_t maxFrameBytes() const { return m_maxFrameBytes; }

    void reset()
    {
        m_frame.reset();
        m_total = 0;
    }

    // Drops the frame under way, and the rest of frame `frameNumber` quietly as it arrives (the
    // receiver refused it for a reason of its own: a budget, a time limit).
    void skip(std::uint32_t frameNumber)
    {
        reset();
        m_skipping = true;
        m_skippedFrame = frameNumber;
    }

private:
    // Drops the frame under way and the rest of `h`'s frame, which would only repeat the sentence.
    Result refuse(const DatagramHeader &h, std::string sentence, std::string *error)
    {
        *error = std::move(sentence);
        skip(h.frameNumber);
        return Result::Refused;
    }

    std::uint32_t m_maxFrameBytes;
    std::string m_frameNoun;
    FrameStore *m_store = nullptr;
    FrameBytes m_frame;
    std::uint32_t m_total = 0;
    std::uint32_t m_frameNumber = 0;
    bool m_skipping = false;
    std::uint32_t m_skippedFrame = 0;
};

} // namespace ipcw::native
