// One table of the tree store: it interns pairs (left, right) of 32-bit
// values and gives each new pair the next dense id (0, 1, 2, ...).
//
// The pairs lie in Chunks in id order, packed: left << shift | right in as
// few bytes as the two fields need (a field holding an id of a child table
// needs only as many bits as that table has index slots; see widen()). An
// open-addressing index of 32-bit entries finds a pair's id: the entry holds
// id + 1 in its low id_bits and, above them, as many bits of the pair's hash
// as are left (a tag: most probes that do not match are told apart without
// reading the pair). Its home slot is the hash scaled to the slot count, so
// the index can have any size: it grows by 1.25x when 85 % full (it costs
// 4.7 to 5.9 bytes per pair; doubling at a load of one half would cost 8 to
// 16), and it is rebuilt from the pairs in id order, after the old one is
// freed (growth never holds two indices at once).
//
// put() is lock-free, the flat store's protocol (state_store.hpp): a new
// pair claims its slot with a compare-and-swap to a busy entry carrying its
// tag, takes the next id, writes its bytes and publishes the id; a thread
// looking for the same pair waits on a busy entry with its tag. The index
// grows and the widths change only while no put() runs.
#pragma once
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "explorer/chunks.hpp"
#include "explorer/state_store.hpp"

namespace pxc::explorer {

class PairTable {
public:
    using Put = StateStore::Put;
    static constexpr uint64_t min_slots = 64;

    // left_bits, right_bits: the widths of the two fields (32 for a raw state word).
    PairTable(Meter& meter, unsigned left_bits, unsigned right_bits) : meter_(meter), keys_(meter)
    {
        set_widths(left_bits, right_bits);
        if (!resize_index(min_slots, 0))
            throw std::bad_alloc();
    }
    ~PairTable() { meter_.free(index_, slots_ * sizeof(uint32_t)); }
    PairTable(const PairTable&) = delete;
    PairTable& operator=(const PairTable&) = delete;

    uint64_t count() const { return count_.load(std::memory_order_acquire); }
    uint64_t slots() const { return slots_; }
    uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
    void sync_reserved() { reserved_.store(count(), std::memory_order_relaxed); }

    static uint64_t hash(uint64_t pair)
    {
        // murmur3's finaliser: every bit of the pair moves the home and the tag
        pair ^= pair >> 33;
        pair *= 0xff51afd7ed558ccdULL;
        pair ^= pair >> 33;
        pair *= 0xc4ceb9fe1a85ec53ULL;
        return pair ^ (pair >> 33);
    }

    // The pair with id i: left << 32 | right.
    uint64_t pair(uint32_t i) const
    {
        const uint64_t w = keys_.word(i);
        return unpack(Chunks::get(w, i), Chunks::shift(w));
    }

    // The id of a pair, or -1 when it is not in the table.
    int64_t find(uint64_t pair) const
    {
        const uint64_t h = hash(pair);
        const uint32_t tag = tag_of(h);
        for (uint64_t slot = home(h);; slot = next(slot)) {
            const uint32_t e = index_[slot].load(std::memory_order_acquire);
            if (e == 0)
                return -1;
            if ((e & ~id_mask_) == tag && (e & id_mask_) < lost_id() && this->pair(uint32_t((e & id_mask_) - 1)) == pair)
                return int64_t((e & id_mask_) - 1);
        }
    }

    // Many threads (or one). A new pair gets an id while count() <
    // max_count (refused otherwise) and fill(id) is called before it is
    // published (false: the pair is lost(), refused). Its chunk is allocated
    // here when reserve() did not (without a limit: the caller keeps ahead).
    // table_full: the index is 15/16 full (the caller did not let it grow).
    template <class Fill>
    std::pair<uint32_t, Put> put(uint64_t pair, uint64_t max_count, Fill&& fill, const std::atomic<bool>& stop)
    {
        return put(pair, hash(pair), max_count, fill, stop);
    }
    // The same with h = hash(pair).
    template <class Fill>
    std::pair<uint32_t, Put> put(uint64_t pair, uint64_t h, uint64_t max_count, Fill&& fill,
                                 const std::atomic<bool>& stop)
    {
        const uint32_t tag = tag_of(h);
        for (uint64_t slot = home(h);; slot = next(slot)) {
            uint32_t e = index_[slot].load(std::memory_order_acquire);
            for (;;) {
                if (e == 0) {
                    if (count_.load(std::memory_order_relaxed) + 1 >= slots_ - slots_ / 16)
                        return {0, Put::table_full};
                    const bool limited = max_count < max_store_states;
                    if (limited && reserved_.fetch_add(1, std::memory_order_relaxed) >= max_count) {
                        reserved_.fetch_sub(1, std::memory_order_relaxed);
                        return {0, Put::refused};
                    }
                    if (index_[slot].compare_exchange_strong(e, tag | busy_id(), std::memory_order_acquire)) {
                        const uint32_t id = uint32_t(count_.fetch_add(1, std::memory_order_relaxed));
                        bool stored = keys_.ensure(id, width_, shift_, 0);
                        if (stored) {
                            keys_.set(id, pack_for(id, pair));
                            stored = fill(id);
                        }
                        if (!stored) {
                            index_[slot].store(tag | lost_id(), std::memory_order_release);
                            lost_.fetch_add(1, std::memory_order_relaxed);
                            return {0, Put::refused};
                        }
                        index_[slot].store(tag | (id + 1), std::memory_order_release);
                        return {id, Put::inserted};
                    }
                    if (limited)
                        reserved_.fetch_sub(1, std::memory_order_relaxed);
                    continue;   // e is what another thread put there: look at it
                }
                if ((e & ~id_mask_) != tag)
                    break;
                unsigned spins = 0;
                while ((e & id_mask_) == busy_id()) {
                    if (stop.load(std::memory_order_relaxed))
                        return {0, Put::refused};
                    relax(spins);
                    e = index_[slot].load(std::memory_order_acquire);
                }
                const uint32_t id = (e & id_mask_) - 1;
                if ((e & id_mask_) != lost_id() && keys_.get(id) == pack_for(id, pair))
                    return {id, Put::found};
                break;
            }
        }
    }

    // Prefetching, for a batch of lookups: first the home slots of all, then
    // the pairs those slots name.
    void prefetch_slot(uint64_t h) const { __builtin_prefetch(&index_[home(h)]); }
    void prefetch_match(uint64_t h) const
    {
        const uint32_t e = index_[home(h)].load(std::memory_order_relaxed);
        if ((e & ~id_mask_) == tag_of(h) && (e & id_mask_) != 0 && (e & id_mask_) < lost_id())
            keys_.prefetch((e & id_mask_) - 1);
    }

    void prefetch_pair(uint32_t i) const { keys_.prefetch(i); }

    // The chunks for ids up to count() + ahead exist (false: over `limit`, or refused).
    bool reserve(uint64_t ahead, uint64_t limit)
    {
        const uint64_t last = std::min<uint64_t>(count() + ahead, max_store_states);
        if (last < ready_.load(std::memory_order_relaxed))
            return true;   // the common case, cheap: called before every expansion
        for (uint64_t c = count() >> Chunks::chunk_bits; c <= last >> Chunks::chunk_bits; ++c)
            if (!keys_.ensure(c << Chunks::chunk_bits, width_, shift_, limit))
                return false;
        uint64_t ready = ready_.load(std::memory_order_relaxed);
        const uint64_t now = ((last >> Chunks::chunk_bits) + 1) << Chunks::chunk_bits;
        while (ready < now && !ready_.compare_exchange_weak(ready, now, std::memory_order_relaxed)) {
        }
        return true;
    }

    // Growth, while no put() runs. The index is due when `extra` more pairs
    // would fill it past 85 %; it then gets room for them at a load of 68 %.
    bool wants_growth(uint64_t extra) const { return (count() + extra) * 20 > slots_ * 17; }
    // How many more pairs fit before the index is due, and before a chunk is missing.
    uint64_t room() const
    {
        const uint64_t cap = slots_ * 17 / 20, n = count();
        return cap > n ? cap - n : 0;
    }
    uint64_t ready() const
    {
        const uint64_t r = ready_.load(std::memory_order_relaxed), n = count();
        return r > n ? r - n : 0;
    }
    uint64_t grown_slots(uint64_t extra) const { return std::max<uint64_t>(min_slots, (count() + extra) * 25 / 17); }
    // Frees the index and allocates one of `slots` (empty: rebuild_part()
    // fills it). False when over `limit` (the index unchanged), or refused:
    // then the index is gone and the table can only be read by id.
    bool resize_index(uint64_t slots, uint64_t limit)
    {
        const uint64_t old_bytes = slots_ * sizeof(uint32_t), bytes = slots * sizeof(uint32_t);
        if (slots + 4 > (uint64_t(1) << 32))
            return false;   // ids are 32 bits
        if (limit && meter_.now() - old_bytes + bytes > limit) {
            meter_.refuse();
            return false;
        }
        meter_.free(index_, old_bytes);
        index_ = nullptr;
        slots_ = 0;
        index_ = static_cast<std::atomic<uint32_t>*>(meter_.alloc(bytes, true, 0));
        if (!index_)
            return false;
        slots_ = slots;
        const unsigned id_bits = unsigned(std::bit_width(slots + 3));
        id_mask_ = id_bits >= 32 ? UINT32_MAX : (uint32_t(1) << id_bits) - 1;
        return true;
    }
    // Re-enters the ids [count() * part / parts, count() * (part + 1) / parts).
    void rebuild_part(unsigned part, unsigned parts)
    {
        // The pairs are read in order, their slots are at random: each slot
        // is prefetched `distance` pairs before it is written.
        constexpr uint64_t distance = 16;
        const uint64_t n = count(), begin = n * part / parts, end = n * (part + 1) / parts;
        uint64_t hashes[distance];
        bool present[distance];   // false: lost with its chunk
        uint64_t chunk = UINT64_MAX, w = 0;   // the directory word, read once a chunk
        auto read_ahead = [&](uint64_t id) {   // id's hash into the ring, its home slot prefetched
            if (id >> Chunks::chunk_bits != chunk) {
                chunk = id >> Chunks::chunk_bits;
                w = keys_.word(id);
            }
            present[id % distance] = w != 0;
            hashes[id % distance] = w ? hash(unpack(Chunks::get(w, id), Chunks::shift(w))) : 0;
            prefetch_slot(hashes[id % distance]);
        };
        for (uint64_t id = begin; id < std::min(end, begin + distance); ++id)
            read_ahead(id);
        for (uint64_t id = begin; id < end; ++id) {
            const uint64_t h = hashes[id % distance];
            const bool here = present[id % distance];
            if (id + distance < end)
                read_ahead(id + distance);
            if (!here)
                continue;
            const uint32_t e = tag_of(h) | uint32_t(id + 1);
            for (uint64_t slot = home(h);; slot = next(slot)) {
                uint32_t empty = 0;
                if (parts == 1) {
                    if (index_[slot].load(std::memory_order_relaxed) == 0) {
                        index_[slot].store(e, std::memory_order_relaxed);
                        break;
                    }
                } else if (index_[slot].compare_exchange_strong(empty, e, std::memory_order_relaxed)) {
                    break;
                }
            }
        }
    }

    // The fields' widths change (a child table's index grew, so its ids may
    // need more bits): pairs already stored stay as they are in their full
    // chunks; the chunks that will still get new pairs are re-coded. False
    // when over `limit` or refused (nothing of a refused chunk changed).
    bool widen(unsigned left_bits, unsigned right_bits, uint64_t limit)
    {
        if (left_bits == left_bits_ && right_bits == right_bits_)
            return true;
        set_widths(left_bits, right_bits);
        const uint64_t first = count() >> Chunks::chunk_bits;
        for (uint64_t c = first;; ++c) {
            if (!keys_.has(c << Chunks::chunk_bits))
                return true;
            if (!keys_.rewrite(c << Chunks::chunk_bits, width_, shift_, limit,
                               [&](uint64_t v, unsigned old_shift) { return pack(unpack(v, old_shift)); }))
                return false;
        }
    }
    // Gives the chunks of ids [begin, end) the current packing (so that pairs
    // can move among them: reorder()).
    bool recode(uint64_t begin, uint64_t end, uint64_t limit)
    {
        for (uint64_t c = begin >> Chunks::chunk_bits; begin < end && c <= (end - 1) >> Chunks::chunk_bits; ++c)
            if (!keys_.rewrite(c << Chunks::chunk_bits, width_, shift_, limit,
                               [&](uint64_t v, unsigned old_shift) { return pack(unpack(v, old_shift)); }))
                return false;
        return true;
    }
    unsigned left_bits() const { return left_bits_; }
    unsigned right_bits() const { return right_bits_; }
    // The bits an id of this table needs: ids stay below the slot count.
    unsigned id_bits() const { return unsigned(std::bit_width(slots_ - 1)); }

    // Moves the pair of id `from` to id `to` (reorder(): no put() runs).
    uint64_t packed(uint32_t i) const { return keys_.get(i); }
    void set_pair(uint32_t i, uint64_t pair) { keys_.set(i, pack_for(i, pair)); }
    // The index slot holding id i, and re-pointing it (no put() runs).
    uint64_t slot_of(uint32_t i) const
    {
        const uint64_t h = hash(pair(i));
        for (uint64_t slot = home(h);; slot = next(slot))
            if ((index_[slot].load(std::memory_order_relaxed) & id_mask_) == i + 1)
                return slot;
    }
    void repoint(uint64_t slot, uint32_t i)
    {
        const uint32_t e = index_[slot].load(std::memory_order_relaxed);
        index_[slot].store((e & ~id_mask_) | (i + 1), std::memory_order_relaxed);
    }

private:
    void set_widths(unsigned left_bits, unsigned right_bits)
    {
        left_bits_ = left_bits;
        right_bits_ = right_bits;
        shift_ = right_bits;
        width_ = (left_bits + right_bits + 7) / 8;
    }
    uint64_t pack(uint64_t pair) const { return (pair >> 32) << shift_ | (pair & UINT32_MAX); }
    // The packing of the chunk id i lies in.
    uint64_t pack_for(uint32_t i, uint64_t pair) const
    {
        return (pair >> 32) << Chunks::shift(keys_.word(i)) | (pair & UINT32_MAX);
    }
    static uint64_t unpack(uint64_t v, unsigned shift)
    {
        const uint64_t right = shift >= 64 ? v : v & ((uint64_t(1) << shift) - 1);
        return (shift >= 64 ? 0 : v >> shift) << 32 | right;
    }
    uint32_t busy_id() const { return id_mask_; }
    uint32_t lost_id() const { return id_mask_ - 1; }
    uint32_t tag_of(uint64_t h) const { return uint32_t(h) & ~id_mask_; }
    uint64_t home(uint64_t h) const
    {
        __extension__ using u128 = unsigned __int128;
        return uint64_t((u128(h) * slots_) >> 64);
    }
    uint64_t next(uint64_t slot) const { return slot + 1 == slots_ ? 0 : slot + 1; }

    Meter& meter_;
    Chunks keys_;
    std::atomic<uint32_t>* index_ = nullptr;
    uint64_t slots_ = 0;
    uint32_t id_mask_ = 0;   // the low bits of an index entry: id + 1
    unsigned left_bits_ = 0, right_bits_ = 0, shift_ = 0, width_ = 0;
    alignas(64) std::atomic<uint64_t> count_{0};
    alignas(64) std::atomic<uint64_t> reserved_{0};   // put(): ids promised, for max_count
    alignas(64) std::atomic<uint64_t> lost_{0};
    std::atomic<uint64_t> ready_{0};   // reserve(): the chunks below exist
};

}  // namespace pxc::explorer
