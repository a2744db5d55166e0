// Unit tests of the generic explorer on toy models whose state and transition
// counts are derived by hand (each derivation is a one-line comment).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "explorer/memory.hpp"
#include "explorer/state_store.hpp"

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

// Two bytes, each 0..3; label i increments byte i while it is below 3.
struct TwoCounters {
    size_t state_size() const { return 2; }
    void initial_state(uint8_t* out) const { out[0] = out[1] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        for (int i = 0; i < 2; ++i)
            if (s[i] < 3) {
                uint8_t next[2] = {s[0], s[1]};
                ++next[i];
                cb(Label(i), next);
            }
    }
};

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
