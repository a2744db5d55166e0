// Unit tests of the v7.2 ("G2") model, one kernel rule each
// (kernel-protocol.md 1.1, 3.3.2, 3.5.2, 3.6, 3.7 "G2 differences", 3.8;
// seeds/003): p->is_blocked set by __schedule() and tested instead of
// blocked_on, find_proxy_task() without proxy_force_return(),
// proxy_needs_return() in try_to_wake_up(), the blocked_donor link and its
// handoff in __mutex_unlock_slowpath() with PeterZ's races (A) and (B), the
// G2 properties, and the model's event counters.
//
// Same pattern as kernel_test.cpp (helpers in kernel_world.hpp): a tiny
// scenario, its initial state hand-edited to sit just before the rule, the
// step of interest selected from the successors, the fields it changes
// checked. Hand-built states need not be reachable.
//
// Tests marked doctest::skip() are places where the model disagrees with
// kernel-protocol.md; each says where.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel_world.hpp"
#include "props/checker.hpp"

using namespace pxc;
using namespace pxc::kernel;
using namespace pxc::test;

namespace {

const std::vector<std::string> lock_unlock_m1 = {"lock M1", "unlock M1"};

FeatureSet v72(const std::vector<std::string>& edits = {}) { return features("v7.2", edits); }

// 2 CPUs, M1; A on CPU0, B (and C) on CPU1, each `lock M1; unlock M1`.
Scenario one_lock(int ntasks = 2, int cpus = 2)
{
    std::vector<TaskSpec> tasks = {{"A", 0, lock_unlock_m1}, {"B", 1, lock_unlock_m1}, {"C", 1, lock_unlock_m1}};
    tasks.resize(size_t(ntasks));
    return make_scenario(cpus, {"M1"}, tasks);
}

// A (allowed on a_mask) queued on CPU0 after schedule(): waits for M1 with
// is_blocked set; B (allowed on b_mask, task_cpu b_cpu) holds M1. CPU0 is idle.
World blocked_on_b(int b_cpu, std::vector<int> a_mask = {}, std::vector<int> b_mask = {}, FeatureSet f = v72())
{
    World w(make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1, a_mask}, {"B", b_cpu, lock_unlock_m1, b_mask}}), f);
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).set_is_blocked(true);
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);
    return w;
}

// The one successor among `of` whose pick_next_task choices are exactly p.
const Succ& with_picks(const std::vector<const Succ*>& of, const std::vector<int>& p)
{
    const Succ* found = nullptr;
    int n = 0;
    for (const Succ* s : of) {
        if (picks(s->step) == p) {
            found = s;
            ++n;
        }
    }
    INFO("successors with the given picks");
    REQUIRE(n == 1);
    return *found;
}

// Explores the model's successors once without narration, as the search
// does: the step functions count their events only then.
void expand(const World& w)
{
    w.m.for_each_successor(w.bytes.data(), [](Label, const uint8_t*) {});
}

// Every state reachable from the initial one (a plain DFS, for small models):
// the step kinds taken, and whether some CPU was ever inside proxy_force_return().
struct Reach {
    std::set<StepKind> kinds;
    bool force_return_state = false;
    size_t states = 0;
};

Reach reach(const Model& m)
{
    Reach r;
    const size_t n = m.state_size();
    std::set<std::string> seen;   // states as byte strings
    std::vector<std::string> todo(1, std::string(n, '\0'));
    m.initial_state(reinterpret_cast<uint8_t*>(todo[0].data()));
    seen.insert(todo[0]);
    while (!todo.empty()) {
        const std::string s = std::move(todo.back());
        todo.pop_back();
        const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
        const ConstSys sys = m.view(bytes);
        for (int c = 0; c < m.layout().ncpus; ++c)
            if (sys.cpu(c).sched() == SCHED_FORCE_RETURN || sys.cpu(c).sched() == SCHED_FORCE_RETURN_ATTACH)
                r.force_return_state = true;
        m.for_each_successor(bytes, [&](Label l, const uint8_t* next) {
            r.kinds.insert(Step::unpack(l).kind);
            std::string v(reinterpret_cast<const char*>(next), n);
            if (seen.insert(v).second)
                todo.push_back(std::move(v));
        });
    }
    r.states = seen.size();
    return r;
}

Scenario bundled(const char* model) { return load_scenario(std::string(SOURCE_ROOT) + "/" + model); }

}  // namespace

// ===========================================================================
// kernel/sched/core.c: __schedule (3.6)

TEST_CASE("__schedule (v7.2) keeps a mutex-blocked prev queued as a donor and sets is_blocked; v7.1 has no "
          "is_blocked byte")
{
    const Scenario sc = make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1}, {"B", 0, lock_unlock_m1}});
    auto prepare = a_about_to_sleep_on_b;

    SUBCASE("v7.2: A stays queued with is_blocked = 1 whatever is picked")
    {
        World w(sc, v72());
        CHECK(w.m.layout().g2);
        prepare(w);
        CHECK_FALSE(w.now().task(A).is_blocked());
        const auto steps = w.steps();
        const auto sched = select(steps, StepKind::schedule, 0, A);
        REQUIRE(sched.size() == 2);   // pick A (proxy: run B) or pick B
        for (const Succ* st : sched) {
            auto n = w.after(*st);
            CHECK(n.task(A).is_blocked());
            CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
            CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
            CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
            CHECK(n.task(A).pc() == LOCK_WOKEN);
            CHECK(n.cpu(0).curr() == B);
            CHECK_FALSE(n.task(B).is_blocked());
        }
        CHECK(w.after(picking(sched, A)).cpu(0).donor() == A);
        CHECK(w.after(picking(sched, B)).cpu(0).donor() == B);
    }
    SUBCASE("v7.2: a prev whose blocked_on the unlock already cleared blocks normally (dequeued, is_blocked 0)")
    {
        World w(sc, v72());
        prepare(w);
        Sys s = w.sys();
        s.lock(M1).owner() = NO_TASK;   // B released M1 and cleared A's blocked_on; its wakeup is pending
        at(s, B, 1, WAKE_UP_Q);
        s.task(B).wake_q() = 1u << A;
        s.task(A).blocked_on() = BLOCKED_ON_NULL;

        auto n = w.after(only(w.steps(), StepKind::schedule, 0, A));
        CHECK(n.task(A).on_rq() == NOT_ON_RQ);
        CHECK_FALSE(n.task(A).is_blocked());
        CHECK(n.cpu(0).curr() == B);
    }
    SUBCASE("v7.1: no is_blocked byte in the layout (G1 tests blocked_on)")
    {
        World g1(sc, features("v7.1"));
        World g2(sc, v72());
        CHECK_FALSE(g1.m.layout().g2);
        CHECK(g1.m.layout().task_bytes() == 10);
        CHECK(g2.m.layout().task_bytes() == 11);
        CHECK(g2.m.state_size() == g1.m.state_size() + 2);   // one byte per task

        prepare(g1);
        const auto steps = g1.steps();
        const auto sched = select(steps, StepKind::schedule, 0, A);
        REQUIRE(sched.size() == 2);
        for (const Succ* st : sched)
            CHECK(g1.after(*st).task(A).on_rq() == TASK_ON_RQ_QUEUED);   // kept as a donor by blocked_on alone
    }
}

TEST_CASE("task_is_blocked (v7.2) tests is_blocked, not blocked_on: a picked task with is_blocked = 0 runs "
          "directly although blocked_on = M1; with is_blocked = 1 it goes through find_proxy_task")
{
    World w = blocked_on_b(0);   // B queued on CPU0 too, runnable

    SUBCASE("is_blocked = 0")
    {
        w.sys().task(A).set_is_blocked(false);
        const auto steps = w.steps();
        auto n = w.after(picking(select(steps, StepKind::idle_schedule, 0), A));
        CHECK(n.cpu(0).curr() == A);
        CHECK(n.cpu(0).donor() == A);
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(B).blocked_donor() == NO_TASK);   // no find_proxy_task walk
    }
    SUBCASE("is_blocked = 1")
    {
        const auto steps = w.steps();
        auto n = w.after(picking(select(steps, StepKind::idle_schedule, 0), A));
        CHECK(n.cpu(0).curr() == B);
        CHECK(n.cpu(0).donor() == A);
        CHECK(n.task(A).is_blocked());
        CHECK(n.task(B).blocked_donor() == A);
    }
}

// ===========================================================================
// kernel/sched/core.c: find_proxy_task, is_blocked form (3.7 "G2 differences", 3.8)

TEST_CASE("find_proxy_task (v7.2) on a woken member (blocked_on NULL) that is rq->curr clears is_blocked and runs "
          "it")
{
    // Hand-built: A is rq->curr of CPU0 with is_blocked set and blocked_on
    // cleared by B's unlock, already TASK_RUNNING; it calls schedule().
    World w(one_lock(), v72());
    Sys s = w.sys();
    waits(s, M1, A, LOCK_SCHEDULE);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;
    s.task(A).state() = TASK_RUNNING;
    s.task(A).set_is_blocked(true);
    run_on(s, 0, A);
    at(s, B, 1, WAKE_UP_Q);
    s.task(B).wake_q() = 1u << A;
    run_on(s, 1, B);

    const Succ sched = only(w.steps(), StepKind::schedule, 0, A);
    CHECK(picks(sched.step) == std::vector<int>{A});
    auto n = w.after(sched);
    CHECK_FALSE(n.task(A).is_blocked());
    CHECK(n.cpu(0).curr() == A);
    CHECK(n.cpu(0).donor() == A);
    CHECK(n.cpu(0).sched() == SCHED_NONE);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.warnings() == 0);
}

TEST_CASE("find_proxy_task (v7.2) deactivates a woken donor that is not rq->curr (no proxy_force_return); "
          "try_to_wake_up then places it on a CPU of its mask with is_blocked cleared")
{
    // The G1 force-return situation: 3 CPUs, A (allowed on {0, 2}) parked on
    // CPU1 as a migrated donor (wake_cpu 0); B on CPU0 released M1, cleared
    // A's blocked_on and is about to wake it.
    World w(make_scenario(3, {"M1"}, {{"A", 0, lock_unlock_m1, {0, 2}}, {"B", 0, lock_unlock_m1}}), v72());
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;
    s.task(A).set_is_blocked(true);
    s.task(A).cpu() = 1;
    at(s, B, 1, WAKE_UP_Q);
    s.task(B).wake_q() = 1u << A;
    run_on(s, 0, B);

    const Succ pick = only(w.steps(), StepKind::idle_schedule, 1);
    CHECK(picks(pick.step) == std::vector<int>{A, IDLE});   // proxy_deactivate, then pick again
    auto n = w.after(pick);
    CHECK(n.task(A).on_rq() == NOT_ON_RQ);
    CHECK(n.task(A).cpu() == 1);
    CHECK(n.task(A).is_blocked());   // cleared by the wakeup that places it
    CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
    CHECK(n.cpu(1).sched() == SCHED_NONE);   // no SCHED_FORCE_RETURN
    CHECK(n.cpu(1).donor() == IDLE);
    CHECK(n.cpu(1).curr() == IDLE);
    CHECK(n.warnings() == 0);
    CHECK(verdict(w, "donor_valid", pick).empty());

    w.go(pick);
    const Succ ttwu = only(w.steps(), StepKind::try_to_wake_up, 0, B);
    CHECK(w.after(ttwu).task(B).pc() == TTWU_ACTIVATE);
    w.go(ttwu);
    const auto steps = w.steps();
    const auto acts = select(steps, StepKind::ttwu_activate, 0, B);
    REQUIRE(acts.size() == 2);
    std::vector<int> cpus;
    for (const Succ* act : acts) {
        const int c = act->step.arg;
        cpus.push_back(c);
        auto a = w.after(*act);
        CHECK(a.task(A).cpu() == c);
        CHECK(a.task(A).wake_cpu() == c);
        CHECK(a.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(a.task(A).state() == TASK_RUNNING);
        CHECK_FALSE(a.task(A).is_blocked());
    }
    CHECK(cpus == std::vector<int>{0, 2});
}

TEST_CASE("find_proxy_task (v7.2) deactivates a woken chain member that is not the donor; the donor stays queued")
{
    // CPU0 idle; queued there: A waits for M1 held by B; B, woken from M2
    // (blocked_on NULL, is_blocked still set); C runnable.
    World w(make_scenario(2, {"M1", "M2"},
                          {{"A", 0, lock_unlock_m1},
                           {"B", 0, {"lock M1", "lock M2", "unlock M2", "unlock M1"}},
                           {"C", 0, {"lock M2", "unlock M2"}}}),
            v72());
    Sys s = w.sys();
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);
    waits(s, M2, B, LOCK_WOKEN);
    s.task(B).blocked_on() = BLOCKED_ON_NULL;
    s.task(B).set_is_blocked(true);
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).set_is_blocked(true);

    const auto steps = w.steps();
    const auto idle = select(steps, StepKind::idle_schedule, 0);
    // pick A: A -> M1 -> B, B woken and not rq->curr: proxy_deactivate(B); pick again C
    const Succ& st = with_picks(idle, {A, C});
    auto n = w.after(st);
    CHECK(n.task(B).on_rq() == NOT_ON_RQ);
    CHECK(n.task(B).is_blocked());
    CHECK(n.task(B).blocked_donor() == A);   // recorded on the hop A -> M1 -> B
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
    CHECK(n.task(A).is_blocked());
    CHECK(n.cpu(0).curr() == C);
    CHECK(n.cpu(0).donor() == C);
    CHECK_CONTAINS(st.narration, "proxy_deactivate(B): dequeued");
    CHECK(n.warnings() == 0);
}

TEST_CASE("find_proxy_task (v7.2) on a mutex without owner runs rq->curr (blocked_on and is_blocked cleared) and "
          "deactivates any other waiter")
{
    SUBCASE("rq->curr: A's schedule() finds M1 released")
    {
        World w(one_lock(), v72());
        Sys s = w.sys();
        waits(s, M1, A, LOCK_SCHEDULE);
        run_on(s, 0, A);
        at(s, B, 1, UNLOCK_WAIT_LOCK);   // B released M1, about to take wait_lock
        run_on(s, 1, B);

        const Succ sched = only(w.steps(), StepKind::schedule, 0, A);
        CHECK(picks(sched.step) == std::vector<int>{A});
        auto n = w.after(sched);
        CHECK(n.cpu(0).curr() == A);
        CHECK(n.cpu(0).donor() == A);
        CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
        CHECK_FALSE(n.task(A).is_blocked());
        CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(n.task(A).pc() == LOCK_WOKEN);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("not rq->curr: proxy_deactivate, blocked_on kept")
    {
        World w = blocked_on_b(1);
        Sys s = w.sys();
        s.lock(M1).owner() = NO_TASK;
        at(s, B, 1, UNLOCK_WAIT_LOCK);
        run_on(s, 1, B);

        const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
        CHECK(picks(pick.step) == std::vector<int>{A, IDLE});
        auto n = w.after(pick);
        CHECK(n.task(A).on_rq() == NOT_ON_RQ);
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(A).is_blocked());
        CHECK(n.cpu(0).donor() == IDLE);
        CHECK(n.cpu(0).curr() == IDLE);
        CHECK(n.cpu(0).sched() == SCHED_NONE);
        CHECK(n.warnings() == 0);
    }
}

TEST_CASE("find_proxy_task (v7.2) with a sleeping owner goes idle when rq->curr is in the chain, else clears the "
          "member's blocked_on and deactivates it")
{
    World w = blocked_on_b(1);
    Sys s = w.sys();
    s.task(B).on_rq() = NOT_ON_RQ;   // B sleeps holding M1
    s.task(B).state() = TASK_UNINTERRUPTIBLE;

    SUBCASE("curr_in_chain: A's own schedule()")
    {
        at(s, A, 0, LOCK_SCHEDULE);
        s.task(A).set_is_blocked(false);   // set by this schedule()
        run_on(s, 0, A);
        const Succ sched = only(w.steps(), StepKind::schedule, 0, A);
        CHECK(picks(sched.step) == std::vector<int>{A});
        auto n = w.after(sched);
        CHECK(n.cpu(0).curr() == IDLE);
        CHECK(n.cpu(0).donor() == IDLE);
        CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(A).is_blocked());
        CHECK(n.warnings() == 0);
    }
    SUBCASE("picked from idle: blocked_on cleared, dequeued")
    {
        const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
        CHECK(picks(pick.step) == std::vector<int>{A, IDLE});
        auto n = w.after(pick);
        CHECK(n.task(A).on_rq() == NOT_ON_RQ);
        CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
        CHECK(n.task(A).is_blocked());
        CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
        CHECK(n.lock(M1).has_waiter(A));   // still a waiter: B's unlock wakes it
        CHECK(n.cpu(0).donor() == IDLE);
        CHECK(n.cpu(0).curr() == IDLE);
        CHECK(n.warnings() == 0);
    }
}

TEST_CASE("find_proxy_task (v7.2) migrates a member whose owner is on another CPU (proxy_migrate_task: MIGRATING, "
          "task_cpu = the owner's, wake_cpu kept); with rq->curr in the chain it goes idle")
{
    World w = blocked_on_b(1, {0}, {1});
    run_on(w.sys(), 1, B);

    SUBCASE("picked from idle")
    {
        const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
        CHECK(picks(pick.step) == std::vector<int>{A});
        auto n = w.after(pick);
        CHECK(n.task(A).on_rq() == TASK_ON_RQ_MIGRATING);
        CHECK(n.task(A).cpu() == 1);
        CHECK(n.task(A).wake_cpu() == 0);
        CHECK(n.task(A).is_blocked());
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(B).blocked_donor() == NO_TASK);   // the walk did not move on to B
        CHECK(n.cpu(0).sched() == SCHED_MIGRATE_ATTACH);
        CHECK(n.cpu(0).arg_task() == A);
        CHECK(n.cpu(0).arg_cpu() == 1);
        CHECK(n.cpu(0).donor() == IDLE);
        CHECK(n.warnings() == 0);

        // Attached on CPU1, A is picked there and B runs as its proxy.
        w.go(pick);
        w.go(only(w.steps(), StepKind::proxy_migrate_attach, 0));
        const auto steps = w.steps();
        auto p = w.after(picking(select(steps, StepKind::preempt, 1, B), A));
        CHECK(p.cpu(1).curr() == B);
        CHECK(p.cpu(1).donor() == A);
        CHECK(p.task(B).blocked_donor() == A);
        CHECK(verdict(w, "no_affinity_violating_run", p.bytes.data()).empty());
    }
    SUBCASE("curr_in_chain: A's own schedule()")
    {
        Sys s = w.sys();
        at(s, A, 0, LOCK_SCHEDULE);
        s.task(A).set_is_blocked(false);
        run_on(s, 0, A);
        auto n = w.after(only(w.steps(), StepKind::schedule, 0, A));
        CHECK(n.cpu(0).curr() == IDLE);
        CHECK(n.cpu(0).donor() == IDLE);
        CHECK(n.cpu(0).sched() == SCHED_NONE);
        CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(n.task(A).cpu() == 0);
        CHECK(n.task(A).is_blocked());
    }
}

TEST_CASE("find_proxy_task sets owner->blocked_donor = p on each hop with blocked_donor, not without it")
{
    // CPU0 idle; queued there: A waits for M1 held by B, B waits for M2 held by C, C runnable.
    const Scenario sc = make_scenario(2, {"M1", "M2"},
                                      {{"A", 0, lock_unlock_m1},
                                       {"B", 0, {"lock M1", "lock M2", "unlock M2", "unlock M1"}},
                                       {"C", 0, {"lock M2", "unlock M2"}}});
    struct Case {
        const char* baseline;
        std::vector<std::string> edits;
        bool links;
    };
    for (const Case& k : {Case{"v7.2", {}, true}, Case{"v7.2", {"-blocked_donor"}, false},
                          Case{"v7.1", {"+blocked_donor"}, true}}) {
        CAPTURE(k.baseline);
        CAPTURE(k.edits.size());
        World w(sc, features(k.baseline, k.edits));
        REQUIRE(w.m.layout().g2);
        Sys s = w.sys();
        s.lock(M1).owner() = B;
        s.lock(M2).owner() = C;
        at(s, B, 1, OP_START);
        at(s, C, 1, OP_START);
        waits(s, M1, A, LOCK_WOKEN);
        waits(s, M2, B, LOCK_WOKEN);
        if (w.m.has(Feature::is_blocked)) {
            s.task(A).set_is_blocked(true);
            s.task(B).set_is_blocked(true);
        }

        const auto steps = w.steps();
        const auto idle = select(steps, StepKind::idle_schedule, 0);
        auto n = w.after(picking(idle, A));
        CHECK(n.cpu(0).curr() == C);
        CHECK(n.cpu(0).donor() == A);
        CHECK(n.task(B).blocked_donor() == (k.links ? A : NO_TASK));
        CHECK(n.task(C).blocked_donor() == (k.links ? B : NO_TASK));
        CHECK(n.task(A).blocked_donor() == NO_TASK);
        CHECK(n.warnings() == 0);
    }
}

TEST_CASE("proxy_deactivate (v7.2) on a TASK_RUNNING chain member raises W_A16_DEACTIVATE_RUNNING and goes idle")
{
    // Hand-built: A was woken (TASK_RUNNING) but is_blocked is still set and
    // its blocked_on cleared; it is queued on CPU0, not rq->curr.
    World w(one_lock(), v72());
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;
    s.task(A).state() = TASK_RUNNING;
    s.task(A).set_is_blocked(true);
    CHECK(verdict(w, "no_kernel_warning").empty());

    const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
    auto n = w.after(pick);
    CHECK(n.warnings() == (1u << W_A16_DEACTIVATE_RUNNING));
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);   // not dequeued
    CHECK(n.task(A).is_blocked());
    CHECK(n.cpu(0).curr() == IDLE);
    CHECK(n.cpu(0).donor() == IDLE);
    CHECK_CONTAINS(pick.narration, "WARN");
    CHECK_CONTAINS(verdict(w, "no_kernel_warning", pick), "A16");

    // Nothing else changes it: CPU0 picks it again into the same state, a
    // self-loop with no terminal state (no_lost_wakeup never sees it).
    w.go(pick);
    CHECK(w.after(only(w.steps(), StepKind::idle_schedule, 0)).bytes == w.bytes);
}

TEST_CASE("no proxy_force_return step and no CPU inside proxy_force_return is ever reachable under is_blocked")
{
    const char* const g2 = "-proxy_waking,+is_blocked,+ttwu_return_migration,+blocked_donor,+unlock_preempt_guard";
    struct Case {
        const char* model;
        const char* features;
        bool force_return;
    };
    for (const Case& k : {Case{"models/proxy-waking-affinity.toml", "", true},   // v7.1: the control
                          Case{"models/proxy-waking-affinity.toml", g2, false},
                          Case{"models/sleeping-owner.toml", g2, false},
                          Case{"models/blocked-donor-race-b.toml", "", false},
                          Case{"models/blocked-donor-race-b.toml", "-unlock_preempt_guard,+ttwu_any_is_blocked", false},
                          Case{"models/blocked-donor-race-b.toml", "-unlock_preempt_guard", false}}) {
        CAPTURE(k.model);
        CAPTURE(k.features);
        const Scenario sc = bundled(k.model);
        const Model m(sc, sc.feature_set(split_feature_list(k.features)));
        const Reach r = reach(m);
        CHECK(r.states > 100);
        CHECK(r.kinds.count(StepKind::proxy_force_return) == (k.force_return ? 1u : 0u));
        CHECK(r.kinds.count(StepKind::proxy_force_return_attach) == (k.force_return ? 1u : 0u));
        CHECK(r.force_return_state == k.force_return);
    }
}

// ===========================================================================
// kernel/sched/core.c: __schedule resets blocked_donor (3.6, v29 7/9)

TEST_CASE("__schedule resets blocked_donor of a task picked to run as itself, not of one run as a proxy")
{
    // B holds M1 and runs on CPU0; A waits for M1, queued on CPU0 (is_blocked).
    for (bool donor_link : {true, false}) {
        CAPTURE(donor_link);
        World w = blocked_on_b(0, {}, {}, donor_link ? v72() : v72({"-blocked_donor"}));
        run_on(w.sys(), 0, B);

        // Preempted, B is picked again through A: it runs as A's proxy.
        const auto steps = w.steps();
        const Succ& via_a = picking(select(steps, StepKind::preempt, 0, B), A);
        CHECK(w.after(via_a).cpu(0).curr() == B);
        CHECK(w.after(via_a).cpu(0).donor() == A);
        CHECK(w.after(via_a).task(B).blocked_donor() == (donor_link ? A : NO_TASK));

        // Preempted again, B is picked as itself: nobody boosts it any more.
        w.go(via_a);
        const auto again = w.steps();
        const auto pre = select(again, StepKind::preempt, 0, B);
        auto itself = w.after(picking(pre, B));
        CHECK(itself.cpu(0).curr() == B);
        CHECK(itself.cpu(0).donor() == B);
        CHECK(itself.task(B).blocked_donor() == NO_TASK);
        CHECK(w.after(picking(pre, A)).task(B).blocked_donor() == (donor_link ? A : NO_TASK));

        if (!donor_link) {   // without the feature nothing resets a (hand-set) link either
            w.sys().task(B).set_blocked_donor(A);
            const auto pre2 = w.steps();
            CHECK(w.after(picking(select(pre2, StepKind::preempt, 0, B), B)).task(B).blocked_donor() == A);
        }
    }
}

// Disagreement with kernel-protocol.md 3.6 (P2, [V23-8]): there
// `rq_set_donor(rq, next); next->blocked_donor = NULL;` comes right after
// pick_next_task(), before `if (task_is_blocked(next))`, i.e. for every pick.
// The model (sched.cpp pick_again) resets it only for a task picked to run as
// itself; a blocked donor that is itself a boosted lock owner (X -> M0 -> A ->
// M1 -> B) keeps its link when it is picked as a donor. (3.3.2's wording,
// "picks current directly", reads like the model's.)
TEST_CASE("__schedule resets next->blocked_donor for every pick, also a blocked donor (kernel-protocol.md 3.6 P2)" *
          doctest::skip())
{
    World w = blocked_on_b(0);   // A waits for M1 (is_blocked), B holds it; both queued on CPU0
    w.sys().task(A).set_blocked_donor(B);   // a stale link (A used to be boosted)
    const auto steps = w.steps();
    auto n = w.after(picking(select(steps, StepKind::idle_schedule, 0), A));
    CHECK(n.cpu(0).donor() == A);
    CHECK(n.cpu(0).curr() == B);
    CHECK(n.task(A).blocked_donor() == NO_TASK);
}

// ===========================================================================
// kernel/sched/core.c: try_to_wake_up / proxy_needs_return (3.5.2)

namespace {

// 3 CPUs: A (allowed on {0, 2}, wake_cpu 0) waits for M1 and was parked on
// CPU1 as a donor (is_blocked set); B on CPU1 runs as its proxy, released M1
// (no handoff), cleared A's blocked_on and is about to wake it.
World parked_donor(FeatureSet f)
{
    World w(make_scenario(3, {"M1"}, {{"A", 0, lock_unlock_m1, {0, 2}}, {"B", 1, lock_unlock_m1}}), f);
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;
    s.task(A).set_is_blocked(true);
    s.task(A).cpu() = 1;
    at(s, B, 1, WAKE_UP_Q);
    s.task(B).wake_q() = 1u << A;
    run_on(s, 1, B);
    s.cpu(1).donor() = A;
    return w;
}

}  // namespace

TEST_CASE("try_to_wake_up (v7.2): proxy_needs_return dequeues a woken donor parked off its wake_cpu for the full "
          "wakeup, which places it on a CPU of its mask and clears is_blocked")
{
    World w = parked_donor(v72());

    const Succ ttwu = only(w.steps(), StepKind::try_to_wake_up, 1, B);
    CHECK(ttwu.step.arg == A);
    auto n = w.after(ttwu);
    CHECK(n.task(A).on_rq() == NOT_ON_RQ);
    CHECK(n.task(A).cpu() == 1);
    CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
    CHECK(n.task(A).is_blocked());
    CHECK(n.cpu(1).donor() == IDLE);   // it was rq->donor: proxy_resched_idle()
    CHECK(n.cpu(1).curr() == B);
    CHECK(n.task(B).pc() == TTWU_ACTIVATE);
    CHECK(n.task(B).wake_target() == A);
    CHECK(verdict(w, "donor_valid", ttwu).empty());

    w.go(ttwu);
    const auto steps = w.steps();
    const auto acts = select(steps, StepKind::ttwu_activate, 1, B);
    REQUIRE(acts.size() == 2);
    std::vector<int> cpus;
    for (const Succ* act : acts) {
        const int c = act->step.arg;
        cpus.push_back(c);
        auto a = w.after(*act);
        CHECK(a.task(A).cpu() == c);
        CHECK(a.task(A).wake_cpu() == c);
        CHECK(a.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(a.task(A).state() == TASK_RUNNING);
        CHECK_FALSE(a.task(A).is_blocked());
        CHECK(a.task(B).wake_target() == NO_TASK);
        CHECK(a.task(B).pc_op() == 2);
    }
    CHECK(cpus == std::vector<int>{0, 2});
}

TEST_CASE("try_to_wake_up (v7.2) on a woken donor on its wake_cpu, or running, clears is_blocked and leaves it "
          "queued where it is, TASK_RUNNING")
{
    World w = parked_donor(v72());
    Sys s = w.sys();
    s.cpu(1).donor() = B;

    SUBCASE("queued on its wake_cpu, not running")
    {
        s.task(A).cpu() = 0;
    }
    SUBCASE("rq->curr of a CPU that is not its wake_cpu")
    {
        s.task(A).cpu() = 2;
        run_on(s, 2, A);
    }
    const int cpu = w.now().task(A).cpu();
    const Succ ttwu = only(w.steps(), StepKind::try_to_wake_up, 1, B);
    auto n = w.after(ttwu);
    CHECK_FALSE(n.task(A).is_blocked());
    CHECK(n.task(A).state() == TASK_RUNNING);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).cpu() == cpu);
    CHECK(n.task(A).wake_cpu() == 0);
    CHECK(n.task(B).wake_target() == NO_TASK);   // the wakeup is complete
    CHECK(n.task(B).pc_op() == 2);
}

TEST_CASE("try_to_wake_up (v7.2) on a task still blocked on a mutex (a stale wakeup) leaves is_blocked set; with "
          "+ttwu_any_is_blocked proxy_needs_return handles it")
{
    auto stale = [](FeatureSet f, int cpu) {
        World w = parked_donor(f);
        Sys s = w.sys();
        s.task(A).blocked_on() = blocked_on_mutex(M1);   // still waiting: nobody cleared it
        s.task(A).cpu() = uint8_t(cpu);
        if (cpu != 1)
            s.cpu(1).donor() = B;
        return w;
    };

    SUBCASE("default reading: ttwu_runnable only")
    {
        World w = stale(v72(), 1);
        auto n = w.after(only(w.steps(), StepKind::try_to_wake_up, 1, B));
        CHECK(n.task(A).is_blocked());
        CHECK(n.task(A).state() == TASK_RUNNING);
        CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(n.task(A).cpu() == 1);
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.cpu(1).donor() == A);
        CHECK(n.task(B).wake_target() == NO_TASK);
    }
    SUBCASE("+ttwu_any_is_blocked, parked off its wake_cpu: returned through the full wakeup")
    {
        World w = stale(v72({"+ttwu_any_is_blocked"}), 1);
        auto n = w.after(only(w.steps(), StepKind::try_to_wake_up, 1, B));
        CHECK(n.task(A).on_rq() == NOT_ON_RQ);
        CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
        CHECK(n.cpu(1).donor() == IDLE);
        CHECK(n.task(B).pc() == TTWU_ACTIVATE);
    }
    SUBCASE("+ttwu_any_is_blocked, on its wake_cpu: unblocked in place")
    {
        World w = stale(v72({"+ttwu_any_is_blocked"}), 0);
        auto n = w.after(only(w.steps(), StepKind::try_to_wake_up, 1, B));
        CHECK_FALSE(n.task(A).is_blocked());
        CHECK(n.task(A).state() == TASK_RUNNING);
        CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
        CHECK(n.task(A).cpu() == 0);
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));   // it re-checks the lock when it runs
        CHECK(n.task(B).wake_target() == NO_TASK);
    }
}

TEST_CASE("try_to_wake_up without ttwu_return_migration: a parked woken donor is only set TASK_RUNNING, is_blocked "
          "stays set")
{
    World w = parked_donor(v72({"-ttwu_return_migration"}));
    auto n = w.after(only(w.steps(), StepKind::try_to_wake_up, 1, B));
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).cpu() == 1);
    CHECK(n.task(A).state() == TASK_RUNNING);
    CHECK(n.task(A).is_blocked());
    CHECK(n.cpu(1).donor() == A);
    CHECK(n.task(B).wake_target() == NO_TASK);
    CHECK(n.task(B).pc_op() == 2);
}

// kernel-protocol.md 3.5.1 W2 ([V23-7]): a waking donor that is already
// TASK_RUNNING still goes through proxy_needs_return.
TEST_CASE("try_to_wake_up (v23 7/9 W2) still returns a TASK_RUNNING woken donor parked off its wake_cpu "
          "(kernel-protocol.md 3.5.1)")
{
    World w = parked_donor(v72());
    w.sys().task(A).state() = TASK_RUNNING;   // a stale wakeup came first
    auto n = w.after(only(w.steps(), StepKind::try_to_wake_up, 1, B));
    CHECK(n.task(A).on_rq() == NOT_ON_RQ);
    CHECK(n.task(B).pc() == TTWU_ACTIVATE);
}

// ===========================================================================
// kernel/locking/mutex.c: mutex_unlock with blocked_donor (3.3.2 U1', seeds/003)

namespace {

// A holds M1 and runs on CPU0, about to unlock it; B waits for M1, queued on
// CPU1 (is_blocked). CPU1 is idle.
World unlocking(FeatureSet f = v72())
{
    World w(one_lock(), f);
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    at(s, A, 1, OP_START);
    run_on(s, 0, A);
    waits(s, M1, B, LOCK_WOKEN);
    s.task(B).set_is_blocked(true);
    return w;
}

}  // namespace

TEST_CASE("mutex_unlock (blocked_donor) with flags set reads current->blocked_donor: set, it forces a handoff "
          "(owner kept); NULL, the release cmpxchg is the next step")
{
    World w = unlocking();

    SUBCASE("blocked_donor = B: straight to wait_lock, owner kept")
    {
        w.sys().task(A).set_blocked_donor(B);
        auto n = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
        CHECK(n.task(A).pc() == UNLOCK_WAIT_LOCK);
        CHECK(n.lock(M1).owner() == A);
        CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);   // the forced HANDOFF is the local `owner`
        CHECK(n.task(A).blocked_donor() == B);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("blocked_donor NULL: UNLOCK_CAS, then the cmpxchg releases")
    {
        const Succ read = only(w.steps(), StepKind::mutex_unlock, 0, A);
        auto n = w.after(read);
        CHECK(n.task(A).pc() == UNLOCK_CAS);
        CHECK(n.lock(M1).owner() == A);
        CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);

        w.go(read);
        SUBCASE("release")
        {
            const Succ cas = only(w.steps(), StepKind::mutex_unlock, 0, A);
            auto c = w.after(cas);
            CHECK(c.lock(M1).owner() == NO_TASK);
            CHECK(c.lock(M1).flags() == MUTEX_FLAG_WAITERS);
            CHECK(c.task(A).pc() == UNLOCK_WAIT_LOCK);
            CHECK_FALSE(w.m.holds(cas.next.data(), A, M1));
        }
        SUBCASE("a donor set meanwhile (race B) is not read again: still released")
        {
            w.sys().task(A).set_blocked_donor(B);
            auto c = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
            CHECK(c.lock(M1).owner() == NO_TASK);
            CHECK(c.task(A).pc() == UNLOCK_WAIT_LOCK);
            CHECK(c.task(A).blocked_donor() == B);
        }
        SUBCASE("HANDOFF set meanwhile: owner kept")
        {
            w.sys().lock(M1).flags() |= MUTEX_FLAG_HANDOFF;
            auto c = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
            CHECK(c.lock(M1).owner() == A);
            CHECK(c.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_HANDOFF));
            CHECK(c.task(A).pc() == UNLOCK_WAIT_LOCK);
        }
    }
    SUBCASE("-blocked_donor: one step releases, as in v7.1")
    {
        World v = unlocking(v72({"-blocked_donor"}));
        auto n = v.after(only(v.steps(), StepKind::mutex_unlock, 0, A));
        CHECK(n.lock(M1).owner() == NO_TASK);
        CHECK(n.task(A).pc() == UNLOCK_WAIT_LOCK);
    }
}

TEST_CASE("mutex_unlock fast path (no flags) does not read blocked_donor: released, the operation completes")
{
    World w(one_lock(), v72());
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    at(s, A, 1, OP_START);
    run_on(s, 0, A);
    s.task(A).set_blocked_donor(B);   // a stale link: B no longer waits

    auto n = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
    CHECK(n.lock(M1).owner() == NO_TASK);
    CHECK(n.lock(M1).flags() == 0);
    CHECK(n.task(A).pc_op() == 2);
    CHECK(n.task(A).pc() == OP_START);
    CHECK(n.task(A).blocked_donor() == B);
}

TEST_CASE("preemption is offered at UNLOCK_CAS and UNLOCK_WAIT_LOCK only without unlock_preempt_guard")
{
    auto preemptible = [](FeatureSet f, TaskPc pc) {
        World w = unlocking(f);
        Sys s = w.sys();
        at(s, A, 1, pc);
        if (pc == UNLOCK_WAIT_LOCK)
            s.lock(M1).owner() = NO_TASK;   // released by the cmpxchg
        return offered(w.steps(), StepKind::preempt, 0, A);
    };
    const FeatureSet guarded = v72();
    const FeatureSet posted = v72({"-unlock_preempt_guard"});   // v29 7/9 as posted

    CHECK(preemptible(posted, UNLOCK_CAS));
    CHECK(preemptible(posted, UNLOCK_WAIT_LOCK));
    CHECK_FALSE(preemptible(guarded, UNLOCK_CAS));
    CHECK_FALSE(preemptible(guarded, UNLOCK_WAIT_LOCK));
    CHECK(preemptible(guarded, OP_START));
    CHECK(preemptible(posted, OP_START));
}

// ===========================================================================
// kernel/locking/mutex.c: __mutex_unlock_slowpath U3' (3.3.2, seeds/003)

namespace {

// 3 tasks: A past U1' of `unlock M1` on CPU0 (pc UNLOCK_WAIT_LOCK), running
// as the proxy of donor B (A.blocked_donor = B); M1's wait_list: C, then B,
// both is_blocked. By default the handoff is forced: the owner word still
// names A.
World slowpath(const Scenario& sc = one_lock(3), FeatureSet f = v72())
{
    World w(sc, f);
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    at(s, A, 1, UNLOCK_WAIT_LOCK);
    run_on(s, 0, A);
    waits(s, M1, C, LOCK_WOKEN);
    s.task(C).set_is_blocked(true);
    waits(s, M1, B, LOCK_WOKEN);
    s.task(B).set_is_blocked(true);
    s.task(B).cpu() = 0;
    s.cpu(0).donor() = B;
    s.task(A).set_blocked_donor(B);
    return w;
}

}  // namespace

TEST_CASE("__mutex_unlock_slowpath hands a forced handoff to the blocked_donor still waiting for this mutex, not "
          "to the first waiter")
{
    World w = slowpath();
    const Succ st = only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A);
    auto n = w.after(st);
    CHECK(n.lock(M1).owner() == B);
    CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_PICKUP));
    CHECK(n.task(B).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(B).is_blocked());   // kept: the wakeup clears it
    CHECK(n.task(A).wake_q() == (1u << B));
    CHECK(n.task(A).blocked_donor() == NO_TASK);
    CHECK(n.task(A).pc() == WAKE_UP_Q);
    CHECK(n.task(C).blocked_on() == blocked_on_mutex(M1));   // the first waiter is left alone
    CHECK(n.lock(M1).first_waiter() == C);
    CHECK(n.warnings() == 0);
    CHECK(verdict(w, "no_lost_handoff", st).empty());
    CHECK(verdict(w, "blocked_donor_valid", st).empty());

    // counted only when explored without narration, and not as a race
    expand(w);
    CHECK(w.m.events(Model::donor_race_a) == 0);
    CHECK(w.m.events(Model::donor_race_b) == 0);
}

TEST_CASE("__mutex_unlock_slowpath falls back to the first waiter when the blocked_donor waits for another mutex")
{
    World w = slowpath(make_scenario(2, {"M1", "M2"},
                                     {{"A", 0, lock_unlock_m1},
                                      {"B", 1, {"lock M2", "unlock M2"}},
                                      {"C", 1, lock_unlock_m1}}));
    Sys s = w.sys();
    s.lock(M1).wait_list()[1] = NO_TASK;   // B waits for M2 instead
    waits(s, M2, B, LOCK_WOKEN);
    s.task(B).cpu() = 0;

    auto n = w.after(only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A));
    CHECK(n.lock(M1).owner() == C);
    CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_PICKUP));
    CHECK(n.task(C).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(C).is_blocked());
    CHECK(n.task(A).wake_q() == (1u << C));
    CHECK(n.task(B).blocked_on() == blocked_on_mutex(M2));
    CHECK(n.task(A).blocked_donor() == B);   // only a donor it hands off to is unlinked
    CHECK(n.warnings() == 0);
}

TEST_CASE("race (A): a forced handoff whose blocked_donor was reset meanwhile hands off to the first waiter, "
          "counted as donor_race_a when explored")
{
    World w = slowpath();
    w.sys().task(A).set_blocked_donor(NO_TASK);   // a __schedule picked A as itself while it was preempted

    const Succ st = only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A);
    auto n = w.after(st);
    CHECK(n.lock(M1).owner() == C);
    CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_PICKUP));
    CHECK(n.task(C).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(A).wake_q() == (1u << C));
    CHECK(n.task(B).blocked_on() == blocked_on_mutex(M1));
    CHECK(verdict(w, "no_lost_handoff", st).empty());

    CHECK(w.m.events(Model::donor_race_a) == 0);   // steps() narrates: not counted
    expand(w);
    CHECK(w.m.events(Model::donor_race_a) == 1);
    CHECK(w.m.events(Model::donor_race_b) == 0);
}

TEST_CASE("race (B): after the release cmpxchg a blocked_donor set meanwhile is woken instead of the first waiter, "
          "with no handoff, counted as donor_race_b when explored")
{
    World w = slowpath();
    w.sys().lock(M1).owner() = NO_TASK;   // released by UNLOCK_CAS; B then started boosting A

    const Succ st = only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A);
    auto n = w.after(st);
    CHECK(n.lock(M1).owner() == NO_TASK);
    CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);   // no PICKUP: the woken donor races for it
    CHECK(n.task(B).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(A).wake_q() == (1u << B));
    CHECK(n.task(A).blocked_donor() == NO_TASK);
    CHECK(n.task(C).blocked_on() == blocked_on_mutex(M1));
    CHECK(n.warnings() == 0);

    CHECK(w.m.events(Model::donor_race_b) == 0);
    expand(w);
    CHECK(w.m.events(Model::donor_race_b) == 1);
    CHECK(w.m.events(Model::donor_race_a) == 0);
}

TEST_CASE("Model::events counts races (A) and (B) of models/blocked-donor-race-b.toml only without "
          "unlock_preempt_guard")
{
    struct Case {
        const char* features;
        uint64_t wasted, race_a, race_b;
    };
    for (const Case& k : {Case{"", 62, 0, 0}, Case{"-unlock_preempt_guard,+ttwu_any_is_blocked", 310, 186, 168}}) {
        CAPTURE(k.features);
        const Scenario sc = bundled("models/blocked-donor-race-b.toml");
        const Model model(sc, sc.feature_set(split_feature_list(k.features)));
        props::Checker checker(model, {});
        explorer::Explorer ex(model, checker, {}, false);
        CHECK(ex.run().verdict == explorer::Verdict::holds);
        CHECK(model.events(Model::wasted_wakeup) == k.wasted);
        CHECK(model.events(Model::donor_race_a) == k.race_a);
        CHECK(model.events(Model::donor_race_b) == k.race_b);
    }
}

TEST_CASE("Model::events under --shortest-only do not depend on the thread count or the mode")
{
    // The search stops at the first violation; the parallel searches expand
    // the whole level, then count again only the parents one thread expanded.
    const Scenario sc = bundled("models/blocked-donor-race-b.toml");
    const Model model(sc, sc.feature_set(split_feature_list("-unlock_preempt_guard")));
    props::Checker checker(model, {"no_kernel_warning"});
    std::vector<std::vector<uint64_t>> seen;
    for (explorer::Mode mode : {explorer::Mode::exact, explorer::Mode::compact})
        for (unsigned t : {1u, 2u, 3u}) {
            CAPTURE(int(mode));
            CAPTURE(t);
            const std::vector<uint64_t> zero(3, 0);
            model.restore_events(zero);
            explorer::Explorer ex(model, checker, {}, false, explorer::Order::shortest,
                                  explorer::Options{.threads = t, .mode = mode});
            const explorer::Result r = ex.run();
            REQUIRE(r.finding);
            seen.push_back(model.save_events());
            CHECK(seen.back() == seen.front());
        }
    CHECK(seen.front()[Model::wasted_wakeup] > 0);
    CHECK(seen.front()[Model::donor_race_a] > 0);
    CHECK(seen.front()[Model::donor_race_b] > 0);
}

// ===========================================================================
// Built-in G2 properties on hand-built states (kernel-protocol.md 4.2)

TEST_CASE("no_lost_handoff fails when PICKUP names a task that is not on the wait_list")
{
    World w(one_lock(3), v72());
    Sys s = w.sys();
    waits(s, M1, B, LOCK_WOKEN);
    waits(s, M1, C, LOCK_WOKEN);
    s.lock(M1).owner() = B;
    s.lock(M1).flags() = MUTEX_FLAG_WAITERS | MUTEX_FLAG_PICKUP;
    CHECK(verdict(w, "no_lost_handoff").empty());

    s.lock(M1).wait_list()[0] = C;   // B left the wait_list
    s.lock(M1).wait_list()[1] = NO_TASK;
    CHECK_CONTAINS(verdict(w, "no_lost_handoff"),
                   "m = M1: m.pickup, not m.owner in m.wait_list (m.owner = B, m.wait_list = [C])");
}

TEST_CASE("blocked_donor_valid reports the EV_BLOCKED_DONOR_INVALID event, which no_kernel_warning ignores; the "
          "unlock slowpath raises it for a donor blocked on the mutex but not on its wait_list")
{
    World w = slowpath();
    Sys s = w.sys();
    s.lock(M1).wait_list()[1] = NO_TASK;   // B: blocked_on = M1 but off the wait_list
    CHECK(verdict(w, "blocked_donor_valid").empty());

    const Succ st = only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A);
    CHECK(w.after(st).warnings() == (1u << EV_BLOCKED_DONOR_INVALID));
    CHECK(w.after(st).lock(M1).owner() == B);
    CHECK_CONTAINS(verdict(w, "blocked_donor_valid", st), "not on its wait_list");
    CHECK(verdict(w, "no_kernel_warning", st).empty());
    CHECK_CONTAINS(verdict(w, "no_lost_handoff", st), "m = M1: m.pickup, not m.owner in m.wait_list (m.owner = B");

    s.warn(Warning(EV_BLOCKED_DONOR_INVALID));   // the bit alone
    CHECK_FALSE(verdict(w, "blocked_donor_valid").empty());
}

TEST_CASE("no_lost_wakeup reports a task left with is_blocked set at a terminal state")
{
    World w(one_lock(), v72());
    Sys s = w.sys();
    exited(s, w.m, B);
    s.task(A).state() = TASK_UNINTERRUPTIBLE;   // outside the mutex slowpath, dequeued
    s.task(A).on_rq() = NOT_ON_RQ;

    SUBCASE("is_blocked set")
    {
        s.task(A).set_is_blocked(true);
        CHECK(w.steps().empty());
        CHECK_CONTAINS(verdict(w, "no_lost_wakeup"), "A is left with is_blocked set");
    }
    SUBCASE("is_blocked clear")
    {
        CHECK(w.steps().empty());
        CHECK_CONTAINS(verdict(w, "no_lost_wakeup"), "A never runs again");
    }
}

// kernel-protocol.md 4.2 P-BLOCKED-CONSISTENT: in G2 a task running outside
// the mutex slow path has is_blocked == false.
TEST_CASE("blocked_on_consistent (G2) reports is_blocked set outside the mutex slowpath (kernel-protocol.md 4.2)")
{
    World w(one_lock(), v72());
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    at(s, A, 1, OP_START);   // A holds M1, between lock and unlock
    run_on(s, 0, A);
    CHECK(verdict(w, "blocked_on_consistent").empty());
    s.task(A).set_is_blocked(true);
    CHECK_FALSE(verdict(w, "blocked_on_consistent").empty());
}

// ===========================================================================
// Model::events(wasted_wakeup)

TEST_CASE("Model::events(wasted_wakeup) counts a woken waiter failing its trylock, in the search only")
{
    SUBCASE("one step")
    {
        World w(one_lock(), v72());
        Sys s = w.sys();
        s.lock(M1).owner() = B;
        at(s, B, 1, OP_START);   // B holds M1, queued on CPU1, not running
        waits(s, M1, A, LOCK_WOKEN);
        run_on(s, 0, A);

        auto n = w.after(only(w.steps(), StepKind::mutex_lock_woken, 0, A));
        CHECK(n.task(A).pc() == LOCK_SPIN);   // the first waiter failed: HANDOFF, spin
        CHECK(w.m.events(Model::wasted_wakeup) == 0);
        expand(w);
        CHECK(w.m.events(Model::wasted_wakeup) == 1);
    }
    SUBCASE("explored: contention wastes wakeups, a task alone never does")
    {
        auto explore = [](int ntasks) {
            const Model model(one_lock(ntasks), v72());
            props::Checker checker(model, {});
            explorer::Explorer ex(model, checker, {}, false);
            CHECK(ex.run().verdict == explorer::Verdict::holds);
            return model.events(Model::wasted_wakeup);
        };
        CHECK(explore(1) == 0);
        CHECK(explore(3) > 0);
    }
}
