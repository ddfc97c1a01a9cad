// SPDX-License-Identifier: GPL-3.0-or-later
#include "framestorage.h"

#include "recordbatch.h"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace {

constexpr qsizetype roundUp8(qsizetype n)
{
    return (n + 7) & ~qsizetype(7);
}

} // namespace

// One mapping (Linux: anonymous, advised for huge pages; elsewhere the heap). Pages are touched
// only as they are filled, so an unused tail costs address space, not memory.
struct FrameStorage::Block
{
    explicit Block(qsizetype size) : size(size)
    {
#if defined(__linux__)
        void *p = mmap(nullptr, size_t(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        madvise(p, size_t(size), MADV_HUGEPAGE); // a hint: without THP, plain pages
        base = static_cast<char *>(p);
#else
        base = static_cast<char *>(std::malloc(size_t(size)));
        if (!base)
            throw std::bad_alloc();
#endif
    }
    ~Block()
    {
#if defined(__linux__)
        munmap(base, size_t(size));
#else
        std::free(base);
#endif
    }
    Block(const Block &) = delete;
    Block &operator=(const Block &) = delete;

    char *base = nullptr;
    qsizetype size = 0;
};

FrameStorage::FrameStorage() = default;
FrameStorage::~FrameStorage() = default;

char *FrameStorage::allocate(qsizetype bytes, std::shared_ptr<Block> *owner)
{
    // A frame larger than a quarter block gets a block of its own, so the tail a full block
    // leaves unused stays small.
    if (bytes > BlockBytes / 4) {
        *owner = std::make_shared<Block>(bytes);
        return (*owner)->base;
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_block || m_used + bytes > m_block->size) {
        m_block = std::make_shared<Block>(BlockBytes);
        m_used = 0;
    }
    char *at = m_block->base + m_used;
    m_used += bytes;
    *owner = m_block;
    return at;
}

void FrameStorage::keep(RecordBatch *batch)
{
    const qsizetype frameBytes = roundUp8(batch->frameSize);
    const qsizetype indexBytes = batch->count * qsizetype(sizeof(quint32));
    std::shared_ptr<Block> block;
    char *at = allocate(frameBytes + roundUp8(indexBytes), &block);
    std::memcpy(at, batch->frame, size_t(batch->frameSize));
    std::memcpy(at + frameBytes, batch->offsets, size_t(indexBytes));
    batch->frame = at;
    batch->offsets = reinterpret_cast<const quint32 *>(at + frameBytes);
    batch->owner = std::move(block);
}
