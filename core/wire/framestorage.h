// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <QtGlobal>

#include <memory>
#include <mutex>

struct RecordBatch;

// Where a receiver keeps the records it holds on to: large blocks filled in arrival order, each
// batch's frame and index copied in once, a block released when no batch uses it any more.
//
// Why not keep each frame in the buffer it arrived in: memory written once and kept is what a
// receiver spends most on at volume, and most of that cost is the first touch of each fresh page
// (a page fault per 4 KiB, microseconds each, more in a virtual machine). The blocks come from
// LargeMemory (huge pages on Linux), so a million records take a handful of faults instead of
// about fifteen thousand; and the buffer a frame arrived in goes straight back to the allocator
// to receive the next one, already touched. The copy itself is cheap: the frame was just
// validated and is still in the cache.
//
// Thread-safe: frames are checked (and kept) on the GUI thread and on a worker thread.
class IPCWCORE_EXPORT FrameStorage
{
public:
    static constexpr qsizetype BlockBytes = 32 * 1024 * 1024;

    FrameStorage();
    ~FrameStorage();
    FrameStorage(const FrameStorage &) = delete;
    FrameStorage &operator=(const FrameStorage &) = delete;

    // Moves `batch`'s frame bytes and record index into storage: afterwards the batch points
    // into a block and keeps it alive; what it pointed to before is released (if nothing else
    // holds it).
    void keep(RecordBatch *batch);

private:
    struct Block;
    // Room for `bytes` (a multiple of 8) in the current block, or a fresh one.
    char *allocate(qsizetype bytes, std::shared_ptr<Block> *owner);

    std::mutex m_mutex;
    std::shared_ptr<Block> m_block;
    qsizetype m_used = 0;
};
