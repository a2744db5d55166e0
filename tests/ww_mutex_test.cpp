// Unit tests of the ww_mutex model (kernel-protocol.md 3.4 and the ww parts
// of 3.2; kernel/locking/ww_mutex.h), one kernel rule each: acquire contexts
// and their stamps, -EALREADY, the fast path and ww_mutex_set_context_fastpath,
// __ww_mutex_add_waiter, __ww_mutex_die, __ww_mutex_wound,
// __ww_mutex_check_kill, the caller's -EDEADLK back-off, the test's barrier,
// holds()/mutual_exclusion for ww locks, and the A15 debug warnings.
//
// Same pattern as kernel_test.cpp (helpers in kernel_world.hpp): a tiny
// scenario, its initial state hand-edited to sit just before the rule, the
// step of interest selected from the successors, the fields it changes
// checked. Stamps are ranks among the live contexts: 1 is the oldest.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kernel_world.hpp"

using namespace pxc;
using namespace pxc::kernel;
using namespace pxc::test;

namespace {

constexpr int D = 3;
constexpr int M3 = 2;

// Program operation indices of ab / ba.
constexpr int OP_INIT = 0, OP_LOCK_FIRST = 1, OP_LOCK_SECOND = 2, OP_UNLOCK_SECOND = 3, OP_FINI = 5;

// A transaction taking M1 then M2 (ab) or M2 then M1 (ba) in one acquire context.
const std::vector<std::string> ab = {"ww_acquire_init", "lock M1", "lock M2", "unlock M2", "unlock M1",
                                     "ww_acquire_fini"};
const std::vector<std::string> ba = {"ww_acquire_init", "lock M2", "lock M1", "unlock M1", "unlock M2",
                                     "ww_acquire_fini"};
// One lock in a context.
const std::vector<std::string> ctx_m1 = {"ww_acquire_init", "lock M1", "unlock M1", "ww_acquire_fini"};
const std::vector<std::string> ctx_m2 = {"ww_acquire_init", "lock M2", "unlock M2", "ww_acquire_fini"};
// ww_mutex_lock(lock, NULL): no acquire context.
const std::vector<std::string> no_ctx_m1 = {"lock M1", "unlock M1"};
const std::vector<std::string> no_ctx_m2 = {"lock M2", "unlock M2"};

std::vector<LockSpec> ww_locks(const char* cls, int n = 2)
{
    std::vector<LockSpec> out;
    for (int i = 1; i <= n; ++i)
        out.emplace_back("M" + std::to_string(i), cls);
    return out;
}

// t has a live acquire context of that stamp (rank; 1 is the oldest).
void ctx(const Sys& s, int t, int stamp)
{
    s.task(t).ww_stamp() = uint8_t(stamp);
}

// t's context holds m: owner word, ww->ctx and ctx->acquired.
void ww_holds(const Sys& s, int t, int m)
{
    s.lock(m).owner() = uint8_t(t);
    s.lock(m).ww_ctx() = uint8_t(t);
    s.task(t).ww_acquired() |= uint8_t(1u << m);
}

// t holds m without a context (ww_mutex_lock(m, NULL)): ww->ctx stays NULL.
void plain_holds(const Sys& s, int t, int m)
{
    s.lock(m).owner() = uint8_t(t);
}

// The waiters of m, in order.
std::vector<int> wait_list(const Snapshot& n, int m)
{
    std::vector<int> out;
    for (int i = 0; i < n.lock(m).waiters(); ++i)
        out.push_back(n.lock(m).wait_list()[i]);
    return out;
}

bool wounded(const Snapshot& n, int t) { return n.task(t).ww_flags() & WW_WOUNDED; }
bool got_edeadlk(const Snapshot& n, int t) { return n.task(t).ww_flags() & WW_GOT_EDEADLK; }

// The task left the lock slowpath with an error: not queued on m, not
// blocked, running, and no A5 (or other) warning.
void check_left_without_lock(const Snapshot& n, int t, int m)
{
    CHECK_FALSE(n.lock(m).has_waiter(t));
    CHECK(n.task(t).blocked_on() == BLOCKED_ON_NULL);
    CHECK(n.task(t).state() == TASK_RUNNING);
    CHECK(n.warnings() == 0);
}

// -EDEADLK at `lock M2` of ab while holding M1: returned, contending_lock
// = M2, and the back-off starts by releasing M1.
void check_edeadlk_backs_off(const World& w, const Succ& st, int t)
{
    auto n = w.after(st);
    CHECK(got_edeadlk(n, t));
    CHECK(n.task(t).contending_lock() == M2);
    CHECK(n.task(t).backoff() == BO_UNLOCK);
    CHECK(n.task(t).backoff_lock() == M1);
    CHECK(n.task(t).pc_op() == OP_LOCK_SECOND);
    CHECK(n.task(t).pc() == OP_START);
    CHECK(n.task(t).ww_acquired() == (1u << M1));   // not yet released
    const CurrentOp op = w.m.current_op(st.next.data(), t);
    CHECK(op.kind == OpKind::unlock);
    CHECK(op.lock == M1);
    CHECK(op.ctx);
    CHECK_CONTAINS(st.narration, "-EDEADLK");
}

}  // namespace

// ===========================================================================
// ww_acquire_init / ww_acquire_fini: stamps

TEST_CASE("ww_acquire_init gives stamps in program order: a later init is younger (larger rank)")
{
    World w(make_scenario(2, ww_locks("wait_die", 1), {{"A", 0, ctx_m1}, {"B", 1, ctx_m1}, {"C", 0, ctx_m1}}),
            features("v7.1"));
    run_on(w.sys(), 0, A);

    const Succ a = only(w.steps(), StepKind::ww_acquire_init, 0, A);
    CHECK(w.after(a).task(A).ww_stamp() == 1);   // the first live context
    CHECK(w.after(a).task(A).pc_op() == 1);
    CHECK(w.after(a).task(A).pc() == OP_START);
    w.go(a);

    run_on(w.sys(), 1, B);
    const Succ b = only(w.steps(), StepKind::ww_acquire_init, 1, B);
    CHECK(w.after(b).task(B).ww_stamp() == 2);
    CHECK(w.after(b).task(A).ww_stamp() == 1);
    w.go(b);

    run_on(w.sys(), 0, C);   // A stays queued on CPU0
    auto n = w.after(only(w.steps(), StepKind::ww_acquire_init, 0, C));
    CHECK(n.task(A).ww_stamp() == 1);
    CHECK(n.task(B).ww_stamp() == 2);
    CHECK(n.task(C).ww_stamp() == 3);
}

TEST_CASE("ww_acquire_init starts a clean context: acquired, wounded, done_acquire, contending_lock and back-off "
          "cleared, the sticky -EDEADLK record kept")
{
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}}), features("v7.1"));
    Sys s = w.sys();
    s.task(A).ww_flags() = WW_WOUNDED | WW_DONE_ACQUIRE | WW_GOT_EDEADLK;
    s.task(A).set_contending_lock(M2);
    run_on(s, 0, A);

    auto n = w.after(only(w.steps(), StepKind::ww_acquire_init, 0, A));
    CHECK(n.task(A).ww_stamp() == 1);
    CHECK(n.task(A).ww_acquired() == 0);
    CHECK(n.task(A).ww_flags() == WW_GOT_EDEADLK);
    CHECK(n.task(A).contending_lock() == -1);
    CHECK(n.task(A).backoff() == BO_NONE);
}

TEST_CASE("ww_acquire_fini renumbers the younger contexts: ranks stay dense and keep their order")
{
    World w(make_scenario(2, ww_locks("wait_die", 1), {{"A", 0, ctx_m1}, {"B", 0, ctx_m1}, {"C", 1, ctx_m1}}),
            features("v7.1"));
    Sys s = w.sys();
    for (int t : {A, B, C}) {
        ctx(s, t, t + 1);   // A = 1 (oldest), B = 2, C = 3
        at(s, t, 3, OP_START);   // about to ww_acquire_fini
    }

    SUBCASE("the middle context ends: the younger one moves down, the older keeps its rank")
    {
        run_on(s, 0, B);
        auto n = w.after(only(w.steps(), StepKind::ww_acquire_fini, 0, B));
        CHECK(n.task(B).ww_stamp() == 0);   // no context
        CHECK(n.task(A).ww_stamp() == 1);
        CHECK(n.task(C).ww_stamp() == 2);
        CHECK(n.task(B).pc_op() == 4);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("the oldest context ends: every other moves down")
    {
        run_on(s, 0, A);
        auto n = w.after(only(w.steps(), StepKind::ww_acquire_fini, 0, A));
        CHECK(n.task(A).ww_stamp() == 0);
        CHECK(n.task(B).ww_stamp() == 1);
        CHECK(n.task(C).ww_stamp() == 2);
    }
    SUBCASE("a context started after a fini is younger than every live one")
    {
        run_on(s, 0, B);
        w.go(only(w.steps(), StepKind::ww_acquire_fini, 0, B));
        at(w.sys(), B, 0, OP_START);   // B starts its program again
        auto n = w.after(only(w.steps(), StepKind::ww_acquire_init, 0, B));
        CHECK(n.task(A).ww_stamp() == 1);
        CHECK(n.task(C).ww_stamp() == 2);
        CHECK(n.task(B).ww_stamp() == 3);
    }
}

// ===========================================================================
// ww_mutex_lock: -EALREADY, the fast path, ww_mutex_set_context_fastpath

TEST_CASE("ww_mutex_lock of a ww_mutex whose ww->ctx is the task's own context returns -EALREADY without waiting "
          "(test_aa); the single unlock releases it")
{
    for (const char* cls : {"wait_die", "wound_wait"}) {
        CAPTURE(cls);
        World w(make_scenario(2, ww_locks(cls, 1),
                              {{"A", 0, {"ww_acquire_init", "lock M1", "lock M1", "unlock M1", "ww_acquire_fini"}}}),
                features("v7.1"));
        Sys s = w.sys();
        ctx(s, A, 1);
        ww_holds(s, A, M1);
        at(s, A, 2, OP_START);   // the second `lock M1`
        run_on(s, 0, A);

        const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
        auto n = w.after(st);
        CHECK(n.task(A).pc_op() == 3);
        CHECK(n.task(A).pc() == OP_START);
        CHECK(n.lock(M1).owner() == A);
        CHECK(n.lock(M1).ww_ctx() == A);
        CHECK(n.lock(M1).waiters() == 0);
        CHECK(n.lock(M1).flags() == 0);
        CHECK(n.task(A).ww_acquired() == (1u << M1));   // not counted twice
        CHECK(n.task(A).blocked_on() == BLOCKED_ON_NULL);
        CHECK(n.task(A).state() == TASK_RUNNING);
        CHECK_FALSE(got_edeadlk(n, A));
        CHECK(n.warnings() == 0);
        CHECK_CONTAINS(st.narration, "-EALREADY");

        // ww_mutex_unlock(): __ww_mutex_unlock() first, then mutex_unlock()
        w.go(st);
        const Succ u = only(w.steps(), StepKind::ww_mutex_unlock, 0, A);
        auto un = w.after(u);
        CHECK(un.lock(M1).ww_ctx() == NO_TASK);
        CHECK(un.task(A).ww_acquired() == 0);
        CHECK(un.lock(M1).owner() == A);   // the owner word goes with mutex_unlock()
        CHECK(un.task(A).pc() == WW_UNLOCK_MUTEX);
        w.go(u);
        auto r = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
        CHECK(r.lock(M1).owner() == NO_TASK);
        CHECK(r.task(A).pc_op() == 4);
        CHECK(r.warnings() == 0);
    }
}

TEST_CASE("ww_mutex_lock fast path on a free ww_mutex: owner = current, then ww_mutex_set_context_fastpath sets "
          "ww->ctx and ctx->acquired")
{
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 1);
    at(s, A, OP_LOCK_FIRST, OP_START);
    run_on(s, 0, A);

    const Succ fast = only(w.steps(), StepKind::mutex_lock, 0, A);
    auto n = w.after(fast);
    CHECK(n.lock(M1).owner() == A);
    CHECK(n.lock(M1).flags() == 0);
    CHECK(n.lock(M1).ww_ctx() == NO_TASK);   // not yet
    CHECK(n.task(A).ww_acquired() == 0);
    CHECK(n.task(A).pc_op() == OP_LOCK_FIRST);
    CHECK(n.task(A).pc() == WW_SET_CONTEXT);
    CHECK_FALSE(w.m.holds(fast.next.data(), A, M1));   // holds() follows ctx->acquired
    CHECK(verdict(w, "mutual_exclusion", fast).empty());

    w.go(fast);
    const auto steps = w.steps();
    CHECK(offered(steps, StepKind::preempt, 0, A));   // preemptible between the cmpxchg and it
    const Succ set = only(steps, StepKind::ww_mutex_set_context, 0, A);
    auto m = w.after(set);
    CHECK(m.lock(M1).ww_ctx() == A);
    CHECK(m.task(A).ww_acquired() == (1u << M1));
    CHECK(m.task(A).pc_op() == OP_LOCK_SECOND);
    CHECK(m.task(A).pc() == OP_START);
    CHECK(m.task(A).wake_q() == 0);
    CHECK(m.warnings() == 0);
    CHECK(w.m.holds(set.next.data(), A, M1));
}

TEST_CASE("ww_mutex_set_context_fastpath with WAITERS set goes to WW_CHECK_WAITERS, which runs "
          "__ww_mutex_check_waiters under wait_lock")
{
    // M1 was just released with a waiter B queued (the unlocker has not taken
    // wait_lock yet): free owner, WAITERS set; A takes it. B holds M2.
    auto prepare = [](World& w, int a_stamp, int b_stamp) {
        Sys s = w.sys();
        ctx(s, A, a_stamp);
        ctx(s, B, b_stamp);
        at(s, A, OP_LOCK_FIRST, OP_START);
        run_on(s, 0, A);
        ww_holds(s, B, M2);
        at(s, B, OP_LOCK_SECOND, LOCK_SCHEDULE);
        waits(s, M1, B, LOCK_SCHEDULE);
        w.go(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(w.now().lock(M1).owner() == A);
        CHECK(w.now().task(A).pc() == WW_SET_CONTEXT);
        const Succ set = only(w.steps(), StepKind::ww_mutex_set_context, 0, A);
        auto n = w.after(set);
        CHECK(n.lock(M1).ww_ctx() == A);
        CHECK(n.task(A).ww_acquired() == (1u << M1));
        CHECK(n.task(A).pc() == WW_CHECK_WAITERS);
        CHECK(n.task(A).pc_op() == OP_LOCK_FIRST);
        w.go(set);
        return only(w.steps(), StepKind::ww_check_waiters, 0, A);
    };

    SUBCASE("wait-die: the younger waiter B, which holds M2, is woken to die")
    {
        World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
        auto n = w.after(prepare(w, 1, 2));
        CHECK(n.task(B).blocked_on() == PROXY_WAKING);
        CHECK(n.task(A).wake_q() == (1u << B));
        CHECK(n.task(A).pc() == WAKE_UP_Q);
        CHECK_FALSE(wounded(n, A));
        CHECK(n.warnings() == 0);
    }
    SUBCASE("wound-wait: the older waiter B, which holds M2, wounds A; A is current, so no wakeup")
    {
        World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
        auto n = w.after(prepare(w, 2, 1));
        CHECK(wounded(n, A));
        CHECK(n.task(A).wake_q() == 0);
        CHECK(n.task(A).pc_op() == OP_LOCK_SECOND);   // done: back to the caller
        CHECK(n.task(A).pc() == OP_START);
        CHECK(n.task(B).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.warnings() == 0);
    }
}

// ===========================================================================
// __ww_mutex_add_waiter: stamp order

namespace {

// M1 (wait-die) held by D without a context; A and B lock it in contexts
// (no locks held, so nobody dies or is killed), C without one.
World add_waiter_world()
{
    World w(make_scenario(2, ww_locks("wait_die", 1),
                          {{"A", 0, ctx_m1}, {"B", 1, ctx_m1}, {"C", 1, no_ctx_m1}, {"D", 1, no_ctx_m1}}),
            features("v7.1"));
    Sys s = w.sys();
    plain_holds(s, D, M1);
    at(s, D, 1, OP_START);
    at(s, A, 1, OP_START);
    at(s, B, 1, OP_START);
    return w;
}

}  // namespace

TEST_CASE("__ww_mutex_add_waiter inserts in stamp order: an older context goes ahead of a younger one, a younger "
          "one behind, a ctx-less waiter keeps its FIFO slot")
{
    World w = add_waiter_world();
    Sys s = w.sys();

    SUBCASE("older A goes ahead of younger B")
    {
        ctx(s, A, 1);
        ctx(s, B, 2);
        waits(s, M1, B, LOCK_SCHEDULE);
        run_on(s, 0, A);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M1) == std::vector<int>{A, B});
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK(n.task(A).wake_q() == 0);   // B holds nothing: it need not die
        CHECK(n.lock(M1).flags() == MUTEX_FLAG_WAITERS);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("younger A (holding nothing: not killed) queues behind older B")
    {
        ctx(s, A, 2);
        ctx(s, B, 1);
        waits(s, M1, B, LOCK_SCHEDULE);
        run_on(s, 0, A);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M1) == std::vector<int>{B, A});
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK_FALSE(got_edeadlk(n, A));
    }
    SUBCASE("the ctx-less waiter C keeps its slot ahead; older A goes between C and younger B")
    {
        ctx(s, A, 1);
        ctx(s, B, 2);
        waits(s, M1, C, LOCK_SCHEDULE);
        waits(s, M1, B, LOCK_SCHEDULE);
        run_on(s, 0, A);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M1) == std::vector<int>{C, A, B});
    }
    SUBCASE("a ctx-less locker (ww_mutex_lock(M1, NULL)) is appended at the tail")
    {
        ctx(s, A, 2);
        ctx(s, B, 1);
        waits(s, M1, A, LOCK_SCHEDULE);
        waits(s, M1, B, LOCK_SCHEDULE);   // hand-built, out of stamp order
        at(s, C, 0, OP_START);
        run_on(s, 1, C);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 1, C));
        CHECK(wait_list(n, M1) == std::vector<int>{A, B, C});
        CHECK(n.task(C).pc() == LOCK_SCHEDULE);
    }
}

// ===========================================================================
// Wait-die: __ww_mutex_add_waiter kills the younger, __ww_mutex_die wakes

TEST_CASE("wait-die: a younger context that holds locks and finds an older waiter returns -EDEADLK without "
          "queueing, and starts its back-off")
{
    // A (younger, holds M1) locks M2, held by C without a context; older B waits for M2.
    World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}, {"C", 1, no_ctx_m2}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, A, M1);
    at(s, A, OP_LOCK_SECOND, OP_START);
    run_on(s, 0, A);
    at(s, B, OP_LOCK_FIRST, LOCK_SCHEDULE);
    waits(s, M2, B, LOCK_SCHEDULE);
    plain_holds(s, C, M2);
    at(s, C, 1, OP_START);

    const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
    auto n = w.after(st);
    CHECK(wait_list(n, M2) == std::vector<int>{B});   // never queued
    CHECK(n.lock(M2).owner() == C);
    check_left_without_lock(n, A, M2);
    check_edeadlk_backs_off(w, st, A);
    CHECK(n.task(A).wake_q() == 0);
}

TEST_CASE("wait-die: __ww_mutex_add_waiter wakes younger waiters behind it that hold locks to die, then returns "
          "-EDEADLK itself past an older one; the wake_q runs before the back-off")
{
    // M2 held by C (no context). Waiters: B (stamp 1), D (stamp 3, holds
    // M3). A (stamp 2, holds M1) locks M2: D is younger and holds a lock, so
    // it must die; B is older, so A itself is killed.
    World w(make_scenario(2, ww_locks("wait_die", 3),
                          {{"A", 0, ab},
                           {"B", 1, ba},
                           {"C", 1, no_ctx_m2},
                           {"D", 1, {"ww_acquire_init", "lock M3", "lock M2", "unlock M2", "unlock M3",
                                     "ww_acquire_fini"}}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ctx(s, D, 3);
    ww_holds(s, A, M1);
    at(s, A, OP_LOCK_SECOND, OP_START);
    run_on(s, 0, A);
    at(s, B, OP_LOCK_FIRST, LOCK_SCHEDULE);
    waits(s, M2, B, LOCK_SCHEDULE);
    ww_holds(s, D, M3);
    at(s, D, 2, LOCK_SCHEDULE);
    waits(s, M2, D, LOCK_SCHEDULE);
    plain_holds(s, C, M2);
    at(s, C, 1, OP_START);

    const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
    auto n = w.after(st);
    CHECK(wait_list(n, M2) == std::vector<int>{B, D});
    CHECK(n.task(D).blocked_on() == PROXY_WAKING);
    CHECK(n.task(A).wake_q() == (1u << D));
    CHECK(n.task(A).pc() == WAKE_UP_Q);
    CHECK(n.task(A).backoff() == BO_EDEADLK);   // returns -EDEADLK once the wake_q has run
    CHECK(n.task(A).contending_lock() == M2);
    CHECK(got_edeadlk(n, A));
    check_left_without_lock(n, A, M2);
    CHECK(w.m.waits_for(st.next.data(), A) == -1);

    w.go(st);
    const Succ wake = only(w.steps(), StepKind::try_to_wake_up, 0, A);
    CHECK(wake.step.arg == D);
    auto m = w.after(wake);
    CHECK(m.task(D).state() == TASK_RUNNING);
    CHECK(m.task(A).wake_q() == 0);
    CHECK(m.task(A).backoff() == BO_UNLOCK);
    CHECK(m.task(A).backoff_lock() == M1);
    CHECK(m.task(A).pc() == OP_START);
    CHECK(m.task(A).pc_op() == OP_LOCK_SECOND);
}

TEST_CASE("wait-die: an older context queueing wakes a younger waiter that holds locks to die: PROXY_WAKING in "
          "v7.1, blocked_on NULL before it, on the waker's wake_q")
{
    // M1 held by C (no context); B (younger, holds M2) waits for it; A (older) locks it.
    auto prepare = [](World& w, bool b_holds_m2) {
        Sys s = w.sys();
        ctx(s, A, 1);
        ctx(s, B, 2);
        at(s, A, OP_LOCK_FIRST, OP_START);
        run_on(s, 0, A);
        if (b_holds_m2)
            ww_holds(s, B, M2);
        at(s, B, OP_LOCK_SECOND, LOCK_SCHEDULE);
        waits(s, M1, B, LOCK_SCHEDULE);
        plain_holds(s, C, M1);
        at(s, C, 1, OP_START);
    };
    const Scenario sc =
        make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}, {"C", 1, no_ctx_m1}});

    SUBCASE("v7.1: PROXY_WAKING")
    {
        World w(sc, features("v7.1"));
        prepare(w, true);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M1) == std::vector<int>{A, B});
        CHECK(n.task(B).blocked_on() == PROXY_WAKING);
        CHECK(n.task(A).wake_q() == (1u << B));
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(A).pc() == WAKE_UP_Q);
        CHECK_FALSE(got_edeadlk(n, A));
        CHECK(n.warnings() == 0);
    }
    SUBCASE("-proxy_waking: blocked_on cleared")
    {
        World w(sc, features("v7.1", {"-proxy_waking"}));
        prepare(w, true);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M1) == std::vector<int>{A, B});
        CHECK(n.task(B).blocked_on() == BLOCKED_ON_NULL);
        CHECK(n.task(A).wake_q() == (1u << B));
        CHECK(n.task(A).pc() == WAKE_UP_Q);
        CHECK(n.warnings() == 0);
    }
    SUBCASE("a younger waiter that holds nothing is left asleep")
    {
        World w(sc, features("v7.1"));
        prepare(w, false);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M1) == std::vector<int>{A, B});
        CHECK(n.task(B).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(A).wake_q() == 0);
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
    }
}

// ===========================================================================
// Wound-wait: __ww_mutex_wound

namespace {

// Wound-wait AB-BA: A (stamp a) holds M1 and is about to lock M2; B (stamp
// b) holds M2 and sleeps in M1's wait_list.
World wound_world(FeatureSet f, int a_stamp = 1, int b_stamp = 2)
{
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}}), f);
    Sys s = w.sys();
    ctx(s, A, a_stamp);
    ctx(s, B, b_stamp);
    ww_holds(s, A, M1);
    at(s, A, OP_LOCK_SECOND, OP_START);
    run_on(s, 0, A);
    ww_holds(s, B, M2);
    at(s, B, OP_LOCK_SECOND, LOCK_SCHEDULE);
    waits(s, M1, B, LOCK_SCHEDULE);
    return w;
}

}  // namespace

TEST_CASE("wound-wait: an older requester with locks wounds the younger holder and marks it waking with m = NULL "
          "(it is blocked on another mutex: no A4 warning)")
{
    SUBCASE("v7.1: the holder's blocked_on on M1 becomes PROXY_WAKING")
    {
        World w = wound_world(features("v7.1"));
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wounded(n, B));
        CHECK(n.task(B).blocked_on() == PROXY_WAKING);
        CHECK(n.task(A).wake_q() == (1u << B));
        CHECK(wait_list(n, M2) == std::vector<int>{A});
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M2));
        CHECK(n.task(A).state() == TASK_UNINTERRUPTIBLE);
        CHECK(n.task(A).pc() == WAKE_UP_Q);
        CHECK_FALSE(wounded(n, A));
        CHECK(n.warnings() == 0);
    }
    SUBCASE("-proxy_waking: the holder's blocked_on is cleared")
    {
        World w = wound_world(features("v7.1", {"-proxy_waking"}));
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wounded(n, B));
        CHECK(n.task(B).blocked_on() == BLOCKED_ON_NULL);
        CHECK(n.task(A).wake_q() == (1u << B));
        CHECK(n.warnings() == 0);
    }
    SUBCASE("a younger requester does not wound an older holder")
    {
        World w = wound_world(features("v7.1"), 2, 1);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK_FALSE(wounded(n, B));
        CHECK(n.task(B).blocked_on() == blocked_on_mutex(M1));
        CHECK(n.task(A).wake_q() == 0);
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
    }
}

TEST_CASE("__ww_mutex_wound early outs: no wound while the holder has not set ww->ctx yet (it checks the waiters "
          "itself), nor from a requester that holds nothing")
{
    SUBCASE("hold_ctx == NULL: B took M2 on the fast path, at WW_SET_CONTEXT")
    {
        World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
        Sys s = w.sys();
        ctx(s, A, 1);
        ctx(s, B, 2);
        ww_holds(s, A, M1);
        at(s, A, OP_LOCK_SECOND, OP_START);
        run_on(s, 0, A);
        plain_holds(s, B, M2);   // owner = B, ww->ctx still NULL
        at(s, B, OP_LOCK_FIRST, WW_SET_CONTEXT);

        const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
        auto n = w.after(st);
        CHECK_FALSE(wounded(n, B));
        CHECK(n.task(A).wake_q() == 0);
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK(wait_list(n, M2) == std::vector<int>{A});

        // B's ww_mutex_set_context_fastpath() sees WAITERS and wounds itself
        w.go(st);
        run_on(w.sys(), 1, B);
        const Succ set = only(w.steps(), StepKind::ww_mutex_set_context, 1, B);
        CHECK(w.after(set).task(B).pc() == WW_CHECK_WAITERS);
        w.go(set);
        auto c = w.after(only(w.steps(), StepKind::ww_check_waiters, 1, B));
        CHECK(wounded(c, B));
        CHECK(c.task(B).wake_q() == 0);   // B is current
        CHECK(c.task(B).pc_op() == OP_LOCK_SECOND);
        CHECK(c.warnings() == 0);
    }
    SUBCASE("the requester's context holds nothing (acquired == 0)")
    {
        World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ctx_m2}, {"B", 1, ba}}), features("v7.1"));
        Sys s = w.sys();
        ctx(s, A, 1);
        ctx(s, B, 2);
        at(s, A, 1, OP_START);
        run_on(s, 0, A);
        ww_holds(s, B, M2);
        at(s, B, OP_LOCK_SECOND, OP_START);

        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK_FALSE(wounded(n, B));
        CHECK(n.task(A).wake_q() == 0);
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
    }
}

TEST_CASE("wound-wait: a context that steals the lock from an older first waiter holding locks is wounded "
          "(__ww_mutex_check_waiters at acquired:)")
{
    // M2 free with WAITERS: B (older, holds M1) first, A (younger) second;
    // A is back from schedule() and takes it before B does.
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ctx_m2}, {"B", 1, {"ww_acquire_init", "lock M1",
                                                                                  "lock M2", "unlock M2",
                                                                                  "unlock M1", "ww_acquire_fini"}}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, B, M1);
    at(s, B, 2, LOCK_SCHEDULE);
    waits(s, M2, B, LOCK_SCHEDULE);
    s.task(B).blocked_on() = PROXY_WAKING;   // woken by the unlock
    at(s, A, 1, LOCK_WOKEN);
    waits(s, M2, A, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;
    run_on(s, 0, A);

    auto n = w.after(only(w.steps(), StepKind::mutex_lock_woken, 0, A));
    CHECK(n.lock(M2).owner() == A);
    CHECK(n.lock(M2).ww_ctx() == A);
    CHECK(wait_list(n, M2) == std::vector<int>{B});
    CHECK(wounded(n, A));
    CHECK(n.task(A).wake_q() == 0);   // A is the owner and current
    CHECK(n.task(A).pc_op() == 2);
    CHECK(n.warnings() == 0);
}

// ===========================================================================
// __ww_mutex_check_kill: the waiter's own test in the wait loop

TEST_CASE("__ww_mutex_check_kill, wound-wait: a wounded context that holds locks gets -EDEADLK when it wakes in "
          "the wait loop and leaves the wait_list")
{
    // A (wounded, holds M1) waits for M2 behind C (no context); B holds M2.
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}, {"C", 1, no_ctx_m2}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, B, M2);
    at(s, B, OP_LOCK_SECOND, OP_START);
    at(s, C, 0, LOCK_SCHEDULE);
    waits(s, M2, C, LOCK_SCHEDULE);
    at(s, A, OP_LOCK_SECOND, LOCK_WOKEN);
    waits(s, M2, A, LOCK_WOKEN);
    s.task(A).blocked_on() = BLOCKED_ON_NULL;   // cleared on its way back to running
    s.task(A).ww_flags() |= WW_WOUNDED;
    run_on(s, 0, A);

    SUBCASE("holding M1: -EDEADLK")
    {
        ww_holds(s, A, M1);
        const Succ st = only(w.steps(), StepKind::mutex_lock_woken, 0, A);
        auto n = w.after(st);
        CHECK(wait_list(n, M2) == std::vector<int>{C});
        CHECK(n.lock(M2).flags() == MUTEX_FLAG_WAITERS);   // C still waits
        check_left_without_lock(n, A, M2);
        check_edeadlk_backs_off(w, st, A);
    }
    SUBCASE("holding nothing: wounded does not matter, it sleeps again")
    {
        auto n = w.after(only(w.steps(), StepKind::mutex_lock_woken, 0, A));
        CHECK(wait_list(n, M2) == std::vector<int>{C, A});
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M2));
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK_FALSE(got_edeadlk(n, A));
    }
}

TEST_CASE("__ww_mutex_check_kill, wait-die: a context younger than the holder's gets -EDEADLK on its first pass "
          "and leaves the wait_list; an older one sleeps")
{
    auto prepare = [](World& w, int a_stamp, int b_stamp) {
        Sys s = w.sys();
        ctx(s, A, a_stamp);
        ctx(s, B, b_stamp);
        ww_holds(s, A, M1);
        at(s, A, OP_LOCK_SECOND, OP_START);
        run_on(s, 0, A);
        ww_holds(s, B, M2);
        at(s, B, OP_LOCK_SECOND, OP_START);
    };
    const Scenario sc = make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}});

    SUBCASE("younger than the holder: -EDEADLK")
    {
        World w(sc, features("v7.1"));
        prepare(w, 2, 1);
        const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
        auto n = w.after(st);
        CHECK(n.lock(M2).waiters() == 0);
        CHECK(n.lock(M2).flags() == 0);   // the flags go with the last waiter
        CHECK(n.lock(M2).owner() == B);
        check_left_without_lock(n, A, M2);
        check_edeadlk_backs_off(w, st, A);
    }
    SUBCASE("older than the holder: waits")
    {
        World w(sc, features("v7.1"));
        prepare(w, 1, 2);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK(wait_list(n, M2) == std::vector<int>{A});
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M2));
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK_FALSE(got_edeadlk(n, A));
        CHECK_FALSE(wounded(n, B));   // wait-die never wounds
    }
}

TEST_CASE("__ww_mutex_check_kill, wait-die: an older context waiting ahead kills a waiter that holds locks; "
          "ctx-less waiters ahead are skipped")
{
    // M2 held by D without a context (hold_ctx == NULL). A (stamp 2, holds
    // M1) is back from schedule() behind another waiter.
    World w(make_scenario(2, ww_locks("wait_die"),
                          {{"A", 0, ab}, {"B", 1, ba}, {"C", 1, no_ctx_m2}, {"D", 1, no_ctx_m2}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, A, M1);
    plain_holds(s, D, M2);
    at(s, D, 1, OP_START);

    SUBCASE("older B ahead: -EDEADLK")
    {
        at(s, B, OP_LOCK_FIRST, LOCK_SCHEDULE);
        waits(s, M2, B, LOCK_SCHEDULE);
        at(s, A, OP_LOCK_SECOND, LOCK_WOKEN);
        waits(s, M2, A, LOCK_WOKEN);
        s.task(A).blocked_on() = BLOCKED_ON_NULL;   // woken to die
        run_on(s, 0, A);
        const Succ st = only(w.steps(), StepKind::mutex_lock_woken, 0, A);
        auto n = w.after(st);
        CHECK(wait_list(n, M2) == std::vector<int>{B});
        check_left_without_lock(n, A, M2);
        check_edeadlk_backs_off(w, st, A);
    }
    SUBCASE("only ctx-less C ahead: A sleeps again")
    {
        at(s, C, 0, LOCK_SCHEDULE);
        waits(s, M2, C, LOCK_SCHEDULE);
        at(s, A, OP_LOCK_SECOND, LOCK_WOKEN);
        waits(s, M2, A, LOCK_WOKEN);
        run_on(s, 0, A);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock_woken, 0, A));
        CHECK(wait_list(n, M2) == std::vector<int>{C, A});
        CHECK(n.task(A).blocked_on() == blocked_on_mutex(M2));
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK_FALSE(got_edeadlk(n, A));
        CHECK(n.warnings() == 0);
    }
}

// ===========================================================================
// ctx->wounded is reset when a context that holds nothing enters the slow path

TEST_CASE("__mutex_lock_common resets wounded for a context with acquired == 0; one that holds locks keeps it "
          "(and, wound-wait, dies at once)")
{
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    s.task(A).ww_flags() |= WW_WOUNDED;
    run_on(s, 0, A);

    SUBCASE("acquired == 0: wounded reset, A waits")
    {
        ww_holds(s, B, M1);
        at(s, B, OP_LOCK_SECOND, OP_START);
        at(s, A, OP_LOCK_FIRST, OP_START);
        auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
        CHECK_FALSE(wounded(n, A));
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK_FALSE(got_edeadlk(n, A));
    }
    SUBCASE("acquired > 0: still wounded, -EDEADLK")
    {
        ww_holds(s, A, M1);
        ww_holds(s, B, M2);
        at(s, B, OP_LOCK_SECOND, OP_START);
        at(s, A, OP_LOCK_SECOND, OP_START);
        const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
        CHECK(wounded(w.after(st), A));
        check_edeadlk_backs_off(w, st, A);
    }
}

// In the kernel the reset `if (ww_ctx->acquired == 0) ww_ctx->wounded = 0;`
// sits at the top of __mutex_lock_common(), before its first
// __mutex_trylock(). ww_mutex_lock()'s own fast path (__mutex_trylock_fast)
// only succeeds on an owner word that is exactly 0, so a free ww_mutex with
// MUTEX_FLAG_WAITERS set is taken through __mutex_lock_common(), which resets
// wounded first.
TEST_CASE("__mutex_lock_common resets wounded (acquired == 0) also when its first trylock takes a free ww_mutex "
          "that has WAITERS set")
{
    World w(make_scenario(2, ww_locks("wound_wait"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    s.task(A).ww_flags() |= WW_WOUNDED;   // killed before, everything released
    at(s, A, OP_LOCK_FIRST, OP_START);
    run_on(s, 0, A);
    at(s, B, OP_LOCK_SECOND, LOCK_SCHEDULE);   // B waits for M1, its unlocker has not taken wait_lock yet
    waits(s, M1, B, LOCK_SCHEDULE);

    auto n = w.after(only(w.steps(), StepKind::mutex_lock, 0, A));
    CHECK(n.lock(M1).owner() == A);
    CHECK_FALSE(wounded(n, A));
}

// ===========================================================================
// The caller's -EDEADLK back-off (test_abba resolve, test_cycle, stress_inorder)

TEST_CASE("back-off after -EDEADLK at `lock M2` holding M1: unlock M1 (ww_mutex_unlock, then mutex_unlock), "
          "ww_mutex_lock_slow(M2), lock M1 again, then the operation after `lock M2`")
{
    // Wait-die: A (younger, holds M1) locks M2, held by older B (not running).
    World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, A, M1);
    at(s, A, OP_LOCK_SECOND, OP_START);
    run_on(s, 0, A);
    ww_holds(s, B, M2);
    at(s, B, OP_LOCK_SECOND, OP_START);

    auto step = [&w](StepKind kind) {
        const Succ st = only(w.steps(), kind, 0, A);
        w.go(st);
        CHECK(verdict(w, "mutual_exclusion").empty());
        CHECK(w.now().warnings() == 0);
        return w.now();
    };
    auto op = [&w]() { return w.m.current_op(w.bytes.data(), A); };

    // -EDEADLK: back-off phase BO_UNLOCK, releasing M1
    auto n = step(StepKind::mutex_lock);
    CHECK(n.task(A).backoff() == BO_UNLOCK);
    CHECK(n.task(A).backoff_lock() == M1);
    CHECK(n.task(A).contending_lock() == M2);
    CHECK(op().kind == OpKind::unlock);
    CHECK(op().lock == M1);

    // __ww_mutex_unlock(M1): ww->ctx = NULL, the acquired bit goes
    n = step(StepKind::ww_mutex_unlock);
    CHECK(n.lock(M1).ww_ctx() == NO_TASK);
    CHECK(n.task(A).ww_acquired() == 0);
    CHECK(n.lock(M1).owner() == A);
    CHECK(n.task(A).pc() == WW_UNLOCK_MUTEX);
    CHECK(n.task(A).backoff() == BO_UNLOCK);
    CHECK_FALSE(w.m.holds(w.bytes.data(), A, M1));

    // mutex_unlock(M1): released; next ww_mutex_lock_slow(M2)
    n = step(StepKind::mutex_unlock);
    CHECK(n.lock(M1).owner() == NO_TASK);
    CHECK(n.task(A).backoff() == BO_SLOW);
    CHECK(n.task(A).backoff_lock() == M2);
    CHECK(n.task(A).pc_op() == OP_LOCK_SECOND);
    CHECK(n.task(A).pc() == OP_START);
    CHECK(op().kind == OpKind::lock);
    CHECK(op().lock == M2);
    CHECK(op().ctx);

    SUBCASE("M2 still held: ww_mutex_lock_slow sleeps, never -EDEADLK (acquired == 0)")
    {
        n = step(StepKind::mutex_lock);
        CHECK(wait_list(n, M2) == std::vector<int>{A});
        CHECK(n.task(A).pc() == LOCK_SCHEDULE);
        CHECK(n.task(A).backoff() == BO_SLOW);
        CHECK(w.m.waits_for(w.bytes.data(), A) == M2);
    }
    SUBCASE("B released M2: lock M2, then relock M1, then on")
    {
        Sys t = w.sys();
        t.lock(M2).owner() = NO_TASK;   // B unlocked everything and finished meanwhile
        t.lock(M2).ww_ctx() = NO_TASK;
        t.task(B).ww_acquired() = 0;
        t.task(B).ww_stamp() = 0;
        t.task(A).ww_stamp() = 1;
        exited(t, w.m, B);

        n = step(StepKind::mutex_lock);
        CHECK(n.lock(M2).owner() == A);
        CHECK(n.task(A).pc() == WW_SET_CONTEXT);
        n = step(StepKind::ww_mutex_set_context);   // contending_lock == M2, acquired == 0: no A15
        CHECK(n.task(A).ww_acquired() == (1u << M2));
        CHECK(n.task(A).contending_lock() == -1);
        CHECK(n.task(A).backoff() == BO_RELOCK);
        CHECK(n.task(A).backoff_lock() == M1);
        CHECK(n.task(A).pc_op() == OP_LOCK_SECOND);
        CHECK(op().kind == OpKind::lock);
        CHECK(op().lock == M1);

        n = step(StepKind::mutex_lock);
        CHECK(n.lock(M1).owner() == A);
        n = step(StepKind::ww_mutex_set_context);
        CHECK(n.task(A).ww_acquired() == ((1u << M1) | (1u << M2)));
        CHECK(n.task(A).backoff() == BO_NONE);
        CHECK(n.task(A).backoff_lock() == -1);
        CHECK(n.task(A).pc_op() == OP_UNLOCK_SECOND);   // the operation after `lock M2`
        CHECK(n.task(A).pc() == OP_START);
        CHECK(got_edeadlk(n, A));
        CHECK(w.m.holds(w.bytes.data(), A, M1));
        CHECK(w.m.holds(w.bytes.data(), A, M2));
    }
}

TEST_CASE("back-off: a second -EDEADLK while relocking backs off again: unlock the slow-locked lock, "
          "ww_mutex_lock_slow() the new contended one")
{
    // Wait-die: A (younger) backed off at `lock M2`, got M2 with
    // ww_mutex_lock_slow() and relocks M1, which older B took meanwhile.
    // (test_cycle_work would give up here with erra = -EDEADLK; the model
    // retries like stress_inorder_work.)
    World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ctx_m1}}), features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, A, M2);
    at(s, A, OP_LOCK_SECOND, OP_START);
    s.task(A).set_backoff(BO_RELOCK);
    s.task(A).set_backoff_lock(M1);
    s.task(A).ww_flags() |= WW_GOT_EDEADLK;
    run_on(s, 0, A);
    ww_holds(s, B, M1);
    at(s, B, 2, OP_START);

    const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
    auto n = w.after(st);
    check_left_without_lock(n, A, M1);
    CHECK(n.task(A).contending_lock() == M1);
    CHECK(n.task(A).backoff() == BO_UNLOCK);
    CHECK(n.task(A).backoff_lock() == M2);
    CHECK(n.task(A).pc_op() == OP_LOCK_SECOND);
    CHECK(n.task(A).ww_acquired() == (1u << M2));

    w.go(st);
    w.go(only(w.steps(), StepKind::ww_mutex_unlock, 0, A));
    auto m = w.after(only(w.steps(), StepKind::mutex_unlock, 0, A));
    CHECK(m.lock(M2).owner() == NO_TASK);
    CHECK(m.task(A).ww_acquired() == 0);
    CHECK(m.task(A).backoff() == BO_SLOW);
    CHECK(m.task(A).backoff_lock() == M1);
    CHECK(m.warnings() == 0);
}

TEST_CASE("backoff = false (test_abba without resolve): after -EDEADLK the program goes on, and its later unlock "
          "of the lock it did not get is skipped")
{
    const std::vector<std::string> abba_a = {"ww_acquire_init", "lock M1", "barrier", "lock M2",
                                             "unlock M2",       "unlock M1", "ww_acquire_fini"};
    const std::vector<std::string> abba_b = {"ww_acquire_init", "lock M2", "barrier", "lock M1",
                                             "unlock M1",       "unlock M2", "ww_acquire_fini"};
    World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, abba_a, {}, false}, {"B", 1, abba_b, {}, false}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, A, M1);
    at(s, A, 3, OP_START);   // lock M2
    run_on(s, 0, A);
    ww_holds(s, B, M2);
    at(s, B, 3, OP_START);

    const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
    auto n = w.after(st);
    CHECK(got_edeadlk(n, A));
    CHECK(n.task(A).backoff() == BO_NONE);
    CHECK(n.task(A).backoff_lock() == -1);
    CHECK(n.task(A).pc_op() == 5);   // `unlock M2` (4) skipped: at `unlock M1`
    CHECK(n.task(A).pc() == OP_START);
    CHECK(n.task(A).ww_acquired() == (1u << M1));
    CHECK(n.lock(M2).owner() == B);
    check_left_without_lock(n, A, M2);
    CHECK_FALSE(w.m.holds(st.next.data(), A, M2));
    CHECK(w.m.holds(st.next.data(), A, M1));
    CHECK(verdict(w, "mutual_exclusion", st).empty());

    w.go(st);
    const Succ u = only(w.steps(), StepKind::ww_mutex_unlock, 0, A);   // ww_mutex_unlock(M1)
    CHECK(w.after(u).lock(M1).ww_ctx() == NO_TASK);
    CHECK(w.after(u).task(A).ww_acquired() == 0);
}

// ===========================================================================
// holds() for ww locks, mutual_exclusion

TEST_CASE("Model::holds for a ww_mutex taken in the context follows ctx->acquired; mutual_exclusion holds "
          "across a back-off that let another context take the lock")
{
    World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 2);
    ctx(s, B, 1);
    ww_holds(s, A, M1);
    at(s, A, OP_LOCK_SECOND, OP_START);
    CHECK(w.m.holds(w.bytes.data(), A, M1));
    CHECK_FALSE(w.m.holds(w.bytes.data(), A, M2));
    CHECK(verdict(w, "mutual_exclusion").empty());

    // A backed off: M1 released, A at BO_SLOW on M2; B took M1 and M2.
    s.task(A).ww_acquired() = 0;
    s.lock(M1).ww_ctx() = NO_TASK;
    s.task(A).set_backoff(BO_SLOW);
    s.task(A).set_backoff_lock(M2);
    s.task(A).set_contending_lock(M2);
    ww_holds(s, B, M2);
    ww_holds(s, B, M1);
    at(s, B, OP_UNLOCK_SECOND, OP_START);
    CHECK_FALSE(w.m.holds(w.bytes.data(), A, M1));   // the program is past `lock M1`, the context is not
    CHECK(w.m.holds(w.bytes.data(), B, M1));
    CHECK(w.m.holds(w.bytes.data(), B, M2));
    CHECK(verdict(w, "mutual_exclusion").empty());

    s.task(A).ww_acquired() = 1u << M1;   // a context that believes it still holds M1
    CHECK_CONTAINS(verdict(w, "mutual_exclusion"), "m = M1, t = A: holds(t, m), m.owner != t (m.owner = B)");
}

// ===========================================================================
// The test's completions: barrier

TEST_CASE("barrier is not enabled until every task with a barrier has reached it; tasks without one, or past it, "
          "do not hold it back")
{
    const std::vector<std::string> with_barrier = {"ww_acquire_init", "lock M1", "barrier", "unlock M1",
                                                   "ww_acquire_fini"};
    const std::vector<std::string> with_barrier2 = {"ww_acquire_init", "lock M2", "barrier", "unlock M2",
                                                    "ww_acquire_fini"};
    World w(make_scenario(2, ww_locks("wait_die"),
                          {{"A", 0, with_barrier}, {"B", 1, with_barrier2}, {"C", 1, {"yield"}}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 1);
    ctx(s, B, 2);
    ww_holds(s, A, M1);
    at(s, A, 2, OP_START);
    run_on(s, 0, A);
    at(s, B, 1, OP_START);   // B has not taken M2 yet

    SUBCASE("B not there yet: A waits (only preemption is offered)")
    {
        const auto steps = w.steps();
        CHECK_FALSE(offered(steps, StepKind::barrier, 0, A));
        CHECK(offered(steps, StepKind::preempt, 0, A));
    }
    SUBCASE("B at its barrier: A goes on")
    {
        ww_holds(s, B, M2);
        at(s, B, 2, OP_START);
        const Succ st = only(w.steps(), StepKind::barrier, 0, A);
        CHECK(w.after(st).task(A).pc_op() == 3);
        CHECK(w.after(st).task(A).pc() == OP_START);
        CHECK(w.after(st).task(B).pc_op() == 2);   // B passes its own barrier in its own step
        CHECK_CONTAINS(st.narration, "every task reached the barrier");
    }
    SUBCASE("B past its barrier, or exited: A goes on")
    {
        at(s, B, 3, OP_START);
        CHECK(offered(w.steps(), StepKind::barrier, 0, A));
        exited(s, w.m, B);
        CHECK(offered(w.steps(), StepKind::barrier, 0, A));
    }
}

// ===========================================================================
// A15: the DEBUG_WW_MUTEXES assertions

TEST_CASE("A15 ww_mutex_lock_acquired: ww->ctx already set, a lock after ww_acquire_done, another lock after "
          "-EDEADLK, or -EDEADLK's lock with locks still held")
{
    World w(make_scenario(2, ww_locks("wait_die"),
                          {{"A", 0, {"ww_acquire_init", "lock M1", "ww_acquire_done", "lock M2", "unlock M2",
                                     "unlock M1", "ww_acquire_fini"}},
                           {"B", 1, ba}}),
            features("v7.1"));
    Sys s = w.sys();
    ctx(s, A, 1);
    ctx(s, B, 2);
    run_on(s, 0, A);
    auto set_context = [&w]() {
        const Succ st = only(w.steps(), StepKind::ww_mutex_set_context, 0, A);
        CHECK_CONTAINS(st.narration, "WARN");
        CHECK_CONTAINS(verdict(w, "no_kernel_warning", st), "A15 ww_mutex_lock_acquired");
        return w.after(st);
    };

    SUBCASE("ww->ctx already set (hand-built: a stale ww->ctx of B)")
    {
        at(s, A, 1, WW_SET_CONTEXT);
        s.lock(M1).owner() = A;
        s.lock(M1).ww_ctx() = B;
        auto n = set_context();
        CHECK(n.warnings() == (1u << W_A15_WW_ACQUIRED));
        CHECK(n.lock(M1).ww_ctx() == A);
    }
    SUBCASE("a lock after ww_acquire_done")
    {
        ww_holds(s, A, M1);
        at(s, A, 2, OP_START);
        w.go(only(w.steps(), StepKind::ww_acquire_done, 0, A));
        CHECK((w.now().task(A).ww_flags() & WW_DONE_ACQUIRE) != 0);
        CHECK(w.now().task(A).pc_op() == 3);
        w.go(only(w.steps(), StepKind::mutex_lock, 0, A));
        auto n = set_context();
        CHECK(n.warnings() == (1u << W_A15_WW_ACQUIRED));
    }
    SUBCASE("after -EDEADLK on M2, a lock of M1")
    {
        s.task(A).set_contending_lock(M2);
        at(s, A, 1, WW_SET_CONTEXT);
        s.lock(M1).owner() = A;
        auto n = set_context();
        CHECK(n.warnings() == (1u << W_A15_WW_ACQUIRED));
        CHECK(n.task(A).contending_lock() == -1);
    }
    SUBCASE("after -EDEADLK on M2, M2 with M1 still held")
    {
        ww_holds(s, A, M1);
        s.task(A).set_contending_lock(M2);
        at(s, A, 3, WW_SET_CONTEXT);
        s.lock(M2).owner() = A;
        auto n = set_context();
        CHECK(n.warnings() == (1u << W_A15_WW_ACQUIRED));
    }
}

TEST_CASE("A15 __ww_mutex_kill, __ww_mutex_unlock, ww_acquire_fini: contending_lock already set, "
          "lock->ctx->acquired == 0, ctx->acquired != 0")
{
    World w(make_scenario(2, ww_locks("wait_die"), {{"A", 0, ab}, {"B", 1, ba}}), features("v7.1"));
    Sys s = w.sys();
    run_on(s, 0, A);

    SUBCASE("__ww_mutex_kill with contending_lock already set")
    {
        ctx(s, A, 2);
        ctx(s, B, 1);
        ww_holds(s, A, M1);
        s.task(A).set_contending_lock(M1);   // an -EDEADLK never backed off from
        at(s, A, OP_LOCK_SECOND, OP_START);
        ww_holds(s, B, M2);
        at(s, B, OP_LOCK_SECOND, OP_START);
        const Succ st = only(w.steps(), StepKind::mutex_lock, 0, A);
        CHECK(w.after(st).warnings() == (1u << W_A15_WW_KILL));
        CHECK(w.after(st).task(A).contending_lock() == M2);
        CHECK_CONTAINS(verdict(w, "no_kernel_warning", st), "A15 __ww_mutex_kill");
    }
    SUBCASE("__ww_mutex_unlock of a lock its context does not count")
    {
        ctx(s, A, 1);
        s.lock(M1).owner() = A;
        s.lock(M1).ww_ctx() = A;   // acquired bit missing
        at(s, A, 4, OP_START);     // unlock M1
        const Succ st = only(w.steps(), StepKind::ww_mutex_unlock, 0, A);
        CHECK(w.after(st).warnings() == (1u << W_A15_WW_UNLOCK));
        CHECK(w.after(st).lock(M1).ww_ctx() == NO_TASK);
    }
    SUBCASE("ww_acquire_fini with a lock still counted")
    {
        ctx(s, A, 1);
        s.task(A).ww_acquired() = 1u << M1;
        at(s, A, OP_FINI, OP_START);
        const Succ st = only(w.steps(), StepKind::ww_acquire_fini, 0, A);
        CHECK(w.after(st).warnings() == (1u << W_A15_WW_FINI));
        CHECK_CONTAINS(verdict(w, "no_kernel_warning", st), "A15 ww_acquire_fini");
    }
    SUBCASE("no warning on the ordinary path: ww_acquire_init")
    {
        at(s, A, OP_INIT, OP_START);
        CHECK(w.after(only(w.steps(), StepKind::ww_acquire_init, 0, A)).warnings() == 0);
    }
}
