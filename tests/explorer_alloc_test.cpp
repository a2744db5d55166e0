// What the explorer frees leaves the process (alloc.hpp): a big block is
// given back when freed, even after glibc would have raised its mmap
// threshold, and release_free_memory() gives back the free pages of the
// heap. Measured by the process's resident pages (/proc/self/statm), so
// only where glibc and procfs are there.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "explorer/alloc.hpp"

using pxc::explorer::big_alloc;
using pxc::explorer::release_free_memory;

namespace {

int64_t resident_bytes()
{
    std::ifstream statm("/proc/self/statm");
    int64_t size = 0, resident = -1;
    statm >> size >> resident;
    return resident < 0 ? -1 : resident * int64_t(sysconf(_SC_PAGESIZE));
}

constexpr int64_t mib = int64_t(1) << 20;

}  // namespace

#if defined(__GLIBC__)
TEST_CASE("a big block the explorer frees leaves the process, after glibc would have kept it in its heap")
{
    if (resident_bytes() < 0)
        return;   // no procfs
    // Freeing a mapped 24 MiB block would raise glibc's threshold to 24 MiB,
    // so that the 12 MiB block after it came from the heap, pinned there by
    // the small block allocated above it.
    std::free(big_alloc(24 * mib, false));
    auto* block = static_cast<uint8_t*>(big_alloc(12 * mib, false));
    REQUIRE(block);
    std::memset(block, 1, 12 * mib);
    void* pin = std::malloc(64);
    const int64_t before = resident_bytes();
    std::free(block);
    const int64_t after = resident_bytes();
    CHECK(before - after >= 11 * mib);
    std::free(pin);
}

TEST_CASE("release_free_memory gives back the free pages inside the heap")
{
    if (resident_bytes() < 0)
        return;
    // 64 blocks of 256 KiB, below the mmap threshold: in the heap. Freeing
    // every other one leaves free chunks between live ones, which free()
    // cannot trim.
    std::vector<void*> blocks;
    for (int i = 0; i < 64; ++i) {
        blocks.push_back(std::malloc(256 << 10));
        REQUIRE(blocks.back());
        std::memset(blocks.back(), 1, 256 << 10);
    }
    for (size_t i = 0; i < blocks.size(); i += 2)
        std::free(blocks[i]);
    const int64_t before = resident_bytes();
    release_free_memory();
    const int64_t after = resident_bytes();
    CHECK(before - after >= 6 * mib);   // 32 free chunks of 256 KiB: 8 MiB, less their edges
    for (size_t i = 1; i < blocks.size(); i += 2)
        std::free(blocks[i]);
}
#endif
