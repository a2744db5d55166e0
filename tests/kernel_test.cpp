// Unit tests of the kernel model, one kernel rule each (kernel-protocol.md
// sections 3.2-3.8), then the built-in properties on hand-built states.
//
// The pattern and the helpers are in kernel_world.hpp.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "kernel_world.hpp"

using namespace pxc;
using namespace pxc::kernel;
using namespace pxc::test;

namespace {

const std::vector<std::string> lock_unlock_m1 = {"lock M1", "unlock M1"};

// 2 CPUs, M1; A on CPU0, B (and C) on CPU1, each `lock M1; unlock M1`.
Scenario one_lock(int ntasks = 2)
{
    std::vector<TaskSpec> tasks = {{"A", 0, lock_unlock_m1}, {"B", 1, lock_unlock_m1}, {"C", 1, lock_unlock_m1}};
    tasks.resize(size_t(ntasks));
    return make_scenario(2, {"M1"}, tasks);
}

// AB-BA on M1 and M2, both tasks on CPU0.
Scenario ab_ba()
{
    return make_scenario(2, {"M1", "M2"},
                         {{"A", 0, {"lock M1", "lock M2", "unlock M2", "unlock M1"}},
                          {"B", 0, {"lock M2", "lock M1", "unlock M1", "unlock M2"}}});
}

}  // namespace

// ===========================================================================
// kernel/locking/mutex.c: mutex_lock (3.1, 3.2)

TEST_CASE("mutex_lock takes a free mutex on the fast path: owner = current and the operation completes")
{
    World w(one_lock(), features("v7.1"));
    run_on(w.sys(), 0, A);

    auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
    CHECK(n.lock(M1).owner() == A);
    CHECK(n.lock(M1).flags() == 0);
    CHECK(n.lock(M1).waiters() == 0);
    CHECK(n.task(A).pc_op() == 1);
    CHECK(n.task(A).pc() == OP_START);
    CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(A).state() == TASK_RUNNING);
}

TEST_CASE("mutex_lock on a held mutex queues current at the wait_list tail, sets WAITERS and blocked_on, and "
          "sleeps TASK_UNINTERRUPTIBLE")
{
    World w(one_lock(3), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);            // B holds M1
    waits(s, M1, C, LOCK_WOKEN);      // C queued first
    run_on(s, 0, A);

    auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
    CHECK(n.lock(M1).owner() == B);
    CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);
    REQUIRE(n.lock(M1).waiters() == 2);
    CHECK(n.lock(M1).wait_list()[0] == C);
    CHECK(n.lock(M1).wait_list()[1] == A);
    CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
    CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
    CHECK(n.task(A).pc_op() == 0);
    CHECK(n.task(A).pc() == LOCK_SCHEDULE);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);   // schedule() is the next step
    CHECK(n.cpu(0).curr() == A);
}

TEST_CASE("__mutex_lock_common: the first waiter back from schedule() sets HANDOFF on an owned lock and clears "
          "blocked_on to spin; a later waiter re-arms blocked_on and schedules again")
{
    World w(one_lock(3), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);   // B holds M1, queued on CPU1 but not running
    waits(s, M1, A, LOCK_WOKEN);
    waits(s, M1, C, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;   // NULL, so that the re-arm at S6i shows
    s.task(C).blocked_on() = BLOCKED_ON_NULL;
    run_on(s, 0, A);
    run_on(s, 1, C);
    const auto steps = w.steps();

    SUBCASE("the first waiter A")
    {
        auto n = w.after(only(steps, StepKind::mutex_lock_woken, 0, A));
        CHECK(n.lock(M1).owner() == B);
        CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_HANDOFF));
        CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
        CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
        CHECK(n.task(A).pc() == LOCK_SPIN);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("the second waiter C")
    {
        auto n = w.after(only(steps, StepKind::mutex_lock_woken, 1, C));
        CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);   // no HANDOFF from a non-first waiter
        CHECK(n.task(C).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(C).state() == TASK_UNINTERRUPTIBLE);
        CHECK(n.task(C).pc() == LOCK_SCHEDULE);
        CHECK(n.warnings() == 0);
    }
}

TEST_CASE("__mutex_lock_common: the first waiter back from its (compiled out) spin re-arms blocked_on and "
          "schedules again while the lock is owned")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);
    waits(s, M1, A, LOCK_SPIN);
    s.lock(M1).flags() |= MUTEX_FLAG_HANDOFF;
    s.task(A).blocked_on() = BLOCKED_ON_NULL;
    run_on(s, 0, A);

    auto n = w.after(only(w.steps(), StepKind::mutex_lock_spin, 0, A));
    CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
    CHECK(n.task(A).pc() == LOCK_SCHEDULE);
    CHECK(n.lock(M1).owner() == B);
    CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_HANDOFF));
}

TEST_CASE("__mutex_lock_common: a waiter picks up a lock handed to it (owner = it | PICKUP), leaves the "
          "wait_list and runs with blocked_on NULL")
{
    World w(one_lock(3), features("v7.1"));
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;   // cleared on its way back to running
    s.task(A).state() = TASK_RUNNING;
    s.lock(M1).owner() = A;
    s.lock(M1).flags() = MUTEX_FLAG_WAITERS | MUTEX_FLAG_PICKUP;
    run_on(s, 0, A);

    SUBCASE("the last waiter: all flags go with the wait_list")
    {
        auto n = w.after(only(w.steps(), StepKind::mutex_lock_woken, 0, A));
        CHECK(n.lock(M1).owner() == A);
        CHECK(n.lock(M1).flags() == 0);
        CHECK(n.lock(M1).waiters() == 0);
        CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
        CHECK(n.task(A).state() == TASK_RUNNING);
        CHECK(n.task(A).pc_op() == 1);
        CHECK(n.task(A).pc() == OP_START);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("a waiter behind it: PICKUP goes, WAITERS stays")
    {
        waits(s, M1, C, LOCK_WOKEN);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock_woken, 0, A));
        CHECK(n.lock(M1).owner() == A);
        CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);
        REQUIRE(n.lock(M1).waiters() == 1);
        CHECK(n.lock(M1).first_waiter() == C);
        CHECK(n.task(A).pc_op() == 1);
    }
}

// ===========================================================================
// kernel/locking/mutex.c: mutex_unlock (3.3.1)

TEST_CASE("mutex_unlock releases a mutex without flags on the fast path, releases and enters the slowpath with "
          "WAITERS, and keeps the owner with HANDOFF")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    at(s, A, 1, OP_START);   // about to unlock M1
    run_on(s, 0, A);

    SUBCASE("no flags: released, the operation completes")
    {
        auto n = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
        CHECK(n.lock(M1).owner() == NO_TASK);
        CHECK(n.task(A).pc_op() == 2);
        CHECK(n.task(A).pc() == OP_START);
    }
    SUBCASE("WAITERS: released, WAITERS kept, about to take wait_lock")
    {
        waits(s, M1, B, LOCK_WOKEN);
        const Succ st = only(w.steps(), StepKind::mutex_unlock, 0, A);
        auto n = w.after(st);
        CHECK(n.lock(M1).owner() == NO_TASK);
        CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);
        CHECK(n.task(A).pc_op() == 1);
        CHECK(n.task(A).pc() == UNLOCK_WAIT_LOCK);
        CHECK_FALSE(w.m.holds(st.next.data(), A, M1));
    }
    SUBCASE("HANDOFF: the owner is kept for __mutex_handoff")
    {
        waits(s, M1, B, LOCK_WOKEN);
        s.lock(M1).flags() |= MUTEX_FLAG_HANDOFF;
        auto n = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
        CHECK(n.lock(M1).owner() == A);
        CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_HANDOFF));
        CHECK(n.task(A).pc() == UNLOCK_WAIT_LOCK);
        CHECK(n.warnings() == 0);
    }
}

namespace {

// A past the release cmpxchg of `unlock M1` on CPU0; B the only waiter,
// queued on CPU1 as a donor after schedule().
void unlock_slowpath_state(World& w)
{
    Sys s = w.sys();
    at(s, A, 1, UNLOCK_WAIT_LOCK);
    run_on(s, 0, A);
    waits(s, M1, B, LOCK_WOKEN);
    s.task(B).cpu() = 1;
    s.task(B).on_rq() = TASK_ON_RQ_QUEUED;
}

}  // namespace

TEST_CASE("__mutex_unlock_slowpath marks the first waiter PROXY_WAKING and queues it on the unlocker's wake_q")
{
    World w(one_lock(), features("v7.1"));
    unlock_slowpath_state(w);

    auto n = w.after(only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A));
    CHECK(n.task(B).blocked_on() == PROXY_WAKING);
    CHECK(n.task(A).wake_q() == (1u << B));
    CHECK(n.task(A).pc() == WAKE_UP_Q);
    CHECK(n.lock(M1).owner() == NO_TASK);
    CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);
    CHECK(n.lock(M1).first_waiter() == B);   // the waiter removes itself
    CHECK(n.warnings() == 0);
}

TEST_CASE("__mutex_unlock_slowpath before PROXY_WAKING (-proxy_waking) clears the first waiter's blocked_on")
{
    World w(one_lock(), features("v7.1", {"-proxy_waking"}));
    unlock_slowpath_state(w);

    auto n = w.after(only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A));
    CHECK(n.task(B).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(A).wake_q() == (1u << B));
    CHECK(n.task(A).pc() == WAKE_UP_Q);
}

TEST_CASE("__mutex_unlock_slowpath with HANDOFF hands the lock to the first waiter: owner = it | PICKUP, WAITERS "
          "kept")
{
    World w(one_lock(), features("v7.1"));
    unlock_slowpath_state(w);
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    s.lock(M1).flags() |= MUTEX_FLAG_HANDOFF;

    auto n = w.after(only(w.steps(), StepKind::mutex_unlock_slowpath, 0, A));
    CHECK(n.lock(M1).owner() == B);
    CHECK(n.lock(M1).flags() == (MUTEX_FLAG_WAITERS | MUTEX_FLAG_PICKUP));
    CHECK(n.task(B).blocked_on() == PROXY_WAKING);
    CHECK(n.task(A).wake_q() == (1u << B));
    CHECK(n.warnings() == 0);
}

// ===========================================================================
// kernel/sched/core.c: try_to_wake_up (3.5.1)

TEST_CASE("try_to_wake_up on a queued donor (ttwu_runnable) sets TASK_RUNNING; with the PROXY_WAKING commit the "
          "out: step clears blocked_on")
{
    // The PROXY_WAKING commit alone (v6.17 +proxy_waking): its "for now"
    // clear_task_blocked_on(p, NULL) at out: is the step under test.
    World w(one_lock(), features("v6.17", {"+proxy_waking"}));
    unlock_slowpath_state(w);
    Sys s = w.sys();
    at(s, A, 1, WAKE_UP_Q);
    s.task(A).wake_q() = 1u << B;
    s.task(B).blocked_on() = PROXY_WAKING;

    const Succ ttwu = only(w.steps(), StepKind::try_to_wake_up, 0, A);
    CHECK(ttwu.step.arg == B);
    auto n = w.after(ttwu);
    CHECK(n.task(B).state() == TASK_RUNNING);
    CHECK(n.task(B).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(B).cpu() == 1);
    CHECK(n.task(B).blocked_on() == PROXY_WAKING);   // not yet: at out:
    CHECK(n.task(A).wake_q() == 0);
    CHECK(n.task(A).wake_target() == B);
    CHECK(n.task(A).pc() == TTWU_OUT);

    w.go(ttwu);
    const Succ out = only(w.steps(), StepKind::ttwu_out, 0, A);
    CHECK(out.step.arg == B);
    auto o = w.after(out);
    CHECK(o.task(B).blocked_on() == BLOCKED_ON_NULL);
    CHECK(o.task(A).wake_target() == NO_TASK);
    CHECK(o.task(A).pc_op() == 2);
    CHECK(o.task(A).pc() == OP_START);
    CHECK(o.warnings() == 0);
}

TEST_CASE("try_to_wake_up without proxy_waking has no out: step: the wakeup ends with ttwu_runnable")
{
    World w(one_lock(), features("v7.1", {"-proxy_waking"}));
    unlock_slowpath_state(w);
    Sys s = w.sys();
    at(s, A, 1, WAKE_UP_Q);
    s.task(A).wake_q() = 1u << B;
    s.task(B).blocked_on() = BLOCKED_ON_NULL;

    auto n = w.after(only(w.steps(), StepKind::try_to_wake_up, 0, A));
    CHECK(n.task(B).state() == TASK_RUNNING);
    CHECK(n.task(A).wake_target() == NO_TASK);
    CHECK(n.task(A).pc_op() == 2);
    CHECK(n.task(A).pc() == OP_START);
}

TEST_CASE("try_to_wake_up on a dequeued task waits for !on_cpu, then activates it on every CPU of its cpus_mask")
{
    // 3 CPUs; B, allowed on {0, 2}, was deactivated (task_cpu 0) in M1's
    // wait_list; A on CPU1 unlocked M1 and wakes it (v6.17: no out: step).
    World w(make_scenario(3, {"M1"}, {{"A", 1, lock_unlock_m1}, {"B", 0, lock_unlock_m1, {0, 2}}}),
            features("v6.17"));
    Sys s = w.sys();
    at(s, A, 1, WAKE_UP_Q);
    run_on(s, 1, A);
    s.task(A).wake_q() = 1u << B;
    waits(s, M1, B, LOCK_WOKEN);
    s.task(B).blocked_on() = BLOCKED_ON_NULL;   // cleared by the unlock
    s.task(B).on_rq() = NOT_ON_RQ;

    const Succ ttwu = only(w.steps(), StepKind::try_to_wake_up, 1, A);
    CHECK(w.after(ttwu).task(A).pc() == TTWU_ACTIVATE);
    CHECK(w.after(ttwu).task(A).wake_target() == B);
    CHECK(w.after(ttwu).task(B).state() == TASK_UNINTERRUPTIBLE);
    w.go(ttwu);

    SUBCASE("B still on_cpu (rq->curr of CPU0): smp_cond_load_acquire spins, no step")
    {
        w.sys().cpu(0).curr() = B;
        CHECK_FALSE(offered(w.steps(), StepKind::ttwu_activate, 1, A));
    }
    SUBCASE("B off the CPU: one activation per allowed CPU")
    {
        const auto steps = w.steps();
        const auto acts = select(steps, StepKind::ttwu_activate, 1, A);
        REQUIRE(acts.size() == 2);
        std::vector<int> cpus;
        for (const Succ* act : acts) {
            const int c = act->step.arg;
            cpus.push_back(c);
            auto n = w.after(*act);
            CHECK(n.task(B).cpu() == c);
            CHECK(n.task(B).wake_cpu() == c);
            CHECK(n.task(B).on_rq() == TASK_ON_RQ_QUEUED);
            CHECK(n.task(B).state() == TASK_RUNNING);
            CHECK(n.task(A).wake_target() == NO_TASK);   // the wakeup is complete
            CHECK(n.task(A).pc_op() == 2);
        }
        CHECK(cpus == std::vector<int>{0, 2});
    }
}

// ===========================================================================
// kernel/sched/core.c: __schedule (3.6)

TEST_CASE("__schedule with proxy_exec keeps a mutex-blocked prev queued as a donor; with proxy execution off it "
          "dequeues it")
{
    const Scenario sc = make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1}, {"B", 0, lock_unlock_m1}});
    auto prepare = a_about_to_sleep_on_b;

    SUBCASE("v7.1: A stays queued whatever is picked")
    {
        World w(sc, features("v7.1"));
        prepare(w);
        const auto steps = w.steps();
        const auto sched = select(steps, StepKind::schedule, 0, A);
        REQUIRE(sched.size() == 2);   // pick A (proxy: run B) or pick B
        for (const Succ* st : sched) {
            auto n = w.after(*st);
            CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
            CHECK(n.task(A).pc() == LOCK_WOKEN);
            CHECK(n.cpu(0).curr() == B);
        }
    }
    SUBCASE("none: A is dequeued, only B can be picked")
    {
        World w(sc, features("none"));
        prepare(w);
        auto n = w.after(only(w.steps(), StepKind::schedule, 0, A));
        CHECK(n.task(A).on_rq() == NOT_ON_RQ);
        CHECK(n.task(A).pc() == LOCK_WOKEN);
        CHECK(n.cpu(0).curr() == B);
        CHECK(n.cpu(0).donor() == B);
    }
}

TEST_CASE("pick_next_task may choose every task queued on the runqueue, one successor each")
{
    World w(make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1}, {"B", 0, lock_unlock_m1}, {"C", 0, lock_unlock_m1}}),
            features("v7.1"));
    const auto steps = w.steps();
    CHECK(steps.size() == 3);   // CPU1 has nothing queued
    const auto idle = select(steps, StepKind::idle_schedule, 0);
    REQUIRE(idle.size() == 3);
    for (int t : {A, B, C}) {
        CAPTURE(t);
        const Succ& st = picking(idle, t);
        CHECK(picks(st.step) == std::vector<int>{t});
        CHECK(w.after(st).cpu(0).curr() == t);
        CHECK(w.after(st).cpu(0).donor() == t);
    }
}

// ===========================================================================
// kernel/sched/core.c: find_proxy_task (3.7, 3.8)

namespace {

// A (allowed on a_mask) queued on CPU0 after schedule(), waiting for M1 which
// B (allowed on b_mask, task_cpu b_cpu) holds. CPU0 is idle.
World blocked_on_b(std::string_view baseline, int b_cpu, std::vector<int> a_mask = {},
                   std::vector<int> b_mask = {})
{
    World w(make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1, a_mask}, {"B", b_cpu, lock_unlock_m1, b_mask}}),
            features(baseline));
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);
    return w;
}

}  // namespace

TEST_CASE("find_proxy_task runs a local runnable owner as the proxy: rq->curr = owner, rq->donor = the blocked task")
{
    World w = blocked_on_b("v7.1", 0);
    const auto steps = w.steps();
    const auto idle = select(steps, StepKind::idle_schedule, 0);
    REQUIRE(idle.size() == 2);

    auto n = w.after(picking(idle, A));
    CHECK(n.cpu(0).curr() == B);
    CHECK(n.cpu(0).donor() == A);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
    CHECK(n.cpu(0).sched() == SCHED_NONE);

    auto direct = w.after(picking(idle, B));
    CHECK(direct.cpu(0).curr() == B);
    CHECK(direct.cpu(0).donor() == B);
}

TEST_CASE("find_proxy_task (v7.1) migrates a donor to a remote owner's CPU ignoring its mask and keeping wake_cpu; "
          "the next CPU step enqueues it there")
{
    World w = blocked_on_b("v7.1", 1, {0}, {1});
    run_on(w.sys(), 1, B);

    const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
    CHECK(picks(pick.step) == std::vector<int>{A});
    auto n = w.after(pick);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_MIGRATING);
    CHECK(n.task(A).cpu() == 1);
    CHECK(n.task(A).wake_cpu() == 0);
    CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
    CHECK(n.cpu(0).sched() == SCHED_MIGRATE_ATTACH);
    CHECK(n.cpu(0).arg_task() == A);
    CHECK(n.cpu(0).arg_cpu() == 1);
    CHECK(n.cpu(0).donor() == IDLE);   // proxy_resched_idle()
    CHECK(n.cpu(0).curr() == IDLE);
    CHECK(n.warnings() == 0);

    w.go(pick);
    const auto steps = w.steps();
    CHECK_FALSE(offered(steps, StepKind::idle_schedule, 0));   // CPU0 is inside __schedule
    const Succ attach = only(steps, StepKind::proxy_migrate_attach, 0);
    auto a = w.after(attach);
    CHECK(a.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(a.task(A).cpu() == 1);
    CHECK(a.cpu(0).sched() == SCHED_PICK_AGAIN);
    CHECK(a.cpu(0).arg_task() == NO_TASK);
    CHECK(verdict(w, "no_affinity_violating_run", attach).empty());   // a parked donor does not execute
    CHECK(verdict(w, "donor_valid", attach).empty());

    w.go(attach);
    auto again = w.after(only(w.steps(), StepKind::pick_again, 0));
    CHECK(again.cpu(0).sched() == SCHED_NONE);
    CHECK(again.cpu(0).curr() == IDLE);   // nothing left on CPU0
}

TEST_CASE("find_proxy_task (v6.17) deactivates a donor whose owner runs on another CPU")
{
    World w = blocked_on_b("v6.17", 1, {0}, {1});
    run_on(w.sys(), 1, B);

    const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
    CHECK(picks(pick.step) == std::vector<int>{A, IDLE});   // repick after proxy_deactivate
    auto n = w.after(pick);
    CHECK(n.task(A).on_rq() == NOT_ON_RQ);
    CHECK(n.task(A).cpu() == 0);
    CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
    CHECK(n.cpu(0).curr() == IDLE);
    CHECK(n.cpu(0).donor() == IDLE);
    CHECK(n.cpu(0).sched() == SCHED_NONE);
}

TEST_CASE("find_proxy_task deactivates the donor when the owner sleeps (proxy_deactivate), in v6.17 and v7.1")
{
    for (std::string_view baseline : {"v6.17", "v7.1"}) {
        CAPTURE(baseline);
        World w = blocked_on_b(baseline, 1);
        Sys s = w.sys();
        s.task(B).on_rq() = NOT_ON_RQ;
        s.task(B).state() = TASK_UNINTERRUPTIBLE;

        const Succ pick = only(w.steps(), StepKind::idle_schedule, 0);
        CHECK(picks(pick.step) == std::vector<int>{A, IDLE});
        auto n = w.after(pick);
        CHECK(n.task(A).on_rq() == NOT_ON_RQ);
        CHECK(n.task(A).cpu() == 0);
        CHECK(n.cpu(0).curr() == IDLE);
        CHECK(n.cpu(0).donor() == IDLE);
        CHECK(n.cpu(0).sched() == SCHED_NONE);
    }
}

TEST_CASE("find_proxy_task (v7.1) on a PROXY_WAKING donor that is not rq->curr starts proxy_force_return, which "
          "returns it to each CPU of its mask with blocked_on NULL")
{
    // 3 CPUs: A (allowed on {0, 2}) is parked on CPU1 as a migrated donor;
    // B, now on CPU0, marked it PROXY_WAKING and is about to wake it.
    World w(make_scenario(3, {"M1"}, {{"A", 0, lock_unlock_m1, {0, 2}}, {"B", 0, lock_unlock_m1}}),
            features("v7.1"));
    Sys s = w.sys();
    waits(s, M1, A, LOCK_WOKEN);
    s.task(A).blocked_on() = PROXY_WAKING;
    s.task(A).cpu() = 1;   // wake_cpu stays 0
    at(s, B, 1, WAKE_UP_Q);
    s.task(B).wake_q() = 1u << A;
    run_on(s, 0, B);

    const Succ pick = only(w.steps(), StepKind::idle_schedule, 1);
    auto n = w.after(pick);
    CHECK(n.cpu(1).sched() == SCHED_FORCE_RETURN);
    CHECK(n.cpu(1).arg_task() == A);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).cpu() == 1);

    w.go(pick);
    const auto steps = w.steps();
    const auto returns = select(steps, StepKind::proxy_force_return, 1);
    REQUIRE(returns.size() == 2);
    std::vector<int> cpus;
    for (const Succ* r : returns) {
        const int c = r->step.arg;
        cpus.push_back(c);
        auto m = w.after(*r);
        CHECK(m.task(A).on_rq() == TASK_ON_RQ_MIGRATING);
        CHECK(m.task(A).cpu() == c);
        CHECK(m.task(A).wake_cpu() == c);
        CHECK(m.task(A).blocked_on() == BLOCKED_ON_NULL);
        CHECK(m.cpu(1).donor() == IDLE);
        CHECK(m.cpu(1).sched() == SCHED_FORCE_RETURN_ATTACH);
        CHECK(m.cpu(1).arg_cpu() == c);
    }
    CHECK(cpus == std::vector<int>{0, 2});

    // Follow the return to CPU2. While A is MIGRATING, B's try_to_wake_up
    // spins in __task_rq_lock(): no step.
    w.go(*returns[1]);
    const auto later = w.steps();
    CHECK_FALSE(offered(later, StepKind::try_to_wake_up, 0, B));
    auto attached = w.after(only(later, StepKind::proxy_force_return_attach, 1));
    CHECK(attached.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(attached.task(A).cpu() == 2);
    CHECK(attached.cpu(1).sched() == SCHED_PICK_AGAIN);
}

TEST_CASE("find_proxy_task (v7.1) on a PROXY_WAKING task that is rq->curr clears blocked_on and runs it")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    waits(s, M1, A, LOCK_SCHEDULE);
    s.task(A).blocked_on() = PROXY_WAKING;   // the unlock came before A's schedule()
    run_on(s, 0, A);
    at(s, B, 1, WAKE_UP_Q);
    s.task(B).wake_q() = 1u << A;
    run_on(s, 1, B);

    const Succ sched = only(w.steps(), StepKind::schedule, 0, A);
    CHECK(picks(sched.step) == std::vector<int>{A});
    auto n = w.after(sched);
    CHECK(n.cpu(0).curr() == A);
    CHECK(n.cpu(0).donor() == A);
    CHECK(n.cpu(0).sched() == SCHED_NONE);
    CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(n.task(A).pc() == LOCK_WOKEN);
}

TEST_CASE("find_proxy_task (v6.17) on a mutex without owner clears blocked_on and runs the waiter")
{
    World w = blocked_on_b("v6.17", 1);
    Sys s = w.sys();
    s.lock(M1).owner() = NO_TASK;   // B released M1 and is about to take wait_lock
    at(s, B, 1, UNLOCK_WAIT_LOCK);
    run_on(s, 1, B);

    auto n = w.after(only(w.steps(), StepKind::idle_schedule, 0));
    CHECK(n.cpu(0).curr() == A);
    CHECK(n.cpu(0).donor() == A);
    CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.warnings() == 0);
}

TEST_CASE("find_proxy_task (v7.1) on a mutex without owner returns a waiter that is not rq->curr through "
          "proxy_force_return")
{
    World w = blocked_on_b("v7.1", 1);
    Sys s = w.sys();
    s.lock(M1).owner() = NO_TASK;
    at(s, B, 1, UNLOCK_WAIT_LOCK);
    run_on(s, 1, B);

    auto n = w.after(only(w.steps(), StepKind::idle_schedule, 0));
    CHECK(n.cpu(0).sched() == SCHED_FORCE_RETURN);
    CHECK(n.cpu(0).arg_task() == A);
    CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));   // cleared by the force-return step
}

TEST_CASE("find_proxy_task on a blocked_on cycle on one CPU never returns: the CPU is SCHED_STUCK and "
          "find_proxy_task_terminates reports the cycle")
{
    World w(ab_ba(), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    s.lock(M2).owner() = B;
    at(s, A, 1, OP_START);
    at(s, B, 1, OP_START);
    waits(s, M2, A, LOCK_WOKEN);   // A holds M1, waits for M2
    waits(s, M1, B, LOCK_WOKEN);   // B holds M2, waits for M1
    CHECK(verdict(w, "find_proxy_task_terminates").empty());

    const auto steps = w.steps();
    const auto idle = select(steps, StepKind::idle_schedule, 0);
    REQUIRE(idle.size() == 2);
    for (const Succ* st : idle) {
        CHECK(w.after(*st).cpu(0).sched() == SCHED_STUCK);
        CHECK_CONTAINS(st->narration, "blocked_on cycle");
        CHECK_FALSE(verdict(w, "find_proxy_task_terminates", *st).empty());
    }
    const Succ& from_a = picking(idle, A);
    CHECK_CONTAINS(verdict(w, "find_proxy_task_terminates", from_a), "A -> M2 -> B -> M1 -> A");

    w.go(from_a);
    CHECK(w.steps().empty());   // CPU0 spins with its rq lock held; CPU1 has nothing queued
}

// ===========================================================================
// Kernel warnings, preemption points, refused scenarios

TEST_CASE("__set_task_blocked_on over PROXY_WAKING fires warning A2, which no_kernel_warning reports")
{
    World w = blocked_on_b("v7.1", 1);
    Sys s = w.sys();
    s.task(A).blocked_on() = PROXY_WAKING;   // hand-built: A runs with PROXY_WAKING still set
    run_on(s, 0, A);
    CHECK(verdict(w, "no_kernel_warning").empty());

    const Succ st = only(w.steps(), StepKind::mutex_lock_woken, 0, A);
    CHECK(w.after(st).warnings() == (1u << W_A2_SET_BLOCKED_ON));
    CHECK(w.after(st).task(A).pc() == LOCK_SPIN);   // the first waiter goes on as before
    CHECK_CONTAINS(st.narration, "WARN");
    CHECK_CONTAINS(verdict(w, "no_kernel_warning", st), "A2");
}

TEST_CASE("preemption is offered at an operation's start and before the unlock slowpath takes wait_lock, but "
          "not with +unlock_preempt_guard and never inside the lock slowpath")
{
    auto preemptible = [](FeatureSet f, int op, TaskPc pc) {
        World w(one_lock(), f);
        Sys s = w.sys();
        at(s, A, op, pc);
        if (pc == LOCK_WOKEN || pc == LOCK_SPIN)
            waits(s, M1, A, pc);
        else if (op == 1)
            s.lock(M1).owner() = pc == OP_START ? A : NO_TASK;
        run_on(s, 0, A);
        return offered(w.steps(), StepKind::preempt, 0, A);
    };
    const FeatureSet v71 = features("v7.1");
    const FeatureSet guarded = features("v7.1", {"+unlock_preempt_guard"});

    CHECK(preemptible(v71, 0, OP_START));
    CHECK(preemptible(v71, 1, OP_START));
    CHECK(preemptible(v71, 1, UNLOCK_WAIT_LOCK));
    CHECK_FALSE(preemptible(guarded, 1, UNLOCK_WAIT_LOCK));
    CHECK(preemptible(guarded, 1, OP_START));
    CHECK_FALSE(preemptible(v71, 0, LOCK_WOKEN));
    CHECK_FALSE(preemptible(v71, 0, LOCK_SPIN));
}

TEST_CASE("preemption keeps prev queued and may pick any queued task")
{
    World w(make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1}, {"B", 0, lock_unlock_m1}}), features("v7.1"));
    run_on(w.sys(), 0, A);
    const auto steps = w.steps();
    const auto pre = select(steps, StepKind::preempt, 0, A);
    REQUIRE(pre.size() == 2);
    CHECK(w.after(picking(pre, A)).cpu(0).curr() == A);
    CHECK(w.after(picking(pre, B)).cpu(0).curr() == B);
    CHECK(w.after(picking(pre, B)).task(A).on_rq() == TASK_ON_RQ_QUEUED);
    CHECK(w.after(picking(pre, B)).task(A).pc_op() == 0);
}

TEST_CASE("the model refuses proxy_migration without proxy_exec")
{
    auto refusal = [](const Scenario& sc, FeatureSet f) {
        try {
            Model m(sc, f);
        } catch (const Error& e) {
            return e.message();
        }
        return std::string("(accepted)");
    };
    CHECK_CONTAINS(refusal(one_lock(), features("v7.1", {"-proxy_exec"})), "proxy_migration without proxy_exec");
    CHECK_THROWS_AS(Model(one_lock(), features("v7.1", {"-proxy_exec"})), Error);
    CHECK_NOTHROW(Model(one_lock(), features("v6.17")));
    CHECK_NOTHROW(Model(one_lock(), features("none")));
}

// ===========================================================================
// The library properties (properties/*.prop) and the C++ ones on hand-built states (kernel-protocol.md 4.2)

TEST_CASE("no_affinity_violating_run allows a donor parked outside its mask but not running there")
{
    World w(make_scenario(2, {"M1"}, {{"A", 0, lock_unlock_m1, {0}}, {"B", 1, lock_unlock_m1, {1}}}),
            features("v7.1"));
    Sys s = w.sys();
    s.task(A).cpu() = 1;   // A migrated to CPU1 as a donor, B runs for it
    s.cpu(1).curr() = B;
    s.cpu(1).donor() = A;
    CHECK(verdict(w, "no_affinity_violating_run").empty());

    s.cpu(1).curr() = A;
    CHECK_CONTAINS(verdict(w, "no_affinity_violating_run"), "c = CPU1, t = A: c.curr == t, not c in t.cpus_mask (t.cpus_mask = {0})");
}

TEST_CASE("mutual_exclusion holds for one holder named by the owner word and fails for two holders or a stale "
          "owner word")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    at(s, A, 1, OP_START);   // A is past `lock M1`
    s.lock(M1).owner() = A;
    CHECK(verdict(w, "mutual_exclusion").empty());

    SUBCASE("handoff window: A past its release, B picked the lock up")
    {
        at(s, A, 1, UNLOCK_WAIT_LOCK);
        at(s, B, 1, OP_START);
        s.lock(M1).owner() = B;
        CHECK(verdict(w, "mutual_exclusion").empty());
    }
    SUBCASE("two holders")
    {
        at(s, B, 1, OP_START);
        CHECK_CONTAINS(verdict(w, "mutual_exclusion"), "m = M1, t = B: holds(t, m), m.owner != t (m.owner = A)");
    }
    SUBCASE("a holder the owner word does not name")
    {
        s.lock(M1).owner() = NO_TASK;
        CHECK_CONTAINS(verdict(w, "mutual_exclusion"), "m = M1, t = A: holds(t, m), m.owner != t (m.owner = none)");
    }
}

TEST_CASE("donor_valid requires rq->donor to be idle or queued on that runqueue")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    run_on(s, 0, A);
    CHECK(verdict(w, "donor_valid").empty());

    SUBCASE("dequeued donor")
    {
        s.task(A).on_rq() = NOT_ON_RQ;
        CHECK_CONTAINS(verdict(w, "donor_valid"), "c = CPU0, t = A: c.donor == t, t.on_rq != TASK_ON_RQ_QUEUED (t.on_rq = 0)");
    }
    SUBCASE("donor queued elsewhere")
    {
        s.task(A).cpu() = 1;
        CHECK_CONTAINS(verdict(w, "donor_valid"), "c = CPU0, t = A: c.donor == t, t.cpu != c (t.cpu = CPU1)");
    }
    SUBCASE("migrating donor")
    {
        s.task(A).on_rq() = TASK_ON_RQ_MIGRATING;
        CHECK_CONTAINS(verdict(w, "donor_valid"), "t.on_rq != TASK_ON_RQ_QUEUED (t.on_rq = TASK_ON_RQ_MIGRATING)");
    }
}

TEST_CASE("blocked_on_consistent requires blocked_on = M only for a waiter of M inside the mutex slowpath")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);
    waits(s, M1, A, LOCK_WOKEN);
    CHECK(verdict(w, "blocked_on_consistent").empty());

    SUBCASE("not on the wait_list")
    {
        s.lock(M1).wait_list()[0] = NO_TASK;
        CHECK_CONTAINS(verdict(w, "blocked_on_consistent"), "t = A, m = M1: t.blocked_on == m, not t in m.wait_list (m.wait_list = [])");
    }
    SUBCASE("outside the slowpath")
    {
        at(s, A, 1, OP_START);
        CHECK_CONTAINS(verdict(w, "blocked_on_consistent"), "t = A: t.blocked_on != none (t.blocked_on = M1), t.waiting_on == none");
    }
    SUBCASE("PROXY_WAKING inside the slowpath is fine")
    {
        s.task(A).blocked_on() = PROXY_WAKING;
        CHECK(verdict(w, "blocked_on_consistent").empty());
    }
}

TEST_CASE("no_deadlock fails on an AB-BA owner cycle and holds when the chain ends at a runnable owner")
{
    World w(ab_ba(), features("v7.1"));
    Sys s = w.sys();
    s.lock(M1).owner() = A;
    s.lock(M2).owner() = B;
    at(s, A, 1, OP_START);
    at(s, B, 1, OP_START);
    waits(s, M2, A, LOCK_SCHEDULE);
    CHECK(verdict(w, "no_deadlock").empty());   // B runs and will release M2

    waits(s, M1, B, LOCK_SCHEDULE);
    CHECK_CONTAINS(verdict(w, "no_deadlock"), "deadlock: A waits for M2 held by B, B waits for M1 held by A");
    CHECK(verdict(w, "no_lost_wakeup").empty());   // a genuine deadlock, not a lost wakeup
}

TEST_CASE("no_lost_wakeup fails for a task sleeping on a free lock and holds once every task has exited")
{
    World w(one_lock(), features("v7.1"));
    Sys s = w.sys();
    exited(s, w.m, B);

    SUBCASE("A sleeps on a free M1")
    {
        waits(s, M1, A, LOCK_WOKEN);
        s.task(A).on_rq() = NOT_ON_RQ;
        s.task(A).blocked_on() = BLOCKED_ON_NULL;
        CHECK_CONTAINS(verdict(w, "no_lost_wakeup"), "A waits for M1, which is free, and nobody wakes it");
        CHECK(verdict(w, "no_deadlock").empty());   // no owner cycle: a lost wakeup, not a deadlock
    }
    SUBCASE("A is TASK_RUNNING but dequeued")
    {
        s.task(A).on_rq() = NOT_ON_RQ;
        CHECK_CONTAINS(verdict(w, "no_lost_wakeup"), "A is TASK_RUNNING but dequeued");
    }
    SUBCASE("everybody exited")
    {
        exited(s, w.m, A);
        CHECK(verdict(w, "no_lost_wakeup").empty());
        CHECK(w.steps().empty());
    }
}
