// The visited set of exact mode: every state's full bytes in a chunked arena,
// its parent and the step that reached it, and an open-addressing table over
// XXH3-64 fingerprints of the bytes. A state's index is the order in which it
// was stored, so the arena doubles as the BFS queue. With costs enabled, each
// state also keeps the cost of the path that reached it (2 bytes, right after
// its bytes in the arena: comparing the state has just brought them into the
// cache), and may be re-parented.
//
// One chunk holds 65536 states: their bytes (and costs), then their parents,
// then their labels, so a chunk is one allocation and nothing is ever moved
// (no vector doubling: what is allocated is what is used, to within a chunk).
//
// Two ways in: insert() for one thread, put() for many. put() is lock-free:
// a new state claims its table slot with a compare-and-swap to a "busy"
// entry carrying its tag, takes the next index with an atomic increment,
// writes its bytes and publishes the index; a thread looking for the same
// bytes waits on a busy entry with its own tag (a few instructions later it
// is published). The table grows only while no put() runs (grow_table()).
#pragma once
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "explorer/alloc.hpp"
#include "explorer/cost.hpp"

namespace pxc::explorer {

using Label = uint64_t;
inline constexpr uint32_t no_parent = UINT32_MAX;

// A table entry: the tag (high 32 bits of the hash, never 0) and the index.
// 0 marks an empty slot; busy_index an index not yet published.
inline constexpr uint32_t busy_index = UINT32_MAX;
// The most states a store can hold (indices are 32 bits, busy_index and
// no_parent are reserved).
inline constexpr uint64_t max_store_states = UINT32_MAX - 1;

// Spin a little, then let another thread run (2 cores shared with others:
// the thread we wait for may be descheduled).
inline void relax(unsigned& spins)
{
    if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        std::this_thread::yield();
    }
}

class StateStore {
public:
    static constexpr unsigned chunk_bits = 16;
    static constexpr uint32_t chunk_states = 1u << chunk_bits;
    static constexpr uint32_t chunk_mask = chunk_states - 1;
    static constexpr size_t max_chunks = size_t(1) << (32 - chunk_bits);

    explicit StateStore(size_t state_size)
        : size_(state_size), stride_(state_size), chunks_(new std::atomic<uint8_t*>[max_chunks]())
    {
        table_ = alloc_table(size_t(1) << 16);
        if (!table_)
            throw std::bad_alloc();
        table_size_ = size_t(1) << 16;
    }
    ~StateStore()
    {
        for (size_t c = 0; c < max_chunks; ++c)
            std::free(chunks_[c].load(std::memory_order_relaxed));
        std::free(table_);
    }
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    size_t state_size() const { return size_; }
    uint64_t count() const { return count_.load(std::memory_order_acquire); }

    // What the searches ask of either store (tree_store.hpp keeps no bytes
    // to point at: its open() decodes into the cursor).
    struct Cursor {
        explicit Cursor(const StateStore&) {}
    };
    const uint8_t* open(uint32_t i, Cursor&) const { return state(i); }
    void start_level(uint64_t) {}   // levels are found by following parents
    uint64_t peak_bytes() const { return bytes_used(); }
    bool wants_growth(uint64_t extra) const { return table_wants_growth(count() + extra); }
    bool begin_growth(uint64_t memory_limit, uint64_t) { return begin_growth(memory_limit, fresh_); }
    void growth_part(unsigned part, unsigned parts) { rehash_part(fresh_, part, parts); }
    void end_growth()
    {
        end_growth(fresh_);
        fresh_ = nullptr;
    }
    uint64_t growth_extra_bytes() const { return table_size_ * 2 * sizeof(uint64_t); }   // the new table
    const uint8_t* state(uint32_t i) const { return chunk(i) + size_t(i & chunk_mask) * stride_; }
    uint32_t parent(uint32_t i) const { return parents(i)[i & chunk_mask]; }
    Label label(uint32_t i) const { return labels(i)[i & chunk_mask]; }

    // Path costs: off unless enabled before the first insert.
    void enable_costs()
    {
        if (count() == 0)
            stride_ = size_ + sizeof(PathCost);
    }
    bool has_costs() const { return stride_ != size_; }
    PathCost cost(uint32_t i) const
    {
        PathCost c;
        std::memcpy(&c, state(i) + size_, sizeof c);
        return c;
    }
    void set_cost(uint32_t i, PathCost c) { std::memcpy(const_cast<uint8_t*>(state(i)) + size_, &c, sizeof c); }
    void set_parent(uint32_t i, uint32_t parent, Label label)
    {
        parents(i)[i & chunk_mask] = parent;
        labels(i)[i & chunk_mask] = label;
    }
    // A cheaper path of the same length reached state i: it now hangs off `parent`.
    void reparent(uint32_t i, uint32_t parent, Label label, PathCost c)
    {
        set_parent(i, parent, label);
        set_cost(i, c);
    }

    // Bytes this store holds now, and what the next growth of the table or
    // the arena would add (so a memory limit is honoured before allocating).
    uint64_t bytes_used() const
    {
        return chunk_count_.load(std::memory_order_relaxed) * chunk_bytes() + table_size_ * sizeof(uint64_t) +
               max_chunks * sizeof(void*);
    }
    uint64_t bytes_next_growth() const
    {
        uint64_t grow = 0;
        if (table_wants_growth(count() + 1))
            grow += table_size_ * sizeof(uint64_t) * 2;
        if (!chunk(uint32_t(count())))
            grow += chunk_bytes();
        return grow;
    }
    uint64_t chunk_bytes() const { return uint64_t(chunk_states) * (stride_ + sizeof(uint32_t) + sizeof(Label)); }
    size_t table_size() const { return table_size_; }
    // The table is kept at most half full.
    bool table_wants_growth(uint64_t n) const { return n * 2 > table_size_; }

    // Prefetching, for a batch of lookups (h = XXH3_64bits of the bytes):
    // first the home slots of all, then the states those slots name.
    void prefetch_slot(uint64_t h) const { __builtin_prefetch(&table_[home(h)]); }
    void prefetch_match(uint64_t h) const
    {
        const uint64_t e = table_[home(h)].load(std::memory_order_relaxed);
        if (uint32_t(e >> 32) == tag_of(h) && uint32_t(e) < busy_index - 1)
            __builtin_prefetch(state(uint32_t(e)));
    }

    bool contains(const uint8_t* bytes) const
    {
        const uint64_t h = XXH3_64bits(bytes, size_);
        const uint32_t tag = tag_of(h);
        const size_t mask = table_size_ - 1;
        for (size_t slot = home(h);; slot = (slot + 1) & mask) {
            const uint64_t e = table_[slot].load(std::memory_order_relaxed);
            if (e == 0)
                return false;
            if (uint32_t(e >> 32) == tag && std::memcmp(state(uint32_t(e)), bytes, size_) == 0)
                return true;
        }
    }

    // One thread: inserts the state unless present. Returns {index, inserted}.
    // Throws std::bad_alloc when memory runs out (nothing is half-inserted).
    std::pair<uint32_t, bool> insert(const uint8_t* bytes, uint32_t parent, Label label)
    {
        return insert(bytes, XXH3_64bits(bytes, size_), parent, label);
    }
    // The same with h = XXH3_64bits(bytes).
    std::pair<uint32_t, bool> insert(const uint8_t* bytes, uint64_t h, uint32_t parent, Label label)
    {
        const uint32_t tag = tag_of(h);
        size_t mask = table_size_ - 1;
        for (size_t slot = home(h);; slot = (slot + 1) & mask) {
            const uint64_t e = table_[slot].load(std::memory_order_relaxed);
            if (e == 0) {
                const uint32_t idx = uint32_t(count());
                if (!ensure_chunk(idx >> chunk_bits, 0))
                    throw std::bad_alloc();
                if (table_wants_growth(count() + 1)) {
                    if (!grow_table(0))
                        throw std::bad_alloc();
                    mask = table_size_ - 1;
                    slot = home(h);
                    while (table_[slot].load(std::memory_order_relaxed) != 0)
                        slot = (slot + 1) & mask;
                }
                write(idx, bytes, parent, label);
                count_.store(idx + 1, std::memory_order_release);
                table_[slot].store(uint64_t(tag) << 32 | idx, std::memory_order_relaxed);
                return {idx, true};
            }
            if (uint32_t(e >> 32) == tag && std::memcmp(state(uint32_t(e)), bytes, size_) == 0)
                return {uint32_t(e), false};
        }
    }

    // A thread's own run of indices for put(). Taking them block_states at a
    // time, rather than one shared increment per new state, keeps the
    // threads' new states (bytes, parents, labels, and what the caller keeps
    // per index) in cache lines of their own. What is left of the blocks when
    // a level ends is holes, closed by close_holes() before the level is used.
    struct Block {
        uint64_t next = 0, end = 0;   // [next, end): taken, not yet used
    };
    static constexpr uint64_t block_states = 64;

    // Many threads. `h` is XXH3_64bits of the bytes. A new state is stored
    // only while count() < max_count (refused otherwise), its bytes, parent
    // and label written, and fill(index) called before it is published (to
    // set what else the caller keeps per state; false when it cannot: the
    // state is then lost(), refused). The chunk for the new index
    // must exist (reserve_ahead()); the table must not be over half full
    // (table_wants_growth(), grow_table() between rounds of put()).
    // refused: max_count reached (or, with lost(), memory); table_full: the
    // table is 15/16 full (the caller did not let it grow in time).
    //
    // With a Block, the new index comes from the thread's own run of
    // indices (see Block); without, from the shared count.
    enum class Put { found, inserted, refused, table_full };
    template <class Fill>
    std::pair<uint32_t, Put> put(const uint8_t* bytes, uint64_t h, uint64_t max_count, uint32_t parent, Label label,
                                 Fill&& fill, const std::atomic<bool>& stop, Block* block = nullptr)
    {
        const uint32_t tag = tag_of(h);
        const size_t mask = table_size_ - 1;
        for (size_t slot = home(h);; slot = (slot + 1) & mask) {
            uint64_t e = table_[slot].load(std::memory_order_acquire);
            for (;;) {
                if (e == 0) {
                    // The table must keep empty slots (the threads pause to grow it at half full).
                    if (count_.load(std::memory_order_relaxed) + 1 >= table_size_ - table_size_ / 16)
                        return {0, Put::table_full};
                    const bool limited = max_count < max_store_states;
                    if (limited && reserved_.fetch_add(1, std::memory_order_relaxed) >= max_count) {
                        reserved_.fetch_sub(1, std::memory_order_relaxed);
                        return {0, Put::refused};
                    }
                    if (table_[slot].compare_exchange_strong(e, uint64_t(tag) << 32 | busy_index,
                                                             std::memory_order_acquire)) {
                        const uint64_t taken = block ? take(*block) : count_.fetch_add(1, std::memory_order_relaxed);
                        const uint32_t idx = uint32_t(taken);
                        bool stored = taken < max_store_states && ensure_chunk(idx >> chunk_bits, 0);
                        if (stored) {
                            write(idx, bytes, parent, label);
                            stored = fill(idx);
                        }
                        if (!stored) {
                            // Only when reserve_ahead() was outrun and memory ran out: the slot
                            // can never be published, so the search must end.
                            table_[slot].store(uint64_t(tag) << 32 | (busy_index - 1), std::memory_order_release);
                            lost_.fetch_add(1, std::memory_order_relaxed);
                            return {0, Put::refused};
                        }
                        table_[slot].store(uint64_t(tag) << 32 | idx, std::memory_order_release);
                        return {idx, Put::inserted};
                    }
                    if (limited)
                        reserved_.fetch_sub(1, std::memory_order_relaxed);
                    continue;   // e is what another thread put there: look at it
                }
                if (uint32_t(e >> 32) != tag)
                    break;
                unsigned spins = 0;
                while (uint32_t(e) == busy_index) {
                    if (stop.load(std::memory_order_relaxed))
                        return {0, Put::refused};
                    relax(spins);
                    e = table_[slot].load(std::memory_order_acquire);
                }
                if (uint32_t(e) != busy_index - 1 && std::memcmp(state(uint32_t(e)), bytes, size_) == 0)
                    return {uint32_t(e), Put::found};
                break;
            }
        }
    }

    // Closes the holes (indices taken but never used: each block's [next, end))
    // among the newest states, with no put() running: the last states move
    // down into them, each with its table entry, parent, label and cost;
    // moved(from, to) lets the caller move what it keeps per index. After,
    // count() is the number of states.
    template <class Moved>
    void close_holes(std::vector<uint64_t> holes, Moved&& moved)
    {
        std::sort(holes.begin(), holes.end());
        const uint64_t end = count(), real = end - holes.size();
        uint64_t from = end;
        size_t above = holes.size();   // holes[above..] are at or over `from`
        for (size_t k = 0; k < holes.size() && holes[k] < real; ++k) {
            // The last state not yet moved that is no hole.
            for (--from; above > 0 && holes[above - 1] == from; --from)
                --above;
            move(uint32_t(from), uint32_t(holes[k]));
            moved(uint32_t(from), uint32_t(holes[k]));
        }
        count_.store(real, std::memory_order_release);
    }

    // States whose index was taken but whose chunk could not be allocated
    // (put() refused them after taking an index): count() - lost() were stored.
    uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
    void sync_reserved() { reserved_.store(count(), std::memory_order_relaxed); }

    // Makes sure the chunk of index count() + ahead exists (and the ones
    // before it), so that put() never allocates. False when the memory limit
    // (0: none) or the allocator refuses.
    bool reserve_ahead(uint64_t ahead, uint64_t memory_limit)
    {
        const uint64_t want = count() + ahead;
        const size_t last = size_t(std::min<uint64_t>(want, max_store_states) >> chunk_bits);
        for (size_t c = size_t(count() >> chunk_bits); c <= last; ++c)
            if (!ensure_chunk(c, memory_limit))
                return false;
        return true;
    }

    // Whether the last refusal of reserve_ahead() or begin_growth() was the
    // memory limit (else the allocator).
    bool over_limit() const { return over_limit_.load(std::memory_order_relaxed); }

    // Doubles the table. No put() may run meanwhile. False (and the table
    // unchanged) when the memory limit (0: none) or the allocator refuses.
    bool grow_table(uint64_t memory_limit)
    {
        std::atomic<uint64_t>* fresh = nullptr;
        if (!begin_growth(memory_limit, fresh))
            return false;
        rehash_part(fresh, 0, 1);
        end_growth(fresh);
        return true;
    }
    // The same in parts, for several threads: begin_growth, then
    // rehash_part(part, parts) by each, then end_growth.
    bool begin_growth(uint64_t memory_limit, std::atomic<uint64_t>*& fresh)
    {
        if (bits_ == 32)
            return false;   // 2^32 slots: the tag has no more bits for the home slot
        if (memory_limit && bytes_used() + table_size_ * 2 * sizeof(uint64_t) > memory_limit) {
            over_limit_.store(true, std::memory_order_relaxed);
            return false;
        }
        fresh = alloc_table(table_size_ * 2);
        return fresh != nullptr;
    }
    void rehash_part(std::atomic<uint64_t>* fresh, unsigned part, unsigned parts) const
    {
        // An entry's home slot is the top bits of its tag, so the entries
        // come in the order of their new homes too: one streaming pass, no
        // state is read again. (Of a cluster that wraps around the end, the
        // wrapped entries land in front of slots still empty: linear probing
        // finds them the same.)
        const size_t begin = table_size_ * part / parts, end = table_size_ * (part + 1) / parts;
        const size_t mask = table_size_ * 2 - 1;
        const unsigned shift = 32 - (bits_ + 1);
        for (size_t i = begin; i < end; ++i) {
            const uint64_t e = table_[i].load(std::memory_order_relaxed);
            if (e == 0 || uint32_t(e) == busy_index - 1)
                continue;   // empty, or a state that was never stored (lost())
            for (size_t slot = size_t(e >> 32) >> shift;; slot = (slot + 1) & mask) {
                uint64_t empty = 0;
                if (parts == 1) {
                    if (fresh[slot].load(std::memory_order_relaxed) == 0) {
                        fresh[slot].store(e, std::memory_order_relaxed);
                        break;
                    }
                } else if (fresh[slot].compare_exchange_strong(empty, e, std::memory_order_relaxed)) {
                    break;
                }
            }
        }
    }
    void end_growth(std::atomic<uint64_t>* fresh)
    {
        std::free(table_);
        table_ = fresh;
        table_size_ *= 2;
        ++bits_;
    }

private:
    static uint32_t tag_of(uint64_t h) { return static_cast<uint32_t>(h >> 32) | 1u; }  // never 0
    // The home slot: the tag's top bits. Entries with one home share those
    // bits of their tags, so a tag compare still tells them apart by the
    // other 32 - bits_ bits; with the table at most half full there is on
    // average less than one other entry with the same home.
    size_t home(uint64_t h) const { return size_t(tag_of(h)) >> (32 - bits_); }

    static std::atomic<uint64_t>* alloc_table(size_t n)
    {
        // calloc: fresh pages come zeroed from the kernel, not written twice.
        static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t));
        return static_cast<std::atomic<uint64_t>*>(big_alloc(n * sizeof(uint64_t), true));
    }

    uint8_t* chunk(uint32_t i) const { return chunks_[i >> chunk_bits].load(std::memory_order_acquire); }
    uint32_t* parents(uint32_t i) const
    {
        return reinterpret_cast<uint32_t*>(chunk(i) + size_t(chunk_states) * stride_);
    }
    Label* labels(uint32_t i) const
    {
        return reinterpret_cast<Label*>(chunk(i) + size_t(chunk_states) * (stride_ + sizeof(uint32_t)));
    }

    bool ensure_chunk(size_t c, uint64_t memory_limit)
    {
        if (c >= max_chunks)
            return false;
        if (chunks_[c].load(std::memory_order_acquire))
            return true;
        if (memory_limit && bytes_used() + chunk_bytes() > memory_limit) {
            over_limit_.store(true, std::memory_order_relaxed);
            return false;
        }
        auto* p = static_cast<uint8_t*>(big_alloc(chunk_bytes(), false));
        if (!p)
            return false;
        uint8_t* expected = nullptr;
        if (chunks_[c].compare_exchange_strong(expected, p, std::memory_order_acq_rel))
            chunk_count_.fetch_add(1, std::memory_order_relaxed);
        else
            std::free(p);
        return true;
    }

    uint64_t take(Block& b)
    {
        if (b.next == b.end) {
            b.next = count_.fetch_add(block_states, std::memory_order_relaxed);
            b.end = b.next + block_states;
        }
        return b.next++;
    }

    // close_holes(): state `from` becomes state `to` (its table entry follows).
    void move(uint32_t from, uint32_t to)
    {
        const uint8_t* bytes = state(from);
        const uint64_t h = XXH3_64bits(bytes, size_);
        const uint64_t was = uint64_t(tag_of(h)) << 32 | from;
        for (size_t slot = home(h);; slot = (slot + 1) & (table_size_ - 1))
            if (table_[slot].load(std::memory_order_relaxed) == was) {
                table_[slot].store(uint64_t(tag_of(h)) << 32 | to, std::memory_order_relaxed);
                break;
            }
        std::memcpy(const_cast<uint8_t*>(state(to)), bytes, stride_);
        set_parent(to, parent(from), label(from));
    }

    void write(uint32_t idx, const uint8_t* bytes, uint32_t parent, Label label)
    {
        uint8_t* slot = const_cast<uint8_t*>(state(idx));
        std::memcpy(slot, bytes, size_);
        std::memset(slot + size_, 0, stride_ - size_);
        set_parent(idx, parent, label);
    }

    size_t size_;
    size_t stride_;   // arena bytes per state: the state, then its cost if enabled
    std::unique_ptr<std::atomic<uint8_t*>[]> chunks_;
    std::atomic<uint64_t> chunk_count_{0};
    alignas(64) std::atomic<uint64_t> count_{0};
    alignas(64) std::atomic<uint64_t> reserved_{0};   // put(): indices promised, for max_count
    alignas(64) std::atomic<uint64_t> lost_{0};
    std::atomic<bool> over_limit_{false};
    std::atomic<uint64_t>* table_ = nullptr;
    std::atomic<uint64_t>* fresh_ = nullptr;   // the table growing (begin_growth() .. end_growth())
    size_t table_size_ = 0;
    unsigned bits_ = 16;   // table_size_ == 2^bits_
};

}  // namespace pxc::explorer
