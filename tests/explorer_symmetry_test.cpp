// The explorer's symmetry hook (types.hpp CanonicalModel, canonical.hpp) on a
// toy model whose two bytes are interchangeable: the counts are derived by
// hand, and the paths rebuilt are real runs of the toy.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "toy_models.hpp"

using namespace pxc::explorer;

namespace {

// toy::TwoCounters, whose two bytes are interchangeable. Incrementing the
// larger byte (or either when equal) costs a preemption: a symmetric cost.
struct Pair : toy::TwoCounters {
    bool reduce = false;
    StepCost step_cost(Label l, const uint8_t* s, const uint8_t*) const
    {
        return {uint8_t(s[l] >= s[1 - l]), 0};
    }
    bool reduces() const { return reduce; }
    void canonicalise(uint8_t* s) const { std::sort(s, s + 2); }
};

// {1, 3} in either order is bad.
struct Bad13 {
    std::optional<Violation> check_state(const uint8_t* s)
    {
        if (std::min(s[0], s[1]) == 1 && std::max(s[0], s[1]) == 3)
            return Violation{"bad13", std::to_string(s[0]) + "," + std::to_string(s[1])};
        return std::nullopt;
    }
    std::optional<Violation> check_deadlock(const uint8_t*) { return std::nullopt; }
};

struct Never {
    std::optional<Violation> check_state(const uint8_t*) { return std::nullopt; }
    std::optional<Violation> check_deadlock(const uint8_t*) { return std::nullopt; }
};

// Each state of the path is a successor of the one before, by its label.
bool is_run(const Pair& m, const Path& p)
{
    if (p.states.empty() || p.states[0] != std::vector<uint8_t>{0, 0})
        return false;
    for (size_t i = 1; i < p.states.size(); ++i) {
        bool ok = false;
        m.for_each_successor(p.states[i - 1].data(), [&](Label l, const uint8_t* n) {
            ok |= l == p.labels[i] && std::vector<uint8_t>(n, n + 2) == p.states[i];
        });
        if (!ok)
            return false;
    }
    return true;
}

}  // namespace

TEST_CASE("symmetry reduction keeps one state per class of renamed states")
{
    Never checker;
    Pair full, reduced{{}, true};
    Explorer<Pair, Never> a(full, checker, {}, false), b(reduced, checker, {}, false);
    const Result ra = a.run(), rb = b.run();
    CHECK(ra.stats.states == 16u);   // 4 x 4
    CHECK(rb.stats.states == 10u);   // the pairs a <= b
    CHECK(ra.stats.depth == rb.stats.depth);
    CHECK(rb.verdict == Verdict::holds);
}

TEST_CASE("a counterexample found on canonical states is rebuilt as a concrete run of the same length")
{
    Pair full, reduced{{}, true};
    for (Order order : {Order::shortest, Order::cheapest_shortest})
        for (Options opt : {Options{}, Options{.threads = 2}, Options{.mode = Mode::compact},
                            Options{.mode = Mode::bitstate, .bitstate_bytes = 1 << 16}}) {
            CAPTURE(int(order));
            CAPTURE(opt.threads);
            CAPTURE(int(opt.mode));
            Bad13 c1, c2;
            Explorer<Pair, Bad13> a(full, c1, {}, false, order, opt), b(reduced, c2, {}, false, order, opt);
            const Result ra = a.run(), rb = b.run();
            REQUIRE(ra.finding);
            REQUIRE(rb.finding);
            CHECK(rb.stats.states < ra.stats.states);
            const Path pa = a.path(ra.finding->state), pb = b.path(rb.finding->state);
            CHECK(pb.states.size() == pa.states.size());   // BFS depth is kept
            CHECK(is_run(full, pb));
            const uint8_t* last = pb.states.back().data();
            CHECK(std::min(last[0], last[1]) == 1);
            CHECK(std::max(last[0], last[1]) == 3);
            if (order == Order::cheapest_shortest) {   // no dearer than the full search's
                auto cost = [&](const Path& p) {
                    PathCost c = 0;
                    for (size_t i = 1; i < p.states.size(); ++i)
                        c = add_cost(c, full.step_cost(p.labels[i], p.states[i - 1].data(), p.states[i].data()));
                    return c;
                };
                CHECK(cost(pb) == cost(pa));
            }
        }
}
