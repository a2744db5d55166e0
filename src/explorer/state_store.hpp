// The visited set of exact mode: every state's full bytes in a chunked arena,
// its parent and the step that reached it, and an open-addressing table over
// XXH3-64 fingerprints of the bytes. A state's index is its BFS order, so the
// arena doubles as the BFS queue. With costs enabled, each state also keeps
// the cost of the path that reached it (2 bytes, right after its bytes in
// the arena: comparing the state has just brought them into the cache), and
// may be re-parented.
#pragma once
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "explorer/cost.hpp"

namespace pxc::explorer {

using Label = uint64_t;
inline constexpr uint32_t no_parent = UINT32_MAX;

class StateStore {
public:
    explicit StateStore(size_t state_size) : size_(state_size), stride_(state_size) { table_.assign(1u << 16, 0); }

    size_t state_size() const { return size_; }
    uint64_t count() const { return parent_.size(); }
    const uint8_t* state(uint32_t i) const { return chunks_[i >> chunk_bits].get() + size_t(i & chunk_mask) * stride_; }
    uint32_t parent(uint32_t i) const { return parent_[i]; }
    Label label(uint32_t i) const { return label_[i]; }

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
    // A cheaper path of the same length reached state i: it now hangs off `parent`.
    void reparent(uint32_t i, uint32_t parent, Label label, PathCost c)
    {
        parent_[i] = parent;
        label_[i] = label;
        set_cost(i, c);
    }

    // Bytes this store holds now, and what the next growth of the table or
    // the arena would add (so a memory limit is honoured before allocating).
    uint64_t bytes_used() const
    {
        return chunks_.size() * chunk_bytes() + table_.capacity() * sizeof(uint64_t) +
               parent_.capacity() * sizeof(uint32_t) + label_.capacity() * sizeof(Label);
    }
    uint64_t bytes_next_growth() const
    {
        uint64_t grow = 0;
        if ((count() + 1) * 2 > table_.size())
            grow += table_.size() * sizeof(uint64_t) * 2;
        if ((count() & chunk_mask) == 0)
            grow += chunk_bytes();
        if (parent_.size() == parent_.capacity())
            grow += parent_.capacity() * (sizeof(uint32_t) + sizeof(Label)) + 4096;
        return grow;
    }

    bool contains(const uint8_t* bytes) const
    {
        const uint64_t h = XXH3_64bits(bytes, size_);
        const uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
        const size_t mask = table_.size() - 1;
        for (size_t slot = h & mask; table_[slot] != 0; slot = (slot + 1) & mask)
            if (uint32_t(table_[slot] >> 32) == tag && std::memcmp(state(uint32_t(table_[slot])), bytes, size_) == 0)
                return true;
        return false;
    }

    // Inserts the state unless present. Returns {index, inserted}.
    std::pair<uint32_t, bool> insert(const uint8_t* bytes, uint32_t parent, Label label)
    {
        const uint64_t h = XXH3_64bits(bytes, size_);
        const uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;  // never 0: 0 marks an empty slot
        size_t mask = table_.size() - 1;
        for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
            const uint64_t e = table_[slot];
            if (e == 0) {
                if ((count() + 1) * 2 > table_.size()) {
                    grow_table();
                    return insert_new(bytes, parent, label, h, tag);
                }
                const uint32_t idx = append(bytes, parent, label);
                table_[slot] = (uint64_t(tag) << 32) | idx;
                return {idx, true};
            }
            if (uint32_t(e >> 32) == tag && std::memcmp(state(uint32_t(e)), bytes, size_) == 0)
                return {uint32_t(e), false};
        }
    }

private:
    static constexpr unsigned chunk_bits = 16;
    static constexpr uint32_t chunk_mask = (1u << chunk_bits) - 1;
    size_t chunk_bytes() const { return size_t(1u << chunk_bits) * stride_; }

    uint32_t append(const uint8_t* bytes, uint32_t parent, Label label)
    {
        const uint32_t idx = static_cast<uint32_t>(parent_.size());
        if ((idx & chunk_mask) == 0)
            chunks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(chunk_bytes()));
        uint8_t* slot = chunks_.back().get() + size_t(idx & chunk_mask) * stride_;
        std::memcpy(slot, bytes, size_);
        std::memset(slot + size_, 0, stride_ - size_);
        parent_.push_back(parent);
        label_.push_back(label);
        return idx;
    }

    std::pair<uint32_t, bool> insert_new(const uint8_t* bytes, uint32_t parent, Label label, uint64_t h, uint32_t tag)
    {
        const uint32_t idx = append(bytes, parent, label);
        place(h, (uint64_t(tag) << 32) | idx);
        return {idx, true};
    }

    void place(uint64_t h, uint64_t entry)
    {
        const size_t mask = table_.size() - 1;
        size_t slot = h & mask;
        while (table_[slot] != 0)
            slot = (slot + 1) & mask;
        table_[slot] = entry;
    }

    void grow_table()
    {
        std::vector<uint64_t> old(table_.size() * 2, 0);
        old.swap(table_);
        for (uint64_t e : old)
            if (e != 0)
                place(XXH3_64bits(state(uint32_t(e)), size_), e);
    }

    size_t size_;
    size_t stride_;   // arena bytes per state: the state, then its cost if enabled
    std::vector<std::unique_ptr<uint8_t[]>> chunks_;
    std::vector<uint32_t> parent_;
    std::vector<Label> label_;
    std::vector<uint64_t> table_;
};

}  // namespace pxc::explorer
