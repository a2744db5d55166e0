// The visited sets of the lossy modes: compact's 64-bit fingerprints and
// bitstate's bit array. Both only answer "seen before?", never with the
// state's bytes: see lossy.hpp for what that means for a verdict.
#pragma once
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include "explorer/alloc.hpp"

namespace pxc::explorer {

// compact: open addressing over 64-bit fingerprints (0 is remapped: it marks
// an empty slot), at most 3/4 full. The home slot is the fingerprint scaled
// onto the table (multiply-high: monotonic in the fingerprint), so the
// table grows to any size without the states, and in one streaming pass.
// Small tables double; from 2^14 slots on they grow by a quarter, so that a
// big table stays between 60 % and 75 % full (about 12 bytes a state).
class FingerprintSet {
public:
    explicit FingerprintSet(size_t slots = 1024) : size_(std::max<size_t>(slots, 16)), table_(alloc(size_)) {}
    ~FingerprintSet() { std::free(table_); }
    FingerprintSet(const FingerprintSet&) = delete;
    FingerprintSet& operator=(const FingerprintSet&) = delete;

    uint64_t count() const { return count_; }
    uint64_t bytes() const { return size_ * sizeof(uint64_t); }
    // What the next insert may allocate (the old table is freed after).
    uint64_t bytes_next_growth() const { return wants_growth() ? grown() * sizeof(uint64_t) : 0; }
    bool contains(uint64_t fp) const { return table_[find(fp ? fp : 1)] != 0; }
    void prefetch(uint64_t fp) const { __builtin_prefetch(&table_[home(fp ? fp : 1)]); }
    // Inserts fp; false when it was there. Throws std::bad_alloc.
    bool insert(uint64_t fp)
    {
        fp = fp ? fp : 1;
        size_t slot = find(fp);
        if (table_[slot] != 0)
            return false;
        if (wants_growth()) {
            grow();
            slot = find(fp);
        }
        table_[slot] = fp;
        ++count_;
        return true;
    }

private:
    bool wants_growth() const { return (count_ + 1) * 4 > size_ * 3; }
    size_t grown() const { return size_ < (size_t(1) << 14) ? size_ * 2 : size_ + size_ / 4; }
    static uint64_t* alloc(size_t n)
    {
        auto* p = static_cast<uint64_t*>(big_alloc(n * sizeof(uint64_t), true));
        if (!p)
            throw std::bad_alloc();
        return p;
    }
    size_t home(uint64_t fp) const
    {
        __extension__ typedef unsigned __int128 u128;
        return size_t((u128(fp) * size_) >> 64);
    }
    size_t find(uint64_t fp) const
    {
        size_t slot = home(fp);
        while (table_[slot] != 0 && table_[slot] != fp)
            slot = slot + 1 == size_ ? 0 : slot + 1;
        return slot;
    }
    void grow()
    {
        uint64_t* old = table_;
        const size_t old_size = size_;
        const size_t fresh = grown();
        table_ = alloc(fresh);   // throws: the old table stays
        size_ = fresh;
        for (size_t i = 0; i < old_size; ++i)
            if (old[i] != 0)
                table_[find(old[i])] = old[i];
        std::free(old);
    }
    size_t size_;
    uint64_t* table_;
    uint64_t count_ = 0;
};

// The visited set of compact mode: 256 FingerprintSets chosen by a
// fingerprint's top byte, so a growth copies 1/256 of the table (no moment
// with two whole tables in memory), and the threads of the parallel search
// can add to different shards at once.
class FingerprintShards {
public:
    static constexpr unsigned shard_bits = 8, shards = 1u << shard_bits;
    FingerprintShards()
    {
        for (auto& s : sets_) {
            s = std::make_unique<FingerprintSet>(256);
            bytes_ += s->bytes();
        }
    }
    static uint64_t fingerprint(uint64_t h) { return h ? h : 1; }
    static unsigned shard_of(uint64_t h) { return unsigned(fingerprint(h) >> (64 - shard_bits)); }

    bool contains(uint64_t h) const { return set(h).contains(inner(h)); }
    void prefetch(uint64_t h) const { set(h).prefetch(inner(h)); }
    // Inserts; false when it was there. Threads may insert at once into
    // different shards. Throws std::bad_alloc.
    bool insert(uint64_t h)
    {
        FingerprintSet& s = *sets_[shard_of(h)];
        const uint64_t before = s.bytes();
        const bool fresh = s.insert(inner(h));
        if (s.bytes() != before)
            bytes_.fetch_add(s.bytes() - before, std::memory_order_relaxed);
        return fresh;
    }
    uint64_t count() const
    {
        uint64_t n = 0;
        for (const auto& s : sets_)
            n += s->count();
        return n;
    }
    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    uint64_t bytes_next_growth(uint64_t h) const { return set(h).bytes_next_growth(); }

private:
    // Within a shard the home comes from the bits below the shard's.
    static uint64_t inner(uint64_t h) { return std::rotl(fingerprint(h), int(shard_bits)); }
    const FingerprintSet& set(uint64_t h) const { return *sets_[shard_of(h)]; }
    std::unique_ptr<FingerprintSet> sets_[shards];
    std::atomic<uint64_t> bytes_{0};
};

// bitstate: m bits, k of them per state, from one 128-bit XXH3 hash by
// double hashing (h1 + i*h2, mapped onto [0, m) by multiply-shift).
class BitState {
public:
    BitState(uint64_t bits, unsigned k) : m_(std::max<uint64_t>(bits, 64)), k_(std::max(1u, k))
    {
        // calloc: untouched pages of a large array cost nothing until a bit lands there.
        words_ = static_cast<uint64_t*>(big_alloc((m_ + 63) / 64 * sizeof(uint64_t), true));
        if (!words_)
            throw std::bad_alloc();
    }
    ~BitState() { std::free(words_); }
    BitState(const BitState&) = delete;
    BitState& operator=(const BitState&) = delete;

    uint64_t bits() const { return m_; }
    unsigned k() const { return k_; }
    uint64_t bytes() const { return (m_ + 63) / 64 * sizeof(uint64_t); }
    uint64_t bits_set() const { return set_; }
    void prefetch(XXH128_hash_t h) const
    {
        for (unsigned i = 0; i < k_; ++i)
            __builtin_prefetch(&words_[pos(h, i) >> 6]);
    }
    bool contains(XXH128_hash_t h) const
    {
        for (unsigned i = 0; i < k_; ++i) {
            const uint64_t b = pos(h, i);
            if (!(words_[b >> 6] & (uint64_t(1) << (b & 63))))
                return false;
        }
        return true;
    }
    // Sets the k bits; false when all were set already.
    bool insert(XXH128_hash_t h)
    {
        bool fresh = false;
        for (unsigned i = 0; i < k_; ++i) {
            const uint64_t b = pos(h, i);
            uint64_t& w = words_[b >> 6];
            const uint64_t bit = uint64_t(1) << (b & 63);
            if (!(w & bit)) {
                w |= bit;
                ++set_;
                fresh = true;
            }
        }
        return fresh;
    }
    // The same for several threads at once; returns the number of bits it
    // set (the caller adds them up: bits_set() counts only insert()'s).
    unsigned insert_atomic(XXH128_hash_t h)
    {
        unsigned fresh = 0;
        for (unsigned i = 0; i < k_; ++i) {
            const uint64_t b = pos(h, i);
            const uint64_t bit = uint64_t(1) << (b & 63);
            fresh += (std::atomic_ref<uint64_t>(words_[b >> 6]).fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
        }
        return fresh;
    }

private:
    uint64_t pos(XXH128_hash_t h, unsigned i) const
    {
        __extension__ typedef unsigned __int128 u128;
        const uint64_t x = h.low64 + i * (h.high64 | 1) + uint64_t(i) * i;
        return uint64_t((u128(x) * m_) >> 64);
    }
    uint64_t m_;
    unsigned k_;
    uint64_t* words_;
    uint64_t set_ = 0;
};

}  // namespace pxc::explorer
