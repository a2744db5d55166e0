// The level-synchronous parallel search of exact mode. It reproduces the
// one-thread search exactly: the same states, transitions, depth, verdict and
// counterexample, for every number of threads.
//
// How: the threads expand the states of one BFS level (grabbing a few parents
// at a time) into the shared StateStore, whose put() is lock-free. The index a
// new state gets depends on the race; its place in the one-thread order does
// not: one thread would have found it first from the parent that comes first,
// at that parent's first step that leads to it. So every state of the level
// being built keeps, in a word beside it, the smallest such (parent rank,
// step number) seen, and the parent and label that go with it; when the level
// is complete it is ranked by that key (rank_level()), and a state's rank is
// its place in the one-thread order. With the cheapest-shortest
// order the key that picks the parent starts with the path cost, and the
// plain (rank, step) key is kept in a second word for the ranking: the
// one-thread search re-parents only on a strictly cheaper path, so among
// equally cheap parents the one that comes first stays.
//
// A violation ends the search after the level in which it appears; the
// violating state is the one the one-thread search reports (the first in its
// order for --shortest-only, and the statistics are cut back to that moment;
// the shortest, cheapest, first for cheapest_shortest).
//
// Between rounds (a std::barrier's completion, one thread) the table is
// doubled when over half full (its rehash shared by all threads), and a
// complete level is ranked (also shared). Limits stop every thread at its
// next parent.
//
// With the flat store each thread takes its new states' indices 64 at a
// time (StateStore::Block), so that the threads write to cache lines of
// their own; a complete level's unused indices are closed (close_holes())
// before it is ranked. (Tried on the tree store's root table as well: no
// faster on two threads, so it takes its indices one at a time.)
//
// The tree store (Store = TreeStore) keeps no parents: a path is rebuilt by
// expanding the level above again in the one-thread order, so a ranked level
// is moved into that order (Phase::reorder), and a state's rank is then its
// place in the level.
#pragma once
#include <algorithm>
#include <atomic>
#include <barrier>
#include <bit>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "explorer/alloc.hpp"
#include "explorer/batch.hpp"
#include "explorer/progress.hpp"
#include "explorer/tree_store.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

// Per-state words kept only for the two levels in flight, in chunks that
// follow the store's (65536 states each), allocated on demand and freed when
// their states are no longer in flight.
class StateWords {
public:
    explicit StateWords(unsigned per_state)
        : per_state_(per_state), chunks_(new std::atomic<std::atomic<uint64_t>*>[StateStore::max_chunks]())
    {
    }
    ~StateWords()
    {
        for (size_t c = 0; c < StateStore::max_chunks; ++c)
            std::free(chunks_[c].load(std::memory_order_relaxed));
    }
    std::atomic<uint64_t>& at(uint32_t i, unsigned w) const
    {
        return chunks_[i >> StateStore::chunk_bits].load(std::memory_order_acquire)[size_t(i & StateStore::chunk_mask) *
                                                                                      per_state_ +
                                                                                  w];
    }
    uint64_t chunk_bytes() const { return uint64_t(StateStore::chunk_states) * per_state_ * sizeof(uint64_t); }
    uint64_t bytes() const { return allocated_.load(std::memory_order_relaxed) * chunk_bytes(); }
    // The chunks up to the one of index `upto`; false when the allocator refuses.
    bool reserve(uint64_t from, uint64_t upto)
    {
        for (size_t c = size_t(from >> StateStore::chunk_bits);
             c <= size_t(std::min<uint64_t>(upto, max_store_states) >> StateStore::chunk_bits); ++c) {
            if (chunks_[c].load(std::memory_order_acquire))
                continue;
            auto* p = static_cast<std::atomic<uint64_t>*>(big_alloc(chunk_bytes(), true));
            if (!p)
                return false;
            std::atomic<uint64_t>* expected = nullptr;
            if (chunks_[c].compare_exchange_strong(expected, p, std::memory_order_acq_rel))
                allocated_.fetch_add(1, std::memory_order_relaxed);
            else
                std::free(p);
        }
        return true;
    }
    // Frees the chunks that hold only indices below `index` (no thread running).
    void release_below(uint64_t index)
    {
        for (size_t c = 0; c < size_t(index >> StateStore::chunk_bits); ++c)
            if (auto* p = chunks_[c].exchange(nullptr, std::memory_order_relaxed)) {
                std::free(p);
                allocated_.fetch_sub(1, std::memory_order_relaxed);
            }
    }

private:
    unsigned per_state_;
    std::unique_ptr<std::atomic<std::atomic<uint64_t>*>[]> chunks_;
    std::atomic<uint64_t> allocated_{0};
};

template <Model M, Checker C, class Store = StateStore>
class ParallelSearch {
    static constexpr bool tree = std::is_same_v<Store, TreeStore>;

public:
    struct Outcome {
        std::optional<Finding> finding;
        std::string limit;
        uint64_t transitions = 0, terminals = 0;
        uint32_t depth = 0;
        uint64_t states = 0;
        uint64_t peak_bytes = 0;   // the store and the per-level words at their largest
        uint64_t ample_states = 0, proviso_full = 0;   // partial-order reduction (types.hpp Stats)
        uint32_t por_gave_up_at = 0;
    };

    // The initial state is stored (index 0), checked, and does not violate.
    ParallelSearch(const M& model, C& checker, Store& store, const Limits& limits, Progress& progress,
                   bool cheapest, unsigned threads, std::chrono::steady_clock::time_point start,
                   const Reduction* reduction = nullptr)
        : model_(model), checker_(checker), store_(store), limits_(limits), progress_(progress), cheapest_(cheapest),
          nthreads_(std::max(1u, threads)), start_(start), reduction_(reduction), words_(cheapest ? 2 : 1)
    {
        locals_.reserve(nthreads_);
        for (unsigned t = 0; t < nthreads_; ++t)
            locals_.emplace_back(store);
        max_count_ = limits.max_states ? std::min(limits.max_states, max_store_states) : max_store_states;
    }

    Outcome run()
    {
        // The threads pause to grow the store only once it is nearly due: let it start with room.
        if (store_.wants_growth(ahead / 4)) {
            if (!store_.begin_growth(limits_.memory_bytes ? store_budget() : 0, ahead / 4)) {
                out_.limit = store_.over_limit() ? memory_limit_text() : "out of memory";
                return out_;
            }
            store_.growth_part(0, 1);
            store_.end_growth();
        }
        store_.sync_reserved();
        if (!words_.reserve(0, 0)) {
            out_.limit = "out of memory";
            return out_;
        }
        words_.at(0, 0).store(0, std::memory_order_relaxed);   // rank 0
        if constexpr (CountsEvents<M>)
            level_events_ = model_.save_events();
        level_begin_ = 0;
        level_end_ = store_.count();
        next_.store(0, std::memory_order_relaxed);
        std::barrier sync(std::ptrdiff_t(nthreads_), Between{this});
        std::vector<std::thread> pool;
        try {
            for (unsigned t = 1; t < nthreads_; ++t)
                pool.emplace_back([this, &sync, t] { worker(t, sync); });
        } catch (const std::system_error&) {
            // Fewer threads than asked: the ones started must still meet at the barrier.
            stop_with("cannot start " + std::to_string(nthreads_) + " threads");
            for (unsigned t = unsigned(pool.size()) + 1; t < nthreads_; ++t)
                sync.arrive_and_drop();
        }
        worker(0, sync);
        for (std::thread& th : pool)
            th.join();
        out_.states = store_.count() - store_.lost() - holes().size();
        out_.peak_bytes = std::max(peak_bytes_, store_.peak_bytes());
        if (out_.cut_states)
            out_.states = *out_.cut_states;
        return Outcome{out_.finding, out_.limit, out_.transitions, out_.terminals, out_.depth, out_.states,
                       out_.peak_bytes, out_.ample_states, out_.proviso_full, out_.por_gave_up_at};
    }

private:
    // Parents a thread takes at a time: each grab is a fetch_add on next_,
    // a line both threads write (8 cost two threads about 10 % of their time).
    static constexpr unsigned grab = 64;
    static constexpr uint64_t ahead = 1 << 14;   // chunks are allocated this many states ahead

    // expand: the threads expand the level. rehash: they share the table's
    // doubling. mark, rank: they rank the new level (see rank_level()).
    // reorder: the tree store puts the ranked level in rank order.
    enum class Phase { expand, rehash, mark, rank, reorder, done };

    struct Candidate {
        uint32_t state;
        bool terminal;
        Violation violation;
    };
    struct alignas(64) Local {
        explicit Local(const Store& store) : batch(store.state_size()), cursor(store) {}
        SuccessorBatch batch;
        typename Store::Cursor cursor;   // the tree of the parent being expanded
        uint64_t cur = 0, end = 0;   // parents taken, not yet expanded
        uint64_t transitions = 0, terminals = 0, ample_states = 0, proviso_full = 0;
        std::vector<Candidate> candidates;
        unsigned since_check = 0;
        StateStore::Block block;   // the flat store: this thread's indices for new states
    };
    struct Between {
        ParallelSearch* self;
        void operator()() noexcept { self->between_rounds(); }
    };
    struct Out : Outcome {
        std::optional<uint64_t> cut_states;
    };

    // Keys: cost (16 bits), parent rank (31), step number (16), lock bit (1).
    static uint64_t key(PathCost c, uint32_t rank, uint32_t step)
    {
        return uint64_t(c) << 48 | uint64_t(rank) << 17 | uint64_t(step) << 1;
    }
    static uint32_t rank_of_key(uint64_t k) { return uint32_t(k >> 17) & 0x7FFFFFFF; }

    void worker(unsigned t, std::barrier<Between>& sync)
    {
        for (;;) {
            const Phase phase = phase_;
            if (phase == Phase::done)
                return;
            try {
                if (phase == Phase::expand)
                    expand_round(locals_[t], t == 0);
                else if (phase == Phase::rehash)
                    store_.growth_part(t, nthreads_);
                else if (phase == Phase::reorder)
                    reorder_part(t);
                else
                    rank_part(phase, t);
            } catch (const std::bad_alloc&) {
                stop_with("out of memory");
            } catch (const std::exception& e) {
                stop_with(std::string("error: ") + e.what());
            }
            sync.arrive_and_wait();
        }
    }

    void stop_with(const std::string& why)
    {
        std::lock_guard lock(limit_mutex_);
        if (out_.limit.empty())
            out_.limit = why;
        stop_.store(true, std::memory_order_relaxed);
    }

    std::string memory_limit_text() const { return explorer::memory_limit_text(limits_); }
    // What the store may take: the limit less the per-level words.
    uint64_t store_budget() const
    {
        if (!limits_.memory_bytes)
            return 0;
        const uint64_t w = words_.bytes() + words_.chunk_bytes() * 2;
        return limits_.memory_bytes > w ? limits_.memory_bytes - w : 1;
    }

    void expand_round(Local& L, bool main)
    {
        for (;;) {
            if (stop_.load(std::memory_order_relaxed) || pause_.load(std::memory_order_relaxed))
                return;
            if (L.cur == L.end) {
                const uint64_t b = next_.fetch_add(grab, std::memory_order_relaxed);
                if (b >= level_end_)
                    return;
                L.cur = b;
                L.end = std::min(b + grab, level_end_);
            }
            const uint64_t n = store_.count();
            if (!store_.reserve_ahead(ahead, store_budget())) {
                stop_with(store_.over_limit() ? memory_limit_text() : "out of memory");
                return;
            }
            if (limits_.memory_bytes && store_.bytes_used() + words_.bytes() > limits_.memory_bytes) {
                stop_with(memory_limit_text());
                return;
            }
            if (!words_.reserve(n, n + ahead)) {
                stop_with("out of memory");
                return;
            }
            expand(L, uint32_t(L.cur));
            ++L.cur;
            if (++L.since_check == 64) {
                L.since_check = 0;
                if (limits_.seconds > 0 &&
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > limits_.seconds)
                    stop_with(time_limit_text(limits_));
                if (main)
                    progress_.update(store_.count(), store_.count() - std::min(next_.load(), store_.count()), depth_,
                                     store_.bytes_used() + words_.bytes());
            }
        }
    }

    void expand(Local& L, uint32_t p)
    {
        const uint8_t* s = store_.open(p, L.cursor);
        std::atomic<uint64_t>& pw = words_.at(p, 0);
        const uint32_t rank = uint32_t(pw.load(std::memory_order_relaxed));
        PathCost pcost = 0;
        if (cheapest_)
            pcost = store_.cost(p);
        const uint64_t next_begin = level_end_;
        L.batch.collect(model_, s, store_);
        uint32_t steps = uint32_t(L.batch.size());
        const bool any = steps > 0;
        // POR: the ample steps first, the rest only when the cycle proviso
        // refuses them: an ample successor in a level up to this one
        // (index < next_begin), which is the same for every thread count
        // as the levels up to this one are complete (explorer.hpp).
        uint32_t ample = reduction_ ? uint32_t(L.batch.reduce(*reduction_, s)) : 0;
        if (ample == steps)
            ample = 0;   // no ample set: expand fully
        bool refused = false;
        if constexpr (tree) {
            // The inner nodes of all the steps first (their lookups overlap), then each root
            // (after the reduction has put the steps in their order).
            const auto put = steps ? store_.put_nodes(L.batch, L.cursor, stop_) : Store::Put::found;
            if (put == Store::Put::table_full)
                stop_with("the hash table filled up between two growths (a state with very many successors)");
            else if (put == Store::Put::refused && !stop_.load(std::memory_order_relaxed))
                stop_with("out of memory");
        }
        for (uint32_t step = 0; step < steps; ++step) {
            if (ample && step == ample && !refused) {
                steps = ample;
                ++L.ample_states;
                break;
            }
            if (stop_.load(std::memory_order_relaxed))
                break;
            if (step > 0xFFFF) {
                stop_with("a state has more than 65536 successors");
                break;
            }
            // Back to the parent: found, below the level being built, so nothing to record.
            if constexpr (!tree)
                if (L.batch.self_loop(step))
                    continue;
            const uint8_t* next = L.batch.state(step);
            const Label label = L.batch.label(step);
            PathCost c = 0;
            bool priced = false;
            auto price = [&] {
                if constexpr (CostedModel<M>)
                    if (!priced && cheapest_)
                        c = add_cost(pcost, model_.step_cost(label, s, L.batch.concrete(step)));
                priced = true;
                return c;
            };
            auto fill = [&](uint32_t idx) {
                // Its chunk of words was reserved ahead, unless other threads outran this one.
                if (!words_.reserve(idx, idx))
                    return false;
                if (cheapest_) {
                    store_.set_cost(idx, price());
                    words_.at(idx, 1).store(key(0, rank, step), std::memory_order_relaxed);
                }
                words_.at(idx, 0).store(key(price(), rank, step), std::memory_order_relaxed);
                return true;
            };
            std::pair<uint32_t, typename Store::Put> stored;
            if constexpr (tree)
                stored = store_.put_root(step, L.cursor, max_count_, fill, stop_);
            else
                stored = store_.put(next, L.batch.hash(step), max_count_, p, label, fill, stop_, &L.block);
            const auto [idx, put] = stored;
            if (put == Store::Put::inserted) {
                if (store_.wants_growth(ahead / 4))
                    pause_.store(true, std::memory_order_relaxed);
                if (auto v = check_new_state(checker_, s, next))
                    L.candidates.push_back({idx, false, std::move(*v)});
            } else if (put == Store::Put::found) {
                if (step < ample && !refused && idx < next_begin && idx != p && reduction_->proviso()) {
                    refused = true;
                    ++L.proviso_full;
                }
                if (idx >= next_begin)
                    improve(idx, p, label, price(), rank, step);
            } else if (put == Store::Put::table_full) {
                stop_with("the hash table filled up between two growths (a state with very many successors)");
            } else if (!stop_.load(std::memory_order_relaxed)) {
                stop_with(store_.lost() ? memory_limit_text()
                          : limits_.max_states && store_.count() >= limits_.max_states
                              ? "--max-states " + std::to_string(limits_.max_states)
                              : "the store's 2^32 state indices");
            }
        }
        L.transitions += steps;
        pw.store(uint64_t(rank) | uint64_t(steps) << 32 | uint64_t(ample && !refused) << 63, std::memory_order_relaxed);
        if (!any) {
            ++L.terminals;
            if (auto v = checker_.check_deadlock(s))
                L.candidates.push_back({p, true, std::move(*v)});
        }
    }

    // Another path to a state of the level being built: keep the smaller key
    // and its parent, label and cost, together (the key word's low bit locks).
    void improve(uint32_t idx, uint32_t parent, Label label, PathCost c, uint32_t rank, uint32_t step)
    {
        std::atomic<uint64_t>& w = words_.at(idx, 0);
        const uint64_t k = key(c, rank, step);
        unsigned spins = 0;
        for (uint64_t cur = w.load(std::memory_order_acquire);;) {
            if (cur & 1) {
                relax(spins);
                cur = w.load(std::memory_order_acquire);
                continue;
            }
            if (k >= cur)
                break;
            if (w.compare_exchange_weak(cur, k | 1, std::memory_order_acquire, std::memory_order_acquire)) {
                store_.set_parent(idx, parent, label);
                if (cheapest_)
                    store_.set_cost(idx, c);
                w.store(k, std::memory_order_release);
                break;
            }
        }
        if (cheapest_) {
            std::atomic<uint64_t>& d = words_.at(idx, 1);
            const uint64_t dk = key(0, rank, step);
            for (uint64_t cur = d.load(std::memory_order_relaxed); dk < cur;)
                if (d.compare_exchange_weak(cur, dk, std::memory_order_relaxed))
                    break;
        }
    }

    // The key that orders a state of the level being built as one thread would have found it.
    uint64_t order_key(uint32_t idx) const
    {
        return words_.at(idx, cheapest_ ? 1 : 0).load(std::memory_order_relaxed) & ~uint64_t(1);
    }

    void between_rounds() noexcept
    {
        try {
            peak_bytes_ = std::max(peak_bytes_, store_.peak_bytes() + words_.bytes());
            if (phase_ == Phase::rehash) {
                store_.end_growth();
                pause_.store(false, std::memory_order_relaxed);
                phase_ = Phase::expand;
                return;
            }
            if (phase_ == Phase::reorder) {
                if (reorder_step_++ == 0)
                    return;
                if constexpr (tree)
                    store_.end_reorder();
                next_level();
                return;
            }
            if (phase_ == Phase::mark) {
                // Where each parent's children start in the new level.
                uint32_t at = 0;
                for (size_t p = 0; p < marks_.size(); ++p) {
                    starts_[p] = at;
                    at += uint32_t(std::popcount(marks_[p].load(std::memory_order_relaxed)));
                }
                phase_ = Phase::rank;
                return;
            }
            if (phase_ == Phase::rank) {
                std::vector<std::atomic<uint64_t>>().swap(marks_);
                std::vector<uint32_t>().swap(starts_);
                ranked();
                return;
            }
            if (stop_.load(std::memory_order_relaxed)) {
                finish(false);
                return;
            }
            if (pause_.load(std::memory_order_relaxed)) {
                const uint64_t limit = limits_.memory_bytes ? store_budget() : 0;
                if (!store_.begin_growth(limit, ahead / 4)) {
                    stop_with(store_.over_limit() ? memory_limit_text() : "out of memory");
                    finish(false);
                    return;
                }
                peak_bytes_ =
                    std::max(peak_bytes_, store_.peak_bytes() + words_.bytes() + store_.growth_extra_bytes());
                phase_ = Phase::rehash;
                return;
            }
            bool complete = next_.load(std::memory_order_relaxed) >= level_end_;
            for (const Local& L : locals_)
                complete = complete && L.cur == L.end;
            if (complete)
                end_level();
        } catch (const std::bad_alloc&) {
            if (out_.limit.empty())
                out_.limit = "out of memory";
            stop_.store(true, std::memory_order_relaxed);
            finish(false);
        } catch (...) {
            if (out_.limit.empty())
                out_.limit = "internal error between levels";
            stop_.store(true, std::memory_order_relaxed);
            finish(false);
        }
    }

    // The indices the threads' blocks took and left unused (the flat store).
    std::vector<uint64_t> holes() const
    {
        std::vector<uint64_t> h;
        if constexpr (!tree)
            for (const Local& L : locals_)
                for (uint64_t i = L.block.next; i < L.block.end; ++i)
                    h.push_back(i);
        return h;
    }

    // The level is complete: its states are made consecutive (the search
    // reads a level as a range of indices), with their per-state words and
    // the violations found among them.
    void close_holes()
    {
        if constexpr (!tree) {
            store_.close_holes(holes(), [&](uint32_t from, uint32_t to) {
                for (unsigned w = 0; w < (cheapest_ ? 2u : 1u); ++w)
                    words_.at(to, w).store(words_.at(from, w).load(std::memory_order_relaxed),
                                           std::memory_order_relaxed);
                for (Local& L : locals_)
                    for (Candidate& c : L.candidates)
                        if (!c.terminal && c.state == from)
                            c.state = to;
            });
            for (Local& L : locals_)
                L.block = {};
        }
    }

    void end_level()
    {
        close_holes();
        const uint64_t nb = level_end_, ne = store_.count();
        for (const Local& L : locals_)
            if (!L.candidates.empty()) {
                finish(true);
                return;
            }
        for (Local& L : locals_) {
            out_.transitions += L.transitions;
            out_.terminals += L.terminals;
            out_.ample_states += L.ample_states;
            out_.proviso_full += L.proviso_full;
            L.transitions = L.terminals = L.ample_states = L.proviso_full = 0;
        }
        out_.depth = depth_;
        if (ne == nb) {
            phase_ = Phase::done;
            return;
        }
        // The levels up to this one are expanded (the barrier publishes the change to the threads).
        if (reduction_ && por_gives_up(nb, out_.ample_states)) {
            reduction_ = nullptr;
            out_.por_gave_up_at = depth_ + 1;
        }
        if (ne - nb >= (uint64_t(1) << 31)) {
            stop_with("a BFS level of 2^31 states");
            phase_ = Phase::done;
            return;
        }
        rank_level(nb, ne);
    }

    // Ranks the new level [nb, ne): a state's rank is the place of its order
    // key (parent rank, step) among the level's keys. When no parent has more
    // than 64 steps, in O(n) and shared by the threads: each marks its step
    // in a 64-bit word of its parent (Phase::mark); a prefix sum over the
    // parents gives where each parent's children start (one thread); a
    // child's rank is its parent's start plus the marks below its step
    // (Phase::rank). Else by sorting the keys.
    void rank_level(uint64_t nb, uint64_t ne)
    {
        const uint64_t parents = level_end_ - level_begin_;
        bool narrow = true;
        for (uint64_t i = level_begin_; i < level_end_ && narrow; ++i)
            narrow = ((words_.at(uint32_t(i), 0).load(std::memory_order_relaxed) >> 32) & 0x7FFFFFFF) <= 64;
        const uint64_t extra = narrow ? parents * (sizeof(uint64_t) + sizeof(uint32_t))
                                      : (ne - nb) * sizeof(std::pair<uint64_t, uint32_t>);
        if (limits_.memory_bytes && store_.bytes_used() + words_.bytes() + extra > limits_.memory_bytes) {
            stop_with(memory_limit_text());
            phase_ = Phase::done;
            return;
        }
        peak_bytes_ = std::max(peak_bytes_, store_.bytes_used() + words_.bytes() + extra);
        if (narrow) {
            marks_ = std::vector<std::atomic<uint64_t>>(parents);
            starts_.assign(parents, 0);
            phase_ = Phase::mark;
            return;
        }
        std::vector<std::pair<uint64_t, uint32_t>> order;
        order.reserve(ne - nb);
        for (uint64_t i = nb; i < ne; ++i)
            order.emplace_back(order_key(uint32_t(i)), uint32_t(i));
        std::sort(order.begin(), order.end());
        for (size_t r = 0; r < order.size(); ++r)
            words_.at(order[r].second, 0).store(r, std::memory_order_relaxed);
        std::vector<std::pair<uint64_t, uint32_t>>().swap(order);
        ranked();
    }

    // The new level is ranked (word 0 of each of its states). The tree store
    // then moves it into rank order: step 0 reads where everything is, step
    // 1 writes it to its place; a state's rank becomes its place in the level.
    void ranked()
    {
        if constexpr (tree) {
            const uint64_t nb = level_end_, ne = store_.count();
            const uint64_t limit = limits_.memory_bytes ? store_budget() : 0;
            if (!store_.begin_reorder(nb, ne, limit)) {
                stop_with(store_.over_limit() ? memory_limit_text() : "out of memory");
                store_.end_reorder();
                phase_ = Phase::done;
                return;
            }
            peak_bytes_ = std::max(peak_bytes_, store_.peak_bytes() + words_.bytes());
            reorder_step_ = 0;
            phase_ = Phase::reorder;
            return;
        }
        next_level();
    }
    void reorder_part(unsigned t)
    {
        if constexpr (tree) {
            const uint64_t nb = level_end_;
            store_.reorder_part(
                reorder_step_,
                [&](uint32_t i) { return uint32_t(nb + words_.at(i, 0).load(std::memory_order_relaxed)); }, t,
                nthreads_);
            if (reorder_step_ == 1) {
                const uint64_t n = store_.count() - nb;
                for (uint64_t k = n * t / nthreads_; k < n * (t + 1) / nthreads_; ++k)
                    words_.at(uint32_t(nb + k), 0).store(k, std::memory_order_relaxed);
            }
        }
    }

    // This thread's share of the new level in Phase::mark or Phase::rank.
    void rank_part(Phase phase, unsigned t)
    {
        const uint64_t nb = level_end_, n = store_.count() - nb;
        const uint64_t begin = nb + n * t / nthreads_, end = nb + n * (t + 1) / nthreads_;
        for (uint64_t i = begin; i < end; ++i) {
            const uint64_t k = order_key(uint32_t(i));
            const uint32_t parent = rank_of_key(k), step = uint32_t(k >> 1) & 0xFFFF;
            if (phase == Phase::mark)
                marks_[parent].fetch_or(uint64_t(1) << step, std::memory_order_relaxed);
            else
                words_.at(uint32_t(i), 0)
                    .store(starts_[parent] + std::popcount(marks_[parent].load(std::memory_order_relaxed) &
                                                           ((uint64_t(1) << step) - 1)),
                           std::memory_order_relaxed);
        }
    }

    // The new level becomes the one to expand.
    void next_level()
    {
        const uint64_t nb = level_end_, ne = store_.count();
        words_.release_below(nb);
        store_.start_level(ne);
        level_begin_ = nb;
        level_end_ = ne;
        next_.store(nb, std::memory_order_relaxed);
        ++depth_;
        if constexpr (CountsEvents<M>)
            level_events_ = model_.save_events();
        phase_ = Phase::expand;
    }

    // The search ends: with the level complete (`level_done`, a violation in
    // it) or stopped by a limit. Picks the violating state one thread would
    // have reported, and for --shortest-only cuts the statistics back to the
    // moment one thread would have found it.
    void finish(bool level_done)
    {
        phase_ = Phase::done;
        try {
            pick(level_done);
        } catch (...) {
            // No memory even to pick the counterexample: report none (stop_with cannot allocate either).
            out_.finding.reset();
            if (out_.limit.empty())
                out_.limit = "out of memory";
        }
    }
    void pick(bool level_done)
    {
        out_.depth = depth_;
        std::vector<Candidate> cs;
        uint64_t level_transitions = 0, level_terminals = 0, level_ample = 0, level_full = 0;
        for (Local& L : locals_) {
            level_transitions += L.transitions;
            level_terminals += L.terminals;
            level_ample += L.ample_states;
            level_full += L.proviso_full;
            for (Candidate& c : L.candidates)
                cs.push_back(std::move(c));
        }
        if (cs.empty()) {
            out_.transitions += level_transitions;
            out_.terminals += level_terminals;
            out_.ample_states += level_ample;
            out_.proviso_full += level_full;
            return;
        }
        // Where each candidate comes in one thread's order: a terminal state
        // when its own rank is expanded, a new state at its (parent rank, step).
        auto event = [&](const Candidate& c) {
            return c.terminal ? key(0, uint32_t(words_.at(c.state, 0).load(std::memory_order_relaxed)), 0)
                              : order_key(c.state);
        };
        const Candidate* best = &cs.front();
        for (const Candidate& c : cs) {
            if (cheapest_) {
                // Shortest (a terminal one of this level beats a new one of the next), cheapest, first.
                auto rank = [&](const Candidate& x) {
                    return std::tuple(x.terminal ? 0 : 1, store_.cost(x.state), event(x));
                };
                if (rank(c) < rank(*best))
                    best = &c;
            } else if (event(c) < event(*best)) {
                best = &c;
            }
        }
        out_.finding = Finding{best->state, best->violation, best->terminal};
        if (cheapest_ || !level_done) {
            out_.transitions += level_transitions;
            out_.terminals += level_terminals;
            out_.ample_states += level_ample;
            out_.proviso_full += level_full;
            return;
        }
        // --shortest-only: one thread stops at that event. It has stored the
        // states of the next level that come before it (and the new one), has
        // expanded the parents up to the event's (counting all that parent's
        // steps), and counted the terminal states among them.
        const uint64_t e = event(*best);
        const uint32_t r = rank_of_key(e);
        uint64_t states = level_end_;
        for (uint64_t i = level_end_; i < store_.count(); ++i)
            states += order_key(uint32_t(i)) < e;
        if (!best->terminal)
            ++states;
        for (uint64_t i = level_begin_; i < level_end_; ++i) {
            const uint64_t w = words_.at(uint32_t(i), 0).load(std::memory_order_relaxed);
            if (uint32_t(w) <= r) {
                out_.transitions += (w >> 32) & 0x7FFFFFFF;
                out_.terminals += ((w >> 32) & 0x7FFFFFFF) == 0;
                out_.ample_states += w >> 63;   // (proviso refusals are not kept per state)
            }
        }
        out_.cut_states = states;
        if constexpr (CountsEvents<M>) {
            model_.restore_events(level_events_);
            for (uint64_t i = level_begin_; i < level_end_; ++i)
                if (uint32_t(words_.at(uint32_t(i), 0).load(std::memory_order_relaxed)) <= r)
                    model_.for_each_successor(store_.open(uint32_t(i), locals_[0].cursor), [](Label, const uint8_t*) {});
        }
    }

    const M& model_;
    C& checker_;
    Store& store_;
    Limits limits_;
    Progress& progress_;
    bool cheapest_;
    unsigned nthreads_;
    std::chrono::steady_clock::time_point start_;
    const Reduction* reduction_;
    uint64_t max_count_ = 0;

    StateWords words_;
    std::vector<Local> locals_;
    std::vector<uint64_t> level_events_;   // the model's event counts at the level's start (CountsEvents)
    Out out_;
    std::mutex limit_mutex_;
    std::atomic<bool> stop_{false}, pause_{false};
    // On a line of its own: every grab writes it, and the threads read
    // stop_, pause_ and level_end_ beside it at every step.
    alignas(64) std::atomic<uint64_t> next_{0};
    alignas(64) uint64_t level_begin_ = 0, level_end_ = 0;
    uint32_t depth_ = 0;
    Phase phase_ = Phase::expand;
    unsigned reorder_step_ = 0;
    std::vector<std::atomic<uint64_t>> marks_;   // per parent: the steps that are some child's order key
    std::vector<uint32_t> starts_;               // per parent: the rank of its first child
    uint64_t peak_bytes_ = 0;
};

}  // namespace pxc::explorer
