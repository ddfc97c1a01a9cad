// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// For a channel that puts received frames in a FrameStore (channel.h) when it is lent one:
// FrameBytes holds one frame as its pieces arrive, in the store's buffer or else in a vector,
// and EventQueue holds the events receive() will return, handing each frame's buffer to the
// store just before its event is returned, as FrameStore::deliver() asks. Header-only, Qt-free.

#include "channel.h"
#include "receivelimits.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

namespace ipcw::native {

class FrameBytes
{
public:
    // Frames from this size on go in the store's buffer: below it, copying the frame once more
    // costs less than the store's buffer object and calls (a 1-record frame is 127 bytes).
    static constexpr std::size_t StoredFromBytes = 4096;

    // Empties it for a new frame that announces `frameBytes`: in a buffer of `store` when there
    // is one and the frame is large enough, else in a vector. Memory follows the bytes that
    // arrive, not the announcement: at most InitialFrameBytes is reserved now.
    void start(FrameStore *store, std::size_t frameBytes)
    {
        reset();
        const std::size_t reserve = std::min(frameBytes, InitialFrameBytes);
        if (store && frameBytes >= StoredFromBytes)
            m_stored = store->create(reserve);
        else
            m_bytes.reserve(reserve);
    }

    void append(const std::uint8_t *data, std::size_t size)
    {
        if (m_stored)
            std::memcpy(m_stored->extend(size), data, size);
        else
            m_bytes.insert(m_bytes.end(), data, data + size); // no zeroing first, unlike resize()
    }

    // For a frame read straight into its memory, grown ahead of the bytes: empties it for a new
    // frame of `frameBytes` (in a buffer of `store` as start() decides) and reserves nothing.
    void begin(FrameStore *store, std::size_t frameBytes)
    {
        reset();
        if (store && frameBytes >= StoredFromBytes)
            m_stored = store->create(0);
    }
    // Adds `bytes` to the frame's length, exactly (no vector slack), and returns the frame's
    // first byte: the caller writes the new bytes, every one, before the frame is taken. The
    // pointer is valid until the next grow().
    std::uint8_t *grow(std::size_t bytes)
    {
        const std::size_t old = size();
        if (m_stored)
            return m_stored->extend(bytes) - old;
        m_bytes.reserve(old + bytes);
        m_bytes.resize(old + bytes);
        return m_bytes.data();
    }
    // Memory it holds for the frame (a vector's capacity counts).
    std::size_t committed() const { return m_stored ? m_stored->size() : m_bytes.capacity(); }

    std::size_t size() const { return m_stored ? m_stored->size() : m_bytes.size(); }
    const std::uint8_t *data() const { return m_stored ? m_stored->data() : m_bytes.data(); }
    bool stored() const { return m_stored != nullptr; }
    // Frees what it holds.
    void reset()
    {
        m_stored.reset();
        std::vector<std::uint8_t>().swap(m_bytes);
    }

    // The frame, for an event: its vector, or its stored buffer; empty afterwards.
    std::vector<std::uint8_t> takeVector() { return std::exchange(m_bytes, {}); }
    std::unique_ptr<FrameBuffer> takeStored() { return std::move(m_stored); }

private:
    std::vector<std::uint8_t> m_bytes;
    std::unique_ptr<FrameBuffer> m_stored;
};

class EventQueue
{
public:
    void push(Event event) { m_events.push_back({std::move(event), nullptr}); }
    // A Frame event for `peer` with the frame `bytes` holds; `bytes` is empty afterwards.
    void pushFrame(std::uint64_t peer, FrameBytes &bytes)
    {
        Queued q;
        q.event.kind = Event::Kind::Frame;
        q.event.peer = peer;
        q.event.frame = bytes.takeVector();
        q.stored = bytes.takeStored();
        m_events.push_back(std::move(q));
    }

    bool empty() const { return m_events.empty(); }
    void clear() { m_events.clear(); }
    // The oldest event into `event`; a frame put together in a store's buffer is delivered to
    // `store` (or copied into event->frame, should the store have been taken back since).
    bool take(Event *event, FrameStore *store)
    {
        if (m_events.empty())
            return false;
        Queued q = std::move(m_events.front());
        m_events.pop_front();
        *event = std::move(q.event);
        if (q.stored && store)
            store->deliver(std::move(q.stored));
        else if (q.stored)
            event->frame.assign(q.stored->data(), q.stored->data() + q.stored->size());
        return true;
    }

private:
    struct Queued
    {
        Event event;
        std::unique_ptr<FrameBuffer> stored;
    };
    std::deque<Queued> m_events;
};

} // namespace ipcw::native
