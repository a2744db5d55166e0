// Every large allocation of the explorer (arena chunks, hash tables, bit
// arrays, queues) goes through big_alloc, so that running out of memory is
// one path, and a test can make the allocator refuse (allocations_left).
#pragma once
#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace pxc::explorer {

// Tests only: the number of big allocations that still succeed (-1: all).
inline std::atomic<long> allocations_left{-1};

// glibc serves a block below its mmap threshold from its heaps, and raises
// the threshold (up to 32 MiB) each time a mapped block is freed: the big
// blocks a search frees (a level's tables, a grown table's old copy) would
// then stay resident in a heap, outside what --memory counts (a 20 GiB
// compact run held 2.4 GiB more than its budget). From 4 MiB on, a block is
// always mapped and given back when freed. Set once, before main().
#if defined(__GLIBC__)
inline const bool big_blocks_mapped = mallopt(M_MMAP_THRESHOLD, 4 << 20) == 1;
#endif

// Gives the heaps' free pages back to the system (glibc: malloc_trim), after
// a search freed much at once; elsewhere nothing.
inline void release_free_memory()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

// malloc (zeroed: calloc, whose fresh pages the kernel zeroes lazily);
// nullptr when refused. Freed with std::free. Past 4 MiB the memory is
// offered transparent huge pages (madvise): the tables and arenas are read
// at random, and with 4 KiB pages nearly every lookup also misses the TLB.
inline void* big_alloc(size_t bytes, bool zeroed)
{
    if (allocations_left.load(std::memory_order_relaxed) >= 0 &&
        allocations_left.fetch_sub(1, std::memory_order_relaxed) <= 0) {
        allocations_left.store(0, std::memory_order_relaxed);
        return nullptr;
    }
#if defined(__GLIBC__)
    (void)big_blocks_mapped;   // an inline variable's initialisation may wait for its first use
#endif
    void* p = zeroed ? std::calloc(bytes, 1) : std::malloc(bytes);
    constexpr uintptr_t huge = uintptr_t(2) << 20;
    if (p && bytes >= 2 * huge) {
        const uintptr_t begin = (uintptr_t(p) + huge - 1) & ~(huge - 1), end = (uintptr_t(p) + bytes) & ~(huge - 1);
        if (end > begin)
            madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);   // a hint: failure is harmless
    }
    return p;
}

// What big_alloc returned, in a std::unique_ptr.
struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

}  // namespace pxc::explorer
