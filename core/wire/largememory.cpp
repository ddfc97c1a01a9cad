// SPDX-License-Identifier: GPL-3.0-or-later
#include "largememory.h"

#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace LargeMemory {

void *allocate(std::size_t bytes)
{
#if defined(__linux__)
    if (bytes >= MappedFromBytes) {
        void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        madvise(p, bytes, MADV_HUGEPAGE); // a hint: without THP, plain pages
        return p;
    }
#endif
    void *p = std::malloc(bytes == 0 ? 1 : bytes);
    if (!p)
        throw std::bad_alloc();
    return p;
}

void release(void *p, std::size_t bytes) noexcept
{
    if (!p)
        return;
#if defined(__linux__)
    if (bytes >= MappedFromBytes) {
        munmap(p, bytes);
        return;
    }
#endif
    (void)bytes;
    std::free(p);
}

} // namespace LargeMemory
