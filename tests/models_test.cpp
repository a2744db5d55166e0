// Pinned state and transition counts of the bundled models under the
// baselines that matter, with a fixed list of properties (so that a new
// property does not move them). A change to the state space shows up here,
// in review, before it shows up as a verdict.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <tuple>
#include <utility>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "kernel/symmetry.hpp"
#include "props/checker.hpp"

namespace {

struct Pinned {
    const char* model;
    const char* features;   // edits against the file's baseline
    const char* verdict;
    uint64_t states, transitions;
};

// The properties every row is checked with.
const std::vector<std::string> pinned_properties = {
    "no_affinity_violating_run", "mutual_exclusion", "no_kernel_warning", "blocked_on_consistent", "donor_valid",
    "find_proxy_task_terminates", "no_lost_handoff", "blocked_donor_valid", "no_lost_wakeup", "no_deadlock",
    "all_tasks_done"};

// Regenerate (and review the diff): tests/pin.py build/src/proxycheck
constexpr Pinned pinned[] = {
    {"models/abba.toml", "", "violated", 152, 305},
    {"models/abba.toml", "-proxy_waking", "violated", 158, 309},
    {"models/abba.toml", "-proxy_migration,-proxy_waking", "violated", 77, 165},
    {"models/abba.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "violated", 68, 153},
    {"models/chain3.toml", "", "holds", 10059, 35647},
    {"models/chain3.toml", "-proxy_waking", "violated", 968, 2883},
    {"models/chain3.toml", "-proxy_migration,-proxy_waking", "holds", 1269, 4574},
    {"models/chain3.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 707, 2463},
    {"models/contention.toml", "-proxy_waking", "violated", 6161, 16835},
    {"models/contention.toml", "-proxy_migration,-proxy_waking", "holds", 199202, 853411},
    {"models/contention.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 87795, 359918},
    {"models/proxy-waking-affinity.toml", "", "holds", 194, 460},
    {"models/proxy-waking-affinity.toml", "-proxy_waking", "violated", 125, 281},
    {"models/proxy-waking-affinity.toml", "-proxy_migration,-proxy_waking", "holds", 66, 162},
    {"models/proxy-waking-affinity.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 50, 118},
    {"models/sleeping-owner.toml", "", "holds", 2865, 8845},
    {"models/sleeping-owner.toml", "-proxy_waking", "violated", 706, 1954},
    {"models/sleeping-owner.toml", "-proxy_migration,-proxy_waking", "holds", 826, 2960},
    {"models/sleeping-owner.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 433, 1419},
    // v7.2 (G2): race (B) with the unlock preemption guard (the file's baseline) and without it under the
    // other reading of proxy_needs_return; the G1 models under the G2 flags.
    {"models/blocked-donor-race-b.toml", "", "holds", 5525, 15456},
    {"models/blocked-donor-race-b.toml", "-unlock_preempt_guard,+ttwu_any_is_blocked", "holds", 10568, 34034},
    {"models/proxy-waking-affinity.toml",
     "-proxy_waking,+is_blocked,+ttwu_return_migration,+blocked_donor,+unlock_preempt_guard", "holds", 150, 328},
    {"models/sleeping-owner.toml",
     "-proxy_waking,+is_blocked,+ttwu_return_migration,+blocked_donor,+unlock_preempt_guard", "holds", 1678, 4957},
    // ww_mutex. Every built-in property is checked, edeadlk_returned included: seed-abba (no barrier)
    // and test-aa have runs without -EDEADLK, and stop there (seed-abba -proxy_waking stops earlier, at
    // no_affinity_violating_run).
    {"models/ww/seed-abba-wait-die.toml", "", "holds", 2600, 6976},
    {"models/ww/seed-abba-wait-die.toml", "-proxy_waking", "violated", 558, 1377},
    {"models/ww/seed-abba-wait-die.toml", "-proxy_migration,-proxy_waking", "holds", 896, 2542},
    {"models/ww/seed-abba-wait-die.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 572, 1644},
    {"models/ww/seed-abba-wound-wait.toml", "", "holds", 2834, 7556},
    {"models/ww/seed-abba-wound-wait.toml", "-proxy_waking", "violated", 528, 1303},
    {"models/ww/seed-abba-wound-wait.toml", "-proxy_migration,-proxy_waking", "holds", 1106, 3082},
    {"models/ww/seed-abba-wound-wait.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 802, 2244},
    {"models/ww/test-abba-resolve-wait-die.toml", "", "holds", 2084, 5956},
    {"models/ww/test-abba-resolve-wait-die.toml", "-proxy_waking", "holds", 2582, 7722},
    {"models/ww/test-abba-resolve-wait-die.toml", "-proxy_migration,-proxy_waking", "holds", 610, 1704},
    {"models/ww/test-abba-resolve-wait-die.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 552, 1508},
    {"models/ww/test-abba-resolve-wound-wait.toml", "", "holds", 3700, 10388},
    {"models/ww/test-abba-resolve-wound-wait.toml", "-proxy_waking", "holds", 4372, 12954},
    {"models/ww/test-abba-resolve-wound-wait.toml", "-proxy_migration,-proxy_waking", "holds", 1156, 3096},
    {"models/ww/test-abba-resolve-wound-wait.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 1212, 3172},
    {"models/ww/test-abba-wait-die.toml", "", "holds", 672, 1932},
    {"models/ww/test-abba-wait-die.toml", "-proxy_waking", "holds", 704, 2114},
    {"models/ww/test-abba-wait-die.toml", "-proxy_migration,-proxy_waking", "holds", 260, 754},
    {"models/ww/test-abba-wait-die.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 228, 654},
    {"models/ww/test-abba-wound-wait.toml", "", "holds", 1514, 4082},
    {"models/ww/test-abba-wound-wait.toml", "-proxy_waking", "holds", 1468, 4176},
    {"models/ww/test-abba-wound-wait.toml", "-proxy_migration,-proxy_waking", "holds", 416, 1100},
    {"models/ww/test-abba-wound-wait.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 396, 1038},
    {"models/ww/test-aa.toml", "", "holds", 136, 484},
    {"models/ww/test-aa.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 136, 484},
    {"models/ww/test-cycle2-1cpu-wait-die.toml", "", "holds", 447, 1136},
    {"models/ww/test-cycle2-1cpu-wait-die.toml", "-proxy_waking", "holds", 403, 1070},
    {"models/ww/test-cycle2-1cpu-wait-die.toml", "-proxy_migration,-proxy_waking", "holds", 387, 1042},
    {"models/ww/test-cycle2-1cpu-wait-die.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 287, 710},
    {"models/ww/test-cycle2-1cpu-wound-wait.toml", "", "holds", 507, 1258},
    {"models/ww/test-cycle2-1cpu-wound-wait.toml", "-proxy_waking", "holds", 455, 1182},
    {"models/ww/test-cycle2-1cpu-wound-wait.toml", "-proxy_migration,-proxy_waking", "holds", 439, 1154},
    {"models/ww/test-cycle2-1cpu-wound-wait.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 335, 826},
    {"models/ww/test-cycle3-1cpu-wait-die.toml", "", "holds", 40021, 119970},
    {"models/ww/test-cycle3-1cpu-wait-die.toml", "-proxy_waking", "holds", 27967, 95403},
    {"models/ww/test-cycle3-1cpu-wait-die.toml", "-proxy_migration,-proxy_waking", "holds", 25873, 90858},
    {"models/ww/test-cycle3-1cpu-wait-die.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 15364, 48054},
    {"models/ww/test-cycle3-1cpu-wound-wait.toml", "", "holds", 58318, 179388},
    {"models/ww/test-cycle3-1cpu-wound-wait.toml", "-proxy_waking", "holds", 42757, 147900},
    {"models/ww/test-cycle3-1cpu-wound-wait.toml", "-proxy_migration,-proxy_waking", "holds", 40069, 142080},
    {"models/ww/test-cycle3-1cpu-wound-wait.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 27535, 90876},
    // Three interchangeable waiters (the full search; the reduced one is below).
    {"models/three-waiters.toml", "-proxy_waking", "violated", 6126, 14726},
    {"models/three-waiters.toml", "-proxy_migration,-proxy_waking", "holds", 47961, 183812},
    {"models/three-waiters.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 29697, 106742},
};

// The models with interchangeable tasks, reduced by symmetry (kernel/symmetry.hpp),
// in the order shortest. The rows above hold the full search (every state).
constexpr Pinned pinned_symmetric[] = {
    {"models/blocked-donor-race-b.toml", "", "holds", 2787, 7778},
    {"models/blocked-donor-race-b.toml", "-unlock_preempt_guard", "violated", 4518, 13444},
    {"models/blocked-donor-race-b.toml", "-unlock_preempt_guard,+ttwu_any_is_blocked", "holds", 5309, 17068},
    {"models/blocked-donor-race-b.toml", "-blocked_donor", "holds", 2301, 6667},
    {"models/three-waiters.toml", "", "holds", 166657, 565294},
    {"models/three-waiters.toml", "-proxy_waking", "violated", 1411, 3482},
    {"models/three-waiters.toml", "-proxy_migration,-proxy_waking", "holds", 8292, 31615},
    {"models/three-waiters.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 5219, 18607},
    {"models/three-waiters.toml", "-proxy_waking,+is_blocked,+ttwu_return_migration,+blocked_donor,+unlock_preempt_guard", "holds", 22334, 71289},
};

const char* verdict_name(pxc::explorer::Verdict v)
{
    return v == pxc::explorer::Verdict::holds ? "holds" : v == pxc::explorer::Verdict::violated ? "violated" : "incomplete";
}

// The row's model under the row's feature edits.
pxc::kernel::Model load(const Pinned& p)
{
    const pxc::Scenario sc = pxc::load_scenario(std::string(SOURCE_ROOT) + "/" + p.model);
    return pxc::kernel::Model(sc, sc.feature_set(pxc::split_feature_list(p.features)));
}

}  // namespace

TEST_CASE("every bundled model keeps its pinned state and transition counts")
{
    for (const Pinned& p : pinned) {
        CAPTURE(p.model);
        CAPTURE(p.features);
        const pxc::kernel::Model model = load(p);
        pxc::props::Checker checker(model, pinned_properties);
        pxc::explorer::Explorer ex(model, checker, {}, false);
        const auto r = ex.run();
        CHECK(std::string(verdict_name(r.verdict)) == p.verdict);
        CHECK(r.stats.states == p.states);
        CHECK(r.stats.transitions == p.transitions);
    }
}

TEST_CASE("the pinned counts and counterexamples are the same on 2 and 4 threads, in both orders")
{
    using pxc::explorer::Order;
    for (const Pinned& p : pinned) {
        CAPTURE(p.model);
        CAPTURE(p.features);
        const pxc::kernel::Model model = load(p);
        pxc::props::Checker checker(model, pinned_properties);
        for (Order order : {Order::shortest, Order::cheapest_shortest}) {
            pxc::explorer::Explorer one(model, checker, {}, false, order);
            const auto r1 = one.run();
            for (unsigned threads : {2u, 4u}) {
                CAPTURE(threads);
                CAPTURE(int(order));
                pxc::explorer::Explorer many(model, checker, {}, false, order,
                                             pxc::explorer::Options{.threads = threads});
                const auto r = many.run();
                CHECK(r.verdict == r1.verdict);
                CHECK(r.stats.states == r1.stats.states);
                CHECK(r.stats.transitions == r1.stats.transitions);
                CHECK(r.stats.depth == r1.stats.depth);
                CHECK(r.stats.terminal_states == r1.stats.terminal_states);
                if (order == Order::shortest) {
                    CHECK(r.stats.states == p.states);
                    CHECK(r.stats.transitions == p.transitions);
                }
                REQUIRE(bool(r.finding) == bool(r1.finding));
                if (r.finding) {
                    CHECK(r.finding->violation.property == r1.finding->violation.property);
                    CHECK(many.path(r.finding->state).labels == one.path(r1.finding->state).labels);
                    CHECK(many.path(r.finding->state).states == one.path(r1.finding->state).states);
                }
            }
        }
    }
}

TEST_CASE("compact and bitstate find the exact mode's counterexample on 1, 2 and 3 threads and never say holds")
{
    using pxc::explorer::Mode;
    using pxc::explorer::Order;
    for (const Pinned& p : pinned) {
        CAPTURE(p.model);
        CAPTURE(p.features);
        const pxc::kernel::Model model = load(p);
        pxc::props::Checker checker(model, {});
        for (Order order : {Order::shortest, Order::cheapest_shortest}) {
            CAPTURE(int(order));
            pxc::explorer::Explorer exact(model, checker, {}, false, order);
            const auto re = exact.run();
            for (Mode mode : {Mode::compact, Mode::bitstate})
                for (unsigned threads : {1u, 2u, 3u}) {
                    CAPTURE(int(mode));
                    CAPTURE(threads);
                    pxc::explorer::Explorer lossy(
                        model, checker, {}, false, order,
                        pxc::explorer::Options{.threads = threads, .mode = mode, .bitstate_bytes = 16 << 20});
                    const auto r = lossy.run();
                    CHECK(r.verdict != pxc::explorer::Verdict::holds);
                    if (re.verdict == pxc::explorer::Verdict::holds)
                        CHECK(r.verdict == pxc::explorer::Verdict::no_violation_found);
                    else
                        CHECK(r.verdict == re.verdict);
                    // Nothing is missed at these sizes: the exact mode's search, step for step.
                    CHECK(r.stats.states == re.stats.states);
                    CHECK(r.stats.transitions == re.stats.transitions);
                    CHECK(r.stats.terminal_states == re.stats.terminal_states);
                    CHECK(r.stats.depth == re.stats.depth);
                    CHECK(r.stats.threads == threads);
                    REQUIRE(bool(r.finding) == bool(re.finding));
                    if (r.finding) {
                        CHECK(r.finding->violation.property == re.finding->violation.property);
                        CHECK(r.finding->at_terminal == re.finding->at_terminal);
                        CHECK(lossy.path(r.finding->state).labels == exact.path(re.finding->state).labels);
                        CHECK(lossy.path(r.finding->state).states == exact.path(re.finding->state).states);
                    }
                }
        }
    }
}

TEST_CASE("the models with interchangeable tasks keep their pinned reduced counts, on 1 and 3 threads")
{
    using pxc::explorer::Order;
    for (const Pinned& p : pinned_symmetric) {
        CAPTURE(p.model);
        CAPTURE(p.features);
        const pxc::kernel::Model model = load(p);
        const pxc::kernel::Symmetry sym(model);
        REQUIRE(sym.usable());
        const pxc::kernel::SymmetricModel reduced(model, &sym);
        pxc::props::Checker checker(model, pinned_properties);
        std::vector<pxc::kernel::Label> labels;   // of the counterexample on one thread
        for (unsigned threads : {1u, 3u}) {
            CAPTURE(threads);
            pxc::explorer::Explorer ex(reduced, checker, {}, false, Order::shortest,
                                       pxc::explorer::Options{.threads = threads});
            const auto r = ex.run();
            CHECK(std::string(verdict_name(r.verdict)) == p.verdict);
            CHECK(r.stats.states == p.states);
            CHECK(r.stats.transitions == p.transitions);
            if (r.finding && threads == 1)
                labels = ex.path(r.finding->state).labels;
            else if (r.finding)
                CHECK(ex.path(r.finding->state).labels == labels);
        }
        // The lossy modes reduce the same way (nothing collides at these sizes).
        for (auto mode : {pxc::explorer::Mode::compact, pxc::explorer::Mode::bitstate})
            for (unsigned threads : {1u, 3u}) {
                CAPTURE(int(mode));
                CAPTURE(threads);
                pxc::explorer::Explorer ex(
                    reduced, checker, {}, false, Order::shortest,
                    pxc::explorer::Options{.threads = threads, .mode = mode, .bitstate_bytes = 16 << 20});
                const auto r = ex.run();
                CHECK(r.stats.states == p.states);
                CHECK(r.stats.transitions == p.transitions);
                if (r.finding)
                    CHECK(ex.path(r.finding->state).labels == labels);
            }
        for (const Pinned& f : pinned)   // fewer states than the full search
            if (std::string(f.model) == p.model && std::string(f.features) == p.features) {
                CHECK(p.states < f.states);
                CHECK(std::string(f.verdict) == p.verdict);
            }
    }
}

namespace {

// check_successor (only the invariants whose bytes a step changed) next to
// check_state (all of them), on every new state a search meets, with the
// search's own guarantee checked too: the parent breaks no invariant.
struct BothWays {
    const pxc::props::Checker& c;
    std::atomic<uint64_t> compared = 0, skipped_parents = 0, disagreed = 0;   // several threads call

    std::optional<pxc::explorer::Violation> check_state(const uint8_t* s) { return c.check_state(s); }
    std::optional<pxc::explorer::Violation> check_deadlock(const uint8_t* s) { return c.check_deadlock(s); }
    std::optional<pxc::explorer::Violation> check_successor(const uint8_t* parent, const uint8_t* s)
    {
        const auto full = c.check_state(s);
        if (c.check_state(parent)) {
            ++skipped_parents;
            return full;
        }
        const auto fast = c.check_successor(parent, s);
        ++compared;
        if (bool(fast) != bool(full) ||
            (fast && (fast->property != full->property || fast->message != full->message)))
            ++disagreed;
        return full;
    }
};

}  // namespace

TEST_CASE("check_successor finds what check_state finds on every step of every bundled model")
{
    using pxc::explorer::Order;
    for (const auto& dir : {"models", "models/ww"})
        for (const auto& e : std::filesystem::directory_iterator(std::string(SOURCE_ROOT) + "/" + dir))
            if (e.path().extension() == ".toml") {
                CAPTURE(e.path().string());
                const pxc::Scenario sc = pxc::load_scenario(e.path().string());
                const pxc::kernel::Model model(sc, sc.feature_set());
                const pxc::kernel::Symmetry sym(model);
                const pxc::kernel::SymmetricModel reduced(model, sym.usable() ? &sym : nullptr);
                pxc::props::Checker all(model, {});
                using pxc::explorer::Mode;
                using pxc::explorer::StoreKind;
                for (Order order : {Order::shortest, Order::cheapest_shortest})
                    for (const auto& [threads, mode, store] :
                         {std::tuple{1u, Mode::exact, StoreKind::flat}, std::tuple{2u, Mode::exact, StoreKind::flat},
                          std::tuple{1u, Mode::exact, StoreKind::tree}, std::tuple{2u, Mode::exact, StoreKind::tree},
                          std::tuple{1u, Mode::compact, StoreKind::flat}}) {
                        CAPTURE(int(order));
                        CAPTURE(threads);
                        CAPTURE(int(mode));
                        CAPTURE(int(store));
                        BothWays both{all};
                        pxc::explorer::Explorer ex(
                            reduced, both, {.max_states = 20000}, false, order,
                            pxc::explorer::Options{.threads = threads, .mode = mode, .store = store});
                        const auto r = ex.run();
                        if (threads == 1)   // (several threads may store a few states past the limit)
                            CHECK(both.compared + 1 == r.stats.states);   // every state but the initial one
                        CHECK(both.compared > 0);
                        CHECK(both.skipped_parents == 0);
                        CHECK(both.disagreed == 0);
                    }
            }
}

TEST_CASE("the bundled models with interchangeable tasks are the ones pinned reduced")
{
    // Every other bundled model has no class: the reduction is off there, and
    // its search is the full one. A new model with a class needs its rows above.
    std::set<std::string> with_class, pinned_models;
    for (const auto& dir : {"models", "models/ww"})
        for (const auto& e : std::filesystem::directory_iterator(std::string(SOURCE_ROOT) + "/" + dir))
            if (e.path().extension() == ".toml") {
                const pxc::Scenario sc = pxc::load_scenario(e.path().string());
                const pxc::kernel::Model model(sc, sc.feature_set());
                if (!pxc::kernel::Symmetry(model).classes().empty())
                    with_class.insert(std::string(dir) + "/" + e.path().filename().string());
            }
    for (const Pinned& p : pinned_symmetric)
        pinned_models.insert(p.model);
    CHECK(with_class == pinned_models);
}
