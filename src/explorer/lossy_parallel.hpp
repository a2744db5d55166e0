// The lossy modes on several threads. Level-synchronous, like the exact
// parallel search, and for the same reason: the one-thread order is
// rebuilt after each level, so that when no state is missed the states,
// transitions, depth, verdict and counterexample are those of one thread
// (and of exact mode).
//
// One level in four phases:
//  expand  the threads expand the level's states (grabbing a few at a
//          time). A successor whose fingerprint (or bits) is in the visited
//          set belongs to an earlier level: dropped. The others go into the
//          level table, sharded by fingerprint, one spinlock per shard: the
//          first copy keeps its bytes (in the finding thread's buffer), every
//          copy lowers the state's order key (parent rank, step) and its
//          best (cost, order key) parent. The visited set is only read here.
//  order   one thread sorts the level table by order key: the one-thread
//          order of the new level.
//  record  one thread gives each new state its trail entry (parent, step)
//          in that order; the threads add the new fingerprints to the
//          visited set (compact: each its own shards; bitstate: atomic ORs).
//  check   the threads check the new states' invariants.
// Only the visited set, the trail and the two levels in flight are kept,
// all in memory. When the next level would not fit in the memory budget
// (predicted from the last two levels, or found while expanding it: that
// partial level is dropped), the search hands its visited set, trail and
// current level over to the one-thread search (lossy.hpp), whose levels go
// to temporary files; once the levels have shrunk enough, that one gives
// the work back at a level boundary. Every level is expanded whole by one
// of them, in the one-thread order, so the results are the same.
#pragma once
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "explorer/alloc.hpp"
#include "explorer/lossy.hpp"
#include "explorer/thread_pool.hpp"

namespace pxc::explorer {

// A state's order key in its level: the rank of its parent, then the step.
inline uint64_t order_key(uint32_t rank, uint32_t step) { return uint64_t(rank) << 16 | step; }

// The states found in the level being built, by fingerprint: 256 shards,
// each an open-addressing table under its own spinlock.
class LevelTable {
public:
    struct Entry {
        uint64_t fp = 0;          // 0: empty (fingerprints are never 0 here)
        uint64_t order = 0;       // the smallest order key of a copy
        uint64_t best = 0;        // the order key of the best parent (cheapest: by cost first)
        uint64_t loc = 0;         // thread << 40 | index in that thread's buffer
        PathCost cost = 0;        // the best parent's path cost + the step's
    };
    // The same shards as the visited set's (FingerprintShards), so each thread adds its own.
    static constexpr unsigned shard_bits = FingerprintShards::shard_bits, shards = FingerprintShards::shards;
    static unsigned shard_of(uint64_t fp) { return FingerprintShards::shard_of(fp); }

    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    // The entries: exact while no offer() runs, else a lower bound (the
    // shards are read one by one, without their locks).
    uint64_t count() const
    {
        uint64_t n = 0;
        for (const Shard& s : shards_)
            n += s.n.load(std::memory_order_relaxed);
        return n;
    }
    uint64_t count(unsigned k) const { return shards_[k].n.load(std::memory_order_relaxed); }
    // What offer(fp) will read first, fetched ahead (no lock: an address
    // read while the shard grows only fetches a line in vain).
    void prefetch(uint64_t fp) const
    {
        const unsigned k = shard_of(fp);
        if (const Entry* base = views_[k].base.load(std::memory_order_relaxed))
            __builtin_prefetch(base + (size_t(fp) & views_[k].mask.load(std::memory_order_relaxed)));
    }
    // Offers one copy; `store` is called (under the lock) for a first copy
    // and returns its loc. Throws std::bad_alloc.
    template <class Store>
    void offer(uint64_t fp, uint64_t order, PathCost cost, bool cheapest, Store&& store)
    {
        Shard& s = shards_[shard_of(fp)];
        unsigned spins = 0;
        while (s.lock.test_and_set(std::memory_order_acquire))
            relax(spins);
        struct Unlock {
            Shard& s;
            ~Unlock() { s.lock.clear(std::memory_order_release); }
        } unlock{s};
        if ((s.n + 1) * 2 > s.slots.size())
            grow(s);
        Entry& e = find(s, fp);
        if (e.fp == 0) {
            e = Entry{fp, order, order, store(), cost};
            s.n.store(s.n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);   // under the lock
            return;
        }
        e.order = std::min(e.order, order);
        if (cheapest ? std::tuple(cost, order) < std::tuple(e.cost, e.best) : order < e.best) {
            e.best = order;
            e.cost = cost;
        }
    }
    // The entries of shard k (no offer() may run: by several threads, each its own shards).
    template <class F>
    void visit(unsigned k, F&& f) const
    {
        for (const Entry& e : shards_[k].slots)
            if (e.fp)
                f(e);
    }
    // The same, each entry taken out: the shard is left empty, its memory kept for the next level.
    template <class F>
    void take(unsigned k, F&& f)
    {
        Shard& s = shards_[k];
        for (Entry& e : s.slots)
            if (e.fp) {
                f(e);
                e = Entry{};
            }
        s.n = 0;
    }

    // Empty, its memory freed.
    void release()
    {
        for (Shard& s : shards_) {
            std::vector<Entry>().swap(s.slots);
            set_view(s);
            s.n = 0;
        }
        bytes_.store(0, std::memory_order_relaxed);
    }

private:
    // A line each: the threads take shard locks at random, and two shards
    // sharing a line would make one thread's lock evict the other's line.
    struct alignas(64) Shard {
        std::atomic_flag lock = ATOMIC_FLAG_INIT;
        std::vector<Entry> slots;
        std::atomic<uint64_t> n{0};   // written under the lock
    };
    // Where a shard's slots are, for prefetch(): written only when the
    // shard grows or is released, so, apart from the locks' lines, read
    // without a miss by every thread.
    struct View {
        std::atomic<const Entry*> base{nullptr};
        std::atomic<size_t> mask{0};
    };
    void set_view(Shard& s)
    {
        View& v = views_[size_t(&s - shards_)];
        v.base.store(s.slots.empty() ? nullptr : s.slots.data(), std::memory_order_relaxed);
        v.mask.store(s.slots.empty() ? 0 : s.slots.size() - 1, std::memory_order_relaxed);
    }
    static Entry& find(Shard& s, uint64_t fp)
    {
        const size_t mask = s.slots.size() - 1;
        size_t i = size_t(fp) & mask;   // the low bits: the high ones chose the shard
        while (s.slots[i].fp != 0 && s.slots[i].fp != fp)
            i = (i + 1) & mask;
        return s.slots[i];
    }
    void grow(Shard& s)
    {
        std::vector<Entry> old(std::max<size_t>(s.slots.size() * 2, 64));
        old.swap(s.slots);
        set_view(s);
        bytes_.fetch_add((s.slots.size() - old.size()) * sizeof(Entry), std::memory_order_relaxed);
        for (const Entry& e : old)
            if (e.fp)
                find(s, e.fp) = e;
    }
    Shard shards_[shards];
    View views_[shards];
    std::atomic<uint64_t> bytes_{0};
};

template <Model M, Checker C>
class ParallelLossySearch {
public:
    using Outcome = typename LossySearch<M, C>::Outcome;

    ParallelLossySearch(const M& model, C& checker, const Limits& limits, Progress& progress, bool cheapest, Mode mode,
                        uint64_t bitstate_bytes, unsigned hash_functions, unsigned threads,
                        std::chrono::steady_clock::time_point start, const Reduction* reduction = nullptr,
                        uint64_t level_memory = default_level_memory)
        : model_(model), checker_(checker), limits_(limits), progress_(progress), cheapest_(cheapest), mode_(mode),
          size_(model.state_size()), nthreads_(std::max(1u, threads)), start_(start), reduction_(reduction),
          level_memory_(level_memory), pool_(nthreads_)
    {
        if (mode == Mode::bitstate)
            bits_ = std::make_unique<BitState>(bitstate_bytes * 8, hash_functions);
        else
            fps_ = std::make_unique<FingerprintShards>();
        for (unsigned t = 0; t < nthreads_; ++t) {
            cur_bufs_.emplace_back(size_);
            next_bufs_.emplace_back(size_);
            locals_.emplace_back(std::make_unique<Local>(size_));
        }
    }

    Outcome run()
    {
        Outcome out;
        try {
            search(out);
        } catch (const std::bad_alloc&) {
            out.limit = "out of memory";
        }
        if (single_) {   // handed over: its outcome and statistics
            one_thread_.push_back({handed_at_, out.stats.depth});
            out.stats.threads = nthreads_;
            out.stats.one_thread_levels = one_thread_;
            return out;
        }
        progress_.finish();
        Stats& st = out.stats;
        st.states = cut_states_ ? *cut_states_ : trail_.count();
        st.transitions = transitions_;
        st.terminal_states = terminals_;
        st.depth = out.finding ? depth_of(out.finding->state) : depth_;
        st.store_bytes = peak_bytes_;
        st.disk_bytes = trail_.disk_bytes();
        st.state_size = size_;
        st.mode = mode_;
        st.threads = nthreads_;
        st.por = reduction_ != nullptr || por_gave_up_at_ != 0;
        st.por_gave_up_at = por_gave_up_at_;
        for (const auto& L : locals_) {
            st.ample_states += L->ample_states;
            st.proviso_full += L->proviso_full;
        }
        st.one_thread_levels = one_thread_;
        set_omission_stats(st, bits_.get(), bits_ ? bits_set_ + bits_->bits_set() : 0);
        return out;
    }

    Path path(uint32_t i) const { return single_ ? single_->path(i) : replay_trail(model_, trail_, i); }
    uint32_t depth_of(uint32_t i) const { return single_ ? single_->depth_of(i) : trail_depth(trail_, i); }

private:
    // A state of the level being expanded: its trail index, and where its bytes are.
    struct Slot {
        uint32_t index;
        uint64_t loc;
    };
    struct Candidate {
        Finding finding;
        uint32_t depth;
        PathCost cost;
        uint64_t event;   // where one thread would have found it (order key)
    };
    struct alignas(64) Local {
        explicit Local(size_t state_size) : batch(state_size) {}
        SuccessorBatch batch;   // the successors of the state being expanded
        std::vector<uint64_t> h64;   // their hashes (not for self-loops)
        std::vector<XXH128_hash_t> h128;
        std::vector<Candidate> candidates;
        std::vector<uint8_t> in;   // the steps expanded (POR: the ample ones)
        uint64_t transitions = 0, terminals = 0, ample_states = 0, proviso_full = 0;
        uint64_t level_ample = 0, level_full = 0;   // ample_states, proviso_full at the level's start
    };

    static uint32_t rank_of(uint64_t order) { return uint32_t(order >> 16); }
    static uint32_t step_of(uint64_t order) { return uint32_t(order & 0xFFFF); }
    const uint8_t* cur_state(uint64_t loc) const { return cur_bufs_[loc >> 40].state(loc & ((uint64_t(1) << 40) - 1)); }
    PathCost cur_cost(uint64_t loc) const { return cur_bufs_[loc >> 40].cost(loc & ((uint64_t(1) << 40) - 1)); }

    // Runs fn(t) on every thread (this one is thread 0); an exception ends the search.
    template <class F>
    void on_threads(F&& fn)
    {
        auto guarded = [&](unsigned t) {
            try {
                fn(t);
            } catch (const std::bad_alloc&) {
                stop_for_memory("out of memory");
            } catch (const std::exception& e) {
                stop_with(std::string("error: ") + e.what());
            }
        };
        if (pool_.size() < nthreads_)
            stop_with("cannot start " + std::to_string(nthreads_) + " threads");
        pool_.run([&](unsigned t) {
            if (t < nthreads_)
                guarded(t);
        });
    }
    // Runs fn(sh) on every shard of the level table, each thread on its own
    // shards (thread t: t, t + n, ...), which no other thread touches.
    template <class F>
    void on_shards(F&& fn)
    {
        on_threads([&](unsigned t) {
            for (unsigned sh = t; sh < LevelTable::shards; sh += nthreads_)
                fn(sh);
        });
    }
    // A memory stop in the expand phase hands the search over instead.
    void stop_for_memory(const std::string& why)
    {
        memory_stop_.store(true, std::memory_order_relaxed);
        stop_with(why);
    }
    void stop_with(const std::string& why)
    {
        std::lock_guard lock(mutex_);
        if (limit_.empty())
            limit_ = why;
        stop_.store(true, std::memory_order_relaxed);
    }

    uint64_t set_bytes() const
    {
        if (bits_)
            return bits_->bytes();
        return fps_->bytes();
    }
    uint64_t bytes_used() const
    {
        uint64_t b = set_bytes() + trail_.bytes() + table_.bytes() + level_.capacity() * sizeof(LevelTable::Entry) +
                     slots_.capacity() * sizeof(Slot) + steps_.capacity() * sizeof(uint16_t);
        for (unsigned t = 0; t < nthreads_; ++t)
            b += cur_bufs_[t].bytes() + next_bufs_[t].bytes();
        return b;
    }
    bool over_memory(uint64_t extra) const
    {
        return limits_.memory_bytes && bytes_used() + extra > limits_.memory_bytes;
    }

    bool seen(uint64_t h64, const XXH128_hash_t& h128) const
    {
        if (bits_)
            return bits_->contains(h128);
        return fps_->contains(h64);
    }

    void search(Outcome& out)
    {
        std::vector<uint8_t> init(size_);
        model_.initial_state(init.data());
        if (reduces(model_))
            canonicalise(model_, init.data());
        const uint64_t loc0 = cur_bufs_[0].push(0, 0, init.data());
        record_seen(XXH3_64bits(init.data(), size_), XXH3_128bits(init.data(), size_));
        trail_.push(no_parent, 0);
        slots_.push_back({0, loc0});
        peak_bytes_ = bytes_used();
        if (auto v = checker_.check_state(init.data())) {
            out.finding = Finding{0, *v, false};
            return;
        }
        std::vector<LevelTable::Entry>& level = level_;
        for (;;) {
            for (auto& L : locals_) {
                L->level_ample = L->ample_states;
                L->level_full = L->proviso_full;
            }
            if (next_level_too_big() && hand_over(out, false))
                return;
            steps_.assign(slots_.size(), 0);
            next_.store(0, std::memory_order_relaxed);
            if constexpr (CountsEvents<M>)
                level_events_ = model_.save_events();
            on_threads([&](unsigned t) { expand_part(t); });
            peak_bytes_ = std::max(peak_bytes_, bytes_used());
            const bool too_big = memory_stop_.load() ||
                                 over_memory(table_.count() * (sizeof(Slot) + 6) +
                                             (table_.count() - std::min(table_.count(), level_.capacity())) *
                                                 sizeof(LevelTable::Entry) +
                                             slots_.size() * order_bytes_per_parent +
                                             (fps_ ? table_.count() * fingerprint_bytes_per_state : 0));
            if (too_big) {   // the level's expansion is dropped and done again
                if (hand_over(out, true))
                    return;
                continue;
            }
            for (auto& L : locals_) {
                level_transitions_ += L->transitions;
                level_terminals_ += L->terminals;
                L->transitions = L->terminals = 0;
            }
            if (stop_.load()) {
                // A limit inside the level: what was expanded counts, nothing new is recorded.
                transitions_ += level_transitions_;
                terminals_ += level_terminals_;
                out.limit = limit_;
                return;
            }
            // compact: the new fingerprints join the visited set while the level
            // is still grouped by shard (each thread its own shards), unless a
            // state limit will keep only part of the level.
            const bool early = !bits_ && trail_.count() + table_.count() <= max_states();
            order_level(level, early);
            const uint64_t expanded = trail_.count();   // the levels up to this one
            prev_level_ = slots_.size();
            const bool last = record(out, level, early);
            peak_bytes_ = std::max(peak_bytes_, bytes_used());
            if (last || level.empty())
                return;
            ++depth_;
            if (reduction_) {
                uint64_t ample = 0;
                for (const auto& L : locals_)
                    ample += L->ample_states;
                if (por_gives_up(expanded, ample)) {
                    reduction_ = nullptr;
                    por_gave_up_at_ = depth_;
                }
            }
        }
    }

    // What the level after the current one would cost in memory, were it
    // as much wider than this one as this one is than the level before:
    // its states' bytes, level-table entries (at most half full), trail
    // entries and slots, and their fingerprints. True when that passes the
    // budget (the expansion would stop for memory).
    bool next_level_too_big() const
    {
        if (!limits_.memory_bytes || prev_level_ == 0 || slots_.size() < (uint64_t(1) << 16))
            return false;
        const double growth = std::max(1.0, double(slots_.size()) / double(prev_level_));
        return double(bytes_used()) + double(slots_.size()) * growth * level_bytes_per_state() >
               double(limits_.memory_bytes);
    }

    // Per state of a level: its bytes in a level buffer, its level-table
    // entries (at most half full, and the ordered copy), slot, trail entry,
    // fingerprint, and as a parent what ordering its children takes.
    double level_bytes_per_state() const
    {
        return double(LevelQueue::block_bytes(size_)) / 4096 + 3 * sizeof(LevelTable::Entry) + sizeof(Slot) + 6 + 16 +
               order_bytes_per_parent;
    }
    // order_level(): a parent's word of marks and its children's start.
    static constexpr uint64_t order_bytes_per_parent = 2 * sizeof(uint64_t);
    // compact: what a new fingerprint may add to the visited set when the
    // level joins it (its shards are 60-75 % full: at most 13.4 bytes, and
    // a shard's growth). Counted before the level is ordered, so that
    // record() never finds the budget passed once the level has joined the
    // visited set (too late to hand the level over).
    static constexpr uint64_t fingerprint_bytes_per_state = 16;

    // The search on one thread from the current level: its partial
    // expansion (if any) is dropped, the model's event counts are those of
    // the level's start. The visited set and the trail move over; the
    // level's states are copied in one-thread order into the queue of the
    // one-thread search, which keeps only its first blocks in memory. When
    // the levels have shrunk so that the next one would fit in three
    // quarters of the budget, the work comes back (take_back). True when the
    // search ended on the one thread: out is its outcome.
    bool hand_over(Outcome& out, bool expanded)
    {
        if constexpr (CountsEvents<M>)
            if (expanded)
                model_.restore_events(level_events_);
        table_.release();
        std::vector<LevelTable::Entry>().swap(level_);   // (search()'s `level`: its frame outlives the one thread's run)
        LossyHandover h;
        for (auto& L : locals_) {   // the counts of the levels done: the dropped expansion's are not
            L->candidates.clear();
            L->transitions = L->terminals = 0;
            h.ample_states += L->level_ample;
            h.proviso_full += L->level_full;
            L->ample_states = L->proviso_full = L->level_ample = L->level_full = 0;
        }
        for (unsigned t = 0; t < nthreads_; ++t)
            next_bufs_[t] = LevelQueue(size_);
        // At its largest while the level is copied: the one-thread search's first blocks beside the level.
        h.peak_bytes = std::max(peak_bytes_, bytes_used() + std::min<uint64_t>(level_memory_, bytes_used()));
        h.fps = std::move(fps_);
        h.bits = std::move(bits_);
        h.bits_set = bits_set_;
        h.trail = std::move(trail_);
        h.depth = depth_;
        h.expanded = slots_.empty() ? h.trail.count() : slots_.front().index;
        h.prev_level = prev_level_;
        h.reduction = reduction_;
        h.por_gave_up_at = por_gave_up_at_;
        h.transitions = transitions_;
        h.terminals = terminals_;
        handed_at_ = depth_;
        single_ = std::make_unique<LossySearch<M, C>>(model_, checker_, limits_, progress_, cheapest_, mode_, start_,
                                                      std::move(h), level_memory_);
        try {
            for (const Slot& slot : slots_)
                single_->take_level(slot.index, cur_cost(slot.loc), cur_state(slot.loc));
        } catch (const std::bad_alloc&) {
            single_->refuse("out of memory");   // a level only partly taken: not searched
        }
        std::vector<Slot>().swap(slots_);
        std::vector<uint16_t>().swap(steps_);
        for (unsigned t = 0; t < nthreads_; ++t)
            cur_bufs_[t] = LevelQueue(size_);
        release_free_memory();   // what the threads' heaps kept of the levels
        // Back when the levels shrink and the next one, beside the current one
        // and the smallest level table and buffers, would take at most three
        // quarters of the budget (so that the next check does not hand over again).
        const double least = double(LevelTable::shards * 64 * sizeof(LevelTable::Entry) +
                                    (nthreads_ + 1) * LevelQueue::block_bytes(size_));
        if (limits_.memory_bytes)
            single_->give_back_when([this, least](uint64_t cur, uint64_t prev, uint64_t fixed) {
                return cur < prev && double(fixed) + least + double(cur) * 2 * level_bytes_per_state() <
                                         double(limits_.memory_bytes) * 3 / 4;
            });
        out = single_->run();
        if (!out.given_back)
            return true;
        if (take_back())
            return false;
        single_->give_back_when(nullptr);   // no memory to take the level back: the one thread goes on
        out = single_->run();
        return true;
    }

    // The work of the one-thread search back, at a level boundary. False
    // when its level could not be copied (the one-thread search keeps it all).
    bool take_back()
    {
        LossyHandover h;
        try {
            single_->give_back(h, [&](uint32_t index, PathCost c, const uint8_t* bytes) {
                slots_.push_back({index, cur_bufs_[0].push(0, c, bytes)});
            });
        } catch (const std::bad_alloc&) {
            std::vector<Slot>().swap(slots_);
            cur_bufs_[0] = LevelQueue(size_);
            return false;
        }
        one_thread_.push_back({handed_at_, h.depth - 1});
        fps_ = std::move(h.fps);
        bits_ = std::move(h.bits);
        bits_set_ = h.bits_set;
        trail_ = std::move(h.trail);
        depth_ = h.depth;
        prev_level_ = h.prev_level;
        reduction_ = h.reduction;
        por_gave_up_at_ = h.por_gave_up_at;
        transitions_ = h.transitions;
        terminals_ = h.terminals;
        peak_bytes_ = std::max(peak_bytes_, h.peak_bytes);
        locals_[0]->ample_states = h.ample_states;
        locals_[0]->proviso_full = h.proviso_full;
        single_.reset();
        memory_stop_.store(false);
        stop_.store(false);
        limit_.clear();
        memory_.store(bytes_used(), std::memory_order_relaxed);
        peak_bytes_ = std::max(peak_bytes_, bytes_used());
        return true;
    }

    // The expand phase, one thread's part.
    void expand_part(unsigned t)
    {
        Local& L = *locals_[t];
        LevelQueue& buf = next_bufs_[t];
        uint64_t since = 0;
        for (;;) {
            const uint64_t b = next_.fetch_add(grab, std::memory_order_relaxed);
            if (b >= slots_.size())
                return;
            for (uint64_t pos = b; pos < std::min<uint64_t>(b + grab, slots_.size()); ++pos) {
                if (stop_.load(std::memory_order_relaxed))
                    return;
                if (++since % 64 == 0) {
                    if (limits_.seconds > 0 &&
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >
                            limits_.seconds)
                        stop_with(time_limit_text(limits_));
                    if (limits_.memory_bytes &&
                        memory_.load(std::memory_order_relaxed) + table_.bytes() > limits_.memory_bytes)
                        stop_for_memory(memory_limit_text(limits_));
                    if (t == 0 && since % 4096 == 0)   // count() reads every shard's line
                        progress_.update(trail_.count() + table_.count(), slots_.size() - std::min(b, slots_.size()),
                                         depth_, memory_.load(std::memory_order_relaxed));
                }
                expand(L, buf, t, uint32_t(pos));
            }
        }
    }

    void expand(Local& L, LevelQueue& buf, unsigned t, uint32_t pos)
    {
        const Slot& slot = slots_[pos];
        const uint8_t* s = cur_state(slot.loc);
        const PathCost pcost = cur_cost(slot.loc);
        // A step that leaves s as it was: seen, no hash, no lookup (batch.hpp).
        L.batch.gather(model_, s, true);
        const uint32_t n = uint32_t(L.batch.size());
        if (L.h64.size() < n) {
            L.h64.resize(n);
            L.h128.resize(n);
        }
        for (uint32_t j = 0; j < n; ++j) {
            if (L.batch.self_loop(j))
                continue;
            const uint8_t* next = L.batch.state(j);
            if (bits_) {
                L.h128[j] = XXH3_128bits(next, size_);
                L.h64[j] = L.h128[j].low64;
                bits_->prefetch(L.h128[j]);
            } else {
                L.h64[j] = XXH3_64bits(next, size_);
                fps_->prefetch(L.h64[j]);
            }
            table_.prefetch(L.h64[j] ? L.h64[j] : 1);   // the fingerprint offer() keys by
        }
        L.transitions += n;
        steps_[pos] = uint16_t(std::min<uint32_t>(n, 0xFFFF));
        if (n > 0xFFFF) {
            stop_with("a state has more than 65536 successors");
            return;
        }
        // POR: the ample steps only, unless one of them leads back into a
        // level up to this one (the cycle proviso of explorer.hpp; the visited
        // set holds exactly those levels now, whatever the thread count).
        L.in.assign(n, 1);
        if (reduction_ && n > 1) {
            std::fill(L.in.begin(), L.in.end(), 0);
            uint32_t ample = 0;
            if (reduction_->ample(s, n, L.batch.labels(), L.batch.concrete_states(), L.in.data()))
                for (uint32_t j = 0; j < n; ++j)
                    ample += L.in[j] != 0;
            for (uint32_t j = 0; j < n && ample && ample < n && reduction_->proviso(); ++j)
                if (L.in[j] && !L.batch.self_loop(j) && seen(L.h64[j], L.h128[j])) {
                    ample = 0;   // refused: expand fully
                    ++L.proviso_full;
                }
            if (ample && ample < n)
                ++L.ample_states;
            else
                L.in.assign(n, 1);
        }
        for (uint32_t step = 0; step < n; ++step) {
            if (!L.in[step] || L.batch.self_loop(step) || seen(L.h64[step], L.h128[step]))
                continue;
            const uint8_t* next = L.batch.state(step);
            PathCost c = 0;
            if constexpr (CostedModel<M>)
                if (cheapest_)
                    c = add_cost(pcost, model_.step_cost(L.batch.label(step), s, L.batch.concrete(step)));
            // The level table keys by a fingerprint never 0 (bitstate: the low half of the 128-bit hash).
            const uint64_t fp = L.h64[step] ? L.h64[step] : 1;
            table_.offer(fp, order_key(pos, step), c, cheapest_, [&] {
                if (const uint64_t grow = buf.bytes_next_growth())   // a shared line: written only when it changes
                    memory_.fetch_add(grow, std::memory_order_relaxed);
                return uint64_t(t) << 40 | buf.push(0, c, next);
            });
        }
        if (n == 0) {
            ++L.terminals;
            if (auto v = checker_.check_deadlock(s))
                L.candidates.push_back({Finding{slot.index, *v, true}, depth_, pcost, order_key(pos, 0)});
        }
    }

    // The order phase: the level table emptied into `level` in the
    // one-thread order (by order key), and with `early` the fingerprints
    // added to the visited set (compact), each thread its own shards. When
    // no parent has more than 64 steps, as the exact parallel search ranks
    // a level (parallel.hpp, rank_level()), in O(n) and shared by the
    // threads: each marks its entries' steps in a word of their parent, one
    // prefix sum over the parents gives where each parent's children start,
    // and an entry's place is its parent's start plus the marks below its
    // step. (An order key names one parent and one step: no two entries
    // share it.) Else one thread sorts.
    void order_level(std::vector<LevelTable::Entry>& level, bool early)
    {
        const uint64_t parents = slots_.size();
        const bool narrow = std::all_of(steps_.begin(), steps_.end(), [](uint16_t n) { return n <= 64; });
        if (level.capacity() < table_.count())
            std::vector<LevelTable::Entry>().swap(level);   // never the old and the new buffer at once
        level.clear();
        level.reserve(table_.count());   // exactly: what over_memory() was told
        level.resize(table_.count());
        peak_bytes_ = std::max(peak_bytes_, bytes_used() + (narrow ? parents * order_bytes_per_parent : 0));
        if (!narrow) {
            std::vector<uint64_t> start(LevelTable::shards + 1, 0);
            for (unsigned sh = 0; sh < LevelTable::shards; ++sh)
                start[sh + 1] = start[sh] + table_.count(sh);
            on_shards([&](unsigned sh) {
                uint64_t r = start[sh];
                table_.take(sh, [&](const LevelTable::Entry& e) {
                    if (early)
                        fps_->insert(e.fp);
                    level[r++] = e;
                });
            });
            std::sort(level.begin(), level.end(),
                      [](const LevelTable::Entry& a, const LevelTable::Entry& b) { return a.order < b.order; });
            return;
        }
        std::vector<std::atomic<uint64_t>> marks(parents);
        on_shards([&](unsigned sh) {
            table_.visit(sh, [&](const LevelTable::Entry& e) {
                if (early)
                    fps_->insert(e.fp);
                marks[rank_of(e.order)].fetch_or(uint64_t(1) << step_of(e.order), std::memory_order_relaxed);
            });
        });
        std::vector<uint64_t> start(parents);
        uint64_t sum = 0;
        for (uint64_t p = 0; p < parents; ++p) {
            start[p] = sum;
            sum += std::popcount(marks[p].load(std::memory_order_relaxed));
        }
        on_shards([&](unsigned sh) {
            table_.take(sh, [&](const LevelTable::Entry& e) {
                const uint32_t p = rank_of(e.order);
                const uint64_t below = marks[p].load(std::memory_order_relaxed) &
                                       ((uint64_t(1) << step_of(e.order)) - 1);
                level[start[p] + uint64_t(std::popcount(below))] = e;
            });
        });
    }

    // The record and check phases. True when the search ends here.
    // recorded: the compact fingerprints were added already.
    bool record(Outcome& out, const std::vector<LevelTable::Entry>& level, bool recorded)
    {
        uint64_t take = level.size();
        const uint64_t max = max_states();
        if (trail_.count() + take > max) {
            take = max - trail_.count();
            stop_with(limits_.max_states && max == limits_.max_states ? "--max-states " + std::to_string(max)
                                                                      : "the 2^32 state indices");
        }
        if (over_memory(take * 6 + take * sizeof(Slot))) {
            take = 0;
            stop_with(memory_limit_text(limits_));
        }
        // Each new state's trail entry (parent, step), slot and path cost, and
        // the visited set (compact: shards split among the threads; bitstate:
        // atomic ORs), each thread a share.
        std::vector<Slot> next(take);
        const uint32_t first = uint32_t(trail_.count());
        trail_.extend(take);
        std::atomic<uint64_t> fresh_bits{0};
        on_threads([&](unsigned t) {
            for (uint64_t r = take * t / nthreads_; r < take * (t + 1) / nthreads_; ++r) {
                const LevelTable::Entry& e = level[r];
                trail_.set(first + uint32_t(r), slots_[rank_of(e.best)].index, uint16_t(step_of(e.best)));
                next[r] = {first + uint32_t(r), e.loc};
                next_bufs_[e.loc >> 40].set_cost(e.loc & ((uint64_t(1) << 40) - 1), e.cost);
            }
            if (bits_) {
                uint64_t mine = 0;
                for (uint64_t r = take * t / nthreads_; r < take * (t + 1) / nthreads_; ++r)
                    mine += bits_->insert_atomic(XXH3_128bits(next_state(level[r].loc), size_));
                fresh_bits.fetch_add(mine, std::memory_order_relaxed);
            } else if (!recorded) {
                for (uint64_t r = 0; r < take; ++r) {
                    const unsigned sh = LevelTable::shard_of(level[r].fp);
                    if (sh % nthreads_ == t)
                        fps_->insert(level[r].fp);
                }
            }
        });
        bits_set_ += fresh_bits.load();
        // The invariants of the new states, each against its recorded parent
        // (still in the current level's buffers), in which they all hold
        // (check_new_state: only the parts whose bytes the step changed).
        on_threads([&](unsigned t) {
            Local& L = *locals_[t];
            for (uint64_t r = take * t / nthreads_; r < take * (t + 1) / nthreads_; ++r)
                if (auto v = check_new_state(checker_, cur_state(slots_[rank_of(level[r].best)].loc),
                                             next_state(level[r].loc)))
                    L.candidates.push_back({Finding{first + uint32_t(r), *v, false}, depth_ + 1, level[r].cost,
                                            level[r].order});
        });
        const bool found = pick(out, level, first);
        if (!found) {
            transitions_ += level_transitions_;
            terminals_ += level_terminals_;
        }
        level_transitions_ = level_terminals_ = 0;
        if (found || stop_.load()) {
            if (!found)
                out.limit = limit_;
            return true;
        }
        // The new level becomes the one to expand; the old level's buffers serve the one after.
        slots_.swap(next);
        trail_.spill_below(first);   // the levels above are expanded
        cur_bufs_.swap(next_bufs_);
        for (LevelQueue& b : next_bufs_)
            b.clear();
        memory_.store(bytes_used(), std::memory_order_relaxed);
        return false;
    }
    uint64_t max_states() const
    {
        return limits_.max_states ? std::min(limits_.max_states, max_store_states) : max_store_states;
    }
    const uint8_t* next_state(uint64_t loc) const
    {
        return next_bufs_[loc >> 40].state(loc & ((uint64_t(1) << 40) - 1));
    }

    // The violation one thread would report, and (plain order) the
    // statistics cut back to the moment it would have stopped. True when found.
    bool pick(Outcome& out, const std::vector<LevelTable::Entry>& level, uint32_t first)
    {
        std::vector<Candidate> cs;
        for (auto& L : locals_) {
            for (Candidate& c : L->candidates)
                cs.push_back(std::move(c));
            L->candidates.clear();
        }
        if (cs.empty())
            return false;
        const Candidate* best = &cs.front();
        for (const Candidate& c : cs)
            if (cheapest_ ? std::tuple(c.depth, c.cost, c.event) < std::tuple(best->depth, best->cost, best->event)
                          : c.event < best->event)
                best = &c;
        out.finding = best->finding;
        transitions_ += level_transitions_;
        terminals_ += level_terminals_;
        if (cheapest_)
            return true;
        // One thread stops at the event: it stored the new states ordered
        // before it (and the new one), and expanded the parents up to its own.
        const uint64_t e = best->event;
        uint64_t states = first;
        for (const LevelTable::Entry& x : level)
            states += x.order < e;
        if (!best->finding.at_terminal)
            ++states;
        cut_states_ = states;
        transitions_ -= level_transitions_;
        terminals_ -= level_terminals_;
        for (uint32_t p = 0; p <= rank_of(e) && p < steps_.size(); ++p) {
            transitions_ += steps_[p];
            terminals_ += steps_[p] == 0;
        }
        if constexpr (CountsEvents<M>) {
            model_.restore_events(level_events_);
            for (uint32_t p = 0; p <= rank_of(e) && p < slots_.size(); ++p)
                model_.for_each_successor(cur_state(slots_[p].loc), [](Label, const uint8_t*) {});
        }
        return true;
    }

    void record_seen(uint64_t h64, const XXH128_hash_t& h128)
    {
        if (bits_) {
            bits_set_ += bits_->insert_atomic(h128);
        } else {
            fps_->insert(h64);
        }
    }

    static constexpr uint64_t grab = 16;   // parents a thread takes at a time

    const M& model_;
    C& checker_;
    Limits limits_;
    Progress& progress_;
    bool cheapest_;
    Mode mode_;
    size_t size_;
    unsigned nthreads_;
    std::chrono::steady_clock::time_point start_;
    const Reduction* reduction_;   // null once partial-order reduction gave up (por_gives_up)
    uint32_t por_gave_up_at_ = 0;

    // compact: the visited set in shards (by the fingerprint's top bits), so
    // that the threads add to it without locks and a growth copies one
    // shard at a time, never the whole set at once.
    std::unique_ptr<FingerprintShards> fps_;   // compact
    std::unique_ptr<BitState> bits_;
    uint64_t bits_set_ = 0;
    Trail trail_;
    std::vector<Slot> slots_;          // the level being expanded, in one-thread order
    std::vector<uint16_t> steps_;      // its states' numbers of steps (for the statistics' cut)
    std::vector<LevelQueue> cur_bufs_, next_bufs_;   // per thread (their index fields unused)
    std::vector<uint64_t> level_events_;   // the model's event counts at the level's start (CountsEvents)
    LevelTable table_;
    std::vector<LevelTable::Entry> level_;   // the new level in one-thread order (its memory kept from level to level)
    std::vector<std::unique_ptr<Local>> locals_;
    std::atomic<uint64_t> next_{0};
    std::atomic<uint64_t> memory_{0};   // bytes_used(), kept roughly current for the threads
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::string limit_;
    uint64_t transitions_ = 0, terminals_ = 0, level_transitions_ = 0, level_terminals_ = 0;
    std::optional<uint64_t> cut_states_;
    uint32_t depth_ = 0;
    uint64_t peak_bytes_ = 0;
    uint64_t level_memory_;            // the one-thread search's, after a hand-over
    uint64_t prev_level_ = 0;          // the number of states of the level before the current one
    std::atomic<bool> memory_stop_{false};   // the expand phase stopped for memory
    std::unique_ptr<LossySearch<M, C>> single_;   // the one-thread search it handed over to
    uint32_t handed_at_ = 0;
    std::vector<std::pair<uint32_t, uint32_t>> one_thread_;   // the depths searched on one thread, from, to
    ThreadPool pool_;   // the threads of every phase (on_threads)
};

}  // namespace pxc::explorer
