// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The few facts about a frame the named-pipe backends need to move it as bytes: where its
// length is and how big it may get. They mirror core/transport/wireformat.h, which cannot be used here
// because it pulls in Qt and the Windows backend is built without Qt.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>

#include "native/receivedframes.h"
#include "native/receivelimits.h"

namespace ipcw::native::namedpipe {

constexpr std::uint32_t FrameMagic = 0x57435049; // "IPCW", little-endian
constexpr std::size_t HeaderBytes = 40;
constexpr std::size_t PayloadLengthOffset = 28;
constexpr std::uint32_t MaxPayloadBytes = 64u * 1024u * 1024u;
constexpr std::size_t MaxFrameBytes = HeaderBytes + MaxPayloadBytes;

inline std::uint32_t readLe32(const std::uint8_t *p)
{
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

// "" when `header` (HeaderBytes long) starts a frame whose total size fits the limit, and sets
// `frameBytes`; otherwise why not, as the end of a sentence.
inline std::string checkHeader(const std::uint8_t *header, std::size_t *frameBytes)
{
    if (readLe32(header) != FrameMagic)
        return "the bytes do not start with a frame header (wrong magic number)";
    const std::uint32_t payload = readLe32(header + PayloadLengthOffset);
    if (payload > MaxPayloadBytes)
        return "its header announces " + std::to_string(payload) + " payload bytes, more than the limit of "
               + std::to_string(MaxPayloadBytes);
    *frameBytes = HeaderBytes + payload;
    return {};
}

// 1 to 100 letters, digits, '-', '_' or '.', not starting with '.': safe as a file name and
// inside a pipe name, and never a path.
inline bool validPipeName(const std::string &name)
{
    if (name.empty() || name.size() > 100 || name[0] == '.')
        return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '.'))
            return false;
    return true;
}

constexpr const char InvalidNameRule[] = "use 1 to 100 letters, digits, '-', '_' or '.', not starting with '.'";

// "" when `data` is exactly one whole frame that a receiver will accept; else a sentence.
inline std::string checkOutgoingFrame(const std::uint8_t *data, std::size_t size)
{
    if (size > MaxFrameBytes)
        return "The frame of " + std::to_string(size) + " bytes is too large: a named pipe carries at most "
               + std::to_string(MaxFrameBytes) + " bytes per frame. Send fewer records per frame.";
    std::size_t expected = 0;
    if (size < HeaderBytes)
        return "The frame of " + std::to_string(size) + " bytes is shorter than a frame header; it was not sent.";
    if (const std::string why = checkHeader(data, &expected); !why.empty())
        return "The frame was not sent: " + why + ".";
    if (expected != size)
        return "The frame was not sent: its header says " + std::to_string(expected) + " bytes but "
               + std::to_string(size) + " were given.";
    return {};
}

// Cuts one byte stream into whole frames using the payload length in each header. No OS
// calls: the backend reads the stream, this decides what the bytes are.
//
// A frame's memory is committed as its bytes arrive, never on its header's word alone: up to
// InitialFrameBytes once the header is accepted, then twice what arrived. Otherwise 40 bytes
// announcing 64 MiB would cost 64 MiB of zeroed memory at once, per sender.
//
// A frame of FrameBytes::StoredFromBytes or more is put together in a buffer of the FrameStore
// it is lent (setFrameStore()), where the session will read it, so it is not copied again.
class FrameCutter
{
public:
    static constexpr std::size_t InitialFrameBytes = ipcw::native::InitialFrameBytes;
    using Frames = std::deque<ipcw::native::FrameBytes>;

    // Takes `size` bytes of the stream and appends the frames they complete to `out`. Returns
    // "" or, for a header that is not a frame, why not (the end of a sentence): the stream is
    // then out of step and must not be read further.
    std::string cut(const std::uint8_t *data, std::size_t size, Frames &out)
    {
        while (size > 0) {
            std::size_t take = 0;
            if (m_frameBytes == 0) {
                take = std::min(HeaderBytes - m_have, size);
                std::memcpy(m_header + m_have, data, take);
                m_have += take;
                if (m_have == HeaderBytes) {
                    if (std::string why = checkHeader(m_header, &m_frameBytes); !why.empty())
                        return why;
                    if (m_budget && m_frameBytes > m_budget->limit())
                        return refuse("announced a frame of " + std::to_string(m_frameBytes)
                                      + " bytes, more than this receiver's whole budget for unfinished frames ("
                                      + ipcw::native::mebibytesText(m_budget->limit()) + " MiB, --max-pending-mib)");
                    m_frame.begin(m_store, m_frameBytes);
                    m_frameStart = m_frame.grow(HeaderBytes);
                    std::memcpy(m_frameStart, m_header, HeaderBytes);
                    if (m_budget && !m_share.resize(*m_budget, HeaderBytes))
                        return refuse("sent a frame header when " + m_budget->describe());
                }
            } else {
                std::size_t room = 0;
                std::uint8_t *into = payloadRoom(&room);
                if (!into)
                    return m_refusal;
                take = std::min(room, size);
                std::memcpy(into, data, take);
                m_have += take;
            }
            data += take;
            size -= take;
            finishFrame(out);
        }
        return {};
    }

    // Where the next bytes of the frame under way can be read straight into, to save a copy for
    // a large frame: null (and 0) while its header is still incomplete, or when the budget
    // refused more memory for it (overBudget()).
    std::uint8_t *payloadRoom(std::size_t *size)
    {
        if (m_frameBytes == 0) {
            *size = 0;
            return nullptr;
        }
        std::uint8_t *frame = m_frameStart;
        if (m_have == m_frame.size()) {
            const std::size_t target = std::min(m_frameBytes, std::max(InitialFrameBytes, 2 * m_have));
            if (m_budget && !m_share.resize(*m_budget, target)) {
                refuse("needed " + ipcw::native::mebibytesText(target - m_frame.size()) + " MiB more for its frame of "
                       + std::to_string(m_frameBytes) + " bytes (" + std::to_string(m_have) + " had arrived) when "
                       + m_budget->describe());
                *size = 0;
                return nullptr;
            }
            frame = m_frameStart = m_frame.grow(target - m_frame.size());
        }
        *size = m_frame.size() - m_have;
        return frame + m_have;
    }
    // `n` bytes (at most what payloadRoom() offered) were written there.
    void payloadArrived(std::size_t n, Frames &out)
    {
        m_have += n;
        finishFrame(out);
    }

    // Unfinished frames draw their memory from `budget` (none: unbounded but for the frame
    // limit); a frame that does not fit is refused, and the stream must not be read further.
    void setBudget(ipcw::native::PendingBudget *budget) { m_budget = budget; }
    // Large frames go in buffers of `store` (none: in vectors), from the next frame on.
    void setFrameStore(ipcw::native::FrameStore *store) { m_store = store; }
    // Whether the last refusal was the budget's (not a broken stream), and its sentence's end.
    bool overBudget() const { return !m_refusal.empty(); }
    const std::string &refusal() const { return m_refusal; }

    // Bytes of the frame under way, its header included.
    std::size_t pendingBytes() const { return m_have; }
    // The frame's whole length once its header was accepted (0 before).
    std::size_t frameBytes() const { return m_frameBytes; }
    // Memory held for the frame under way.
    std::size_t committedBytes() const { return m_frame.committed(); }

private:
    void finishFrame(Frames &out)
    {
        if (m_frameBytes == 0 || m_have != m_frameBytes)
            return;
        out.push_back(std::move(m_frame));
        m_frame = {};
        m_frameStart = nullptr;
        m_frameBytes = 0;
        m_have = 0;
        m_share.release();
    }
    std::string refuse(std::string why)
    {
        m_refusal = std::move(why);
        return m_refusal;
    }

    std::uint8_t m_header[HeaderBytes] = {};
    ipcw::native::FrameBytes m_frame;     // header and payload so far; its size is what is committed
    std::uint8_t *m_frameStart = nullptr; // m_frame's first byte, as its last grow() gave it
    std::size_t m_frameBytes = 0;         // the whole frame's length, once its header was accepted
    std::size_t m_have = 0;               // bytes of the current frame received so far
    ipcw::native::PendingBudget *m_budget = nullptr;
    ipcw::native::FrameStore *m_store = nullptr;
    ipcw::native::PendingBudget::Share m_share; // what m_frame holds of the budget
    std::string m_refusal;                     // set once the budget refused a frame
};

} // namespace ipcw::native::namedpipe
