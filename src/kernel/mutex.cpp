// kernel/locking/mutex.c (v7.1, generation G1 of kernel-protocol.md) and the
// blocked_on helpers of include/linux/sched.h.
//
// Atomic steps (kernel-protocol.md 3.2, 3.3.1):
//   mutex_lock            fast path cmpxchg, else __mutex_lock_common() up to
//                         schedule_preempt_disabled() [wait_lock, blocked_lock]
//   mutex_lock_woken      back from schedule(): S6g-S6j [wait_lock, blocked_lock]
//   mutex_lock_spin       first waiter after mutex_optimistic_spin() [wait_lock, blocked_lock]
//   mutex_unlock          fast path / the preemptible cmpxchg loop of __mutex_unlock_slowpath()
//   mutex_unlock_slowpath wait_lock section: mark the first waiter waking, wake_q_add, handoff
// A lockless read that fails and changes nothing (the fast path failing before
// wait_lock is taken) is merged into the next step: it has no visible effect.
// Left out: optimistic spinning (CONFIG_MUTEX_SPIN_ON_OWNER=n, so
// mutex_optimistic_spin() returns false) and signals (TASK_UNINTERRUPTIBLE).
#include <bit>

#include "kernel/kernel.hpp"

namespace pxc::kernel {

void warn(const Ctx& ctx, const Sys& s, Warning w, const std::string& what)
{
    s.warn(w);
    PXC_SAY(ctx, "WARN: " + what);
}

bool task_is_blocked(const Ctx& ctx, const ConstSys& s, int p)
{
    if (ctx.has(Feature::is_blocked))
        return s.task(p).is_blocked();
    return ctx.has(Feature::proxy_exec) && s.task(p).blocked_on() != BLOCKED_ON_NULL;
}

bool task_is_waking(const Ctx& ctx, const ConstSys& s, int p)
{
    if (ctx.has(Feature::is_blocked))
        return s.task(p).is_blocked() && s.task(p).blocked_on() == BLOCKED_ON_NULL;
    return s.task(p).blocked_on() == PROXY_WAKING;
}

// __set_task_blocked_on() [p->blocked_lock]: only a task sets its own mutex.
void set_task_blocked_on(const Ctx& ctx, const Sys& s, int p, int m)
{
    auto task = s.task(p);
    const uint8_t want = blocked_on_mutex(m);
    if (task.blocked_on() != BLOCKED_ON_NULL && task.blocked_on() != want)
        warn(ctx, s, W_A2_SET_BLOCKED_ON,
             "__set_task_blocked_on(" + ctx.name(p) + ", " + ctx.lname(m) + "): blocked_on is already " +
                 ctx.m.blocked_on_name(task.blocked_on()));
    if (ctx.narrating() && task.blocked_on() != want)
        PXC_SAY(ctx, ctx.name(p) + ".blocked_on = " + ctx.lname(m));
    task.blocked_on() = want;
}

// __clear_task_blocked_on() [p->blocked_lock]
void clear_task_blocked_on(const Ctx& ctx, const Sys& s, int p, int m)
{
    auto task = s.task(p);
    const uint8_t bo = task.blocked_on();
    if (m >= 0 && bo != BLOCKED_ON_NULL && bo != blocked_on_mutex(m) && bo != PROXY_WAKING)
        warn(ctx, s, W_A3_CLEAR_BLOCKED_ON,
             "__clear_task_blocked_on(" + ctx.name(p) + ", " + ctx.lname(m) + "): blocked_on is " +
                 ctx.m.blocked_on_name(bo));
    if (bo != BLOCKED_ON_NULL)
        PXC_SAY(ctx, ctx.name(p) + ".blocked_on = NULL");
    task.blocked_on() = BLOCKED_ON_NULL;
}

// __set_task_blocked_on_waking() [p->blocked_lock]: never revives a cleared
// relation; degenerates to a clear when proxy execution is off.
void set_task_blocked_on_waking(const Ctx& ctx, const Sys& s, int p, int m)
{
    if (!ctx.has(Feature::proxy_exec)) {
        clear_task_blocked_on(ctx, s, p, m);
        return;
    }
    auto task = s.task(p);
    const uint8_t bo = task.blocked_on();
    if (bo == BLOCKED_ON_NULL)
        return;
    if (m >= 0 && bo != blocked_on_mutex(m) && bo != PROXY_WAKING)
        warn(ctx, s, W_A4_SET_WAKING,
             "__set_task_blocked_on_waking(" + ctx.name(p) + ", " + ctx.lname(m) + "): blocked_on is " +
                 ctx.m.blocked_on_name(bo));
    if (bo != PROXY_WAKING)
        PXC_SAY(ctx, ctx.name(p) + ".blocked_on = PROXY_WAKING");
    task.blocked_on() = PROXY_WAKING;
}

// The seed commit (2d7622669836) made the wakers mark PROXY_WAKING; before
// it, and in v7.2 (is_blocked stays set), they clear blocked_on.
void mark_waking(const Ctx& ctx, const Sys& s, int p, int m)
{
    if (ctx.has(Feature::proxy_waking))
        set_task_blocked_on_waking(ctx, s, p, m);
    else
        clear_task_blocked_on(ctx, s, p, m);
}

// The caller goes on: the next operation of the program, or the next step
// of a ww_mutex back-off. An unlock of a lock the program gave up after
// -EDEADLK (backoff = false) is skipped, as test_abba does `if (!err)`.
void advance(const Ctx& ctx, const Sys& s, int t)
{
    auto task = s.task(t);
    task.pc() = OP_START;
    if (s.l->ww && ww_backoff_next(ctx, s, t))
        return;
    const Program& prog = ctx.m.program(t);
    task.pc_op() = prog.next_op(task.pc_op());
    while (s.l->ww && task.pc_op() < prog.size() && prog.uses_ctx[task.pc_op()] &&
           prog.ops[task.pc_op()].kind == OpKind::unlock &&
           !(task.ww_acquired() & (1u << prog.ops[task.pc_op()].lock)))
        task.pc_op() = prog.next_op(task.pc_op());
}

// raw_spin_unlock_irqrestore_wake() done: a waiter goes on to
// schedule_preempt_disabled(), anyone else returns to the caller.
void wake_up_q_done(const Ctx& ctx, const Sys& s, int t)
{
    const CurrentOp op = ctx.m.current_op(s.bytes, t);
    if (op.kind == OpKind::lock && s.lock(op.lock).has_waiter(t))
        s.task(t).pc() = LOCK_SCHEDULE;
    else
        advance(ctx, s, t);
}

namespace {

int op_lock(const Ctx& ctx, const Sys& s, int t)
{
    return ctx.m.current_op(s.bytes, t).lock;
}

bool op_ctx(const Ctx& ctx, const Sys& s, int t)
{
    return ctx.m.current_op(s.bytes, t).ctx;
}

// After the wait_lock section: run the wake_q (die/wound wakeups) first.
void unlock_wait_lock_wake(const Ctx& ctx, const Sys& s, int t)
{
    if (s.task(t).wake_q())
        s.task(t).pc() = WAKE_UP_Q;
    else
        wake_up_q_done(ctx, s, t);
}

// __mutex_trylock_common(): one cmpxchg on lock->owner. handoff: the first
// waiter asks the owner to hand the lock over (sets HANDOFF) when it fails.
bool mutex_trylock_common(const Ctx& ctx, const Sys& s, int m, int curr, bool handoff)
{
    auto lock = s.lock(m);
    if (lock.owner() != NO_TASK) {
        if (lock.flags() & MUTEX_FLAG_PICKUP) {
            if (lock.owner() != curr)
                return false;
            lock.flags() &= uint8_t(~MUTEX_FLAG_PICKUP);
            PXC_SAY(ctx, ctx.name(curr) + " picks up " + ctx.lname(m));
            return true;
        }
        if (handoff && !(lock.flags() & MUTEX_FLAG_HANDOFF)) {
            lock.flags() |= MUTEX_FLAG_HANDOFF;
            PXC_SAY(ctx, ctx.lname(m) + " |= HANDOFF");
        }
        return false;
    }
    if (lock.flags() & (MUTEX_FLAG_HANDOFF | MUTEX_FLAG_PICKUP))
        warn(ctx, s, W_A7_TRYLOCK_FLAGS, "__mutex_trylock_common(" + ctx.lname(m) + "): free owner word with HANDOFF/PICKUP");
    lock.owner() = uint8_t(curr);
    PXC_SAY(ctx, ctx.lname(m) + ".owner = " + ctx.name(curr));
    return true;
}

// __mutex_remove_waiter(): all flags go when the list empties.
void mutex_remove_waiter(const Sys& s, int m, int t)
{
    auto lock = s.lock(m);
    uint8_t* wl = lock.wait_list();
    int n = lock.waiters();
    for (int i = 0; i < n; ++i) {
        if (wl[i] != t)
            continue;
        for (int j = i; j + 1 < n; ++j)
            wl[j] = wl[j + 1];
        wl[n - 1] = NO_TASK;
        break;
    }
    if (lock.waiters() == 0)
        lock.flags() = 0;
}

// acquired: in __mutex_lock_common() [wait_lock, blocked_lock]; a
// wound-wait context that stole the lock from the first waiter checks the
// waiters, as anyone might want to wound it.
void mutex_acquired(const Ctx& ctx, const Sys& s, int m, int t)
{
    clear_task_blocked_on(ctx, s, t, m);
    s.task(t).state() = TASK_RUNNING;
    const bool ww_ctx = op_ctx(ctx, s, t);
    if (ww_ctx && ctx.m.scenario().locks[size_t(m)].ww_class == WwClass::wound_wait &&
        s.lock(m).first_waiter() != t)
        ww_mutex_check_waiters(ctx, s, m, t);
    mutex_remove_waiter(s, m, t);
    if (ww_ctx)
        ww_mutex_lock_acquired(ctx, s, m, t);
    unlock_wait_lock_wake(ctx, s, t);
}

// err: / err_early_kill: in __mutex_lock_common() [wait_lock]: leave the
// wait, then return the error once the wake_q has run.
void mutex_lock_err(const Ctx& ctx, const Sys& s, int m, int t, bool queued)
{
    if (queued) {
        clear_task_blocked_on(ctx, s, t, m);
        s.task(t).state() = TASK_RUNNING;
        mutex_remove_waiter(s, m, t);
    }
    if (s.task(t).blocked_on() != BLOCKED_ON_NULL)
        warn(ctx, s, W_A5_ERR_BLOCKED_ON, "__mutex_lock_common err_early_kill: " + ctx.name(t) + ".blocked_on = " +
                                              ctx.m.blocked_on_name(s.task(t).blocked_on()));
    ww_mutex_lock_edeadlk(ctx, s, m, t);
    unlock_wait_lock_wake(ctx, s, t);
}

// The wait loop's checks once the trylock failed [wait_lock]: a ww context
// may have to die (__ww_mutex_check_kill); else it sleeps.
void mutex_lock_wait(const Ctx& ctx, const Sys& s, int m, int t)
{
    if (op_ctx(ctx, s, t) && ww_mutex_check_kill(ctx, s, m, t))
        return mutex_lock_err(ctx, s, m, t, true);
    unlock_wait_lock_wake(ctx, s, t);
}

// __mutex_handoff() [wait_lock]: owner := next | PICKUP, WAITERS kept.
void mutex_handoff(const Ctx& ctx, const Sys& s, int m, int next, int curr)
{
    auto lock = s.lock(m);
    if (lock.owner() != curr || (lock.flags() & MUTEX_FLAG_PICKUP))
        warn(ctx, s, W_A6_UNLOCK_OWNER, "__mutex_handoff(" + ctx.lname(m) + "): owner is not current or PICKUP set");
    lock.owner() = uint8_t(next);
    lock.flags() = uint8_t((lock.flags() & MUTEX_FLAG_WAITERS) | (next != NO_TASK ? MUTEX_FLAG_PICKUP : 0));
    PXC_SAY(ctx, "__mutex_handoff(" + ctx.lname(m) + ", " + ctx.name(next) + ")");
}

}  // namespace

// mutex_lock(): __mutex_lock_fast(), else __mutex_lock_common() S2-S6e
// [lock->wait_lock, current->blocked_lock]: queue as waiter, blocked_on = m.
// For a ww_mutex: ww_mutex_lock(), the fast path followed by
// ww_mutex_set_context_fastpath(), else __ww_mutex_lock() with
// __ww_mutex_add_waiter() and __ww_mutex_check_kill() (-EDEADLK, -EALREADY).
void mutex_lock(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = op_lock(ctx, s, t);
    const bool ww_ctx = op_ctx(ctx, s, t);
    const bool ww = ctx.m.scenario().locks[size_t(m)].type == LockType::ww_mutex;
    if (ww_ctx && ww_mutex_lock_ealready(ctx, s, m, t)) {
        advance(ctx, s, t);
        return ctx.done(s.bytes);
    }
    // __mutex_trylock_fast() only takes an owner word that is exactly 0;
    // anything else enters __mutex_lock_common(), which resets a context's
    // wounded flag once it holds nothing, before its own trylock.
    auto lock = s.lock(m);
    const bool fast = lock.owner() == NO_TASK && lock.flags() == 0;
    if (ww_ctx && !fast && std::popcount(s.task(t).ww_acquired()) == 0)
        s.task(t).ww_flags() &= uint8_t(~WW_WOUNDED);   // reset after a kill
    if (mutex_trylock_common(ctx, s, m, t, false)) {
        if (ww_ctx)
            s.task(t).pc() = WW_SET_CONTEXT;
        else
            advance(ctx, s, t);
        return ctx.done(s.bytes);
    }
    if (ww) {
        if (ww_mutex_add_waiter(ctx, s, m, t, ww_ctx)) {
            mutex_lock_err(ctx, s, m, t, false);
            return ctx.done(s.bytes);
        }
    } else {
        lock.wait_list()[lock.waiters()] = uint8_t(t);
        lock.flags() |= MUTEX_FLAG_WAITERS;
        PXC_SAY(ctx, ctx.name(t) + " waits for " + ctx.lname(m) + " (owner " + ctx.name(lock.owner()) + ")");
    }
    set_task_blocked_on(ctx, s, t, m);
    s.task(t).state() = TASK_UNINTERRUPTIBLE;
    mutex_lock_wait(ctx, s, m, t);
    ctx.done(s.bytes);
}

// __mutex_lock_common() after schedule_preempt_disabled() returned: S6g-S6j
// [lock->wait_lock, current->blocked_lock]: re-arm blocked_on, trylock or ask
// for a handoff; the first waiter drops the locks to spin.
void mutex_lock_woken(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = op_lock(ctx, s, t);
    const bool first = s.lock(m).first_waiter() == t;
    set_task_blocked_on(ctx, s, t, m);
    s.task(t).state() = TASK_UNINTERRUPTIBLE;
    if (mutex_trylock_common(ctx, s, m, t, first)) {
        mutex_acquired(ctx, s, m, t);
        ctx.done(s.bytes);
        return;
    }
    count_event(ctx, Model::wasted_wakeup);
    if (first) {
        // S6k: "clear blocked_on as mutex_optimistic_spin may schedule()"
        clear_task_blocked_on(ctx, s, t, m);
        s.task(t).pc() = LOCK_SPIN;
    } else {
        mutex_lock_wait(ctx, s, m, t);
    }
    ctx.done(s.bytes);
}

// __mutex_lock_common() S6k after mutex_optimistic_spin() failed: retake
// [lock->wait_lock, current->blocked_lock], blocked_on = m, then the loop's trylock.
void mutex_lock_spin(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = op_lock(ctx, s, t);
    set_task_blocked_on(ctx, s, t, m);
    if (mutex_trylock_common(ctx, s, m, t, false))
        mutex_acquired(ctx, s, m, t);
    else
        mutex_lock_wait(ctx, s, m, t);
    ctx.done(s.bytes);
}

// mutex_unlock(): __mutex_unlock_fast(), else the cmpxchg loop of
// __mutex_unlock_slowpath() (no lock held, preemptible). With blocked_donor
// (v29 7/9, U1') the loop first reads current->blocked_donor locklessly: set,
// it forces a handoff; NULL, the cmpxchg is a separate step, so that a donor
// can start boosting us in between (PeterZ's race (B)).
void mutex_unlock(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = op_lock(ctx, s, t);
    auto lock = s.lock(m);
    if (lock.owner() != t || (lock.flags() & MUTEX_FLAG_PICKUP))
        warn(ctx, s, W_A6_UNLOCK_OWNER,
             "__mutex_unlock_slowpath(" + ctx.lname(m) + "): owner " + ctx.name(lock.owner()) + " is not current " +
                 ctx.name(t) + " or PICKUP set");
    const uint8_t flags = lock.flags();
    if (ctx.has(Feature::blocked_donor) && flags != 0 && s.task(t).pc() != UNLOCK_CAS) {
        const int donor = s.task(t).blocked_donor();
        if (donor != NO_TASK) {
            PXC_SAY(ctx, ctx.name(t) + ".blocked_donor = " + ctx.name(donor) + ": force a handoff");
            s.task(t).pc() = UNLOCK_WAIT_LOCK;   // owner kept: __mutex_handoff() under wait_lock
        } else {
            PXC_SAY(ctx, ctx.name(t) + ".blocked_donor is NULL");
            s.task(t).pc() = UNLOCK_CAS;
        }
        return ctx.done(s.bytes);
    }
    if (flags & MUTEX_FLAG_HANDOFF) {
        s.task(t).pc() = UNLOCK_WAIT_LOCK;   // keep the owner: hand off under wait_lock
        PXC_SAY(ctx, ctx.lname(m) + " has HANDOFF: hand off under wait_lock");
        return ctx.done(s.bytes);
    }
    lock.owner() = NO_TASK;
    PXC_SAY(ctx, ctx.lname(m) + ".owner = NULL");
    if (flags & MUTEX_FLAG_WAITERS)
        s.task(t).pc() = UNLOCK_WAIT_LOCK;
    else
        advance(ctx, s, t);
    ctx.done(s.bytes);
}

// __mutex_unlock_slowpath() [lock->wait_lock, next->blocked_lock]: mark the
// first waiter waking, wake_q_add() it, __mutex_handoff() if HANDOFF was set;
// then raw_spin_unlock_irqrestore_wake(): wake_up_q() with preemption off.
void mutex_unlock_slowpath(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = op_lock(ctx, s, t);
    auto lock = s.lock(m);
    int next = NO_TASK;
    const int donor = ctx.has(Feature::blocked_donor) ? s.task(t).blocked_donor() : NO_TASK;
    // U3' [current->blocked_lock, donor->blocked_lock nested]: hand the
    // mutex to the donor boosting us if it still waits for this mutex.
    if (donor != NO_TASK && s.task(donor).blocked_on() == blocked_on_mutex(m)) {
        if (!lock.has_waiter(donor))
            s.warn(Warning(EV_BLOCKED_DONOR_INVALID));
        if (lock.owner() != t)
            count_event(ctx, Model::donor_race_b);
        next = donor;
        PXC_SAY(ctx, ctx.name(donor) + " (blocked_donor) waits for " + ctx.lname(m) + ": it is next");
        mark_waking(ctx, s, next, m);
        wake_q_add(ctx, s, t, next);
        s.task(t).set_blocked_donor(NO_TASK);
    } else if (lock.waiters() > 0) {
        next = lock.first_waiter();
        mark_waking(ctx, s, next, m);
        wake_q_add(ctx, s, t, next);
    }
    if (lock.owner() == t && !(lock.flags() & MUTEX_FLAG_HANDOFF) && donor == NO_TASK)
        count_event(ctx, Model::donor_race_a);
    if (lock.owner() == t)   // the cmpxchg loop broke on HANDOFF
        mutex_handoff(ctx, s, m, next, t);
    if (s.task(t).wake_q())
        s.task(t).pc() = WAKE_UP_Q;
    else
        advance(ctx, s, t);
    ctx.done(s.bytes);
}

}  // namespace pxc::kernel
