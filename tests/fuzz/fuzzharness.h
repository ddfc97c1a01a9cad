// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What every fuzz harness shares. Each harness file defines the libFuzzer entry point below;
// the same function runs under libFuzzer (the clang fuzz build) and under replay_corpus (every
// build, replaying the committed corpus in CTest).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// Aborts when the code under test breaks one of its promises; returns 0 otherwise.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace Fuzz {

// A broken promise must stop the run where libFuzzer (or CTest) sees it, even in release builds.
inline void require(bool ok, const char *promise)
{
    if (!ok) {
        std::fprintf(stderr, "fuzz harness: broken promise: %s\n", promise);
        std::abort();
    }
}

// Reads the input front to back: a harness takes its choices (chunk sizes, operations) from
// it, so libFuzzer mutates those as it mutates the bytes. Past the end everything reads as 0.
class InputReader
{
public:
    InputReader(const std::uint8_t *data, std::size_t size) : m_data(data), m_size(size) {}

    bool atEnd() const { return m_at >= m_size; }
    std::size_t remaining() const { return m_size - m_at; }
    const std::uint8_t *position() const { return m_data + m_at; }

    std::uint8_t u8() { return atEnd() ? 0 : m_data[m_at++]; }
    std::uint16_t u16() { return std::uint16_t(u8() | u8() << 8); }
    std::uint32_t u32() { return std::uint32_t(u16()) | std::uint32_t(u16()) << 16; }
    // The next `count` bytes, or fewer at the end; `*taken` says how many.
    const std::uint8_t *take(std::size_t count, std::size_t *taken)
    {
        *taken = std::min(count, remaining());
        const std::uint8_t *at = position();
        m_at += *taken;
        return at;
    }

private:
    const std::uint8_t *m_data;
    std::size_t m_size;
    std::size_t m_at = 0;
};

} // namespace Fuzz
