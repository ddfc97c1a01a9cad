// SPDX-License-Identifier: GPL-3.0-or-later
#include "framestorage.h"

#include "largememory.h"
#include "recordbatch.h"

#include <cstring>

namespace {

constexpr qsizetype roundUp8(qsizetype n)
{
    return (n + 7) & ~qsizetype(7);
}

} // namespace

// One mapping (see LargeMemory). Pages are touched only as they are filled, so an unused tail
// costs address space, not memory.
struct FrameStorage::Block
{
    explicit Block(qsizetype size) : base(static_cast<char *>(LargeMemory::allocate(size_t(size)))), size(size) {}
    ~Block() { LargeMemory::release(base, size_t(size)); }
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
