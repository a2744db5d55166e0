// The tree store's memory: a meter of every byte it holds (now, at its
// largest, and the limit it must stay under), and arrays of small
// fixed-width entries in chunks that never move.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "explorer/alloc.hpp"

namespace pxc::explorer {

// Every allocation of a store goes through take() first, so that the
// statistics can say what it held at its largest and a limit is honoured
// before the memory is asked for.
class Meter {
public:
    // False (nothing taken) when `bytes` more would pass `limit` (0: none).
    bool take(uint64_t bytes, uint64_t limit)
    {
        uint64_t now = now_.load(std::memory_order_relaxed);
        do {
            if (limit && now + bytes > limit) {
                over_limit_.store(true, std::memory_order_relaxed);
                return false;
            }
        } while (!now_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
        uint64_t peak = peak_.load(std::memory_order_relaxed);
        while (now + bytes > peak && !peak_.compare_exchange_weak(peak, now + bytes, std::memory_order_relaxed)) {
        }
        return true;
    }
    void refuse() { over_limit_.store(true, std::memory_order_relaxed); }
    void give(uint64_t bytes) { now_.fetch_sub(bytes, std::memory_order_relaxed); }
    // big_alloc, metered: nullptr when over the limit (over_limit()) or refused.
    void* alloc(uint64_t bytes, bool zeroed, uint64_t limit)
    {
        if (!take(bytes, limit))
            return nullptr;
        void* p = big_alloc(bytes, zeroed);
        if (!p)
            give(bytes);
        return p;
    }
    void free(void* p, uint64_t bytes)
    {
        if (p) {
            std::free(p);
            give(bytes);
        }
    }
    uint64_t now() const { return now_.load(std::memory_order_relaxed); }
    uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
    bool over_limit() const { return over_limit_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> now_{0}, peak_{0};
    std::atomic<bool> over_limit_{false};
};

// Entries of 1 to 8 bytes, indexed by 32-bit ids, in chunks of 4096 reached
// through a two-level directory (2^10 x 2^10 chunks): a table of 30 entries
// costs one small chunk, not a directory for 2^32. Each chunk has its own
// entry width and a second small number (the tree store's packing of a pair,
// see PairTable), kept in the top byte and the one below of its directory
// word beside the pointer (user-space pointers have 48 bits): a table's
// entries may widen as it grows while its full chunks stay as they are.
class Chunks {
public:
    static constexpr unsigned chunk_bits = 12;
    static constexpr uint32_t chunk_entries = 1u << chunk_bits;
    static constexpr unsigned dir_bits = 10;
    static constexpr size_t dir_size = size_t(1) << dir_bits;

    explicit Chunks(Meter& meter) : meter_(meter), top_(new std::atomic<std::atomic<uint64_t>*>[dir_size]())
    {
        meter_.take(dir_size * sizeof(void*), 0);
    }
    ~Chunks()
    {
        for (size_t t = 0; t < dir_size; ++t) {
            std::atomic<uint64_t>* dir = top_[t].load(std::memory_order_relaxed);
            if (!dir)
                continue;
            for (size_t d = 0; d < dir_size; ++d)
                if (const uint64_t w = dir[d].load(std::memory_order_relaxed))
                    meter_.free(pointer(w), chunk_bytes(w));
            meter_.free(dir, dir_size * sizeof(uint64_t));
        }
        meter_.give(dir_size * sizeof(void*));
    }
    Chunks(const Chunks&) = delete;
    Chunks& operator=(const Chunks&) = delete;

    // A chunk's directory word: its pointer, entry width (bytes) and shift.
    static uint8_t* pointer(uint64_t w) { return reinterpret_cast<uint8_t*>(w & ((uint64_t(1) << 48) - 1)); }
    static unsigned width(uint64_t w) { return unsigned(w >> 56); }
    static unsigned shift(uint64_t w) { return unsigned(w >> 48) & 0xFF; }
    // A chunk ends with 8 spare bytes, so that get() reads every width with one 8-byte load.
    static constexpr uint64_t pad = 8;
    static uint64_t bytes_for(unsigned width) { return uint64_t(chunk_entries) * width + pad; }
    static uint64_t chunk_bytes(uint64_t w) { return bytes_for(width(w)); }

    // The directory word of the chunk of entry i (0: none yet).
    [[gnu::always_inline]] uint64_t word(uint64_t i) const
    {
        const std::atomic<uint64_t>* dir = top_[i >> (chunk_bits + dir_bits)].load(std::memory_order_acquire);
        return dir ? dir[(i >> chunk_bits) & (dir_size - 1)].load(std::memory_order_acquire) : 0;
    }
    bool has(uint64_t i) const { return word(i) != 0; }

    // Entry i as an integer (little-endian, width bytes); its chunk exists.
    uint64_t get(uint64_t i) const { return get(word(i), i); }
    [[gnu::always_inline]] static uint64_t get(uint64_t w, uint64_t i)
    {
        const uint8_t* p = pointer(w) + size_t(i & (chunk_entries - 1)) * width(w);
        uint64_t v;
        std::memcpy(&v, p, 8);   // the chunk's pad keeps the last entry's load inside it
        return v & (~uint64_t(0) >> (64 - 8 * width(w)));   // widths 1 to 8 (little-endian)
    }
    void prefetch(uint64_t i) const
    {
        const uint64_t w = word(i);
        __builtin_prefetch(pointer(w) + size_t(i & (chunk_entries - 1)) * width(w));
    }
    // Writes only entry i's bytes: threads may write neighbouring entries at once.
    void set(uint64_t i, uint64_t v)
    {
        const uint64_t w = word(i);
        std::memcpy(pointer(w) + size_t(i & (chunk_entries - 1)) * width(w), &v, width(w));
    }

    // Makes sure the chunk of entry i exists; a new one gets (width, shift).
    // Safe while other threads read and write. False when over `limit` or
    // refused (meter's over_limit() tells which).
    bool ensure(uint64_t i, unsigned width, unsigned shift, uint64_t limit)
    {
        std::atomic<uint64_t>* slot = directory_slot(i, limit);
        if (!slot)
            return false;
        if (slot->load(std::memory_order_acquire))
            return true;
        const uint64_t bytes = bytes_for(width);
        void* p = meter_.alloc(bytes, false, limit);
        if (!p)
            return false;
        if (uintptr_t(p) >> 48) {   // not where user space pointers live on x86-64 and arm64
            meter_.free(p, bytes);
            return false;
        }
        uint64_t expected = 0;
        if (!slot->compare_exchange_strong(expected, make_word(p, width, shift), std::memory_order_acq_rel))
            meter_.free(p, bytes);
        return true;
    }

    // No other thread may touch the chunk meanwhile: gives the chunk of
    // entry i a new (width, shift), re-coding its entries with `recode`
    // (old value, old shift) -> new value. False (unchanged) when refused.
    template <class Recode>
    bool rewrite(uint64_t i, unsigned width, unsigned shift, uint64_t limit, Recode&& recode)
    {
        std::atomic<uint64_t>* slot = directory_slot(i, limit);
        if (!slot)
            return false;
        const uint64_t old = slot->load(std::memory_order_relaxed);
        if (old && Chunks::width(old) == width && Chunks::shift(old) == shift)
            return true;
        const uint64_t bytes = bytes_for(width);
        void* p = meter_.alloc(bytes, false, limit);
        if (!p)
            return false;
        if (uintptr_t(p) >> 48) {
            meter_.free(p, bytes);
            return false;
        }
        const uint64_t w = make_word(p, width, shift);
        if (old) {
            const uint64_t base = i & ~uint64_t(chunk_entries - 1);
            for (uint32_t e = 0; e < chunk_entries; ++e) {
                const uint64_t v = recode(get(old, base + e), Chunks::shift(old));
                std::memcpy(static_cast<uint8_t*>(p) + size_t(e) * width, &v, width);
            }
            meter_.free(pointer(old), chunk_bytes(old));
        }
        slot->store(w, std::memory_order_release);
        return true;
    }

private:
    static uint64_t make_word(void* p, unsigned width, unsigned shift)
    {
        return uint64_t(uintptr_t(p)) | uint64_t(shift) << 48 | uint64_t(width) << 56;
    }
    std::atomic<uint64_t>* directory_slot(uint64_t i, uint64_t limit)
    {
        std::atomic<std::atomic<uint64_t>*>& top = top_[(i >> (chunk_bits + dir_bits)) & (dir_size - 1)];
        std::atomic<uint64_t>* dir = top.load(std::memory_order_acquire);
        if (!dir) {
            auto* fresh = static_cast<std::atomic<uint64_t>*>(meter_.alloc(dir_size * sizeof(uint64_t), true, limit));
            if (!fresh)
                return nullptr;
            if (top.compare_exchange_strong(dir, fresh, std::memory_order_acq_rel))
                dir = fresh;
            else
                meter_.free(fresh, dir_size * sizeof(uint64_t));
        }
        return &dir[(i >> chunk_bits) & (dir_size - 1)];
    }

    Meter& meter_;
    std::unique_ptr<std::atomic<std::atomic<uint64_t>*>[]> top_;
};

}  // namespace pxc::explorer
