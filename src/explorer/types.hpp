// What the explorer's searches share: the Model and Checker concepts, limits,
// modes, statistics and results.
#pragma once
#include <cstdio>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "explorer/cost.hpp"
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

// A model that counts events while it generates successors (the kernel's
// wasted wakeups and blocked_donor races). When --shortest-only cuts a level
// short, the parallel searches roll the counts back to the level's start and
// generate again the successors of the parents one thread would have
// expanded, so the counts do not depend on the thread count either.
template <class M>
concept CountsEvents = Model<M> && requires(const M& m, const std::vector<uint64_t>& v) {
    { m.save_events() } -> std::same_as<std::vector<uint64_t>>;
    m.restore_events(v);
};

// A model with a symmetry reduction (kernel: interchangeable tasks).
// canonicalise(s) rewrites s in place to the representative of its class of
// symmetric states: a permutation of s, the same bytes for every state of
// the class. The search stores representatives only; it prices steps and
// rebuilds paths on the concrete states (canonical.hpp). reduces(): whether
// canonicalise is to be called at all.
template <class M>
concept CanonicalModel = Model<M> && requires(const M& m, uint8_t* s) {
    { m.reduces() } -> std::convertible_to<bool>;
    m.canonicalise(s);
};

template <class M>
bool reduces(const M& m)
{
    if constexpr (CanonicalModel<M>)
        return m.reduces();
    return false;
}

template <class M>
void canonicalise(const M& m, uint8_t* s)
{
    if constexpr (CanonicalModel<M>)
        m.canonicalise(s);
}

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
// checker's business. With more than one thread both are called from several
// threads at once.
template <class C>
concept Checker = requires(C& c, const uint8_t* s) {
    { c.check_state(s) } -> std::same_as<std::optional<Violation>>;
    { c.check_deadlock(s) } -> std::same_as<std::optional<Violation>>;
};

// A checker that checks a successor against its parent more cheaply than
// check_state (props::Checker: only the invariants whose bytes the step
// changed).
template <class C>
concept ChecksSuccessors = Checker<C> && requires(C& c, const uint8_t* s) {
    { c.check_successor(s, s) } -> std::same_as<std::optional<Violation>>;
};

// The invariants of a new state reached from `parent`, in which they all
// hold: every state a search expands is one, since expanding stops at the
// end of the level where the first violation is found, at the latest.
template <Checker C>
std::optional<Violation> check_new_state(C& c, const uint8_t* parent, const uint8_t* s)
{
    if constexpr (ChecksSuccessors<C>)
        return c.check_successor(parent, s);
    else
        return c.check_state(s);
}

struct Limits {
    uint64_t max_states = 0;    // 0: none
    uint64_t memory_bytes = 0;  // 0: none
    double seconds = 0;         // 0: none
    // memory_bytes is the default budget (a share of the memory available),
    // not a --memory the user gave: said so when it stops a search.
    bool memory_is_default = false;
};

// How a search stopped by the memory limit says so.
inline std::string memory_limit_text(const Limits& l)
{
    const std::string mib = l.memory_bytes >= (1u << 20) ? std::to_string(l.memory_bytes >> 20) + " MiB"
                                                          : std::to_string(l.memory_bytes >> 10) + " KiB";
    return l.memory_is_default ? "the memory budget (" + mib + ", a share of the memory available; --memory sets it)"
                               : "--memory " + mib;
}

// "--time 2.5 s" (whole seconds without a fraction).
inline std::string time_limit_text(const Limits& l)
{
    char buf[48];
    std::snprintf(buf, sizeof buf, "--time %g s", l.seconds);
    return buf;
}

// exact: every state's bytes are kept; the only mode that may say "holds".
// compact: 64-bit fingerprints of the states (hash compaction); two states
// with one fingerprint are taken for one, so a state may be missed.
// bitstate: k bits per state in a bit array; a state whose bits are all set
// already is taken as seen. Both lossy modes keep the full states of the
// level being expanded and the next one only, and a parent index and step
// number per state to rebuild a counterexample by replaying the steps.
enum class Mode { exact, compact, bitstate };

// Partial-order reduction: the model's choice of an ample set (for the
// kernel, kernel/por.hpp). Given a state, its successors in the model's
// order (labels[i], bytes at next + i * state_size) sets in[i] for the ample
// steps and returns true, or returns false: expand fully. The choice must
// depend on the state alone (the parallel search relies on it). The search
// adds the cycle proviso (C3): a state is expanded fully when one of its
// ample successors lies in an earlier BFS level or its own (explorer.hpp).
// Partial-order reduction gives up where it does not pay for itself: at a
// level boundary, once at least por_probe_states states are expanded, when
// fewer than 1 in 100 of them had an ample set, every later state is
// expanded fully (always sound: the full set is a trivial ample set). The
// decision reads completed levels only, so every thread count takes it at
// the same depth.
inline constexpr uint64_t por_probe_states = 20000;
inline bool por_gives_up(uint64_t expanded, uint64_t ample)
{
    return expanded >= por_probe_states && ample * 100 < expanded;
}

class Reduction {
public:
    virtual ~Reduction() = default;
    virtual bool ample(const uint8_t* s, size_t n, const Label* labels, const uint8_t* next, uint8_t* in) const = 0;
    // false: only states without an enabled step matter (deadlock checks),
    // which ample sets with C0 and C1 keep without any proviso.
    virtual bool proviso() const { return true; }
};

// Exact mode's visited set. flat: every state's bytes, its parent and label
// (state_store.hpp). tree: tree compression, about 13 to 16 bytes a state,
// no parents (tree_store.hpp); the same results.
enum class StoreKind { flat, tree };

// The one-thread lossy search keeps this much of a level's states in
// memory, and the rest in a temporary file (level_queue.hpp).
inline constexpr uint64_t default_level_memory = uint64_t(64) << 20;

struct Options {
    unsigned threads = 1;          // > 1: the level-synchronous parallel search (every mode)
    Mode mode = Mode::exact;
    StoreKind store = StoreKind::flat;   // exact mode
    uint64_t bitstate_bytes = 0;   // bitstate: the bit array (0: half the memory limit, at most 512 MiB)
    unsigned hash_functions = 3;   // bitstate: bits per state
    const Reduction* reduction = nullptr;   // null: every state is expanded fully
    // One-thread lossy modes: the bytes of a level's states kept in
    // memory; the rest go to a temporary file (0: all in memory).
    uint64_t level_memory = default_level_memory;
};

struct Stats {
    uint64_t states = 0;
    uint64_t transitions = 0;
    uint32_t depth = 0;           // BFS levels completed or reached
    uint64_t terminal_states = 0; // states with no enabled step
    double seconds = 0;
    uint64_t store_bytes = 0;     // visited set, parents, labels (lossy: and the peak of the level queues; at their largest)
    uint64_t disk_bytes = 0;      // lossy modes: the trail of the levels expanded, in a temporary file
    uint64_t level_disk_bytes = 0;   // one-thread lossy modes: the states of the widest levels, in temporary files
    uint64_t peak_rss_bytes = 0;
    size_t state_size = 0;
    unsigned threads = 1;         // threads that searched
    // Lossy, several threads: the depths (from, to) searched on one thread,
    // where the levels would not fit in memory on several (lossy_parallel.hpp).
    std::vector<std::pair<uint32_t, uint32_t>> one_thread_levels;
    Mode mode = Mode::exact;
    StoreKind store = StoreKind::flat;   // exact mode's
    uint64_t tree_nodes = 0;      // tree store: inner nodes, roots included
    // Lossy modes: an upper bound on the probability that some state was
    // missed (taken for one seen before). compact: n^2 / 2^65 (birthday
    // bound over n 64-bit fingerprints). bitstate: the sum over the n
    // insertions of (1 - e^(-k i / m))^k (union bound; it is also the
    // expected number of wrongly rejected states).
    double omission_bound = 0;
    uint64_t bitstate_bits = 0;   // m
    unsigned hash_functions = 0;  // k
    double bits_set = 0;          // fraction of the m bits set at the end
    // Partial-order reduction: whether it ran, the states expanded with an
    // ample set only, and those whose ample set the cycle proviso refused.
    bool por = false;
    uint64_t ample_states = 0;
    uint64_t proviso_full = 0;
    uint32_t por_gave_up_at = 0;   // nonzero: the depth from which every state was expanded fully (por_gives_up)

    double states_per_second() const { return seconds > 0 ? double(states) / seconds : 0; }
    double bytes_per_state() const { return states ? double(store_bytes) / double(states) : 0; }
};

// holds: an exhaustive exact search found no violation. no_violation_found:
// a lossy search ran to its end without a violation (not a proof).
enum class Verdict { holds, violated, incomplete, no_violation_found };

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

// A path from the initial state: states[0] is the initial state, states[i]
// the state after step labels[i] (labels[0] is meaningless).
struct Path {
    std::vector<std::vector<uint8_t>> states;
    std::vector<Label> labels;
};

}  // namespace pxc::explorer
