// Unit tests of the generic explorer on toy models whose state and transition
// counts are derived by hand (each derivation is a one-line comment).
#include <doctest/doctest.h>
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "explorer/explorer.hpp"
#include "explorer/memory.hpp"
#include "explorer/state_store.hpp"
#include "toy_models.hpp"

using namespace pxc::explorer;

namespace {

// One byte 0..n; label k adds k, enabled while the result stays <= n.
struct Counter {
    uint8_t n;
    std::vector<uint8_t> steps;
    size_t state_size() const { return 1; }
    void initial_state(uint8_t* out) const { out[0] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        for (uint8_t k : steps)
            if (s[0] + k <= n) {
                const uint8_t next = uint8_t(s[0] + k);
                cb(Label(k), &next);
            }
    }
};

using toy::TwoCounters;

// A binary tree on one byte: v -> 2v+1, 2v+2 while <= 6; leaves 3, 4, 5, 6.
struct Tree {
    size_t state_size() const { return 1; }
    void initial_state(uint8_t* out) const { out[0] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        for (uint8_t c = 1; c <= 2; ++c)
            if (2 * s[0] + c <= 6) {
                const uint8_t next = uint8_t(2 * s[0] + c);
                cb(Label(c), &next);
            }
    }
};

// 0 -> 1 -> 1 -> ...: state 1's only step loops back to itself.
struct SelfLoop {
    size_t state_size() const { return 1; }
    void initial_state(uint8_t* out) const { out[0] = 0; }
    template <class F>
    void for_each_successor(const uint8_t*, F&& cb) const
    {
        const uint8_t one = 1;
        cb(Label(0), &one);
    }
};

// A 16-bit counter 0..65535 stepping +1: 65536 states in a line.
struct Wide {
    size_t state_size() const { return 2; }
    void initial_state(uint8_t* out) const { out[0] = out[1] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        uint16_t v;
        std::memcpy(&v, s, 2);
        if (v == UINT16_MAX)
            return;
        ++v;
        uint8_t next[2];
        std::memcpy(next, &v, 2);
        cb(Label(1), next);
    }
};

// Records every call; optionally flags one byte value as bad, either as an
// invariant (check_state) or at a terminal state (check_deadlock).
struct Recorder {
    std::optional<uint8_t> bad_state, bad_terminal;
    std::vector<uint8_t> checked, terminals;
    std::optional<Violation> check_state(const uint8_t* s)
    {
        checked.push_back(s[0]);
        if (bad_state && s[0] == *bad_state)
            return Violation{"value", "reached " + std::to_string(s[0])};
        return std::nullopt;
    }
    std::optional<Violation> check_deadlock(const uint8_t* s)
    {
        terminals.push_back(s[0]);
        if (bad_terminal && s[0] == *bad_terminal)
            return Violation{"end", "stuck at " + std::to_string(s[0])};
        return std::nullopt;
    }
};

template <class M>
Result explore(const M& model, Recorder& checker, Limits limits = {})
{
    Explorer<M, Recorder> e(model, checker, limits, false);
    return e.run();
}

std::vector<uint8_t> bytes(uint32_t i)
{
    std::vector<uint8_t> b(4);
    std::memcpy(b.data(), &i, 4);
    return b;
}

}  // namespace

TEST_CASE("a bounded counter with steps of one and two reaches every value once and ends only at the bound")
{
    Recorder checker;
    const Result r = explore(Counter{10, {1, 2}}, checker);
    CHECK(r.verdict == Verdict::holds);
    CHECK_FALSE(r.finding);
    CHECK(r.limit.empty());
    CHECK(r.stats.states == 11u);          // the values 0..10
    CHECK(r.stats.transitions == 19u);     // +1 from 0..9 (10) plus +2 from 0..8 (9)
    CHECK(r.stats.depth == 5u);            // 10 needs ceil(10/2) = 5 steps of two
    CHECK(r.stats.terminal_states == 1u);  // only 10 has neither step enabled
    CHECK(checker.checked.size() == 11u);  // check_state once per new state
    CHECK(checker.terminals == std::vector<uint8_t>{10});
}

TEST_CASE("two independent two-bit counters interleave into a four by four grid")
{
    Recorder checker;
    const Result r = explore(TwoCounters{}, checker);
    CHECK(r.verdict == Verdict::holds);
    CHECK(r.stats.states == 16u);          // 4 values x 4 values
    CHECK(r.stats.transitions == 24u);     // 2 counters x 3 increments x 4 values of the other
    CHECK(r.stats.depth == 6u);            // (0,0) to (3,3) takes 3 + 3 increments
    CHECK(r.stats.terminal_states == 1u);  // only (3,3)
    CHECK(r.stats.state_size == 2u);
}

TEST_CASE("breadth-first search reports a shortest path to an invariant violation")
{
    Recorder checker;
    checker.bad_state = 7;
    const Counter model{20, {1, 3}};
    Explorer<Counter, Recorder> e(model, checker, {}, false);
    const Result r = e.run();
    REQUIRE(r.verdict == Verdict::violated);
    REQUIRE(r.finding);
    CHECK_FALSE(r.finding->at_terminal);
    CHECK(r.finding->violation.property == "value");
    CHECK(*e.state(r.finding->state) == 7);
    CHECK(r.stats.depth == 3u);            // 7 = 3 + 3 + 1, and two steps reach at most 6

    const std::vector<uint32_t> path = e.path_to(r.finding->state);
    REQUIRE(path.size() == 4u);            // the initial state plus 3 steps
    CHECK(*e.state(path.front()) == 0);
    for (size_t i = 1; i < path.size(); ++i) {
        const Label l = e.label(path[i]);
        CHECK((l == 1 || l == 3));
        CHECK(*e.state(path[i]) == *e.state(path[i - 1]) + l);  // each pair is a real step
    }
    // BFS order: 0; 1, 3; 2, 4, 6; then 2 -> 5, 4 -> 7, so the path is 0, 1, 4, 7.
    std::vector<int> values;
    for (uint32_t s : path)
        values.push_back(*e.state(s));
    CHECK(values == std::vector<int>{0, 1, 4, 7});
    CHECK(r.stats.states == 8u);           // 0, 1, 3, 2, 4, 6, 5, 7 when 7 is found
    CHECK(r.stats.transitions == 10u);     // 0, 1, 3, 2, 4 expanded, two steps each
}

TEST_CASE("a violating initial state is reported at depth zero without exploring")
{
    Recorder checker;
    checker.bad_state = 0;
    const Result r = explore(Counter{10, {1}}, checker);
    REQUIRE(r.verdict == Verdict::violated);
    CHECK(r.finding->state == 0u);
    CHECK(r.stats.states == 1u);
    CHECK(r.stats.transitions == 0u);
    CHECK(r.stats.depth == 0u);
}

TEST_CASE("check_deadlock is called exactly once on each state without successors")
{
    Recorder checker;
    const Result r = explore(Tree{}, checker);
    CHECK(r.verdict == Verdict::holds);
    CHECK(r.stats.states == 7u);           // 0..6
    CHECK(r.stats.transitions == 6u);      // every state but the root has one parent edge
    CHECK(r.stats.depth == 2u);            // 0 -> 1, 2 -> 3..6
    CHECK(r.stats.terminal_states == 4u);  // the leaves 3, 4, 5, 6
    CHECK(checker.terminals == std::vector<uint8_t>{3, 4, 5, 6});
}

TEST_CASE("a state whose only step loops to itself is not terminal")
{
    Recorder checker;
    const Result r = explore(SelfLoop{}, checker);
    CHECK(r.verdict == Verdict::holds);
    CHECK(r.stats.states == 2u);           // 0 and 1
    CHECK(r.stats.transitions == 2u);      // 0 -> 1 and 1 -> 1
    CHECK(r.stats.terminal_states == 0u);
    CHECK(checker.terminals.empty());
}

TEST_CASE("a violation returned by check_deadlock is reported at the terminal state")
{
    Recorder checker;
    checker.bad_terminal = 5;
    const Tree model;
    Explorer<Tree, Recorder> e(model, checker, {}, false);
    const Result r = e.run();
    REQUIRE(r.verdict == Verdict::violated);
    REQUIRE(r.finding);
    CHECK(r.finding->at_terminal);
    CHECK(r.finding->violation.property == "end");
    CHECK(*e.state(r.finding->state) == 5);
    CHECK(e.path_to(r.finding->state).size() == 3u);  // 0 -> 2 -> 5
    CHECK(r.stats.depth == 2u);
    CHECK(checker.terminals == std::vector<uint8_t>{3, 4, 5});  // BFS order; stops at 5
    CHECK(r.stats.terminal_states == 3u);
}

TEST_CASE("a state limit stops the search as incomplete, never as holding")
{
    Recorder checker;
    const Result r = explore(Counter{100, {1, 2}}, checker, Limits{.max_states = 10});
    CHECK(r.verdict == Verdict::incomplete);
    CHECK_FALSE(r.limit.empty());
    CHECK_FALSE(r.finding);
    CHECK(r.stats.states == 10u);          // the store is filled exactly to the limit
}

TEST_CASE("a state limit equal to the number of states lets the search complete")
{
    Recorder full, short_by_one;
    // Counter{10, {1, 2}} has exactly 11 states (see the first test).
    CHECK(explore(Counter{10, {1, 2}}, full, Limits{.max_states = 11}).verdict == Verdict::holds);
    const Result r = explore(Counter{10, {1, 2}}, short_by_one, Limits{.max_states = 10});
    CHECK(r.verdict == Verdict::incomplete);
    CHECK(r.stats.states == 10u);
}

TEST_CASE("a memory limit of a few KiB stops the search as incomplete")
{
    Recorder checker;
    const Result r = explore(Counter{100, {1, 2}}, checker, Limits{.memory_bytes = 4096});
    CHECK(r.verdict == Verdict::incomplete);
    CHECK_FALSE(r.limit.empty());
    CHECK(r.stats.states == 1u);           // the empty store's table alone is 512 KiB
}

TEST_CASE("a generous memory limit does not stop a small search")
{
    Recorder checker;
    const Result r = explore(TwoCounters{}, checker, Limits{.memory_bytes = 1ull << 30});
    CHECK(r.verdict == Verdict::holds);
    CHECK(r.stats.states == 16u);
}

TEST_CASE("a time limit of a nanosecond stops a big search as incomplete")
{
    Recorder checker;
    const Result r = explore(Wide{}, checker, Limits{.seconds = 1e-9});
    CHECK(r.verdict == Verdict::incomplete);
    CHECK_FALSE(r.limit.empty());
    CHECK(r.stats.states < 65536u);        // the whole line is 65536 states
}

TEST_CASE("the state store deduplicates identical bytes and records parent and label")
{
    StateStore store(4);
    const auto a = bytes(1), b = bytes(2);
    CHECK(store.insert(a.data(), no_parent, 0) == std::pair<uint32_t, bool>{0, true});
    CHECK(store.insert(b.data(), 0, 42) == std::pair<uint32_t, bool>{1, true});
    CHECK(store.insert(a.data(), 1, 7) == std::pair<uint32_t, bool>{0, false});
    CHECK(store.insert(b.data(), 0, 9) == std::pair<uint32_t, bool>{1, false});
    CHECK(store.count() == 2u);
    CHECK(store.parent(0) == no_parent);
    CHECK(store.parent(1) == 0u);
    CHECK(store.label(1) == 42u);          // the first insertion's label stays
    CHECK(std::memcmp(store.state(1), b.data(), 4) == 0);
    CHECK(store.state_size() == 4u);
    CHECK(store.contains(a.data()));
    CHECK_FALSE(store.contains(bytes(3).data()));
    CHECK(store.count() == 2u);            // contains never inserts
}

TEST_CASE("the state store keeps every state findable across table and arena growth")
{
    constexpr uint32_t n = 200000;         // > 3 arena chunks of 65536 and several table doublings
    StateStore store(4);
    uint32_t fresh = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const auto [idx, inserted] = store.insert(bytes(i).data(), i ? i - 1 : no_parent, Label(i) * 3);
        fresh += inserted && idx == i;
    }
    CHECK(fresh == n);
    CHECK(store.count() == n);
    uint32_t reinserted = 0, misplaced = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const auto [idx, inserted] = store.insert(bytes(i).data(), 0, 0);
        reinserted += inserted;
        misplaced += idx != i || store.parent(i) != (i ? i - 1 : no_parent) || store.label(i) != Label(i) * 3 ||
                     std::memcmp(store.state(i), bytes(i).data(), 4) != 0;
    }
    CHECK(store.contains(bytes(n - 1).data()));
    CHECK_FALSE(store.contains(bytes(n).data()));
    CHECK(reinserted == 0u);
    CHECK(misplaced == 0u);
    CHECK(store.count() == n);
}

TEST_CASE("parse_size reads K, M and G suffixes and takes a bare number as MiB")
{
    CHECK(parse_size("512M") == 512ull << 20);
    CHECK(parse_size("2G") == 2ull << 30);
    CHECK(parse_size("100K") == 100ull << 10);
    CHECK(parse_size("1024") == 1024ull << 20);
    CHECK(parse_size("3GiB") == 3ull << 30);
}

TEST_CASE("parse_size rejects malformed and overflowing sizes")
{
    for (const char* bad : {"", "M", "abc", "12X", "-5", "1.5G", "2 G", "99999999999999999999999", "17179869184G"})
        CHECK_MESSAGE(!parse_size(bad), std::string(bad));  // 17179869184G = 2^34 GiB = 2^64 bytes
}

TEST_CASE("statistics after a run report state size, bytes per state and throughput")
{
    Recorder checker;
    const Result r = explore(TwoCounters{}, checker);
    CHECK(r.stats.state_size == 2u);
    CHECK(r.stats.store_bytes > 0u);
    CHECK(r.stats.bytes_per_state() > 0);
    CHECK(r.stats.seconds > 0);
    CHECK(r.stats.states_per_second() > 0);
    CHECK(r.stats.peak_rss_bytes > 0u);
}

// ---------------------------------------------------------------------------
// Order::cheapest_shortest: among the shortest violations, the cheapest path.

namespace {

// Two counters 0..n; label 0 increments a, label 1 increments b. The step
// cost is a function of (label, a, b) before the step.
struct Grid {
    uint8_t n;
    StepCost (*price)(Label, uint8_t a, uint8_t b);
    size_t state_size() const { return 2; }
    void initial_state(uint8_t* out) const { out[0] = out[1] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        for (int i = 0; i < 2; ++i)
            if (s[i] < n) {
                uint8_t next[2] = {s[0], s[1]};
                ++next[i];
                cb(Label(i), next);
            }
    }
    StepCost step_cost(Label l, const uint8_t* before, const uint8_t*) const { return price(l, before[0], before[1]); }
};

// Flags states by (a, b): bad(a, b) is an invariant violation.
struct GridChecker {
    bool (*bad)(uint8_t a, uint8_t b);
    std::optional<Violation> check_state(const uint8_t* s)
    {
        if (bad(s[0], s[1]))
            return Violation{"bad", std::to_string(s[0]) + "," + std::to_string(s[1])};
        return std::nullopt;
    }
    std::optional<Violation> check_deadlock(const uint8_t*) { return std::nullopt; }
};

std::vector<std::pair<int, int>> grid_path(const Explorer<Grid, GridChecker>& e, uint32_t state)
{
    std::vector<std::pair<int, int>> out;
    for (uint32_t s : e.path_to(state))
        out.emplace_back(e.state(s)[0], e.state(s)[1]);
    return out;
}

// 0 -> 1, 2; 1 -> 3; 2 and 3 have no step.
struct Fork {
    size_t state_size() const { return 1; }
    void initial_state(uint8_t* out) const { out[0] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        const uint8_t one = 1, two = 2, three = 3;
        if (s[0] == 0) {
            cb(Label(0), &one);
            cb(Label(1), &two);
        } else if (s[0] == 1) {
            cb(Label(0), &three);
        }
    }
    StepCost step_cost(Label, const uint8_t*, const uint8_t*) const { return {}; }
};

}  // namespace

TEST_CASE("cheapest_shortest re-parents a state reached at its own depth by a cheaper path")
{
    // Incrementing a while b == 0 costs one; (1,1) is bad. BFS reaches it
    // first via (1,0) (cost 1); the path via (0,1) costs nothing.
    const Grid model{2, [](Label l, uint8_t, uint8_t b) { return StepCost{uint8_t(l == 0 && b == 0), 0}; }};
    GridChecker checker{[](uint8_t a, uint8_t b) { return a == 1 && b == 1; }};

    Explorer<Grid, GridChecker> bfs(model, checker, {}, false, Order::shortest);
    const Result rb = bfs.run();
    REQUIRE(rb.finding);
    CHECK(grid_path(bfs, rb.finding->state) == std::vector<std::pair<int, int>>{{0, 0}, {1, 0}, {1, 1}});

    Explorer<Grid, GridChecker> cheap(model, checker, {}, false, Order::cheapest_shortest);
    const Result rc = cheap.run();
    REQUIRE(rc.finding);
    CHECK(grid_path(cheap, rc.finding->state) == std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 1}});
    CHECK(cheap.label(rc.finding->state) == 0u);   // the last step is now "a++" from (0,1)
    CHECK(cheap.cost(rc.finding->state).major == 0);
    CHECK(rc.stats.depth == 2u);
}

TEST_CASE("cheapest_shortest finishes the level and prefers a cheaper violating state found later in it")
{
    // Every a++ costs one; a + b == 2 is bad. BFS stops at (2,0), found
    // first; (0,2) is as short and free.
    const Grid model{3, [](Label l, uint8_t, uint8_t) { return StepCost{uint8_t(l == 0), 0}; }};
    GridChecker checker{[](uint8_t a, uint8_t b) { return a + b == 2; }};

    Explorer<Grid, GridChecker> bfs(model, checker, {}, false, Order::shortest);
    const Result rb = bfs.run();
    REQUIRE(rb.finding);
    CHECK(bfs.state(rb.finding->state)[0] == 2);
    CHECK(rb.stats.states == 4u);          // (0,0) (1,0) (0,1) (2,0): stops at the first

    Explorer<Grid, GridChecker> cheap(model, checker, {}, false, Order::cheapest_shortest);
    const Result rc = cheap.run();
    REQUIRE(rc.finding);
    CHECK(grid_path(cheap, rc.finding->state) == std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {0, 2}});
    CHECK(rc.stats.states == 6u);          // all of depth 2 is built, none of it expanded
    CHECK(rc.stats.depth == 2u);
}

TEST_CASE("cheapest_shortest compares the first counter before the second")
{
    // a++ costs (1, 0), b++ costs (0, 1); a + b == 3 is bad: (0,3) costs
    // (0, 3) and beats (1,2) at (1, 2), although both sum to 3.
    const Grid model{3, [](Label l, uint8_t, uint8_t) { return l == 0 ? StepCost{1, 0} : StepCost{0, 1}; }};
    GridChecker checker{[](uint8_t a, uint8_t b) { return a + b == 3; }};
    Explorer<Grid, GridChecker> cheap(model, checker, {}, false, Order::cheapest_shortest);
    const Result r = cheap.run();
    REQUIRE(r.finding);
    CHECK(cheap.state(r.finding->state)[0] == 0);
    CHECK(cheap.state(r.finding->state)[1] == 3);
    CHECK(cheap.cost(r.finding->state).major == 0);
    CHECK(cheap.cost(r.finding->state).minor == 3);
}

TEST_CASE("cheapest_shortest prefers a shorter violation at a terminal state to a deeper one found before it")
{
    Recorder checker;
    checker.bad_state = 3;      // depth 2, found while expanding 1
    checker.bad_terminal = 2;   // depth 1, found when 2 is expanded, after
    const Fork model;
    Explorer<Fork, Recorder> e(model, checker, {}, false, Order::cheapest_shortest);
    const Result r = e.run();
    REQUIRE(r.finding);
    CHECK(*e.state(r.finding->state) == 2);
    CHECK(r.finding->at_terminal);
    CHECK(r.stats.depth == 1u);
}

TEST_CASE("both orders visit the same states and transitions when the properties hold")
{
    const Grid model{3, [](Label l, uint8_t, uint8_t) { return StepCost{uint8_t(l), uint8_t(1 - l)}; }};
    GridChecker c1{[](uint8_t, uint8_t) { return false; }}, c2 = c1;
    Explorer<Grid, GridChecker> bfs(model, c1, {}, false, Order::shortest);
    Explorer<Grid, GridChecker> cheap(model, c2, {}, false, Order::cheapest_shortest);
    const Result a = bfs.run(), b = cheap.run();
    CHECK(a.verdict == Verdict::holds);
    CHECK(b.verdict == Verdict::holds);
    CHECK(a.stats.states == 16u);
    CHECK(b.stats.states == 16u);
    CHECK(a.stats.transitions == b.stats.transitions);
    CHECK(b.stats.store_bytes > a.stats.store_bytes);   // the two cost bytes per state
}

TEST_CASE("a model without step_cost explores in plain BFS order under cheapest_shortest")
{
    Recorder checker;
    checker.bad_state = 7;
    const Counter model{20, {1, 3}};
    Explorer<Counter, Recorder> e(model, checker, {}, false, Order::cheapest_shortest);
    const Result r = e.run();
    REQUIRE(r.finding);
    std::vector<int> values;
    for (uint32_t s : e.path_to(r.finding->state))
        values.push_back(*e.state(s));
    CHECK(values == std::vector<int>{0, 1, 4, 7});   // as in the BFS test above
    CHECK(r.stats.states == 8u);
}

TEST_CASE("path costs saturate per counter and compare lexicographically when packed")
{
    CHECK(add_cost(0x0100, {0, 1}) == 0x0101);
    CHECK(add_cost(0xFFFE, {1, 5}) == 0xFFFF);         // both counters stop at 255
    CHECK(add_cost(0x00FF, {1, 0}) == 0x01FF);         // a full minor does not carry into major
    CHECK(add_cost(0, {0, 200}) < add_cost(0, {1, 0}));
    CHECK(unpack_cost(0x0203).major == 2);
    CHECK(unpack_cost(0x0203).minor == 3);
}

TEST_CASE("the state store keeps a cost beside each state, through arena growth and re-parenting")
{
    StateStore store(4);
    store.enable_costs();
    CHECK(store.has_costs());
    constexpr uint32_t n = 70000;          // more than one arena chunk
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t idx = store.insert(bytes(i).data(), i ? i - 1 : no_parent, 1).first;
        store.set_cost(idx, PathCost(i & 0xFFFF));
    }
    store.reparent(65537, 3, 99, 7);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n; ++i)
        wrong += std::memcmp(store.state(i), bytes(i).data(), 4) != 0 ||
                 store.cost(i) != (i == 65537 ? 7 : PathCost(i & 0xFFFF));
    CHECK(wrong == 0u);
    CHECK(store.parent(65537) == 3u);
    CHECK(store.label(65537) == 99u);
    CHECK(store.insert(bytes(65537).data(), 0, 0) == std::pair<uint32_t, bool>{65537, false});
    StateStore plain(4);
    CHECK_FALSE(plain.has_costs());
}

// ---------------------------------------------------------------------------
// Threads: the parallel search reproduces the one-thread search exactly.

namespace {

// Four counters 0..n-1; label i adds 1 to counter i & 3, label 4 + i adds 2;
// enabled while the counter stays below n (so only (n-1,n-1,n-1,n-1) is
// terminal). Many paths merge into each state, with different costs, so
// that parents, ties and the level order all matter. n = 17: 83,521 states
// (two arena chunks and a few table doublings).
struct Lattice {
    uint8_t n;
    size_t state_size() const { return 4; }
    void initial_state(uint8_t* out) const { std::memset(out, 0, 4); }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        for (int i = 0; i < 8; ++i) {
            const int k = i & 3, add = i < 4 ? 1 : 2;
            if (s[k] + add >= n)
                continue;
            uint8_t next[4] = {s[0], s[1], s[2], s[3]};
            next[k] = uint8_t(next[k] + add);
            cb(Label(i), next);
        }
    }
    StepCost step_cost(Label l, const uint8_t* before, const uint8_t*) const
    {
        return {uint8_t((l + before[0] + before[3]) % 3 == 0), uint8_t(l >= 4)};
    }
};

// Lattice{n} with `pad` more bytes per state, all zero: the same graph,
// wider levels in memory.
struct PaddedLattice {
    Lattice base;
    size_t pad;
    size_t state_size() const { return 4 + pad; }
    void initial_state(uint8_t* out) const { std::memset(out, 0, state_size()); }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        std::vector<uint8_t> next(state_size(), 0);
        base.for_each_successor(s, [&](Label l, const uint8_t* n) {
            std::memcpy(next.data(), n, 4);
            cb(l, next.data());
        });
    }
    StepCost step_cost(Label l, const uint8_t* before, const uint8_t* after) const
    {
        return base.step_cost(l, before, after);
    }
};

// Two bytes (depth, value): 100 steps from every state to (depth + 1,
// (7 * value + step) % 251), up to depth 4. A parent with more than 64 steps
// makes the parallel search rank its level by sorting.
struct Fan {
    size_t state_size() const { return 2; }
    void initial_state(uint8_t* out) const { out[0] = out[1] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        if (s[0] == 4)
            return;
        for (int k = 0; k < 100; ++k) {
            const uint8_t next[2] = {uint8_t(s[0] + 1), uint8_t((7 * s[1] + k) % 251)};
            cb(Label(k), next);
        }
    }
    StepCost step_cost(Label l, const uint8_t*, const uint8_t*) const { return {uint8_t(l % 3 == 1), 0}; }
};

// A checker without state, safe to call from several threads.
struct Flags {
    bool (*bad)(const uint8_t*) = nullptr;
    bool (*bad_end)(const uint8_t*) = nullptr;
    std::optional<Violation> check_state(const uint8_t* s) const
    {
        if (bad && bad(s))
            return Violation{"bad", "state"};
        return std::nullopt;
    }
    std::optional<Violation> check_deadlock(const uint8_t* s) const
    {
        if (bad_end && bad_end(s))
            return Violation{"bad_end", "terminal"};
        return std::nullopt;
    }
};

// Everything a search reports, with the counterexample as state bytes.
struct Summary {
    Verdict verdict;
    uint64_t states, transitions, terminals;
    uint32_t depth;
    bool at_terminal = false;
    std::string property;
    std::vector<std::vector<uint8_t>> path;
    std::vector<Label> labels;
    bool operator==(const Summary&) const = default;
};

// What run() returned, and the counterexample's path.
template <class M>
Summary summary_of(const Explorer<M, Flags>& e, const Result& r)
{
    Summary s{};
    s.verdict = r.verdict;
    s.states = r.stats.states;
    s.transitions = r.stats.transitions;
    s.terminals = r.stats.terminal_states;
    s.depth = r.stats.depth;
    if (r.finding) {
        s.at_terminal = r.finding->at_terminal;
        s.property = r.finding->violation.property;
        Path p = e.path(r.finding->state);
        s.path = p.states;
        s.labels = p.labels;
    }
    return s;
}

template <class M>
Summary summarize(const M& model, Flags checker, Order order, Options options, Limits limits = {})
{
    Explorer<M, Flags> e(model, checker, limits, false, order, options);
    const Result r = e.run();
    return summary_of(e, r);
}

Options threads(unsigned n, StoreKind store = StoreKind::flat) { return Options{.threads = n, .store = store}; }

// Every thread count, with either store, reports what the flat store reports on one thread.
template <class M>
void check_thread_invariance(const M& model, Flags checker)
{
    for (Order order : {Order::shortest, Order::cheapest_shortest}) {
        const Summary one = summarize(model, checker, order, threads(1));
        for (const auto& [t, store] : {std::pair{2u, StoreKind::flat}, {3u, StoreKind::flat}, {4u, StoreKind::flat},
                                       {8u, StoreKind::flat}, {1u, StoreKind::tree}, {2u, StoreKind::tree},
                                       {3u, StoreKind::tree}, {8u, StoreKind::tree}}) {
            CAPTURE(t);
            CAPTURE(int(store));
            CAPTURE(int(order));
            const Summary many = summarize(model, checker, order, threads(t, store));
            CHECK(many.verdict == one.verdict);
            CHECK(many.states == one.states);
            CHECK(many.transitions == one.transitions);
            CHECK(many.terminals == one.terminals);
            CHECK(many.depth == one.depth);
            CHECK(many.property == one.property);
            CHECK(many.path == one.path);
            CHECK(many.labels == one.labels);
        }
    }
}

}  // namespace

TEST_CASE("every thread count visits the same states and transitions as one thread")
{
    check_thread_invariance(Counter{200, {1, 2, 3}}, {});
    check_thread_invariance(TwoCounters{}, {});
    check_thread_invariance(Tree{}, {});
    check_thread_invariance(SelfLoop{}, {});
    check_thread_invariance(Counter{250, {1}}, {});   // 250 levels of one state
    check_thread_invariance(Lattice{17}, {});
    const Summary s = summarize(Lattice{20}, {}, Order::cheapest_shortest, threads(4));
    CHECK(s.verdict == Verdict::holds);
    CHECK(s.states == 160000u);           // 20^4
    CHECK(s.terminals == 1u);
    CHECK(s.depth == 40u);                // 19 per counter: 9 steps of two and one of one, x 4
}

TEST_CASE("every thread count reports the one-thread counterexample and statistics")
{
    // Many violating states at one depth, reached by paths of equal and of
    // different costs: the choice among them and of their parents is the
    // one-thread choice, and --shortest-only's statistics stop where one
    // thread stops.
    check_thread_invariance(Lattice{20},
                            {[](const uint8_t* s) { return s[0] + s[1] + s[2] + s[3] == 23 && s[1] == s[2]; }});
    check_thread_invariance(Lattice{20}, {[](const uint8_t* s) { return s[3] == 9 && s[0] > 4; }});
    check_thread_invariance(Lattice{6}, {nullptr, [](const uint8_t*) { return true; }});   // the one terminal state
    check_thread_invariance(Counter{20, {1, 3}}, {[](const uint8_t* s) { return s[0] == 7; }});
    check_thread_invariance(Fan{}, {});
    check_thread_invariance(Fan{}, {[](const uint8_t* s) { return s[0] == 3 && s[1] % 50 == 17; }});
    check_thread_invariance(Tree{}, {nullptr, [](const uint8_t* s) { return s[0] == 5; }});
    check_thread_invariance(Fork{},
                            {[](const uint8_t* s) { return s[0] == 3; }, [](const uint8_t* s) { return s[0] == 2; }});
    // A violating initial state.
    check_thread_invariance(Counter{5, {1}}, {[](const uint8_t* s) { return s[0] == 0; }});
}

TEST_CASE("cheapest_shortest on many threads re-parents to the cheapest, first-found parent")
{
    // The grid of the one-thread tests above: the same paths on 4 threads.
    const Grid model{2, [](Label l, uint8_t, uint8_t b) { return StepCost{uint8_t(l == 0 && b == 0), 0}; }};
    GridChecker checker{[](uint8_t a, uint8_t b) { return a == 1 && b == 1; }};
    Explorer<Grid, GridChecker> cheap(model, checker, {}, false, Order::cheapest_shortest, threads(4));
    const Result rc = cheap.run();
    REQUIRE(rc.finding);
    CHECK(grid_path(cheap, rc.finding->state) == std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 1}});
    CHECK(cheap.cost(rc.finding->state).major == 0);
    CHECK(rc.stats.threads == 4u);
}

TEST_CASE("limits stop a search on many threads as incomplete, never as holding")
{
    const Lattice model{20};
    Flags none;
    Explorer<Lattice, Flags> a(model, none, Limits{.max_states = 1000}, false, Order::cheapest_shortest, threads(4));
    const Result ra = a.run();
    CHECK(ra.verdict == Verdict::incomplete);
    CHECK(ra.limit == "--max-states 1000");
    CHECK(ra.stats.states <= 1000u);       // never more than the limit
    CHECK(ra.stats.states > 0u);

    Explorer<Lattice, Flags> b(model, none, Limits{.memory_bytes = 4096}, false, Order::shortest, threads(3));
    const Result rb = b.run();
    CHECK(rb.verdict == Verdict::incomplete);
    CHECK(rb.limit == "--memory 4 KiB");

    // Enough for the table and a chunk or two, not for 160,000 states.
    Explorer<Lattice, Flags> c(model, none, Limits{.memory_bytes = 3 << 20}, false, Order::shortest, threads(2));
    const Result rc = c.run();
    CHECK(rc.verdict == Verdict::incomplete);
    CHECK(rc.limit == "--memory 3 MiB");
    CHECK(rc.stats.states < 160000u);
    CHECK(rc.stats.store_bytes <= 3u << 20);

    Explorer<Lattice, Flags> d(model, none, Limits{.seconds = 1e-9}, false, Order::shortest, threads(2));
    const Result rd = d.run();
    CHECK(rd.verdict == Verdict::incomplete);
    CHECK(rd.limit == "--time 1e-09 s");
}

namespace {

// Makes the explorer's big allocations fail after `n` more, for one scope.
struct RefuseAllocations {
    explicit RefuseAllocations(long n) { allocations_left = n; }
    ~RefuseAllocations() { allocations_left = -1; }
};

}  // namespace

TEST_CASE("an allocator that refuses ends every kind of search as incomplete (out of memory)")
{
    const Lattice model{17};
    const Options modes[] = {threads(1),
                             threads(4),
                             threads(1, StoreKind::tree),
                             threads(4, StoreKind::tree),
                             Options{.mode = Mode::compact},
                             Options{.mode = Mode::bitstate, .bitstate_bytes = 1 << 20},
                             Options{.threads = 3, .mode = Mode::compact},
                             Options{.threads = 2, .mode = Mode::bitstate, .bitstate_bytes = 1 << 20}};
    for (const Options& o : modes) {
        Flags none;
        Explorer<Lattice, Flags> whole(model, none, {}, false, Order::cheapest_shortest, o);
        const uint64_t all = whole.run().stats.states;   // bitstate may miss a few
        int refused = 0;
        for (long n = 0; n < 12; ++n) {
            CAPTURE(int(o.mode));
            CAPTURE(int(o.store));
            CAPTURE(o.threads);
            CAPTURE(n);
            Result r;
            {
                RefuseAllocations refuse(n);
                Explorer<Lattice, Flags> e(model, none, {}, false, Order::cheapest_shortest, o);
                r = e.run();
            }
            // Either the n allocations were enough, or the search stopped cleanly.
            if (r.verdict == Verdict::incomplete) {
                ++refused;
                CHECK(r.limit == "out of memory");
                CHECK(r.stats.states < all);
            } else {
                CHECK(r.stats.states == all);
            }
            if (n == 0)
                CHECK(r.verdict == Verdict::incomplete);
        }
        CHECK(refused >= 4);
    }
}

// ---------------------------------------------------------------------------
// Lossy modes: compact and bitstate.

// The lossy modes on 1, 2 and 4 threads.
const Options lossy_options[] = {
    {.threads = 1, .mode = Mode::compact},
    {.threads = 1, .mode = Mode::compact, .level_memory = 1},   // a level past its first block on disk
    {.threads = 2, .mode = Mode::compact},
    {.threads = 4, .mode = Mode::compact},
    {.threads = 1, .mode = Mode::bitstate, .bitstate_bytes = 8 << 20},
    {.threads = 1, .mode = Mode::bitstate, .bitstate_bytes = 8 << 20, .level_memory = 1},
    {.threads = 2, .mode = Mode::bitstate, .bitstate_bytes = 8 << 20},
    {.threads = 4, .mode = Mode::bitstate, .bitstate_bytes = 8 << 20},
};

TEST_CASE("compact and bitstate cover what exact mode covers when nothing collides, and never say holds")
{
    for (Order order : {Order::shortest, Order::cheapest_shortest}) {
        const Summary exact = summarize(Lattice{14}, {}, order, threads(1));
        REQUIRE(exact.verdict == Verdict::holds);
        for (const Options& o : lossy_options) {
            CAPTURE(int(o.mode));
            CAPTURE(o.threads);
            Summary s = summarize(Lattice{14}, {}, order, o);
            CHECK(s.verdict == Verdict::no_violation_found);
            s.verdict = Verdict::holds;
            CHECK(s == exact);            // 38,416 states: no fingerprint or bit collision
        }
    }
    for (const Options& o : lossy_options) {
        Flags none;
        const TwoCounters model;
        Explorer<TwoCounters, Flags> e(model, none, {}, false, Order::shortest, o);
        const Result r = e.run();
        CHECK(r.verdict == Verdict::no_violation_found);
        CHECK(r.stats.states == 16u);
        CHECK(r.stats.mode == o.mode);
        CHECK(r.stats.omission_bound > 0);
        CHECK(r.stats.omission_bound < 1e-9);
    }
}

TEST_CASE("a violation found in a lossy mode is the exact mode's counterexample, replayed from its steps")
{
    const Flags cases[] = {
        {[](const uint8_t* s) { return s[0] + s[1] + s[2] + s[3] == 23 && s[1] == s[2]; }},
        {nullptr, [](const uint8_t*) { return true; }},
        {[](const uint8_t* s) { return s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0; }},
    };
    for (const Flags& f : cases)
        for (Order order : {Order::shortest, Order::cheapest_shortest}) {
            const Summary exact = summarize(Lattice{8}, f, order, threads(1));
            REQUIRE(exact.verdict == Verdict::violated);
            for (const Options& o : lossy_options) {
                CAPTURE(int(o.mode));
                CAPTURE(o.threads);
                CAPTURE(int(order));
                CHECK(summarize(Lattice{8}, f, order, o) == exact);
            }
        }
}

TEST_CASE("the parallel lossy modes order a level the one-thread way with more than 64 steps a parent too")
{
    // Fan: 100 steps a parent (the parallel lossy search then sorts the
    // level rather than counting places by parent), Lattice: at most 8.
    const auto fan = [](const Flags& f) {
        for (Order order : {Order::shortest, Order::cheapest_shortest}) {
            Summary exact = summarize(Fan{}, f, order, threads(1));
            for (const Options& o : lossy_options) {
                CAPTURE(int(o.mode));
                CAPTURE(o.threads);
                CAPTURE(int(order));
                Summary s = summarize(Fan{}, f, order, o);
                if (exact.verdict == Verdict::holds) {
                    CHECK(s.verdict == Verdict::no_violation_found);
                    s.verdict = Verdict::holds;
                }
                CHECK(s == exact);
            }
        }
    };
    fan({});
    fan({[](const uint8_t* s) { return s[0] == 3 && s[1] % 50 == 17; }});
    fan({nullptr, [](const uint8_t* s) { return s[1] % 7 == 3; }});
}

TEST_CASE("the lossy modes keep the trail of expanded levels on disk and rebuild the exact counterexample from it")
{
    // 160,000 states: the trail's first chunks (65,536 entries each) are spilled
    // long before the violation, near the bottom of the lattice.
    const Flags f{[](const uint8_t* s) { return s[0] + s[1] + s[2] + s[3] == 70 && s[1] == s[2]; }};
    const Summary exact = summarize(Lattice{20}, f, Order::cheapest_shortest, threads(1));
    REQUIRE(exact.verdict == Verdict::violated);
    for (const Options& o : lossy_options) {
        CAPTURE(int(o.mode));
        CAPTURE(o.threads);
        CHECK(summarize(Lattice{20}, f, Order::cheapest_shortest, o) == exact);
        const Lattice model{20};
        Flags none;
        Explorer ex(model, none, {}, false, Order::shortest, o);
        const Result r = ex.run();
        CHECK(r.stats.states == 160000u);
        CHECK(r.stats.disk_bytes >= 65536u * 6);
        CHECK(r.stats.disk_bytes % (65536u * 6) == 0);
        // The widest levels have up to 10,566 states: their first block
        // (4,096) stays in memory, the second goes to the file when the third
        // begins. The two queues take turns, each with its file of one block.
        if (o.threads == 1 && o.level_memory == 1)
            CHECK(r.stats.level_disk_bytes == 2 * 4096u * 16);
        else
            CHECK(r.stats.level_disk_bytes == 0u);
    }
}

TEST_CASE("a parallel lossy search short of memory hands its widest levels to one thread, with the same result")
{
    // 160,000 states, levels up to 10,566 wide; with a budget of a few MiB the
    // parallel search's level table and buffers stop fitting at some depth,
    // and the one-thread search (its levels past their first blocks on disk)
    // takes over.
    const Flags f{[](const uint8_t* s) { return s[0] + s[1] + s[2] + s[3] == 70 && s[1] == s[2]; }};
    const Lattice model{20};
    struct Case {
        Options options;
        uint64_t from_kib, to_kib;   // the budgets tried (bitstate: its 8 MiB array included)
    };
    const Case cases[] = {{{.threads = 2, .mode = Mode::compact, .level_memory = 1}, 1024, 8192},   // one block in memory
                          {{.threads = 3, .mode = Mode::bitstate, .bitstate_bytes = 8 << 20}, 8704, 15872}};
    for (Order order : {Order::shortest, Order::cheapest_shortest})
        for (bool violating : {false, true}) {
            const Flags none;
            Summary want = summarize(model, violating ? f : none, order, threads(1));
            if (!violating)
                want.verdict = Verdict::no_violation_found;
            for (const Case& c : cases) {
                unsigned handed = 0, stopped = 0, on_disk = 0;
                for (uint64_t kib = c.from_kib; kib <= c.to_kib; kib += 1024) {
                    CAPTURE(int(order));
                    CAPTURE(violating);
                    CAPTURE(int(c.options.mode));
                    CAPTURE(kib);
                    Flags checker = violating ? f : none;
                    const Limits limits{.memory_bytes = kib << 10};
                    Explorer<Lattice, Flags> e(model, checker, limits, false, order, c.options);
                    const Result r = e.run();
                    if (r.verdict == Verdict::incomplete) {
                        ++stopped;
                        CHECK(r.limit == memory_limit_text(limits));
                        CHECK(r.stats.states < 160000u);
                        continue;
                    }
                    CHECK(summary_of(e, r) == want);
                    CHECK(r.stats.threads == c.options.threads);
                    const auto& ranges = r.stats.one_thread_levels;
                    if (!ranges.empty()) {
                        ++handed;
                        for (size_t i = 0; i < ranges.size(); ++i) {
                            CHECK(ranges[i].first <= ranges[i].second);
                            CHECK(ranges[i].second <= r.stats.depth);
                            if (i > 0)
                                CHECK(ranges[i - 1].second < ranges[i].first);
                        }
                        on_disk += r.stats.level_disk_bytes > 0;
                    }
                }
                CHECK(handed >= 2);
                if (c.options.level_memory == 1)
                    CHECK(on_disk >= 1);
                CHECK(stopped >= 1);
            }
        }
}

// What malloc holds for the program now (glibc: every arena's chunks in
// use and the blocks it mapped), and the most seen by the checker below.
uint64_t heap_in_use()
{
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
std::atomic<uint64_t> heap_high{0};
std::atomic<uint64_t> heap_samples{0};
bool sample_heap(const uint8_t*)   // an invariant that holds, sampling the heap on every 16th state
{
    if (heap_samples.fetch_add(1, std::memory_order_relaxed) % 16 == 0) {
        const uint64_t h = heap_in_use();
        for (uint64_t cur = heap_high.load(); h > cur && !heap_high.compare_exchange_weak(cur, h);) {
        }
    }
    return false;
}

TEST_CASE("a parallel lossy search short of memory keeps what it allocates within the budget, through the hand-over")
{
    // The states checked sample what malloc holds, on the threads and then
    // on the one thread that took over: beyond what it held before the
    // search, no more than the budget and a few KiB the search does not
    // count (its batches, the threads' records). (Before the ordered level
    // was counted and freed at the hand-over, the one thread ran with it
    // still allocated: up to 120 KiB over the budget here.)
    const Lattice model{20};
    const Options options[] = {{.threads = 2, .mode = Mode::compact, .level_memory = 1},
                               {.threads = 3, .mode = Mode::bitstate, .bitstate_bytes = 8 << 20}};
    for (const Options& o : options) {
        unsigned handed = 0;
        for (uint64_t kib = o.mode == Mode::compact ? 1024 : 8704; kib <= (o.mode == Mode::compact ? 8192u : 15872u);
             kib += 512) {
            CAPTURE(int(o.mode));
            CAPTURE(kib);
            const uint64_t before = heap_in_use();
            heap_high = before;
            Flags checker{sample_heap};
            const Limits limits{.memory_bytes = kib << 10};
            Explorer<Lattice, Flags> e(model, checker, limits, false, Order::shortest, o);
            const Result r = e.run();
            if (r.verdict == Verdict::incomplete || r.stats.one_thread_levels.empty())
                continue;
            ++handed;
            CHECK(r.stats.states == 160000u);
            CHECK(r.stats.store_bytes <= limits.memory_bytes);
            CHECK(heap_high - before <= limits.memory_bytes + (64u << 10));
        }
        CHECK(handed >= 2);
    }
}

TEST_CASE("a parallel lossy search takes its work back from one thread when the levels have shrunk")
{
    // 614,656 states of 64 bytes, levels up to about 30,000 wide: the widest
    // do not fit in the budget on two threads, the last ones do again.
    const PaddedLattice model{Lattice{28}, 60};
    const Flags late{[](const uint8_t* s) { return s[0] + s[1] + s[2] + s[3] == 100 && s[1] == s[2]; }};
    for (bool violating : {false, true}) {
        const Flags none;
        Summary want = summarize(model, violating ? late : none, Order::cheapest_shortest, threads(1));
        if (!violating)
            want.verdict = Verdict::no_violation_found;
        unsigned back = 0;
        for (uint64_t mib = 12; mib <= 27; mib += 3) {
            CAPTURE(violating);
            CAPTURE(mib);
            const Limits limits{.memory_bytes = mib << 20};
            const Options o{.threads = 2, .mode = Mode::compact};
            Flags checker = violating ? late : none;
            Explorer<PaddedLattice, Flags> e(model, checker, limits, false, Order::cheapest_shortest, o);
            const Result r = e.run();
            if (r.verdict == Verdict::incomplete)
                continue;   // (12 MiB: the one thread too)
            CHECK(summary_of(e, r) == want);
            const auto& ranges = r.stats.one_thread_levels;
            for (size_t i = 1; i < ranges.size(); ++i)
                CHECK(ranges[i - 1].second < ranges[i].first);
            back += !ranges.empty() && ranges.back().second < r.stats.depth;
        }
        CHECK(back >= 1);   // 15 to 21 MiB
    }
}

// For one scope, TMPDIR is `dir` (unless empty: as it was), where the lossy
// modes put their temporary files.
struct TmpdirAs {
    explicit TmpdirAs(const char* dir)
    {
        if (old)
            saved = old;
        if (*dir)
            setenv("TMPDIR", dir, 1);
    }
    ~TmpdirAs()
    {
        if (old)
            setenv("TMPDIR", saved.c_str(), 1);
        else
            unsetenv("TMPDIR");
    }
    TmpdirAs(const TmpdirAs&) = delete;
    TmpdirAs& operator=(const TmpdirAs&) = delete;
    const char* old = std::getenv("TMPDIR");
    std::string saved;
};

TEST_CASE("a level queue past its resident blocks goes to its file and reads back in order; without a file it stays in memory")
{
    constexpr size_t size = 20;   // records of 8 + 24 bytes
    const uint64_t block = LevelQueue::block_bytes(size);
    CHECK(block == 4096u * 32);
    auto bytes_of = [](uint64_t i) {
        std::vector<uint8_t> b(size);
        for (size_t k = 0; k < size; ++k)
            b[k] = uint8_t(i * 31 + k);
        return b;
    };
    for (const char* dir : {"", "/nonexistent-proxycheck-dir"}) {
        CAPTURE(dir);
        const TmpdirAs tmpdir(dir);
        LevelQueue a(size, 2), b(size, 2);
        // Level 1: 6 blocks and a bit; level 2, in the same memory: 3 blocks and a bit.
        for (uint64_t n : {6 * 4096 + 17, 3 * 4096 + 5}) {
            CAPTURE(n);
            b.clear();
            for (uint64_t i = 0; i < n; ++i)
                REQUIRE(b.push(uint32_t(i * 3), PathCost(i & 0xFF), bytes_of(i).data()) == i);
            a.swap(b);
            CHECK(a.count() == n);
            for (uint64_t i = 0; i < n; ++i) {
                REQUIRE(a.index(i) == uint32_t(i * 3));
                REQUIRE(a.cost(i) == PathCost(i & 0xFF));
                REQUIRE(std::memcmp(a.state(i), bytes_of(i).data(), size) == 0);
            }
        }
        if (*dir == 0) {
            // Level 1 (now b again) wrote blocks 2 to 5: block 6 stayed in the
            // write buffer; in memory, 2 resident blocks and the two buffers.
            // Level 2 wrote block 2.
            CHECK(b.disk_bytes() == 4 * block);
            CHECK(b.bytes() == 4 * block);
            CHECK(a.disk_bytes() == block);
        } else {
            CHECK(a.disk_bytes() + b.disk_bytes() == 0u);
            CHECK(b.bytes() == 7 * block);   // every block of level 1
        }
    }
}

TEST_CASE("a level queue whose file fills up keeps that block and the ones after it in memory")
{
    constexpr size_t size = 20;
    const uint64_t block = LevelQueue::block_bytes(size);
    auto bytes_of = [](uint64_t i) {
        std::vector<uint8_t> b(size);
        for (size_t k = 0; k < size; ++k)
            b[k] = uint8_t(i * 7 + k);
        return b;
    };
    // The file may grow to 2 blocks: the third write fails (EFBIG, SIGXFSZ ignored).
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = rlim_t(2 * block);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    {
        const TmpdirAs tmpdir("");
        LevelQueue q(size, 1);
        const uint64_t n = 6 * 4096 + 3;
        for (uint64_t i = 0; i < n; ++i)
            REQUIRE(q.push(uint32_t(i), PathCost(0), bytes_of(i).data()) == i);
        // Blocks 1 and 2 went to the file; block 3 could not, so it and 4 to 6 stay.
        CHECK(q.disk_bytes() == 2 * block);
        CHECK(q.bytes() == 5 * block);
        std::vector<uint8_t> out(size);
        for (uint64_t i : {uint64_t(4096 + 5), uint64_t(3 * 4096 + 1), n - 1}) {
            q.read_state(i, out.data());
            CHECK(out == bytes_of(i));
        }
        for (uint64_t i = 0; i < n; ++i) {
            REQUIRE(q.index(i) == uint32_t(i));
            REQUIRE(std::memcmp(q.state(i), bytes_of(i).data(), size) == 0);
        }
    }
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
}

// A partial-order reduction that never finds an ample set.
struct NeverAmple : Reduction {
    bool ample(const uint8_t*, size_t, const Label*, const uint8_t*, uint8_t*) const override { return false; }
};

TEST_CASE("partial-order reduction that finds no ample set gives up at the same depth in every search")
{
    // Lattice{20}: a state's depth is the sum of ceil(v / 2) over its four bytes.
    auto states_above = [](uint32_t depth) {
        uint64_t n = 0;
        for (int a = 0; a < 20; ++a)
            for (int b = 0; b < 20; ++b)
                for (int c = 0; c < 20; ++c)
                    for (int d = 0; d < 20; ++d)
                        n += uint32_t((a + 1) / 2 + (b + 1) / 2 + (c + 1) / 2 + (d + 1) / 2) < depth;
        return n;
    };
    const NeverAmple never;
    const Lattice big{20}, small{8};
    for (Mode mode : {Mode::exact, Mode::compact})
        for (unsigned t : {1u, 2u, 3u}) {
            CAPTURE(int(mode));
            CAPTURE(t);
            Options o{.threads = t, .mode = mode, .reduction = &never};
            Flags none;
            Explorer ex(big, none, {}, false, Order::shortest, o);
            const Result r = ex.run();
            CHECK(r.stats.states == 160000u);
            CHECK(r.stats.por);
            const uint32_t d = r.stats.por_gave_up_at;
            REQUIRE(d > 0);
            // The first level boundary with at least por_probe_states states expanded.
            CHECK(states_above(d) >= por_probe_states);
            CHECK(states_above(d - 1) < por_probe_states);
            Explorer few(small, none, {}, false, Order::shortest, o);
            const Result rs = few.run();
            CHECK(rs.stats.states == 4096u);
            CHECK(rs.stats.por_gave_up_at == 0u);   // never expanded enough states to judge
        }
}

TEST_CASE("a trail spilled to its file reads back every entry; without a writable directory it stays in memory")
{
    for (const char* dir : {"", "/nonexistent-proxycheck-dir"}) {
        CAPTURE(dir);
        const TmpdirAs tmpdir(dir);
        Trail t;
        for (uint32_t i = 0; i < 200000; ++i)
            t.push(i * 7, uint16_t(i % 65521));
        const uint64_t before = t.bytes();
        const bool spilled = t.spill_below(150000);
        CHECK(spilled == (*dir == 0));
        if (spilled) {
            CHECK(t.disk_bytes() == 2u * 65536 * 6);
            CHECK(t.bytes() == before - t.disk_bytes());
        } else {
            CHECK(t.disk_bytes() == 0u);
            CHECK(t.bytes() == before);
        }
        t.set(199999, 5, 6);   // the level being built is still writable
        for (uint32_t i = 0; i < 199999; ++i) {
            REQUIRE(t.parent(i) == i * 7);
            REQUIRE(t.step(i) == uint16_t(i % 65521));
        }
        CHECK(t.parent(199999) == 5u);
        CHECK(t.step(199999) == 6u);
    }
}

TEST_CASE("bitstate with a tiny bit array misses states, says how likely that was, and still never says holds")
{
    Flags none;
    const Lattice model{14};
    Explorer<Lattice, Flags> e(model, none, {}, false, Order::shortest,
                               Options{.mode = Mode::bitstate, .bitstate_bytes = 64});   // 512 bits
    const Result r = e.run();
    CHECK(r.verdict == Verdict::no_violation_found);
    CHECK(r.stats.states < 38416u);
    CHECK(r.stats.bitstate_bits == 512u);
    CHECK(r.stats.hash_functions == 3u);
    CHECK(r.stats.bits_set > 0.5);
    CHECK(r.stats.omission_bound == 1.0);  // capped: a miss is all but certain
}

TEST_CASE("limits stop a lossy search on many threads as incomplete, never as holding")
{
    const Lattice model{20};
    Flags none;
    for (Mode mode : {Mode::compact, Mode::bitstate}) {
        CAPTURE(int(mode));
        const Options o{.threads = 3, .mode = mode, .bitstate_bytes = 1 << 20};
        Explorer<Lattice, Flags> a(model, none, Limits{.max_states = 1000}, false, Order::cheapest_shortest, o);
        const Result ra = a.run();
        CHECK(ra.verdict == Verdict::incomplete);
        CHECK(ra.limit == "--max-states 1000");
        CHECK(ra.stats.states == 1000u);
        CHECK(ra.stats.threads == 3u);

        Explorer<Lattice, Flags> c(model, none, Limits{.memory_bytes = 2 << 20}, false, Order::shortest, o);
        const Result rc = c.run();
        CHECK(rc.verdict == Verdict::incomplete);
        CHECK(rc.limit == "--memory 2 MiB");
        CHECK(rc.stats.states < 160000u);

        Explorer<Lattice, Flags> d(model, none, Limits{.seconds = 1e-9}, false, Order::shortest, o);
        const Result rd = d.run();
        CHECK(rd.verdict == Verdict::incomplete);
        CHECK(rd.limit == "--time 1e-09 s");
    }
}

TEST_CASE("compact mode's fingerprint shards keep every fingerprint through growth by a quarter, at most 3/4 full")
{
    FingerprintShards fps;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    std::vector<uint64_t> all;
    for (int i = 0; i < 6000000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;   // xorshift: distinct, spread over 64 bits
        all.push_back(x);
        REQUIRE(fps.insert(x));
    }
    CHECK(fps.count() == all.size());
    CHECK_FALSE(fps.insert(all[12345]));
    CHECK(fps.insert(0));   // 0 is remapped to 1, itself a fingerprint
    CHECK_FALSE(fps.insert(1));
    for (uint64_t v : all)
        REQUIRE(fps.contains(v));
    // 256 shards of ~23,400 fingerprints: past 2^14 slots a shard grows by a quarter,
    // so the whole stays between 60 % and 75 % full: 10.7 to 13.4 bytes a fingerprint.
    const double per = double(fps.bytes()) / double(fps.count());
    CHECK(per >= 8.0 * 4 / 3 - 0.01);
    CHECK(per <= 8.0 / 0.6 + 0.5);
}

TEST_CASE("the lossy modes' omission bounds")
{
    CHECK(compact_omission_bound(0) == 0);
    CHECK(compact_omission_bound(uint64_t(1) << 32) == doctest::Approx(0.5));   // 2^64 / 2^65
    CHECK(compact_omission_bound(uint64_t(1) << 40) == 1.0);                    // capped
    CHECK(bitstate_omission_bound(0, 1000, 3) == 0);
    // Upper bound of the sum over the insertions, and not far above it.
    for (uint64_t n : {10u, 1000u, 100000u}) {
        const uint64_t m = 1 << 20;
        double sum = 0;
        for (uint64_t i = 0; i < n; ++i)
            sum += std::pow(1 - std::exp(-3.0 * double(i) / double(m)), 3);
        const double bound = bitstate_omission_bound(n, m, 3);
        CHECK(bound >= sum);
        CHECK(bound <= sum * 1.1 + 1e-12);
    }
    CHECK(bitstate_omission_bound(1000, 1 << 20, 3) < bitstate_omission_bound(2000, 1 << 20, 3));
    CHECK(bitstate_omission_bound(1000, 1 << 20, 3) > bitstate_omission_bound(1000, 1 << 24, 3));
}

TEST_CASE("the state store's put() stores each state once when threads race to insert the same states")
{
    StateStore store(4);
    store.insert(bytes(0).data(), no_parent, 0);
    store.sync_reserved();
    std::atomic<bool> stop{false};
    constexpr uint32_t n = 30000;   // under half the table: put() never grows it
    std::vector<std::thread> pool;
    std::vector<std::vector<uint32_t>> seen(4, std::vector<uint32_t>(n, 0));
    for (unsigned t = 0; t < 4; ++t)
        pool.emplace_back([&, t] {
            REQUIRE(store.reserve_ahead(n, 0));
            for (uint32_t k = 0; k < n; ++k) {
                const uint32_t i = t % 2 ? n - 1 - k : k;   // two threads each way
                const auto b = bytes(i);
                const auto [idx, put] =
                    store.put(b.data(), XXH3_64bits(b.data(), 4), max_store_states, 0, Label(i),
                              [](uint32_t) { return true; }, stop);
                CHECK((put == StateStore::Put::found || put == StateStore::Put::inserted));
                seen[t][i] = idx;
            }
        });
    for (std::thread& th : pool)
        th.join();
    CHECK(store.count() == n);             // 0 .. n-1, the first one inserted before
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n; ++i)
        for (unsigned t = 0; t < 4; ++t)
            wrong += seen[t][i] != seen[0][i] || std::memcmp(store.state(seen[t][i]), bytes(i).data(), 4) != 0 ||
                     (i > 0 && store.label(seen[t][i]) != Label(i));
    CHECK(wrong == 0u);
}

TEST_CASE("put() with per-thread blocks leaves holes that close_holes() fills with the last states")
{
    StateStore store(4);
    store.enable_costs();
    store.insert(bytes(0).data(), no_parent, 0);
    store.sync_reserved();
    std::atomic<bool> stop{false};
    constexpr uint32_t n = 1000;   // 1 .. n-1 by three threads, each in its own blocks
    REQUIRE(store.reserve_ahead(4 * n, 0));
    std::vector<StateStore::Block> blocks(3);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < 3; ++t)
        pool.emplace_back([&, t] {
            for (uint32_t i = 1 + t; i < n; i += 3) {
                const auto b = bytes(i);
                const auto [idx, put] = store.put(
                    b.data(), XXH3_64bits(b.data(), 4), max_store_states, i - 1, Label(i),
                    [&](uint32_t at) { return store.set_cost(at, PathCost(i)), true; }, stop, &blocks[t]);
                CHECK(put == StateStore::Put::inserted);
                CHECK(idx >= blocks[t].end - StateStore::block_states);   // from this thread's block
                CHECK(idx < blocks[t].end);
            }
        });
    for (std::thread& th : pool)
        th.join();
    std::vector<uint64_t> holes;
    for (const StateStore::Block& b : blocks)
        for (uint64_t i = b.next; i < b.end; ++i)
            holes.push_back(i);
    CHECK(holes.size() > 0u);
    CHECK(store.count() == n + holes.size());
    std::map<uint32_t, uint32_t> moves;
    store.close_holes(holes, [&](uint32_t from, uint32_t to) { moves[from] = to; });
    CHECK(store.count() == n);
    for (const auto& [from, to] : moves) {
        CHECK(from >= n);   // only states beyond the end move, each into a hole below it
        CHECK(to < n);
        CHECK(std::find(holes.begin(), holes.end(), to) != holes.end());
    }
    // Every state is found at an index below n, with its parent, label and cost.
    std::vector<bool> seen(n, false);
    for (uint32_t i = 0; i < n; ++i) {
        const auto [idx, inserted] = store.insert(bytes(i).data(), 0, 0);
        REQUIRE(!inserted);
        REQUIRE(idx < n);
        CHECK(!seen[idx]);
        seen[idx] = true;
        CHECK(std::memcmp(store.state(idx), bytes(i).data(), 4) == 0);
        if (i > 0) {
            CHECK(store.parent(idx) == i - 1);
            CHECK(store.label(idx) == Label(i));
            CHECK(store.cost(idx) == PathCost(i));
        }
    }
}

TEST_CASE("close_holes() moves exactly the states beyond the end into the holes, in order")
{
    // One thread, two blocks: 1..10 in the first block [1, 65), 11..100 in
    // [65, 129) and [129, 193). Holes: 11..64 and 155..192; the 54 states at
    // 101..154 move down into 11..64, the last one first.
    StateStore store(4);
    store.insert(bytes(0).data(), no_parent, 0);
    store.sync_reserved();
    std::atomic<bool> stop{false};
    REQUIRE(store.reserve_ahead(200, 0));
    StateStore::Block a, b;
    for (uint32_t i = 1; i <= 100; ++i) {
        const auto v = bytes(i);
        store.put(v.data(), XXH3_64bits(v.data(), 4), max_store_states, 0, Label(i), [](uint32_t) { return true; },
                  stop, i <= 10 ? &a : &b);
    }
    CHECK(store.count() == 193u);
    std::vector<uint64_t> holes;
    for (const StateStore::Block* k : {&a, &b})
        for (uint64_t i = k->next; i < k->end; ++i)
            holes.push_back(i);
    CHECK(holes.size() == 92u);
    std::vector<std::pair<uint32_t, uint32_t>> moves;
    store.close_holes(holes, [&](uint32_t from, uint32_t to) { moves.emplace_back(from, to); });
    CHECK(store.count() == 101u);
    REQUIRE(moves.size() == 54u);
    for (uint32_t k = 0; k < 54; ++k)
        CHECK(moves[k] == std::pair<uint32_t, uint32_t>(154 - k, 11 + k));
    for (uint32_t i = 0; i <= 100; ++i) {
        const auto [idx, inserted] = store.insert(bytes(i).data(), 0, 0);
        CHECK(!inserted);
        CHECK(idx <= 100u);
        CHECK(store.label(idx) == Label(i));
    }
}

// ---------------------------------------------------------------------------
// The tree store (tree_store.hpp): the same searches in about 15 bytes a state.

namespace {

// State i of `size` bytes: its first three bytes say i (so states differ),
// the others repeat a few of its bits (so states share subtrees, as the
// states of a model do).
std::vector<uint8_t> tree_state(uint32_t i, size_t size)
{
    std::vector<uint8_t> b(size);
    for (size_t k = 0; k < size; ++k)
        b[k] = k < 3 ? uint8_t(i >> (8 * k)) : uint8_t((i >> (k % 11)) & 3);
    return b;
}

// States i + 1, i + 7 and i itself of tree_state(), below n, labelled by their number.
struct Neighbours {
    uint32_t i, n;
    size_t size;
    template <class F>
    void for_each_successor(const uint8_t*, F&& f) const
    {
        for (uint32_t k : {i + 1, i + 7, i})
            if (k < n)
                f(Label(k), tree_state(k, size).data());
    }
};

}  // namespace

TEST_CASE("the tree store gives back each state's bytes and index, through growth, widening and batches")
{
    // 300 bytes: 75 words and 74 nodes, more than one 64-bit set of each in put_nodes().
    for (size_t size : {1u, 2u, 5u, 8u, 13u, 69u, 91u, 300u}) {
        CAPTURE(size);
        const uint32_t n = size == 1 ? 256 : size == 2 ? 65536 : 70000;   // > 17 chunks of 4096, many growths
        TreeStore store(size);
        TreeStore::Cursor c(store);
        uint32_t wrong = 0;
        for (uint32_t i = 0; i < n; ++i) {
            REQUIRE(store.prepare(1, 0));
            wrong += store.insert(tree_state(i, size).data(), c) != std::pair<uint32_t, bool>{i, true};
        }
        CHECK(wrong == 0u);
        CHECK(store.count() == n);
        // Each state read back, found again from a fresh cursor, and its
        // neighbours found as a batch of successors of the opened state.
        std::vector<uint8_t> out(size);
        SuccessorBatch batch(size);
        for (uint32_t i = 0; i < n; ++i) {
            store.read(i, out.data());
            wrong += out != tree_state(i, size);
            TreeStore::Cursor fresh(store);
            wrong += store.insert(tree_state(i, size).data(), fresh) != std::pair<uint32_t, bool>{i, false};
            wrong += !store.contains(tree_state(i, size).data(), c);
            wrong += std::memcmp(store.open(i, c), tree_state(i, size).data(), size) != 0;
            batch.collect(Neighbours{i, n, size}, nullptr, store);
            REQUIRE(store.put_nodes(batch, c, std::atomic<bool>{false}) == TreeStore::Put::found);
            for (size_t j = 0; j < batch.size(); ++j)
                wrong += store.insert_root(j, c) != std::pair<uint32_t, bool>{uint32_t(batch.label(j)), false};
        }
        CHECK(wrong == 0u);
        CHECK(store.count() == n);   // finding never inserts
        if (size > 2)
            CHECK_FALSE(store.contains(tree_state(n, size).data(), c));
        CHECK(store.bytes_used() <= store.peak_bytes());
    }
}

TEST_CASE("the tree store keeps a cost beside each state and its BFS levels")
{
    TreeStore store(6);
    store.enable_costs();
    CHECK(store.has_costs());
    TreeStore::Cursor c(store);
    store.start_level(0);
    for (uint32_t i = 0; i < 10000; ++i) {
        if (i == 1 || i == 100)
            store.start_level(i);
        REQUIRE(store.prepare(1, 0));
        store.insert(tree_state(i, 6).data(), c);
        store.set_cost(i, PathCost(i * 7));
    }
    store.reparent(42, 0, 0, 3);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < 10000; ++i)
        wrong += store.cost(i) != (i == 42 ? 3 : PathCost(i * 7)) || store.depth_of(i) != (i == 0 ? 0 : i < 100 ? 1 : 2);
    CHECK(wrong == 0u);
    CHECK(store.level_start(1) == 1u);
    CHECK(store.level_start(3) == 10000u);   // the level being built ends at the count
}

TEST_CASE("the tree store's put() stores each state once when threads race to insert the same states")
{
    constexpr uint32_t n = 30000;
    for (size_t size : {4u, 69u}) {
        CAPTURE(size);
        TreeStore store(size);
        REQUIRE(store.prepare(n, 0));   // room for all: put() never grows
        store.sync_reserved();
        std::atomic<bool> stop{false};
        std::vector<std::thread> pool;
        std::vector<std::vector<uint32_t>> seen(4, std::vector<uint32_t>(n, 0));
        for (unsigned t = 0; t < 4; ++t)
            pool.emplace_back([&, t] {
                TreeStore::Cursor c(store);
                for (uint32_t k = 0; k < n; ++k) {
                    const uint32_t i = t % 2 ? n - 1 - k : k;   // two threads each way
                    const auto [idx, put] =
                        store.put(tree_state(i, size).data(), c, max_store_states, [](uint32_t) { return true; }, stop);
                    CHECK((put == TreeStore::Put::found || put == TreeStore::Put::inserted));
                    seen[t][i] = idx;
                }
            });
        for (std::thread& th : pool)
            th.join();
        CHECK(store.count() == n);
        uint32_t wrong = 0;
        std::vector<uint8_t> out(size);
        for (uint32_t i = 0; i < n; ++i) {
            store.read(seen[0][i], out.data());
            wrong += out != tree_state(i, size);
            for (unsigned t = 1; t < 4; ++t)
                wrong += seen[t][i] != seen[0][i];
        }
        CHECK(wrong == 0u);
    }
}

TEST_CASE("the tree store says so in the statistics and keeps far fewer bytes than the flat store")
{
    // Lattice{20}: 160,000 states of 4 bytes, under both orders and thread counts.
    const Lattice model{20};
    for (Order order : {Order::shortest, Order::cheapest_shortest})
        for (unsigned t : {1u, 2u}) {
            CAPTURE(t);
            Flags none;
            Explorer<Lattice, Flags> flat(model, none, {}, false, order, threads(t));
            Explorer<Lattice, Flags> tree(model, none, {}, false, order, threads(t, StoreKind::tree));
            const Result rf = flat.run(), rt = tree.run();
            CHECK(rt.stats.store == StoreKind::tree);
            CHECK(rf.stats.store == StoreKind::flat);
            CHECK(rt.stats.states == 160000u);
            CHECK(rt.stats.tree_nodes == 160000u);   // 4 bytes: one word and the padding, the root only
            CHECK(rt.stats.store_bytes * 2 < rf.stats.store_bytes);
        }
}

TEST_CASE("memory limits stop the tree store's search as incomplete before it takes more")
{
    const Lattice model{20};
    for (unsigned t : {1u, 2u}) {
        CAPTURE(t);
        Flags none;
        Explorer<Lattice, Flags> a(model, none, Limits{.memory_bytes = 4096}, false, Order::cheapest_shortest,
                                   threads(t, StoreKind::tree));
        const Result ra = a.run();
        CHECK(ra.verdict == Verdict::incomplete);
        CHECK(ra.limit == "--memory 4 KiB");

        // Room for some of the 160,000 states (about 15 bytes each), not all
        // (the parallel search also keeps its per-state words of the levels in flight, 1 MiB a chunk).
        const uint64_t limit = t == 1 ? 3 << 19 : 5 << 20;
        Explorer<Lattice, Flags> b(model, none, Limits{.memory_bytes = limit}, false, Order::cheapest_shortest,
                                   threads(t, StoreKind::tree));
        const Result rb = b.run();
        CHECK(rb.verdict == Verdict::incomplete);
        CHECK(rb.limit == "--memory " + std::to_string(limit >> 20) + " MiB");
        CHECK(rb.stats.states < 160000u);
        CHECK(rb.stats.states > 1000u);
        CHECK(rb.stats.store_bytes <= limit);
    }
}
