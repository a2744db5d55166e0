// The lossy modes' trail: how each state was first reached (its parent's
// index and its step number among the parent's successors), and the replay
// that turns it back into a path.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "explorer/alloc.hpp"
#include "explorer/temp_file.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

// Parent index and step number of every state, in chunks of 65536. Only
// the entries of the level being built are ever written again (re-parenting
// by cost), so spill_below() moves the whole chunks of the levels already
// expanded to an unlinked temporary file ($TMPDIR, else /tmp): in memory the
// lossy modes keep their visited set and two levels of states, and 6 bytes
// a state go to the disk, read back only to rebuild a counterexample. When
// no file can be written the chunks stay in memory.
class Trail {
public:
    uint64_t count() const { return count_; }
    uint64_t bytes() const { return (chunks_.size() - spilled_) * chunk_bytes; }   // in memory
    uint64_t disk_bytes() const { return spilled_ * chunk_bytes; }
    uint64_t bytes_next_growth() const { return (count_ & mask) == 0 ? chunk_bytes : 0; }
    uint32_t parent(uint32_t i) const { return read(i).parent; }
    uint16_t step(uint32_t i) const { return read(i).step; }
    void set(uint32_t i, uint32_t parent, uint16_t step) { at(i) = {parent, step}; }
    uint32_t push(uint32_t parent, uint16_t step)   // throws std::bad_alloc
    {
        if ((count_ & mask) == 0) {
            chunks_.reserve(chunks_.size() + 1);
            auto* p = static_cast<Entry*>(big_alloc(chunk_bytes, false));
            if (!p)
                throw std::bad_alloc();
            chunks_.emplace_back(p);
        }
        at(uint32_t(count_)) = {parent, step};
        return uint32_t(count_++);
    }
    // n more entries, each to be set() (by several threads, each its own
    // entries). Throws std::bad_alloc, and then adds none.
    void extend(uint64_t n)
    {
        const size_t had = chunks_.size(), need = size_t((count_ + n + mask) >> 16);
        try {
            chunks_.reserve(need);
            while (chunks_.size() < need) {
                auto* p = static_cast<Entry*>(big_alloc(chunk_bytes, false));
                if (!p)
                    throw std::bad_alloc();
                chunks_.emplace_back(p);
            }
        } catch (const std::bad_alloc&) {
            chunks_.resize(had);
            throw;
        }
        count_ += n;
    }
    // Writes the whole chunks below entry `index` to the file and frees
    // them (the caller will not set() them again). False when the file
    // cannot be opened or written: those chunks stay in memory.
    bool spill_below(uint64_t index)
    {
        const size_t upto = size_t(index >> 16);
        while (spilled_ < upto && spilled_ < chunks_.size()) {
            if (!file_.write(chunks_[spilled_].get(), chunk_bytes, spilled_ * chunk_bytes))
                return false;
            chunks_[spilled_].reset();
            ++spilled_;
        }
        return true;
    }

private:
#pragma pack(push, 2)
    struct Entry {
        uint32_t parent;
        uint16_t step;
    };
#pragma pack(pop)
    static_assert(sizeof(Entry) == 6);
    static constexpr uint32_t mask = (1u << 16) - 1;
    static constexpr uint64_t chunk_bytes = (uint64_t(mask) + 1) * sizeof(Entry);
    Entry& at(uint32_t i) { return chunks_[i >> 16].get()[i & mask]; }
    Entry read(uint32_t i) const
    {
        if ((i >> 16) >= spilled_)
            return chunks_[i >> 16].get()[i & mask];
        Entry e{};
        if (!file_.read(&e, sizeof e, uint64_t(i) * sizeof(Entry)))
            throw std::runtime_error("cannot read the trail back from its temporary file");
        return e;
    }
    std::vector<std::unique_ptr<Entry, FreeDeleter>> chunks_;
    uint64_t count_ = 0;
    size_t spilled_ = 0;   // chunks [0, spilled_) are in the file
    TempFile file_;
};

// The path to state i of a trail, rebuilt by replaying the recorded step
// numbers from the initial state (canonical states with symmetry
// reduction: Explorer::path() makes it a concrete run).
template <Model M>
Path replay_trail(const M& model, const Trail& trail, uint32_t i)
{
    std::vector<uint16_t> steps;
    for (uint32_t s = i; trail.parent(s) != no_parent; s = trail.parent(s))
        steps.push_back(trail.step(s));
    const size_t size = model.state_size();
    // With symmetry reduction the steps were numbered among the canonical
    // parent's successors, and lead to canonical states.
    const bool reduce = reduces(model);
    Path p;
    std::vector<uint8_t> cur(size);
    model.initial_state(cur.data());
    if (reduce)
        canonicalise(model, cur.data());
    p.states.push_back(cur);
    p.labels.push_back(0);
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        uint32_t n = 0;
        bool done = false;
        model.for_each_successor(cur.data(), [&](Label l, const uint8_t* next) {
            if (n++ == *it && !done) {
                p.states.emplace_back(next, next + size);
                if (reduce)
                    canonicalise(model, p.states.back().data());
                p.labels.push_back(l);
                done = true;
            }
        });
        if (!done)
            break;   // cannot happen with a deterministic model
        cur = p.states.back();
    }
    return p;
}

inline uint32_t trail_depth(const Trail& trail, uint32_t i)
{
    uint32_t d = 0;
    for (uint32_t s = i; trail.parent(s) != no_parent; s = trail.parent(s))
        ++d;
    return d;
}

}  // namespace pxc::explorer
