// The lossy modes (one thread): compact (hash compaction: a table of 64-bit
// fingerprints) and bitstate (a bit array, k bits per state). Neither keeps a
// state's bytes once its level is expanded: the BFS queues hold the full
// states of the level being expanded and of the next one (past 64 MiB in
// temporary files, level_queue.hpp), and every state keeps its parent's
// index and its step number among the parent's successors (6 bytes, the
// trail: on disk once its level is expanded), so a counterexample is
// rebuilt by replaying the steps from the initial state. A violation found
// is therefore real; "no violation" is not a proof: two states may share a
// fingerprint (or a state may find all its bits set by others), and the
// second is never explored.
//
// The search order is the exact one-thread order: when no state is missed,
// the states, transitions, depth and counterexample are those of exact mode.
// With cheapest_shortest, a state of the next level reached again by a
// cheaper path is re-parented, as in exact mode: the next level's index by
// hash finds it, and its bytes are compared before its trail entry changes.
#pragma once
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "explorer/batch.hpp"
#include "explorer/level_queue.hpp"
#include "explorer/progress.hpp"
#include "explorer/trail.hpp"
#include "explorer/types.hpp"
#include "explorer/visited.hpp"

namespace pxc::explorer {

// The bounds the lossy modes report (see Stats::omission_bound).
inline double compact_omission_bound(uint64_t n) { return std::min(1.0, double(n) * double(n) / std::ldexp(1.0, 65)); }
// The integral of (1 - e^(-k x / m))^k over [0, n]: the integrand grows, so it
// bounds the sum over the insertions i = 0 .. n-1 from above.
inline double bitstate_omission_bound(uint64_t n, uint64_t m, unsigned k)
{
    if (n == 0 || m == 0)
        return 0;
    const int steps = 4096;   // Simpson's rule, even number of steps
    const double a = double(k) / double(m), hstep = double(n) / steps;
    auto f = [&](double x) { return std::pow(-std::expm1(-a * x), double(k)); };
    double sum = f(0) + f(double(n));
    for (int i = 1; i < steps; ++i)
        sum += (i % 2 ? 4 : 2) * f(i * hstep);
    return sum * hstep / 3;
}

// The statistics of a lossy search's end: the omission bound, and for
// bitstate the array's size, k and fill (bits: null in compact mode).
inline void set_omission_stats(Stats& st, const BitState* bits, uint64_t bits_set)
{
    if (!bits) {
        st.omission_bound = compact_omission_bound(st.states);
        return;
    }
    st.bitstate_bits = bits->bits();
    st.hash_functions = bits->k();
    st.bits_set = double(bits_set) / double(bits->bits());
    st.omission_bound = std::min(1.0, bitstate_omission_bound(st.states, bits->bits(), bits->k()));
}

// What a parallel lossy search hands over to the one-thread one when its
// next level would not fit in memory (lossy_parallel.hpp): the visited set,
// the trail and the counts of the levels done. The level to expand next
// follows state by state (LossySearch::take_level), in one-thread order.
struct LossyHandover {
    std::unique_ptr<FingerprintShards> fps;   // compact
    std::unique_ptr<BitState> bits;           // bitstate
    uint64_t bits_set = 0;                    // set by insert_atomic(), which BitState does not count
    Trail trail;
    uint32_t depth = 0;                       // the level to expand next
    uint64_t expanded = 0;                    // the states of the levels above it
    uint64_t prev_level = 0;                  // the states of the level above it
    const Reduction* reduction = nullptr;
    uint32_t por_gave_up_at = 0;
    uint64_t ample_states = 0, proviso_full = 0, transitions = 0, terminals = 0, peak_bytes = 0;
};

template <Model M, Checker C>
class LossySearch {
public:
    struct Outcome {
        std::optional<Finding> finding;
        std::string limit;
        Stats stats;
        bool given_back = false;   // a search taken over stopped at a level boundary for give_back()
    };

    LossySearch(const M& model, C& checker, const Limits& limits, Progress& progress, bool cheapest, Mode mode,
                uint64_t bitstate_bytes, unsigned hash_functions, std::chrono::steady_clock::time_point start,
                const Reduction* reduction = nullptr, uint64_t level_memory = default_level_memory)
        : model_(model), checker_(checker), limits_(limits), progress_(progress), cheapest_(cheapest), mode_(mode),
          size_(model.state_size()), start_(start), reduction_(reduction),
          cur_(size_, resident_blocks(size_, level_memory)),
          next_(size_, resident_blocks(size_, level_memory)), probe_(size_)
    {
        if (mode == Mode::bitstate)
            bits_ = std::make_unique<BitState>(bitstate_bytes * 8, hash_functions);
        else
            fps_ = std::make_unique<FingerprintShards>();
    }

    // Takes over a parallel search's work (lossy_parallel.hpp); the level
    // to expand next follows through take_level(), then run().
    LossySearch(const M& model, C& checker, const Limits& limits, Progress& progress, bool cheapest, Mode mode,
                std::chrono::steady_clock::time_point start, LossyHandover&& h,
                uint64_t level_memory = default_level_memory)
        : model_(model), checker_(checker), limits_(limits), progress_(progress), cheapest_(cheapest), mode_(mode),
          size_(model.state_size()), start_(start), reduction_(h.reduction), por_gave_up_at_(h.por_gave_up_at),
          ample_states_(h.ample_states), proviso_full_(h.proviso_full), fps_(std::move(h.fps)),
          bits_(std::move(h.bits)), trail_(std::move(h.trail)), cur_(size_, resident_blocks(size_, level_memory)),
          next_(size_, resident_blocks(size_, level_memory)), next_first_(trail_.count()), probe_(size_),
          transitions_(h.transitions), terminals_(h.terminals), depth_(h.depth), peak_bytes_(h.peak_bytes),
          resumed_(true), expanded_before_(h.expanded), bits_set_before_(h.bits_set), prev_level_(h.prev_level)
    {
    }
    // One state of the level to expand next, in order (a search taken over only).
    void take_level(uint32_t index, PathCost cost, const uint8_t* bytes)   // throws std::bad_alloc
    {
        cur_.push(index, cost, bytes);
        if (cheapest_)
            cur_costs_.push_back(cost);
    }

    // Ends the search taken over before it starts (its level could not be taken whole).
    void refuse(const std::string& why) { refused_ = why; }
    // A search taken over stops at a level boundary where back(level
    // states, states of the level before, bytes of the visited set and
    // trail) says so, and its work goes back through give_back().
    void give_back_when(std::function<bool(uint64_t, uint64_t, uint64_t)> back) { back_ = std::move(back); }
    // each(index, cost, bytes) for every state of the level to expand next,
    // in order, then the visited set, trail and counts into h. Should each()
    // throw, nothing moved: run() again goes on from that level.
    template <class F>
    void give_back(LossyHandover& h, F&& each)
    {
        for (uint64_t pos = 0; pos < cur_.count(); ++pos)
            each(cur_.index(pos), cheapest_ ? cur_costs_[pos] : PathCost(0), cur_.state(pos));
        h.fps = std::move(fps_);
        h.bits = std::move(bits_);
        h.bits_set = bits_set_before_;   // (the bits insert() set are counted by the BitState)
        h.trail = std::move(trail_);
        h.depth = depth_;
        h.expanded = expanded_before_;
        h.reduction = reduction_;
        h.por_gave_up_at = por_gave_up_at_;
        h.ample_states = ample_states_;
        h.proviso_full = proviso_full_;
        h.transitions = transitions_;
        h.terminals = terminals_;
        h.peak_bytes = peak_bytes_;
        h.prev_level = prev_level_;
    }

    Outcome run()
    {
        Outcome out;
        try {
            if (!refused_.empty())
                out.limit = refused_;
            else
                search(out);
        } catch (const std::bad_alloc&) {
            out.limit = "out of memory";
        }
        progress_.finish();
        Stats& st = out.stats;
        st.states = trail_.count();
        st.transitions = transitions_;
        st.terminal_states = terminals_;
        st.por = reduction_ != nullptr || por_gave_up_at_ != 0;
        st.ample_states = ample_states_;
        st.proviso_full = proviso_full_;
        st.por_gave_up_at = por_gave_up_at_;
        st.depth = out.finding ? depth_of(out.finding->state) : depth_;
        st.store_bytes = peak_bytes_;
        st.disk_bytes = trail_.disk_bytes();
        st.level_disk_bytes = cur_.disk_bytes() + next_.disk_bytes();
        st.state_size = size_;
        st.mode = mode_;
        set_omission_stats(st, bits_.get(), bits_ ? bits_set_before_ + bits_->bits_set() : 0);
        return out;
    }

    // The path to state i, rebuilt by replaying the recorded step numbers.
    Path path(uint32_t i) const { return replay_trail(model_, trail_, i); }
    uint32_t depth_of(uint32_t i) const { return trail_depth(trail_, i); }

private:
    // The blocks of a level kept in memory, the rest in a temporary file
    // (0: all in memory). The queues are written once and read once, in
    // order: costs live in index_ and cur_costs_, a re-parented state's
    // bytes are read back one at a time.
    static size_t resident_blocks(size_t state_size, uint64_t level_memory)
    {
        if (level_memory == 0)
            return 0;
        return size_t(std::max<uint64_t>(1, level_memory / LevelQueue::block_bytes(state_size)));
    }

    struct Candidate {
        Finding finding;
        uint32_t depth;
        bool in_next;    // its cost is in the next level's queue, else in the current one
        uint64_t pos;
    };

    uint64_t bytes_used() const
    {
        return (bits_ ? bits_->bytes() : fps_->bytes()) + trail_.bytes() + cur_.bytes() + next_.bytes() +
               index_.bytes() + cur_costs_.capacity() * sizeof(PathCost);
    }
    uint64_t bytes_next_growth(uint64_t h64) const
    {
        return (bits_ ? 0 : fps_->bytes_next_growth(h64)) + trail_.bytes_next_growth() + next_.bytes_next_growth() +
               (cheapest_ ? index_.bytes_next_growth() : 0);
    }
    std::string memory_limit_text() const { return explorer::memory_limit_text(limits_); }

    struct Hash {
        uint64_t h64;
        XXH128_hash_t h128;
    };
    Hash hash(const uint8_t* s) const
    {
        Hash h{};
        if (bits_) {
            h.h128 = XXH3_128bits(s, size_);
            h.h64 = h.h128.low64;
        } else {
            h.h64 = XXH3_64bits(s, size_);
        }
        return h;
    }
    bool seen(const Hash& h) const { return bits_ ? bits_->contains(h.h128) : fps_->contains(h.h64); }
    void mark(const Hash& h)
    {
        if (bits_)
            bits_->insert(h.h128);
        else
            fps_->insert(h.h64);
    }

    // The initial state, marked, queued and checked. False: it violates.
    bool start_search(Outcome& out)
    {
        std::vector<uint8_t> init(size_);
        model_.initial_state(init.data());
        if (reduces(model_))
            canonicalise(model_, init.data());
        const Hash h0 = hash(init.data());
        mark(h0);
        trail_.push(no_parent, 0);
        cur_.push(0, 0, init.data());
        if (cheapest_)
            cur_costs_.push_back(0);
        peak_bytes_ = bytes_used();
        if (auto v = checker_.check_state(init.data())) {
            out.finding = Finding{0, *v, false};
            return false;
        }
        return true;
    }

    void search(Outcome& out)
    {
        if (!resumed_ && !start_search(out))
            return;
        std::vector<Candidate> candidates;
        bool stop_after_level = false;
        uint64_t expanded = expanded_before_;
        for (;;) {
            for (uint64_t pos = 0; pos < cur_.count(); ++pos, ++expanded) {
                if ((expanded & 1023) == 0 && limits_.seconds > 0 &&
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > limits_.seconds)
                    out.limit = time_limit_text(limits_);
                if ((expanded & 4095) == 0)
                    progress_.update(trail_.count(), cur_.count() - pos + next_.count(), depth_, bytes_used());
                if (!out.limit.empty())
                    break;
                expand(out, pos, candidates, stop_after_level);
                if (!out.limit.empty() || (!cheapest_ && out.finding))
                    break;
            }
            peak_bytes_ = std::max(peak_bytes_, bytes_used());
            if (!out.limit.empty() || out.finding || stop_after_level || next_.count() == 0)
                break;
            prev_level_ = cur_.count();
            cur_.swap(next_);
            next_.clear();   // its blocks serve the level after
            index_.clear_into(cur_costs_);
            release_free_memory();   // what the heaps kept of the level just expanded
            next_first_ = trail_.count();
            ++depth_;
            if (reduction_ && por_gives_up(expanded, ample_states_)) {
                reduction_ = nullptr;
                por_gave_up_at_ = depth_;
            }
            trail_.spill_below(cur_.index(0));   // the levels above are expanded
            if (back_ && back_(cur_.count(), prev_level_,
                               (bits_ ? bits_->bytes() : fps_->bytes()) + trail_.bytes())) {
                expanded_before_ = expanded;
                out.given_back = true;
                return;
            }
        }
        if (cheapest_ && !candidates.empty()) {
            // Shortest first, then cheapest, then first found.
            auto cost = [&](const Candidate& c) { return c.in_next ? index_.cost(c.pos) : cur_costs_[c.pos]; };
            const Candidate* best = &candidates.front();
            for (const Candidate& c : candidates)
                if (c.depth < best->depth || (c.depth == best->depth && cost(c) < cost(*best)))
                    best = &c;
            out.finding = best->finding;
        }
    }

    void expand(Outcome& out, uint64_t pos, std::vector<Candidate>& candidates, bool& stop_after_level)
    {
        const uint32_t idx = cur_.index(pos);
        const PathCost pcost = cheapest_ ? cur_costs_[pos] : 0;
        const uint8_t* s = cur_.state(pos);
        auto found = [&](uint32_t state, const Violation& v, bool at_terminal, uint32_t at_depth, bool in_next,
                         uint64_t qpos) {
            if (!cheapest_) {
                out.finding = Finding{state, v, at_terminal};
                return;
            }
            candidates.push_back({Finding{state, v, at_terminal}, at_depth, in_next, qpos});
            stop_after_level = true;
        };
        // All successors first, hashed, their lookups prefetched (see batch.hpp).
        // A step that leaves s as it was needs no hash and no lookup: s is
        // seen and in the level being expanded, not the next.
        batch_.gather(model_, s, true);
        const uint32_t steps = uint32_t(batch_.size());
        if (hashes_.size() < steps)
            hashes_.resize(steps);
        for (uint32_t j = 0; j < steps; ++j) {
            if (batch_.self_loop(j))
                continue;
            hashes_[j] = hash(batch_.state(j));
            if (bits_)
                bits_->prefetch(hashes_[j].h128);
            else
                fps_->prefetch(hashes_[j].h64);
            if (cheapest_)
                index_.prefetch(hashes_[j].h64);
        }
        // POR: the ample steps first, the others only when one of the ample
        // successors was seen before (the cycle proviso, explorer.hpp). Step
        // numbers stay the model's (path() replays them).
        in_.assign(steps, 0);
        uint32_t ample = 0;
        if (reduction_ && steps > 1 &&
            reduction_->ample(s, steps, batch_.labels(), batch_.concrete_states(), in_.data()))
            for (uint32_t j = 0; j < steps; ++j)
                ample += in_[j] != 0;
        for (uint32_t j = 0; j < steps && ample && ample < steps && reduction_->proviso(); ++j)
            if (in_[j] && !batch_.self_loop(j) && seen(hashes_[j])) {
                ample = 0;   // refused: expand fully
                ++proviso_full_;
            }
        if (ample && ample < steps)
            ++ample_states_;
        else
            in_.assign(steps, 1);
        for (uint32_t step = 0; step < steps; ++step) {
            if (!in_[step])
                continue;
            const uint8_t* next = batch_.state(step);
            const Label label = batch_.label(step);
            const Hash& h = hashes_[step];
            ++transitions_;
            if (!out.limit.empty() || (!cheapest_ && out.finding))
                continue;
            if (step > 0xFFFF) {
                out.limit = "a state has more than 65536 successors";
                continue;
            }
            if (batch_.self_loop(step))
                continue;
            auto price = [&] {
                if constexpr (CostedModel<M>)
                    if (cheapest_)
                        return add_cost(pcost, model_.step_cost(label, s, batch_.concrete(step)));
                return PathCost(0);
            };
            if (seen(h)) {
                // A state of the next level by a cheaper path: re-parented,
                // once its bytes are compared (another state may share the
                // hash: compact's own collision, or bitstate's).
                if (cheapest_)
                    index_.find(h.h64, [&](uint64_t q) {
                        const PathCost c = price();
                        if (!(c < index_.cost(q)))
                            return false;
                        next_.read_state(q, probe_.data());
                        if (std::memcmp(probe_.data(), next, size_) != 0)
                            return true;
                        index_.set_cost(q, c);
                        trail_.set(uint32_t(next_first_ + q), idx, uint16_t(step));
                        return false;
                    });
                continue;
            }
            // A limit stops only a step to a new state.
            if (limits_.max_states && trail_.count() >= limits_.max_states) {
                out.limit = "--max-states " + std::to_string(limits_.max_states);
                continue;
            }
            if (trail_.count() >= max_store_states) {
                out.limit = "the 2^32 state indices";
                continue;
            }
            if (limits_.memory_bytes && bytes_used() + bytes_next_growth(h.h64) > limits_.memory_bytes) {
                out.limit = memory_limit_text();
                continue;
            }
            mark(h);
            const uint32_t child = trail_.push(idx, uint16_t(step));
            const PathCost c = price();
            const uint64_t q = next_.push(child, c, next);
            if (cheapest_)
                index_.add(q, h.h64, c);
            if (auto v = check_new_state(checker_, s, next))
                found(child, *v, false, depth_ + 1, true, q);
        }
        if (steps == 0) {
            ++terminals_;
            if (cheapest_ || !out.finding)
                if (auto v = checker_.check_deadlock(s))
                    found(idx, *v, true, depth_, false, pos);
        }
    }

    const M& model_;
    C& checker_;
    Limits limits_;
    Progress& progress_;
    bool cheapest_;
    Mode mode_;
    size_t size_;
    std::chrono::steady_clock::time_point start_;
    const Reduction* reduction_;   // null once partial-order reduction gave up (por_gives_up)
    uint32_t por_gave_up_at_ = 0;
    uint64_t ample_states_ = 0, proviso_full_ = 0;
    std::vector<uint8_t> in_;       // the steps expanded (POR: the ample ones)
    std::unique_ptr<FingerprintShards> fps_;
    std::unique_ptr<BitState> bits_;
    Trail trail_;
    LevelQueue cur_, next_;
    LevelIndex index_;                 // the next level's hashes and costs (cheapest_shortest)
    std::vector<PathCost> cur_costs_;  // the current level's costs (cheapest_shortest)
    uint64_t next_first_ = 1;          // the trail index of the next level's first state
    std::vector<uint8_t> probe_;       // a state read back from the next level
    SuccessorBatch batch_{size_};   // the successors of the state being expanded
    std::vector<Hash> hashes_;      // theirs (not for self-loops)
    uint64_t transitions_ = 0, terminals_ = 0;
    uint32_t depth_ = 0;
    uint64_t peak_bytes_ = 0;
    bool resumed_ = false;           // taken over from a parallel search
    uint64_t expanded_before_ = 0;   // the states it expanded
    uint64_t bits_set_before_ = 0;   // the bits it set
    std::string refused_;
    uint64_t prev_level_ = 0;        // the states of the level before the current one
    std::function<bool(uint64_t, uint64_t, uint64_t)> back_;
};

}  // namespace pxc::explorer
