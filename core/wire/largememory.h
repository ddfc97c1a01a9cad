// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ipcwcore_export.h"

#include <cstddef>
#include <new>

// Memory for large buffers that are filled once and kept or rewritten whole (stored frames,
// the order of 10 M table rows). On Linux such a buffer is mapped on its own and advised for
// transparent huge pages: its first touch then costs one page fault per 2 MiB instead of one
// per 4 KiB (a fault costs microseconds, far more in a virtual machine, and glibc's malloc
// leaves huge pages off unless told by a tunable). Elsewhere, and for small sizes, the heap.
namespace LargeMemory {

// Sizes from this many bytes up are mapped; below, they come from the heap.
constexpr std::size_t MappedFromBytes = 2 * 1024 * 1024;

// Throws std::bad_alloc when the system has no memory to give.
IPCWCORE_EXPORT void *allocate(std::size_t bytes);
// `bytes` must be what allocate() was given.
IPCWCORE_EXPORT void release(void *p, std::size_t bytes) noexcept;

// For std::vector and friends: std::vector<T, LargeMemory::Allocator<T>>.
template <typename T> struct Allocator
{
    using value_type = T;
    Allocator() = default;
    template <typename U> Allocator(const Allocator<U> &) noexcept {}
    T *allocate(std::size_t n) { return static_cast<T *>(LargeMemory::allocate(n * sizeof(T))); }
    void deallocate(T *p, std::size_t n) noexcept { LargeMemory::release(p, n * sizeof(T)); }
    template <typename U> bool operator==(const Allocator<U> &) const noexcept { return true; }
    template <typename U> bool operator!=(const Allocator<U> &) const noexcept { return false; }
};

} // namespace LargeMemory
