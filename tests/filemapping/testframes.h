// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Frames the filemapping tests send: a 12-byte head (tag, index, size) and a pattern that
// depends on all three, so a torn, shifted or mixed-up frame is caught. Plain C++ (the helper
// process has no Qt).

#include <cstdint>
#include <cstring>
#include <vector>

namespace TestFrames {

constexpr std::size_t HeadBytes = 12;

inline std::uint8_t patternByte(std::uint32_t tag, std::uint32_t index, std::size_t i)
{
    return std::uint8_t(tag * 31u + index * 7u + std::uint32_t(i) * 13u + std::uint32_t(i >> 8));
}

inline std::vector<std::uint8_t> make(std::uint32_t tag, std::uint32_t index, std::size_t size)
{
    std::vector<std::uint8_t> frame(size < HeadBytes ? HeadBytes : size);
    const std::uint32_t head[3] = {tag, index, std::uint32_t(frame.size())};
    std::memcpy(frame.data(), head, HeadBytes);
    for (std::size_t i = HeadBytes; i < frame.size(); ++i)
        frame[i] = patternByte(tag, index, i);
    return frame;
}

// True when `frame` is intact; its tag and index are returned.
inline bool check(const std::uint8_t *data, std::size_t size, std::uint32_t *tag, std::uint32_t *index)
{
    if (size < HeadBytes)
        return false;
    std::uint32_t head[3];
    std::memcpy(head, data, HeadBytes);
    *tag = head[0];
    *index = head[1];
    if (head[2] != size)
        return false;
    for (std::size_t i = HeadBytes; i < size; ++i)
        if (data[i] != patternByte(head[0], head[1], i))
            return false;
    return true;
}

// A spread of sizes: tiny, around chunk limits and well past the ring.
inline std::size_t sizeFor(std::uint32_t index, std::size_t largest)
{
    static const std::size_t mix[] = {12, 13, 40, 64, 1000, 4096, 65536, 300000};
    const std::size_t size = index % 9 == 8 ? largest : mix[index % 8] + index % 5;
    return size > largest ? largest : size;
}

} // namespace TestFrames
