// SPDX-License-Identifier: GPL-3.0-or-later
// FrameCodec::crc32: the frame checksum (CRC-32/IEEE, as zlib's crc32). Every frame is summed
// once on each side, so at millions of records per second zlib's table method was the largest
// single cost of receiving (about 3.9 instructions per byte). On x86-64 processors with
// carry-less multiplication (PCLMULQDQ, every one since 2010) the bulk is folded 64 bytes at a
// time instead, or 256 where VPCLMULQDQ and AVX-512 exist: the method of Intel's "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009), with
// the constants Chromium's zlib uses (those for 256-byte steps are x^2080 and x^2016 modulo the
// polynomial, bit-reflected, as zlib-ng's). Less than 64 bytes (a frame's 36-byte header, the
// tail after the last 16-byte block) go eight bytes a step through eight tables: zlib's loop for
// so few bytes takes one byte at a time and each waits for the last, 57 ns for a header. Larger
// inputs on every other processor go through zlib.
#include "frameheader.h"

#include <QtEndian>

#include <array>
#include <cstring>

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define IPCW_CRC32_PCLMUL 1
#include <immintrin.h>
#endif

namespace {

// Table k gives the CRC (bit-reflected, no inversion) of byte i followed by k zero bytes, so
// eight bytes are looked up independently and combined.
using SliceTables = std::array<std::array<quint32, 256>, 8>;

constexpr SliceTables makeSliceTables()
{
    SliceTables t {};
    for (quint32 i = 0; i < 256; ++i) {
        quint32 c = i;
        for (int bit = 0; bit < 8; ++bit)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1; // the CRC-32 polynomial, reflected
        t[0][i] = c;
    }
    for (std::size_t k = 1; k < t.size(); ++k)
        for (std::size_t i = 0; i < 256; ++i)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    return t;
}

constexpr SliceTables Slices = makeSliceTables();

quint32 loadLittle32(const unsigned char *p)
{
    quint32 v;
    std::memcpy(&v, p, sizeof v);
    return qFromLittleEndian(v);
}

// The CRC of a few bytes, eight at a time (slicing-by-8). zlib's value in, zlib's value out.
quint32 crc32Sliced(const unsigned char *p, qsizetype size, quint32 previous)
{
    quint32 crc = ~previous;
    for (; size >= 8; p += 8, size -= 8) {
        const quint32 low = crc ^ loadLittle32(p);
        const quint32 high = loadLittle32(p + 4);
        crc = Slices[7][low & 0xff] ^ Slices[6][(low >> 8) & 0xff] ^ Slices[5][(low >> 16) & 0xff]
              ^ Slices[4][low >> 24] ^ Slices[3][high & 0xff] ^ Slices[2][(high >> 8) & 0xff]
              ^ Slices[1][(high >> 16) & 0xff] ^ Slices[0][high >> 24];
    }
    if (size >= 4) {
        const quint32 word = crc ^ loadLittle32(p);
        crc = Slices[3][word & 0xff] ^ Slices[2][(word >> 8) & 0xff] ^ Slices[1][(word >> 16) & 0xff]
              ^ Slices[0][word >> 24];
        p += 4;
        size -= 4;
    }
    for (; size > 0; ++p, --size)
        crc = (crc >> 8) ^ Slices[0][(crc ^ *p) & 0xff];
    return ~crc;
}

// Below this, slicing beats zlib; above, zlib's own braids (or the folds) take over.
constexpr qsizetype SlicedBelowBytes = 64;

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

// The multipliers that fold a 128-bit lane forward by 512 bits: across the four lanes of the
// 64-byte step, and across the four registers of the 256-byte one.
alignas(16) const quint64 FoldBy512[] = {0x0154442bd4, 0x01c6e41596};

IPCW_FOLD_TARGET inline __m128i load(const unsigned char *p)
{
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
}

// One fold step: x times k (both halves), plus the next block.
IPCW_FOLD_TARGET inline __m128i fold(__m128i x, __m128i k, __m128i next)
{
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00)), next);
}

// Folds the 64 bytes held in x1..x4 and the `size` bytes after them (a multiple of 16) into the
// CRC, in the inverted form the folding works with (~ of zlib's value).
IPCW_FOLD_TARGET quint32 crc32FoldRest(__m128i x1, __m128i x2, __m128i x3, __m128i x4, const unsigned char *buf, size_t size)
{
    alignas(16) static const quint64 k3k4[] = {0x01751997d0, 0x00ccaa009e}; // fold by 128 bits
    alignas(16) static const quint64 k5k0[] = {0x0163cd6124, 0x0000000000};
    alignas(16) static const quint64 poly[] = {0x01db710641, 0x01f7011641};
    __m128i k = _mm_load_si128(reinterpret_cast<const __m128i *>(FoldBy512));
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

// Folds `size` bytes (a multiple of 16, at least 64) into the CRC (inverted form, as above).
IPCW_FOLD_TARGET quint32 crc32Fold(const unsigned char *buf, size_t size, quint32 crc)
{
    const __m128i x1 = _mm_xor_si128(load(buf), _mm_cvtsi32_si128(int(crc)));
    return crc32FoldRest(x1, load(buf + 16), load(buf + 32), load(buf + 48), buf + 64, size - 64);
}

bool cpuCanFold()
{
    static const bool can = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return can;
}

// The same folding four 512-bit registers at a time (256 bytes a step) with VPCLMULQDQ, where
// the processor has it with AVX-512 (Intel since Ice Lake, AMD since Zen 4): sixteen 128-bit
// chains instead of four keep the multiplier busy. On the test machine a 64 KiB frame takes
// 1.25 µs instead of 8.3 (docs/benchmarks.md), and even 256 bytes go 3.6 times as fast. The
// bulk ends with the four registers folded into one, whose four 128-bit lanes go on through the
// code above.
#define IPCW_WIDE_TARGET __attribute__((target("vpclmulqdq,avx512f,pclmul,sse4.1")))

IPCW_WIDE_TARGET inline __m512i loadWide(const unsigned char *p)
{
    return _mm512_loadu_si512(p);
}

IPCW_WIDE_TARGET inline __m512i foldWide(__m512i x, __m512i k, __m512i next)
{
    // 0x96: the exclusive or of all three operands.
    return _mm512_ternarylogic_epi32(_mm512_clmulepi64_epi128(x, k, 0x11), _mm512_clmulepi64_epi128(x, k, 0x00), next, 0x96);
}

// GCC 12's own _mm512_broadcast_i32x4 and _mm512_extracti32x4_epi32 start from a register
// left undefined on purpose, and warn about it where they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
// Folds `size` bytes (a multiple of 16, at least 256) into the CRC (inverted form, as above).
IPCW_WIDE_TARGET quint32 crc32FoldWide(const unsigned char *buf, size_t size, quint32 crc)
{
    alignas(16) static const quint64 by2048[] = {0x011542778a, 0x01322d1430};
    __m512i x1 = _mm512_xor_si512(loadWide(buf), _mm512_zextsi128_si512(_mm_cvtsi32_si128(int(crc))));
    __m512i x2 = loadWide(buf + 64), x3 = loadWide(buf + 128), x4 = loadWide(buf + 192);
    buf += 256;
    size -= 256;
    __m512i k = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i *>(by2048)));
    for (; size >= 256; buf += 256, size -= 256) {
        x1 = foldWide(x1, k, loadWide(buf));
        x2 = foldWide(x2, k, loadWide(buf + 64));
        x3 = foldWide(x3, k, loadWide(buf + 128));
        x4 = foldWide(x4, k, loadWide(buf + 192));
    }
    k = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i *>(FoldBy512)));
    x1 = foldWide(x1, k, x2);
    x1 = foldWide(x1, k, x3);
    x1 = foldWide(x1, k, x4);
    return crc32FoldRest(_mm512_extracti32x4_epi32(x1, 0), _mm512_extracti32x4_epi32(x1, 1),
                         _mm512_extracti32x4_epi32(x1, 2), _mm512_extracti32x4_epi32(x1, 3), buf, size);
}
#pragma GCC diagnostic pop

bool cpuCanFoldWide()
{
    // __builtin_cpu_supports("avx512f") also checks that the system saves the 512-bit registers.
    static const bool can = cpuCanFold() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq");
    return can;
}

// The wide fold starts from four full registers.
constexpr qsizetype WideFoldMinBytes = 256;

#endif

} // namespace

namespace FrameCodec {

quint32 crc32(const char *data, qsizetype size, quint32 previous)
{
    const auto *bytes = reinterpret_cast<const unsigned char *>(data);
    if (size < SlicedBelowBytes)
        return crc32Sliced(bytes, size, previous);
#if IPCW_CRC32_PCLMUL
    if (cpuCanFold()) {
        const size_t bulk = size_t(size) & ~size_t(15);
        const quint32 crc = ~(size >= WideFoldMinBytes && cpuCanFoldWide() ? crc32FoldWide(bytes, bulk, ~previous)
                                                                           : crc32Fold(bytes, bulk, ~previous));
        return crc32Sliced(bytes + bulk, size - qsizetype(bulk), crc);
    }
#endif
    return crc32Zlib(data, size, previous);
}

quint32 crc32Combine(quint32 crcOfFirst, quint32 crcOfSecond, qsizetype secondSize)
{
#if ZLIB_VERNUM >= 0x12c0
    // crc32_combine() works out x^(8 * secondSize) modulo the polynomial on every call, 0.33 us
    // for a 64 KiB payload; the echo and the pinger of a round trip combine four times for
    // the same length, so the last length's operator is kept (then 0.03 us).
    thread_local qsizetype operatorSize = -1;
    thread_local uLong sizeOperator = 0;
    if (secondSize != operatorSize) {
        sizeOperator = ::crc32_combine_gen64(z_off64_t(secondSize));
        operatorSize = secondSize;
    }
    return quint32(::crc32_combine_op(crcOfFirst, crcOfSecond, sizeOperator));
#else
    return quint32(::crc32_combine(crcOfFirst, crcOfSecond, z_off_t(secondSize))); // a payload is at most 64 MiB
#endif
}

} // namespace FrameCodec
