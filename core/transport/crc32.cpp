// SPDX-License-Identifier: GPL-3.0-or-later
// FrameCodec::crc32: the frame checksum (CRC-32/IEEE, as zlib's crc32). Every frame is summed
// once on each side, so at millions of records per second zlib's table method was the largest
// single cost of receiving (about 3.9 instructions per byte). On x86-64 processors with
// carry-less multiplication (PCLMULQDQ, every one since 2010) the bulk is folded 64 bytes at a
// time instead: the method of Intel's "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction" (Gopal et al., 2009), with the constants Chromium's zlib uses. The
// head and tail shorter than a 16-byte block, and every other processor, go through zlib.
#include "frameheader.h"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define IPCW_CRC32_PCLMUL 1
#include <immintrin.h>
#endif

namespace {

quint32 crc32Zlib(const char *data, qsizetype size, quint32 crc)
{
    uLong value = crc;
    while (size > 0) { // zlib takes uInt lengths
        const uInt chunk = uInt(qMin<qsizetype>(size, 1 << 30));
        value = ::crc32(value, reinterpret_cast<const Bytef *>(data), chunk);
        data += chunk;
        size -= chunk;
    }
    return quint32(value);
}

#if IPCW_CRC32_PCLMUL

#define IPCW_FOLD_TARGET __attribute__((target("pclmul,sse4.1")))

IPCW_FOLD_TARGET inline __m128i load(const unsigned char *p)
{
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
}

// One fold step: x times k (both halves), plus the next block.
IPCW_FOLD_TARGET inline __m128i fold(__m128i x, __m128i k, __m128i next)
{
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00)), next);
}

// Folds `size` bytes (a multiple of 16, at least 64) into the CRC. `crc` and the result are in
// the inverted form the folding works with (~ of zlib's value).
IPCW_FOLD_TARGET quint32 crc32Fold(const unsigned char *buf, size_t size, quint32 crc)
{
    alignas(16) static const quint64 k1k2[] = {0x0154442bd4, 0x01c6e41596};
    alignas(16) static const quint64 k3k4[] = {0x01751997d0, 0x00ccaa009e};
    alignas(16) static const quint64 k5k0[] = {0x0163cd6124, 0x0000000000};
    alignas(16) static const quint64 poly[] = {0x01db710641, 0x01f7011641};
    __m128i x1 = _mm_xor_si128(load(buf), _mm_cvtsi32_si128(int(crc)));
    __m128i x2 = load(buf + 16), x3 = load(buf + 32), x4 = load(buf + 48);
    buf += 64;
    size -= 64;
    __m128i k = _mm_load_si128(reinterpret_cast<const __m128i *>(k1k2));
    for (; size >= 64; buf += 64, size -= 64) {
        x1 = fold(x1, k, load(buf));
        x2 = fold(x2, k, load(buf + 16));
        x3 = fold(x3, k, load(buf + 32));
        x4 = fold(x4, k, load(buf + 48));
    }
    k = _mm_load_si128(reinterpret_cast<const __m128i *>(k3k4));
    x1 = fold(x1, k, x2);
    x1 = fold(x1, k, x3);
    x1 = fold(x1, k, x4);
    for (; size >= 16; buf += 16, size -= 16)
        x1 = fold(x1, k, load(buf));

    // 128 bits to 64.
    const __m128i mask = _mm_setr_epi32(~0, 0, ~0, 0);
    x2 = _mm_clmulepi64_si128(x1, k, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
    k = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(k5k0));
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask), k, 0x00), x2);
    // Barrett reduction to 32 bits.
    k = _mm_load_si128(reinterpret_cast<const __m128i *>(poly));
    x2 = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask), k, 0x10), mask);
    x2 = _mm_clmulepi64_si128(x2, k, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return quint32(_mm_extract_epi32(x1, 1));
}

bool cpuCanFold()
{
    static const bool can = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return can;
}

#endif

} // namespace

namespace FrameCodec {

quint32 crc32(const char *data, qsizetype size, quint32 previous)
{
#if IPCW_CRC32_PCLMUL
    if (size >= 64 && cpuCanFold()) {
        const size_t bulk = size_t(size) & ~size_t(15);
        const quint32 crc = ~crc32Fold(reinterpret_cast<const unsigned char *>(data), bulk, ~previous);
        return crc32Zlib(data + bulk, size - qsizetype(bulk), crc);
    }
#endif
    return crc32Zlib(data, size, previous);
}

} // namespace FrameCodec
