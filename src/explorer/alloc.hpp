// Every large allocation of the explorer (arena chunks, hash tables, bit
// arrays, queues) goes through big_alloc, so that running out of memory is
// one path, and a test can make the allocator refuse (allocations_left).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdlib>

namespace pxc::explorer {

// Tests only: the number of big allocations that still succeed (-1: all).
inline std::atomic<long> allocations_left{-1};

// malloc (zeroed: calloc, whose fresh pages the kernel zeroes lazily);
// nullptr when refused. Freed with std::free.
inline void* big_alloc(size_t bytes, bool zeroed)
{
    if (allocations_left.load(std::memory_order_relaxed) >= 0 &&
        allocations_left.fetch_sub(1, std::memory_order_relaxed) <= 0) {
        allocations_left.store(0, std::memory_order_relaxed);
        return nullptr;
    }
    return zeroed ? std::calloc(bytes, 1) : std::malloc(bytes);
}

}  // namespace pxc::explorer
