// Breadth-first search over a Model. The explorer knows nothing about the
// kernel: a model hands it fixed-size canonical byte strings and opaque step
// labels; a checker says which states break a property. BFS makes every
// counterexample a shortest one; with Order::cheapest_shortest it is also the
// cheapest of the shortest, by the model's step_cost.
//
// Three searches behind one interface: exact mode on one thread (below),
// exact mode on several (parallel.hpp: level-synchronous, the same result
// for every number of threads), and the lossy modes (lossy.hpp on one
// thread, lossy_parallel.hpp on several).
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "explorer/batch.hpp"
#include "explorer/canonical.hpp"
#include "explorer/cost.hpp"
#include "explorer/lossy.hpp"
#include "explorer/lossy_parallel.hpp"
#include "explorer/memory.hpp"
#include "explorer/parallel.hpp"
#include "explorer/progress.hpp"
#include "explorer/state_store.hpp"
#include "explorer/tree_path.hpp"
#include "explorer/tree_store.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

template <Model M, Checker C>
class Explorer {
public:
    Explorer(const M& model, C& checker, Limits limits, bool show_progress, Order order = Order::shortest,
             Options options = {})
        : model_(model), checker_(checker), limits_(limits), options_(options), progress_(show_progress)
    {
        if constexpr (CostedModel<M>)
            cheapest_ = order == Order::cheapest_shortest;
        options_.threads = std::max(1u, options_.threads);
    }

    Result run()
    {
        const auto start = std::chrono::steady_clock::now();
        Result result = options_.mode == Mode::exact ? run_exact(start) : run_lossy(start);
        result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        result.stats.peak_rss_bytes = peak_rss_bytes();
        result.stats.state_size = model_.state_size();
        result.stats.mode = options_.mode;
        result.verdict = result.finding           ? Verdict::violated
                         : !result.limit.empty()  ? Verdict::incomplete
                         : options_.mode == Mode::exact ? Verdict::holds
                                                        : Verdict::no_violation_found;
        return result;
    }

    // The states from the initial one to `state` and the steps between them,
    // in every mode (lossy modes replay the recorded steps; the tree store
    // expands the levels above again, tree_path.hpp). With symmetry
    // reduction the stored path is of canonical states: the path returned is
    // a concrete run through the same classes (canonical.hpp).
    Path path(uint32_t state) const
    {
        Path p;
        if (lossy_) {
            p = lossy_->path(state);
        } else if (plossy_) {
            p = plossy_->path(state);
        } else if (tree_) {
            for (const auto& [i, label] : tree_path(model_, *tree_, state, cheapest_)) {
                p.states.emplace_back(model_.state_size());
                tree_->read(i, p.states.back().data());
                p.labels.push_back(label);
            }
        } else {
            for (uint32_t i : path_to(state)) {
                p.states.emplace_back(store_->state(i), store_->state(i) + store_->state_size());
                p.labels.push_back(store_->label(i));
            }
        }
        return reduces(model_) ? concretise(model_, p) : p;
    }

    // Exact mode: the indices of the states from the initial one to `state`,
    // with the label that reached each (the initial state's label is meaningless).
    std::vector<uint32_t> path_to(uint32_t state) const
    {
        std::vector<uint32_t> path;
        if (tree_) {
            for (const auto& step : tree_path(model_, *tree_, state, cheapest_))
                path.push_back(step.first);
            return path;
        }
        for (uint32_t s = state; s != no_parent; s = store_->parent(s))
            path.push_back(s);
        return {path.rbegin(), path.rend()};
    }
    uint32_t depth_of(uint32_t state) const
    {
        return lossy_    ? lossy_->depth_of(state)
               : plossy_ ? plossy_->depth_of(state)
               : tree_   ? tree_->depth_of(state)
                         : static_cast<uint32_t>(path_to(state).size() - 1);
    }
    // The cost of the path to a state (exact mode, cheapest_shortest only; else 0).
    StepCost cost(uint32_t state) const
    {
        if (tree_)
            return tree_->has_costs() ? unpack_cost(tree_->cost(state)) : StepCost{};
        return store_ && store_->has_costs() ? unpack_cost(store_->cost(state)) : StepCost{};
    }
    // Exact mode: the bytes of a state. The tree store decodes them into one
    // buffer, overwritten by the next call.
    const uint8_t* state(uint32_t i) const
    {
        if (!tree_)
            return store_->state(i);
        scratch_.resize(model_.state_size());
        tree_->read(i, scratch_.data());
        return scratch_.data();
    }
    // Exact mode: the label of the step into a state on its path.
    Label label(uint32_t i) const
    {
        return tree_ ? tree_path(model_, *tree_, i, cheapest_).back().second : store_->label(i);
    }
    size_t state_size() const { return model_.state_size(); }

private:
    struct Candidate {
        Finding finding;
        uint32_t depth;
    };

    Result run_lossy(std::chrono::steady_clock::time_point start)
    {
        uint64_t bits_bytes = options_.bitstate_bytes;
        if (!bits_bytes)
            bits_bytes =
                limits_.memory_bytes ? std::min<uint64_t>(limits_.memory_bytes / 2, 512ull << 20) : 64ull << 20;
        // A level's states in memory: 64 MiB, or a sixteenth of a smaller budget.
        uint64_t level_memory = options_.level_memory;
        if (level_memory && limits_.memory_bytes)
            level_memory = std::max<uint64_t>(1, std::min(level_memory, limits_.memory_bytes / 16));
        Result result;
        typename LossySearch<M, C>::Outcome out;
        try {
            if (options_.threads > 1) {
                plossy_ = std::make_unique<ParallelLossySearch<M, C>>(model_, checker_, limits_, progress_, cheapest_,
                                                                      options_.mode, bits_bytes,
                                                                      options_.hash_functions, options_.threads, start,
                                                                      options_.reduction, level_memory);
            } else {
                lossy_ = std::make_unique<LossySearch<M, C>>(model_, checker_, limits_, progress_, cheapest_,
                                                             options_.mode, bits_bytes, options_.hash_functions, start,
                                                             options_.reduction, level_memory);
            }
        } catch (const std::bad_alloc&) {
            result.limit = "out of memory";
            return result;
        }
        out = plossy_ ? plossy_->run() : lossy_->run();
        result.finding = out.finding;
        result.limit = out.limit;
        result.stats = out.stats;
        return result;
    }

    Result run_exact(std::chrono::steady_clock::time_point start)
    {
        stats_.store = options_.store;
        return options_.store == StoreKind::tree ? run_exact(tree_, start) : run_exact(store_, start);
    }

    template <class Store>
    Result run_exact(std::unique_ptr<Store>& holder, std::chrono::steady_clock::time_point start)
    {
        Result result;
        try {
            holder = std::make_unique<Store>(model_.state_size());
            Store& store = *holder;
            if (cheapest_)
                store.enable_costs();
            std::vector<uint8_t> init(model_.state_size());
            model_.initial_state(init.data());
            if (reduces(model_))
                canonicalise(model_, init.data());
            if constexpr (std::is_same_v<Store, TreeStore>) {
                typename Store::Cursor cursor(store);
                if (!store.prepare(1, limits_.memory_bytes)) {
                    result.limit = store.over_limit() ? memory_limit_text() : "out of memory";
                    return result;
                }
                store.insert(init.data(), cursor);
                if (cheapest_)
                    store.set_cost(0, 0);
            } else {
                store.insert(init.data(), no_parent, 0);
            }
            store.start_level(0);
            store.start_level(1);
            if (auto v = checker_.check_state(init.data()))
                result.finding = Finding{0, *v, false};
        } catch (const std::bad_alloc&) {
            result.limit = "out of memory";
            return result;
        }
        Store& store = *holder;
        if (options_.threads > 1 && !result.finding) {
            ParallelSearch<M, C, Store> search(model_, checker_, store, limits_, progress_, cheapest_,
                                               options_.threads, start, options_.reduction);
            auto out = search.run();
            progress_.finish();
            result.finding = out.finding;
            result.limit = out.limit;
            stats_.states = out.states;
            stats_.transitions = out.transitions;
            stats_.terminal_states = out.terminals;
            stats_.depth = result.finding ? depth_of(result.finding->state) : out.depth;
            stats_.store_bytes = out.peak_bytes;
            stats_.threads = options_.threads;
            stats_.por = options_.reduction != nullptr;
            stats_.ample_states = out.ample_states;
            stats_.proviso_full = out.proviso_full;
            stats_.por_gave_up_at = out.por_gave_up_at;
            tree_statistics(store);
            result.stats = stats_;
            return result;
        }
        run_one_thread(store, result, start);
        return result;
    }

    template <class Store>
    void tree_statistics(const Store& store)
    {
        if constexpr (std::is_same_v<Store, TreeStore>)
            stats_.tree_nodes = store.nodes();
    }

    // The search on one thread, with either store. With the tree store,
    // room for a state's successors is made before they are inserted
    // (prepare(): growth and chunks); states already stored need none.
    template <class Store>
    void run_one_thread(Store& store, Result& result, std::chrono::steady_clock::time_point start)
    {
        constexpr bool tree = std::is_same_v<Store, TreeStore>;
        typename Store::Cursor cursor(store);
        auto known = [&](const uint8_t* bytes) {
            if constexpr (tree)
                return store.contains(bytes, cursor);
            else
                return store.contains(bytes);
        };
        uint32_t depth = 0;
        uint64_t level_end = 1;
        // cheapest_shortest: the violating states seen so far, and the end of
        // the level being expanded when the first was found (expanding stops
        // there: the rest of that level may reach one more cheaply).
        std::vector<Candidate> candidates;
        uint64_t stop_at = result.finding ? 0 : UINT64_MAX;
        auto found = [&](uint32_t idx, const Violation& v, bool at_terminal, uint32_t at_depth) {
            if (!cheapest_) {
                result.finding = Finding{idx, v, at_terminal};
                return;
            }
            candidates.push_back({Finding{idx, v, at_terminal}, at_depth});
            stop_at = std::min(stop_at, level_end);
        };
        const Reduction* reduction = options_.reduction;
        try {
            SuccessorBatch batch(model_.state_size());
            for (uint64_t head = 0; head < stop_at && (cheapest_ || !result.finding) && head < store.count(); ++head) {
                if (head == level_end) {
                    ++depth;
                    level_end = store.count();
                    store.start_level(level_end);
                    if (reduction && por_gives_up(head, stats_.ample_states)) {
                        reduction = nullptr;
                        stats_.por_gave_up_at = depth;
                    }
                }
                if ((head & 1023) == 0 && (result.limit = check_time(start)) != "")
                    break;
                if ((head & 4095) == 0)
                    progress_.update(store.count(), store.count() - head, depth, store.bytes_used());
                const uint32_t cur = static_cast<uint32_t>(head);
                const uint8_t* s = store.open(cur, cursor);
                batch.collect(model_, s, store);
                const bool any = batch.size() > 0;
                // POR: the ample steps come first; the rest only when the
                // cycle proviso refuses the ample set (comment below).
                size_t ample = reduction ? batch.reduce(*reduction, s) : 0;
                if (ample == batch.size())
                    ample = 0;   // no ample set: expand fully
                bool refused = false;
                bool room = true;
                if constexpr (tree) {
                    // With room, the batch's inner nodes first (their lookups overlap), then each root in order.
                    room = store.prepare(batch.size(), limits_.memory_bytes);
                    if (!room && !store.over_limit())
                        throw std::bad_alloc();
                    static const std::atomic<bool> never{false};
                    if (room && any && store.put_nodes(batch, cursor, never) != TreeStore::Put::found)
                        throw std::bad_alloc();
                }
                for (size_t j = 0; j < batch.size(); ++j) {
                    if (ample && j == ample && !refused) {
                        ++stats_.ample_states;
                        break;
                    }
                    const uint8_t* next = batch.state(j);
                    const Label label = batch.label(j);
                    ++stats_.transitions;
                    if (!result.limit.empty() || (!cheapest_ && result.finding))
                        continue;
                    // Back to s: stored, not new, not in the level being built, so nothing to record.
                    if constexpr (!tree)
                        if (batch.self_loop(j))
                            continue;
                    // A limit stops only a step to a new state: one back to a stored state costs nothing.
                    if (store.count() >= max_count() && !known(next)) {
                        result.limit = limits_.max_states && store.count() >= limits_.max_states
                                           ? "--max-states " + std::to_string(limits_.max_states)
                                           : "the store's 2^32 state indices";
                        continue;
                    }
                    bool over;
                    if constexpr (tree)
                        over = !room;
                    else
                        over = limits_.memory_bytes &&
                               store.bytes_used() + store.bytes_next_growth() > limits_.memory_bytes;
                    if (over && !known(next)) {
                        result.limit = memory_limit_text();
                        continue;
                    }
                    std::pair<uint32_t, bool> put;
                    if constexpr (tree)
                        put = room ? store.insert_root(j, cursor) : store.insert(next, cursor);   // the latter finds
                    else
                        put = store.insert(next, batch.hash(j), cur, label);
                    const auto [idx, inserted] = put;
                    if (j < ample && !refused && !inserted && idx < level_end && idx != cur && reduction->proviso()) {
                        refused = true;
                        ++stats_.proviso_full;
                    }
                    if (cheapest_ && (inserted || idx >= level_end))
                        price(store, cur, s, idx, inserted, label, batch.concrete(j));
                    if (inserted) {
                        if (auto v = check_new_state(checker_, s, next))
                            found(idx, *v, false, depth + 1);
                    }
                }
                if (!any) {
                    ++stats_.terminal_states;
                    if (cheapest_ || !result.finding)
                        if (auto v = checker_.check_deadlock(s))
                            found(cur, *v, true, depth);
                }
                if (!result.limit.empty())
                    break;
            }
        } catch (const std::bad_alloc&) {
            // Nothing is half-inserted: the store is whole, the search stops here.
            result.limit = "out of memory";
        }
        progress_.finish();
        if (cheapest_ && !candidates.empty())
            result.finding = cheapest(candidates);

        stats_.states = store.count();
        stats_.por = options_.reduction != nullptr;
        stats_.depth = result.finding ? depth_of(result.finding->state) : depth;
        stats_.store_bytes = store.peak_bytes();
        tree_statistics(store);
        result.stats = stats_;
    }

    // The cycle proviso (C3) of partial-order reduction: a state keeps its
    // ample set only when every ample successor is new to the levels up to
    // its own (index >= level_end: unseen, or first seen in the level being
    // built). A self-loop does not count: a step that changes nothing (a
    // preemption that picks the same task) changes nothing wherever the
    // ample set's independence lets it run, so dropping such steps from
    // the graph keeps every state and path, and the model offers an ample
    // set only with one step that is not a self-loop. So an ample-only edge always leads one BFS level down, a cycle
    // cannot consist of such edges alone, and every cycle of the reduced
    // graph has a fully expanded state. The test depends on the levels only,
    // not on the order within one, so the parallel search makes the same
    // choice (parallel.hpp); the lossy modes, one thread, use "not seen at
    // all", for which the same argument holds in expansion order.

    uint64_t max_count() const
    {
        return limits_.max_states ? std::min(limits_.max_states, max_store_states) : max_store_states;
    }
    std::string memory_limit_text() const { return explorer::memory_limit_text(limits_); }

    // The cost of reaching `idx` from `parent`; a cheaper path to a state of
    // the level being built replaces the one recorded.
    template <class Store>
    void price(Store& store, uint32_t parent, const uint8_t* parent_bytes, uint32_t idx, bool inserted, Label label,
               const uint8_t* next)
    {
        if constexpr (CostedModel<M>) {
            const PathCost c = add_cost(store.cost(parent), model_.step_cost(label, parent_bytes, next));
            if (inserted)
                store.set_cost(idx, c);
            else if (c < store.cost(idx))
                store.reparent(idx, parent, label, c);
        }
    }

    // Shortest first, then cheapest, then first found.
    Finding cheapest(const std::vector<Candidate>& cs) const
    {
        auto cost_of = [&](uint32_t i) { return tree_ ? tree_->cost(i) : store_->cost(i); };
        const Candidate* best = &cs.front();
        for (const Candidate& c : cs)
            if (c.depth < best->depth ||
                (c.depth == best->depth && cost_of(c.finding.state) < cost_of(best->finding.state)))
                best = &c;
        return best->finding;
    }

    std::string check_time(std::chrono::steady_clock::time_point start) const
    {
        if (limits_.seconds <= 0)
            return "";
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return s > limits_.seconds ? time_limit_text(limits_) : "";
    }

    const M& model_;
    C& checker_;
    Limits limits_;
    Options options_;
    std::unique_ptr<StateStore> store_;                // exact mode, flat store
    std::unique_ptr<TreeStore> tree_;                  // exact mode, tree store
    mutable std::vector<uint8_t> scratch_;             // state(i) of the tree store
    std::unique_ptr<LossySearch<M, C>> lossy_;         // compact, bitstate on one thread
    std::unique_ptr<ParallelLossySearch<M, C>> plossy_;   // on several
    Progress progress_;
    Stats stats_;
    bool cheapest_ = false;
};

}  // namespace pxc::explorer
