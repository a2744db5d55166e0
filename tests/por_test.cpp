// Partial-order reduction (kernel/por.hpp): the footprint and influence of
// hand-built states, and on the bundled models what the reduction must
// keep: every terminal state (deadlock checks) and, with the invariants'
// visible bytes, every visible projection of a reachable state (so every
// invariant verdict), with no more states than the full search.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "explorer/explorer.hpp"
#include "kernel/por.hpp"
#include "kernel_world.hpp"
#include "props/visibility.hpp"

using namespace pxc::test;
using pxc::kernel::Por;
namespace obj = pxc::kernel::obj;

namespace {

std::vector<uint8_t> nothing_visible(const Model& m) { return std::vector<uint8_t>(m.state_size(), 0); }

// A on CPU0, B on CPU1, each running its first operation.
World two_cpus(const std::vector<std::string>& a, const std::vector<std::string>& b, std::vector<int> amask = {0},
               std::vector<int> bmask = {1})
{
    World w(make_scenario(2, {"M1", "M2"}, {{"A", 0, a, amask}, {"B", 1, b, bmask}}), features("v7.1"));
    run_on(w.sys(), 0, A);
    run_on(w.sys(), 1, B);
    return w;
}

}  // namespace

TEST_CASE("por: disjoint locks on pinned CPUs are independent")
{
    World w = two_cpus({"lock M1", "unlock M1"}, {"lock M2", "unlock M2"});
    Por por(w.m, nothing_visible(w.m));
    uint64_t f = 0;
    REQUIRE(por.footprint(w.bytes.data(), 0, f));
    CHECK((f & obj::lock(M1)));
    CHECK(!(f & obj::lock(M2)));
    CHECK((f & obj::rq(0)));
    const uint64_t inf = por.influence(w.bytes.data(), 0);
    CHECK((inf & obj::lock(M2)));
    CHECK((inf & obj::rq(1)));
    CHECK(!(inf & obj::task(A)));
    CHECK(por.independent(w.bytes.data(), 0));
    CHECK(por.independent(w.bytes.data(), 1));
}

TEST_CASE("por: a lock another task's program takes is dependent")
{
    World w = two_cpus({"lock M1", "unlock M1"}, {"lock M2", "lock M1", "unlock M1", "unlock M2"});
    Por por(w.m, nothing_visible(w.m));
    CHECK(!por.independent(w.bytes.data(), 0));   // B may take M1 before A moves
    // B's M2 no one else takes; while B stands still A can only take and
    // release M1, which B does not hold: B's step is independent of that.
    CHECK(por.independent(w.bytes.data(), 1));
}

TEST_CASE("por: a task that may sleep may be woken onto this CPU")
{
    // B may sleep on M2 (C holds it) and be woken on CPU0 (its mask allows it):
    // CPU0's run queue is not A's alone.
    World w(make_scenario(2, {"M1", "M2"},
                          {{"A", 0, {"lock M1", "unlock M1"}, {0}}, {"B", 1, {"lock M2", "unlock M2"}, {0, 1}},
                           {"C", 1, {"lock M2", "unlock M2"}, {1}}}),
            features("v7.1"));
    run_on(w.sys(), 0, A);
    run_on(w.sys(), 1, B);
    w.sys().task(C).cpu() = 1;
    Por por(w.m, nothing_visible(w.m));
    CHECK((por.influence(w.bytes.data(), 0) & obj::queued(0)));
    CHECK(!por.independent(w.bytes.data(), 0));
}

TEST_CASE("por: the barrier cuts the others' future")
{
    // test_cycle: before A reaches the barrier, B cannot pass its own and
    // take M1; once A is past it, B can.
    World w = two_cpus({"lock M1", "barrier", "lock M2", "unlock M2", "unlock M1"},
                       {"lock M2", "barrier", "lock M1", "unlock M1", "unlock M2"});
    Por por(w.m, nothing_visible(w.m));
    CHECK(!(por.influence(w.bytes.data(), 0) & obj::lock(M1)));
    CHECK(por.independent(w.bytes.data(), 0));
    at(w.sys(), A, 2, OP_START);   // A past its barrier, about to lock M2
    CHECK((por.influence(w.bytes.data(), 0) & obj::lock(M2)));
    CHECK(!por.independent(w.bytes.data(), 0));
}

TEST_CASE("por: no candidate with a blocked task queued, nor in the middle of a wakeup")
{
    World w = two_cpus({"lock M1", "unlock M1"}, {"lock M2", "unlock M2"}, {0}, {0, 1});
    Por por(w.m, nothing_visible(w.m));
    // B parked on CPU0 as a donor blocked on M1
    w.sys().task(B).cpu() = 0;
    w.sys().cpu(1).curr() = IDLE;
    w.sys().cpu(1).donor() = IDLE;
    w.sys().task(B).blocked_on() = blocked_on_mutex(M1);
    uint64_t f = 0;
    CHECK(!por.footprint(w.bytes.data(), 0, f));
    w.sys().task(B).blocked_on() = BLOCKED_ON_NULL;
    CHECK(por.footprint(w.bytes.data(), 0, f));
    CHECK((f & obj::task_sched(B)));   // the preemption may pick B
    at(w.sys(), A, 0, WAKE_UP_Q);
    CHECK(!por.footprint(w.bytes.data(), 0, f));
}

TEST_CASE("por: visible bytes of the selected invariants")
{
    World w = two_cpus({"lock M1", "unlock M1"}, {"lock M2", "unlock M2"});
    pxc::props::Checker affinity(w.m, {"no_affinity_violating_run"});
    const auto vis = pxc::props::visible_bytes(w.m, affinity.selected());
    const auto sys = w.sys();
    CHECK(vis[size_t(&sys.cpu(0).curr() - w.bytes.data())]);
    CHECK(vis[size_t(&sys.task(A).cpus_mask() - w.bytes.data())]);
    CHECK(!vis[size_t(&sys.task(A).pc() - w.bytes.data())]);
    CHECK(!vis[size_t(&sys.lock(M1).owner() - w.bytes.data())]);
    pxc::props::Checker deadlock(w.m, {"no_deadlock"});
    const auto none = pxc::props::visible_bytes(w.m, deadlock.selected());
    CHECK(std::count(none.begin(), none.end(), 0) == long(none.size()));
}

TEST_CASE("por: holds() reads only the bytes marked visible for it, on every state of the bundled models")
{
    // mutual_exclusion reads holds(t, m) and lock->owner: its visible bytes
    // are each task's program position (and ww context) and the owners.
    // Changing any other byte of a task must leave every holds() as it was.
    int states = 0;
    for (const char* file : {"models/contention.toml", "models/ww/test-cycle3-1cpu-wound-wait.toml",
                             "models/ww/test-abba-resolve-wait-die.toml"}) {
        INFO(file);
        const pxc::Scenario sc = pxc::load_scenario(std::string(SOURCE_ROOT) + "/" + file);
        const Model model(sc, sc.feature_set({}));
        pxc::props::Checker me(model, {"mutual_exclusion"});
        const auto vis = pxc::props::visible_bytes(model, me.selected());
        const pxc::kernel::Layout& l = model.layout();
        const std::vector<uint8_t> probe(l.size);
        const auto task0 = model.view(probe.data()).task(0);
        CHECK(vis[size_t(&task0.pc_op() - probe.data())]);
        CHECK(!vis[size_t(&task0.on_rq() - probe.data())]);
        CHECK(!vis[size_t(&task0.cpus_mask() - probe.data())]);
        pxc::props::Checker none(model, {"no_kernel_warning"});
        pxc::explorer::Limits small;
        small.max_states = 3000;
        pxc::explorer::Explorer ex(model, none, small, false);
        const auto r = ex.run();
        int changed = 0;
        for (uint32_t i = 0; i < r.stats.states; ++i, ++states) {
            std::vector<uint8_t> s(ex.state(i), ex.state(i) + l.size);
            for (size_t b = l.task_off; b < l.task_off + size_t(l.ntasks) * l.task_bytes(); ++b) {
                if (vis[b])
                    continue;
                for (uint8_t v : {uint8_t(0), uint8_t(1), uint8_t(2), uint8_t(0xFF), uint8_t(s[b] ^ 1)}) {
                    std::vector<uint8_t> o = s;
                    o[b] = v;
                    for (int t = 0; t < l.ntasks; ++t)
                        for (int m = 0; m < l.nlocks; ++m)
                            changed += model.holds(o.data(), t, m) != model.holds(s.data(), t, m);
                }
            }
        }
        CHECK(changed == 0);
    }
    CHECK(states > 5000);
}

namespace {

// Never reports: records every state's visible projection and every terminal state.
struct Recorder {
    Recorder(const std::vector<uint8_t>* v, size_t n) : visible(v), size(n) {}
    const std::vector<uint8_t>* visible;
    size_t size;
    std::set<std::string> projections, terminals;
    std::mutex lock;   // the parallel search calls from several threads
    std::optional<pxc::explorer::Violation> check_state(const uint8_t* s)
    {
        std::lock_guard g(lock);
        std::string p(size, '\0');
        for (size_t i = 0; i < size; ++i)
            p[i] = (*visible)[i] ? char(s[i]) : '\0';
        projections.insert(p);
        return std::nullopt;
    }
    std::optional<pxc::explorer::Violation> check_deadlock(const uint8_t* s)
    {
        std::lock_guard g(lock);
        terminals.insert(std::string(reinterpret_cast<const char*>(s), size));
        return std::nullopt;
    }
};

}  // namespace

TEST_CASE("por: the bundled models keep their terminal states and visible projections")
{
    namespace fs = std::filesystem;
    int compared = 0;
    for (const char* dir : {"models", "models/ww"}) {
        for (const auto& entry : fs::directory_iterator(std::string(SOURCE_ROOT) + "/" + dir)) {
            if (entry.path().extension() != ".toml")
                continue;
            const pxc::Scenario sc = pxc::load_scenario(entry.path().string());
            const Model model(sc, sc.feature_set({}));
            pxc::props::Checker all(model, {});
            const auto vis = pxc::props::visible_bytes(model, all.selected());
            pxc::explorer::Limits small;
            small.max_states = 400000;
            Recorder full(&vis, model.state_size());
            pxc::explorer::Explorer fx(model, full, small, false);
            const auto fr = fx.run();
            if (fr.verdict != pxc::explorer::Verdict::holds)
                continue;   // too big for the unit tests
            INFO(entry.path().string());
            for (bool invariants : {true, false}) {
                Por por(model, invariants ? vis : std::vector<uint8_t>(model.state_size(), 0), invariants);
                pxc::explorer::Options o;
                o.reduction = &por;
                uint64_t one_thread_states = 0, one_thread_transitions = 0;
                for (unsigned threads : {1u, 3u}) {
                    o.threads = threads;
                    Recorder red(&vis, model.state_size());
                    pxc::explorer::Explorer rx(model, red, {}, false, pxc::explorer::Order::shortest, o);
                    const auto rr = rx.run();
                    CHECK(rr.verdict == pxc::explorer::Verdict::holds);
                    CHECK(rr.stats.states <= fr.stats.states);
                    CHECK(red.terminals == full.terminals);
                    if (invariants)
                        CHECK(red.projections == full.projections);
                    // the ample choice and the proviso do not depend on the thread count
                    if (threads == 1) {
                        one_thread_states = rr.stats.states;
                        one_thread_transitions = rr.stats.transitions;
                    } else {
                        CHECK(rr.stats.states == one_thread_states);
                        CHECK(rr.stats.transitions == one_thread_transitions);
                    }
                }
            }
            ++compared;
        }
    }
    CHECK(compared >= 10);
}
