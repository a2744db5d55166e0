// The lossy modes' BFS levels: a level's full states (LevelQueue), and an
// index of the level being built by bytes (LevelIndex).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "explorer/alloc.hpp"
#include "explorer/cost.hpp"
#include "explorer/temp_file.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

// One BFS level's full states: index, path cost, bytes; in blocks of 4096.
// With `resident` > 0 blocks, the blocks past those go to an unlinked
// temporary file as they fill, and are read back one at a time: a level
// that is pushed once and then read once in order (the one-thread lossy
// search) costs `resident` + 2 blocks of memory however wide it is. A
// state's bytes then stay valid only until a state of another block is
// read. When the file cannot be written the blocks stay in memory.
class LevelQueue {
public:
    explicit LevelQueue(size_t state_size, size_t resident = 0)
        : size_(state_size), rec_(record_bytes(state_size)), resident_(resident)
    {
    }
    static uint64_t block_bytes(size_t state_size) { return per_block * record_bytes(state_size); }
    uint64_t count() const { return count_; }
    // In memory; and in the file, at the widest level so far.
    uint64_t bytes() const { return (held_ + (wbuf_ != nullptr) + (rbuf_ != nullptr)) * block_bytes(); }
    uint64_t disk_bytes() const { return disk_blocks_ * block_bytes(); }
    uint64_t bytes_next_growth() const
    {
        if ((count_ & mask) != 0)
            return 0;
        const uint64_t b = count_ / per_block;
        if (resident(b))
            return 0;
        return spills(b) && wbuf_ ? 0 : block_bytes();
    }
    uint32_t index(uint64_t pos) const { return load<uint32_t>(pos, 0); }
    PathCost cost(uint64_t pos) const { return load<PathCost>(pos, 4); }
    void set_cost(uint64_t pos, PathCost c) { std::memcpy(rec(pos) + 4, &c, sizeof c); }   // a block in memory only
    const uint8_t* state(uint64_t pos) const { return rec(pos) + 8; }
    // The bytes of state pos into out, leaving the read-back block as it was.
    void read_state(uint64_t pos, uint8_t* out) const
    {
        const uint64_t b = pos / per_block;
        if (in_memory(b) || b == rblock_) {
            std::memcpy(out, state(pos), size_);
            return;
        }
        if (!file_.read(out, size_, offset(b) + (pos & mask) * rec_ + 8))
            throw std::runtime_error("cannot read a level's states back from their temporary file");
    }
    uint64_t push(uint32_t index, PathCost c, const uint8_t* bytes)   // throws std::bad_alloc
    {
        if ((count_ & mask) == 0)
            start_block(count_ / per_block);
        uint8_t* r = rec(count_);
        std::memcpy(r, &index, 4);
        std::memcpy(r + 4, &c, sizeof c);
        std::memset(r + 6, 0, rec_ - 6);
        std::memcpy(r + 8, bytes, size_);
        return count_++;
    }
    // Empty again; the memory (and the file) serve the next level.
    void clear()
    {
        count_ = 0;
        wblock_ = rblock_ = none;
    }
    void swap(LevelQueue& o) { std::swap(*this, o); }

private:
    static constexpr uint64_t per_block = 4096, mask = per_block - 1, none = ~uint64_t(0);
    static size_t record_bytes(size_t state_size) { return (8 + state_size + 7) / 8 * 8; }   // index, cost, state
    uint64_t block_bytes() const { return per_block * rec_; }
    bool spills(uint64_t b) const { return resident_ && b >= resident_ && spill_ok_; }
    uint64_t offset(uint64_t b) const { return (b - resident_) * block_bytes(); }
    uint8_t* alloc() const
    {
        auto* p = static_cast<uint8_t*>(big_alloc(block_bytes(), false));
        if (!p)
            throw std::bad_alloc();
        return p;
    }
    // A home for block b, the next to fill: a resident block, else the
    // write buffer once the block before it went to the file.
    void start_block(uint64_t b)
    {
        if (resident(b))
            return;   // kept from an earlier level
        if (spills(b)) {
            if (wblock_ != none && !file_.write(wbuf_.get(), block_bytes(), offset(wblock_))) {
                spill_ok_ = false;   // that block, and the ones after it, stay in memory
                keep(wblock_, std::move(wbuf_));
            } else {
                if (wblock_ != none)
                    disk_blocks_ = std::max(disk_blocks_, wblock_ + 1 - resident_);
                if (!wbuf_)
                    wbuf_.reset(alloc());
                wblock_ = b;
                return;
            }
        }
        keep(b, std::unique_ptr<uint8_t, FreeDeleter>(alloc()));
    }
    void keep(uint64_t b, std::unique_ptr<uint8_t, FreeDeleter> p)
    {
        if (blocks_.size() <= b)
            blocks_.resize(b + 1);
        blocks_[b] = std::move(p);
        ++held_;
        if (wblock_ == b)
            wblock_ = none;
    }
    uint8_t* rec(uint64_t pos) const
    {
        const uint64_t b = pos / per_block;
        uint8_t* base = in_memory(b);
        return (base ? base : read_back(b)) + (pos & mask) * rec_;
    }
    bool resident(uint64_t b) const { return b < blocks_.size() && blocks_[b]; }
    // Block b when it is in memory (resident, or the one being filled), else null.
    uint8_t* in_memory(uint64_t b) const
    {
        if (resident(b))
            return blocks_[b].get();
        return b == wblock_ ? wbuf_.get() : nullptr;
    }
    uint8_t* read_back(uint64_t b) const
    {
        if (!rbuf_)
            rbuf_.reset(alloc());
        if (rblock_ != b) {
            if (!file_.read(rbuf_.get(), block_bytes(), offset(b)))
                throw std::runtime_error("cannot read a level's states back from their temporary file");
            rblock_ = b;
        }
        return rbuf_.get();
    }
    template <class T>
    T load(uint64_t pos, size_t off) const
    {
        T v;
        std::memcpy(&v, rec(pos) + off, sizeof v);
        return v;
    }
    size_t size_, rec_;
    size_t resident_;   // 0: every block in memory
    std::vector<std::unique_ptr<uint8_t, FreeDeleter>> blocks_;   // null: in the file
    uint64_t held_ = 0;   // non-null blocks_
    uint64_t count_ = 0;
    TempFile file_;
    bool spill_ok_ = true;
    std::unique_ptr<uint8_t, FreeDeleter> wbuf_;   // block wblock_, being filled
    uint64_t wblock_ = none;
    mutable std::unique_ptr<uint8_t, FreeDeleter> rbuf_;   // block rblock_, read back
    mutable uint64_t rblock_ = none;
    uint64_t disk_blocks_ = 0;
};

// The states of the level being built, by hash (cheapest_shortest only),
// with their path costs: open addressing over (64-bit hash, queue position
// + 1). A successor that comes again is re-parented when its new path is
// cheaper; find() returns the position whose hash matches, and the caller
// compares the bytes (LevelQueue::read_state) before it re-parents, so a
// re-parented trail entry always leads to its own state.
class LevelIndex {
public:
    uint64_t bytes() const { return slots_.capacity() * sizeof(Slot) + costs_.capacity() * sizeof(PathCost); }
    // Empties the index; the costs go to `costs` (the level becomes the current one).
    void clear_into(std::vector<PathCost>& costs)
    {
        std::fill(slots_.begin(), slots_.end(), Slot{});
        costs.swap(costs_);
        costs_.clear();
    }
    void prefetch(uint64_t h) const
    {
        if (!slots_.empty())
            __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
    }
    // What the next add() may allocate (the old slots are freed after).
    uint64_t bytes_next_growth() const
    {
        uint64_t b = 0;
        if ((costs_.size() + 1) * 2 > slots_.size())
            b += std::max<size_t>(slots_.size() * 2, 1024) * sizeof(Slot);
        if (costs_.size() == costs_.capacity())
            b += std::max<size_t>(costs_.capacity() * 2, 1) * sizeof(PathCost);
        return b;
    }
    PathCost cost(uint64_t pos) const { return costs_[pos]; }
    void set_cost(uint64_t pos, PathCost c) { costs_[pos] = c; }
    // The positions with hash h, first found first; `more` false ends the search.
    template <class F>
    void find(uint64_t h, F&& f) const
    {
        if (slots_.empty())
            return;
        const size_t mask = slots_.size() - 1;
        for (size_t s = h & mask; slots_[s].pos1 != 0; s = (s + 1) & mask)
            if (slots_[s].h == h && !f(uint64_t(slots_[s].pos1 - 1)))
                return;
    }
    // Position pos (the next one: costs are kept in queue order) has hash h.
    void add(uint64_t pos, uint64_t h, PathCost c)   // throws std::bad_alloc
    {
        if ((costs_.size() + 1) * 2 > slots_.size()) {
            std::vector<Slot> old(std::max<size_t>(slots_.size() * 2, 1024));
            old.swap(slots_);
            for (const Slot& o : old)
                if (o.pos1 != 0)
                    place(o);
        }
        place({h, uint32_t(pos + 1)});
        costs_.push_back(c);
    }

private:
    struct Slot {
        uint64_t h = 0;
        uint32_t pos1 = 0;   // 0: empty
    };
    void place(const Slot& x)
    {
        const size_t mask = slots_.size() - 1;
        size_t s = x.h & mask;
        while (slots_[s].pos1 != 0)
            s = (s + 1) & mask;
        slots_[s] = x;
    }
    std::vector<Slot> slots_;
    std::vector<PathCost> costs_;
};

}  // namespace pxc::explorer
