// Breadth-first exhaustive search over a Model. The explorer knows nothing
// about the kernel: a model hands it fixed-size canonical byte strings and
// opaque step labels; a checker says which states break a property. BFS
// makes every counterexample a shortest one; with Order::cheapest_shortest
// it is also the cheapest of the shortest, by the model's step_cost.
#pragma once
#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "explorer/cost.hpp"
#include "explorer/memory.hpp"
#include "explorer/progress.hpp"
#include "explorer/state_store.hpp"

namespace pxc::explorer {

template <class M>
concept Model = requires(const M& m, const uint8_t* s, uint8_t* out) {
    { m.state_size() } -> std::convertible_to<size_t>;
    m.initial_state(out);                                           // writes state_size() bytes
    m.for_each_successor(s, [](Label, const uint8_t*) {});          // one call per enabled step
};

// A model that can price its steps (for Order::cheapest_shortest).
template <class M>
concept CostedModel = Model<M> && requires(const M& m, Label l, const uint8_t* s) {
    { m.step_cost(l, s, s) } -> std::same_as<StepCost>;   // (label, before, after)
};

// shortest: plain BFS order, the first violating state found wins.
// cheapest_shortest: among the violating states of the smallest depth, the
// one reached by the cheapest path. A state rediscovered at its own depth via
// a cheaper path is re-parented; the costs of depth d-1 are final before any
// state of depth d is expanded (BFS order), so each depth's costs are minimal.
enum class Order { shortest, cheapest_shortest };

struct Violation {
    std::string property;
    std::string message;
};

// check_state: invariants, on every new state. check_deadlock: a state with
// no enabled step; what that means (deadlock, lost wakeup, normal end) is the
// checker's business.
template <class C>
concept Checker = requires(C& c, const uint8_t* s) {
    { c.check_state(s) } -> std::same_as<std::optional<Violation>>;
    { c.check_deadlock(s) } -> std::same_as<std::optional<Violation>>;
};

struct Limits {
    uint64_t max_states = 0;    // 0: none
    uint64_t memory_bytes = 0;  // 0: none
    double seconds = 0;         // 0: none
};

struct Stats {
    uint64_t states = 0;
    uint64_t transitions = 0;
    uint32_t depth = 0;           // BFS levels completed or reached
    uint64_t terminal_states = 0; // states with no enabled step
    double seconds = 0;
    uint64_t store_bytes = 0;     // visited set, parents, labels
    uint64_t peak_rss_bytes = 0;
    size_t state_size = 0;

    double states_per_second() const { return seconds > 0 ? double(states) / seconds : 0; }
    double bytes_per_state() const { return states ? double(store_bytes) / double(states) : 0; }
};

enum class Verdict { holds, violated, incomplete };

struct Finding {
    uint32_t state = 0;      // index of the violating state
    Violation violation;
    bool at_terminal = false;
};

struct Result {
    Verdict verdict = Verdict::holds;
    Stats stats;
    std::optional<Finding> finding;
    std::string limit;       // which limit stopped an incomplete search
};

template <Model M, Checker C>
class Explorer {
public:
    Explorer(const M& model, C& checker, Limits limits, bool show_progress, Order order = Order::shortest)
        : model_(model), checker_(checker), limits_(limits), store_(model.state_size()),
          progress_(show_progress)
    {
        if constexpr (CostedModel<M>)
            cheapest_ = order == Order::cheapest_shortest;
        if (cheapest_)
            store_.enable_costs();
    }

    Result run()
    {
        const auto start = std::chrono::steady_clock::now();
        Result result;
        std::vector<uint8_t> init(model_.state_size());
        model_.initial_state(init.data());
        store_.insert(init.data(), no_parent, 0);
        if (auto v = checker_.check_state(init.data()))
            result.finding = Finding{0, *v, false};

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
        for (uint64_t head = 0; head < stop_at && (cheapest_ || !result.finding) && head < store_.count(); ++head) {
            if (head == level_end) {
                ++depth;
                level_end = store_.count();
            }
            if ((head & 1023) == 0 && (result.limit = check_time(start)) != "")
                break;
            if ((head & 4095) == 0)
                progress_.update(store_.count(), store_.count() - head, depth, store_.bytes_used());
            const uint32_t cur = static_cast<uint32_t>(head);
            bool any = false;
            model_.for_each_successor(store_.state(cur), [&](Label label, const uint8_t* next) {
                any = true;
                ++stats_.transitions;
                if (!result.limit.empty() || (!cheapest_ && result.finding))
                    return;
                // A limit stops only a step to a new state: one back to a stored state costs nothing.
                if (limits_.max_states && store_.count() >= limits_.max_states && !store_.contains(next)) {
                    result.limit = "--max-states " + std::to_string(limits_.max_states);
                    return;
                }
                if (limits_.memory_bytes && store_.bytes_used() + store_.bytes_next_growth() > limits_.memory_bytes &&
                    !store_.contains(next)) {
                    result.limit = "--memory " + std::to_string(limits_.memory_bytes >> 20) + " MiB";
                    return;
                }
                auto [idx, inserted] = store_.insert(next, cur, label);
                if (cheapest_ && (inserted || idx >= level_end))
                    price(cur, idx, inserted, label, next);
                if (inserted) {
                    if (auto v = checker_.check_state(next))
                        found(idx, *v, false, depth + 1);
                }
            });
            if (!any) {
                ++stats_.terminal_states;
                if (cheapest_ || !result.finding)
                    if (auto v = checker_.check_deadlock(store_.state(cur)))
                        found(cur, *v, true, depth);
            }
            if (!result.limit.empty())
                break;
        }
        progress_.finish();
        if (cheapest_ && !candidates.empty())
            result.finding = cheapest(candidates);

        stats_.states = store_.count();
        stats_.depth = result.finding ? depth_of(result.finding->state) : depth;
        stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        stats_.store_bytes = store_.bytes_used();
        stats_.peak_rss_bytes = peak_rss_bytes();
        stats_.state_size = store_.state_size();
        result.stats = stats_;
        result.verdict = result.finding ? Verdict::violated
                         : result.limit.empty() ? Verdict::holds
                                                : Verdict::incomplete;
        return result;
    }

    // The states from the initial one to `state`, with the label that reached
    // each (the initial state's label is meaningless).
    std::vector<uint32_t> path_to(uint32_t state) const
    {
        std::vector<uint32_t> path;
        for (uint32_t s = state; s != no_parent; s = store_.parent(s))
            path.push_back(s);
        return {path.rbegin(), path.rend()};
    }
    uint32_t depth_of(uint32_t state) const { return static_cast<uint32_t>(path_to(state).size() - 1); }
    // The cost of the path to a state (cheapest_shortest only; else 0).
    StepCost cost(uint32_t state) const { return store_.has_costs() ? unpack_cost(store_.cost(state)) : StepCost{}; }
    const uint8_t* state(uint32_t i) const { return store_.state(i); }
    Label label(uint32_t i) const { return store_.label(i); }
    size_t state_size() const { return store_.state_size(); }

private:
    struct Candidate {
        Finding finding;
        uint32_t depth;
    };

    // The cost of reaching `idx` from `parent`; a cheaper path to a state of
    // the level being built replaces the one recorded.
    void price(uint32_t parent, uint32_t idx, bool inserted, Label label, const uint8_t* next)
    {
        if constexpr (CostedModel<M>) {
            const PathCost c = add_cost(store_.cost(parent), model_.step_cost(label, store_.state(parent), next));
            if (inserted)
                store_.set_cost(idx, c);
            else if (c < store_.cost(idx))
                store_.reparent(idx, parent, label, c);
        }
    }

    // Shortest first, then cheapest, then first found.
    Finding cheapest(const std::vector<Candidate>& cs) const
    {
        const Candidate* best = &cs.front();
        for (const Candidate& c : cs)
            if (c.depth < best->depth ||
                (c.depth == best->depth && store_.cost(c.finding.state) < store_.cost(best->finding.state)))
                best = &c;
        return best->finding;
    }

    std::string check_time(std::chrono::steady_clock::time_point start) const
    {
        if (limits_.seconds <= 0)
            return "";
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return s > limits_.seconds ? "--time " + std::to_string(int(limits_.seconds)) + " s" : "";
    }

    const M& model_;
    C& checker_;
    Limits limits_;
    StateStore store_;
    Progress progress_;
    Stats stats_;
    bool cheapest_ = false;
};

}  // namespace pxc::explorer
