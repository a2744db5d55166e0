// kernel/locking/ww_mutex.h and the ww parts of kernel/locking/mutex.c
// (kernel-protocol.md 3.4), on top of the mutex slow path of mutex.cpp, for
// both classes: wait-die (ctx->is_wait_die) and wound-wait.
//
// An acquire context belongs to its task: ww->ctx and a waiter's ww_ctx are
// kept as task ids, ctx->stamp as the rank of the context among the live
// ones (only the order of stamps is ever compared, so ranks are exact and
// keep the state space finite across `repeat`).
//
// Atomic steps added (the rest are mutex.cpp's, with ww hooks):
//   ww_acquire_init / _done / _fini   the context's bookkeeping (no lock)
//   ww_mutex_set_context   ww_mutex_set_context_fastpath() after the fast
//                          path's cmpxchg: ww_mutex_lock_acquired(), read WAITERS
//   ww_check_waiters       the same, [lock->wait_lock]: __ww_mutex_check_waiters()
//   ww_mutex_unlock        __ww_mutex_unlock(): ww->ctx = NULL, acquired--
//                          (no lock; mutex_unlock() follows as its own step)
// The caller's -EDEADLK back-off is the test-ww_mutex.c / stress_inorder_work
// pattern: unlock every lock of the context, ww_mutex_lock_slow() the
// contended lock, lock the others again in program order.
#include <bit>

#include "kernel/kernel.hpp"

namespace pxc::kernel {

namespace {

bool wait_die(const Ctx& ctx, int m) { return ctx.m.scenario().locks[size_t(m)].ww_class == WwClass::wait_die; }

int acquired(const Sys& s, int t) { return std::popcount(s.task(t).ww_acquired()); }

// __ww_ctx_less(a, b): a is the younger transaction (larger stamp).
bool ww_ctx_less(const Sys& s, int a, int b) { return s.task(a).ww_stamp() > s.task(b).ww_stamp(); }

// waiter->ww_ctx != NULL: the waiter locks inside its acquire context.
bool waiter_has_ctx(const Ctx& ctx, const Sys& s, int w) { return ctx.m.current_op(s.bytes, w).ctx; }

// __ww_mutex_die() [lock->wait_lock]: wake a younger waiter that holds locks
// so that it dies (wait-die only); returns true to stop the scan.
bool ww_mutex_die(const Ctx& ctx, const Sys& s, int m, int waiter, int ww_ctx, int curr)
{
    if (!wait_die(ctx, m))
        return false;
    if (acquired(s, waiter) > 0 && ww_ctx_less(s, waiter, ww_ctx)) {
        PXC_SAY(ctx, "__ww_mutex_die: " + ctx.name(waiter) + " is younger and holds locks: wake it to die");
        mark_waking(ctx, s, waiter, m);
        wake_q_add(ctx, s, curr, waiter);
    }
    return true;
}

// __ww_mutex_wound() [lock->wait_lock]: wound a younger holder (wound-wait).
bool ww_mutex_wound(const Ctx& ctx, const Sys& s, int m, int ww_ctx, int hold_ctx, int curr)
{
    const int owner = s.lock(m).owner();
    if (hold_ctx == NO_TASK)   // raced with ww_mutex_set_context_fastpath(); it checks the waiters
        return false;
    if (owner == NO_TASK)      // __mutex_unlock_slowpath() in progress
        return false;
    if (acquired(s, ww_ctx) > 0 && ww_ctx_less(s, hold_ctx, ww_ctx)) {
        s.task(hold_ctx).ww_flags() |= WW_WOUNDED;
        PXC_SAY(ctx, "__ww_mutex_wound: " + ctx.name(hold_ctx) + "'s context is wounded");
        if (owner != curr) {
            // m = NULL: the owner may be blocked on a different mutex
            mark_waking(ctx, s, owner, -1);
            wake_q_add(ctx, s, curr, owner);
        }
        return true;
    }
    return false;
}

// __ww_mutex_kill(): -EDEADLK when the context holds locks.
bool ww_mutex_kill(const Ctx& ctx, const Sys& s, int m, int t)
{
    if (acquired(s, t) == 0)
        return false;
    auto task = s.task(t);
    if (task.contending_lock() >= 0)
        warn(ctx, s, W_A15_WW_KILL, "__ww_mutex_kill(" + ctx.lname(m) + "): contending_lock already " +
                                        ctx.lname(task.contending_lock()));
    task.set_contending_lock(m);
    return true;
}

}  // namespace

// __ww_mutex_check_waiters() [lock->wait_lock]: curr just took m in its
// context; waiters with a context may have to die, or wound curr.
void ww_mutex_check_waiters(const Ctx& ctx, const Sys& s, int m, int curr)
{
    auto lock = s.lock(m);
    for (int i = 0; i < lock.waiters(); ++i) {
        const int w = lock.wait_list()[i];
        if (!waiter_has_ctx(ctx, s, w))
            continue;
        if (ww_mutex_die(ctx, s, m, w, curr, curr) || ww_mutex_wound(ctx, s, m, w, curr, curr))
            break;
    }
}

// __ww_mutex_add_waiter() [lock->wait_lock]: insert in stamp order (ctx-less
// waiters keep their FIFO slots), make younger waiters die, wound a younger
// holder. Returns true for -EDEADLK (wait-die: an older context waits), not queued.
bool ww_mutex_add_waiter(const Ctx& ctx, const Sys& s, int m, int t, bool with_ctx)
{
    auto lock = s.lock(m);
    uint8_t* wl = lock.wait_list();
    const int n = lock.waiters();
    int pos = n;
    if (with_ctx) {
        for (int i = n - 1; i >= 0; --i) {
            const int cur = wl[i];
            if (!waiter_has_ctx(ctx, s, cur))
                continue;
            if (ww_ctx_less(s, t, cur)) {
                if (wait_die(ctx, m) && ww_mutex_kill(ctx, s, m, t)) {
                    PXC_SAY(ctx, "__ww_mutex_add_waiter: older " + ctx.name(cur) + " waits for " + ctx.lname(m) +
                            ": -EDEADLK");
                    return true;
                }
                break;
            }
            pos = i;
            ww_mutex_die(ctx, s, m, cur, t, t);
        }
    }
    for (int j = n; j > pos; --j)
        wl[j] = wl[j - 1];
    wl[pos] = uint8_t(t);
    lock.flags() |= MUTEX_FLAG_WAITERS;
    PXC_SAY(ctx, ctx.name(t) + " waits for " + ctx.lname(m) + " (owner " + ctx.name(lock.owner()) + ")" +
            (pos < n ? " ahead of " + ctx.name(wl[pos + 1]) : ""));
    if (with_ctx && !wait_die(ctx, m))
        ww_mutex_wound(ctx, s, m, t, lock.ww_ctx(), t);
    return false;
}

// __ww_mutex_check_kill() [lock->wait_lock]: the waiter's own -EDEADLK test
// in each round of the wait loop.
bool ww_mutex_check_kill(const Ctx& ctx, const Sys& s, int m, int t)
{
    auto lock = s.lock(m);
    const int hold_ctx = lock.ww_ctx();
    if (acquired(s, t) == 0)
        return false;
    if (!wait_die(ctx, m)) {
        if ((s.task(t).ww_flags() & WW_WOUNDED) && ww_mutex_kill(ctx, s, m, t)) {
            PXC_SAY(ctx, ctx.name(t) + " is wounded: -EDEADLK");
            return true;
        }
        return false;
    }
    if (hold_ctx != NO_TASK && ww_ctx_less(s, t, hold_ctx) && ww_mutex_kill(ctx, s, m, t)) {
        PXC_SAY(ctx, ctx.name(t) + " is younger than holder " + ctx.name(hold_ctx) + ": -EDEADLK");
        return true;
    }
    for (int i = lock.waiter_index(t) - 1; i >= 0; --i) {
        if (!waiter_has_ctx(ctx, s, lock.wait_list()[i]))
            continue;
        if (ww_mutex_kill(ctx, s, m, t)) {
            PXC_SAY(ctx, "older " + ctx.name(lock.wait_list()[i]) + " waits ahead: -EDEADLK");
            return true;
        }
        return false;
    }
    return false;
}

// ww_mutex_lock_acquired(): ctx->acquired++, ww->ctx = ctx, with the
// DEBUG_WW_MUTEXES assertions (kernel-protocol.md 4.1 A15).
void ww_mutex_lock_acquired(const Ctx& ctx, const Sys& s, int m, int t)
{
    auto lock = s.lock(m);
    auto task = s.task(t);
    const std::string where = "ww_mutex_lock_acquired(" + ctx.lname(m) + "): ";
    if (lock.ww_ctx() != NO_TASK)
        warn(ctx, s, W_A15_WW_ACQUIRED, where + "ww->ctx already set");
    if (task.ww_flags() & WW_DONE_ACQUIRE)
        warn(ctx, s, W_A15_WW_ACQUIRED, where + "lock after ww_acquire_done");
    if (task.contending_lock() >= 0) {
        if (task.contending_lock() != m)
            warn(ctx, s, W_A15_WW_ACQUIRED, where + "after -EDEADLK on " + ctx.lname(task.contending_lock()));
        if (acquired(s, t) > 0)
            warn(ctx, s, W_A15_WW_ACQUIRED, where + "after -EDEADLK with locks still held");
        task.set_contending_lock(-1);
    }
    task.ww_acquired() |= uint8_t(1u << m);
    lock.ww_ctx() = uint8_t(t);
}

// ww_mutex_lock() entry of __mutex_lock_common(): -EALREADY on a lock of our
// own context; wounded is reset once the context holds nothing.
bool ww_mutex_lock_ealready(const Ctx& ctx, const Sys& s, int m, int t)
{
    if (s.lock(m).ww_ctx() != t)
        return false;
    PXC_SAY(ctx, ctx.lname(m) + " is held by " + ctx.name(t) + "'s own context: -EALREADY");
    return true;
}

// The lock operation returns -EDEADLK once the wake_q has been run.
void ww_mutex_lock_edeadlk(const Ctx& ctx, const Sys& s, int m, int t)
{
    PXC_SAY(ctx, "ww_mutex_lock(" + ctx.lname(m) + ") returns -EDEADLK");
    auto task = s.task(t);
    task.ww_flags() |= WW_GOT_EDEADLK;
    task.set_backoff(BO_EDEADLK);
    task.set_backoff_lock(m);
}

// ww_mutex_set_context_fastpath(), first half: the fast path's cmpxchg took
// the owner; now ww->ctx = ctx, then the lockless WAITERS test.
void ww_mutex_set_context(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = ctx.m.current_op(s.bytes, t).lock;
    ww_mutex_lock_acquired(ctx, s, m, t);
    PXC_SAY(ctx, ctx.lname(m) + "->ctx = " + ctx.name(t) + "'s context");
    if (s.lock(m).flags() & MUTEX_FLAG_WAITERS) {
        PXC_SAY(ctx, "WAITERS set: the waiters must be checked");
        s.task(t).pc() = WW_CHECK_WAITERS;
    } else {
        advance(ctx, s, t);
    }
    ctx.done(s.bytes);
}

// ww_mutex_set_context_fastpath(), second half [lock->wait_lock]:
// __ww_mutex_check_waiters(), then wake_up_q().
void ww_check_waiters(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = ctx.m.current_op(s.bytes, t).lock;
    ww_mutex_check_waiters(ctx, s, m, t);
    if (s.task(t).wake_q())
        s.task(t).pc() = WAKE_UP_Q;
    else
        advance(ctx, s, t);
    ctx.done(s.bytes);
}

// __ww_mutex_unlock() (no lock held): ctx->acquired--, ww->ctx = NULL; the
// mutex_unlock() follows.
void ww_mutex_unlock(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int m = ctx.m.current_op(s.bytes, t).lock;
    auto lock = s.lock(m);
    const int holder = lock.ww_ctx();
    auto hold = s.task(holder);
    if (!(hold.ww_acquired() & (1u << m)))
        warn(ctx, s, W_A15_WW_UNLOCK, "__ww_mutex_unlock(" + ctx.lname(m) + "): lock->ctx->acquired == 0");
    hold.ww_acquired() &= uint8_t(~(1u << m));
    lock.ww_ctx() = NO_TASK;
    PXC_SAY(ctx, ctx.lname(m) + "->ctx = NULL");
    s.task(t).pc() = WW_UNLOCK_MUTEX;
    ctx.done(s.bytes);
}

// ww_acquire_init(): ctx->stamp = atomic_long_inc_return(&ww_class->stamp).
void ww_acquire_init(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    uint8_t newest = 0;
    for (int u = 0; u < s.l->ntasks; ++u)
        newest = std::max(newest, s.task(u).ww_stamp());
    auto task = s.task(t);
    task.ww_stamp() = uint8_t(newest + 1);
    task.ww_acquired() = 0;
    task.ww_flags() &= WW_GOT_EDEADLK | WW_GAVE_UP;
    task.ww_locks() = 0;
    PXC_SAY(ctx, ctx.name(t) + "'s context gets stamp " + std::to_string(newest + 1) +
            (newest ? " (younger than " + std::to_string(newest) + " live)" : ""));
    advance(ctx, s, t);
    ctx.done(s.bytes);
}

// ww_acquire_done(): no more locks in this context (debug bookkeeping).
void ww_acquire_done(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    s.task(t).ww_flags() |= WW_DONE_ACQUIRE;
    advance(ctx, s, t);
    ctx.done(s.bytes);
}

// ww_acquire_fini(): the context dies; the younger ones keep their order.
void ww_acquire_fini(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    auto task = s.task(t);
    if (task.ww_acquired())
        warn(ctx, s, W_A15_WW_FINI, "ww_acquire_fini(): " + ctx.name(t) + "'s context still holds locks");
    const uint8_t stamp = task.ww_stamp();
    for (int u = 0; u < s.l->ntasks; ++u)
        if (s.task(u).ww_stamp() > stamp)
            --s.task(u).ww_stamp();
    task.ww_stamp() = 0;
    task.ww_flags() &= WW_GOT_EDEADLK | WW_GAVE_UP;
    task.ww_locks() = 0;
    advance(ctx, s, t);
    ctx.done(s.bytes);
}

// The caller after a ww operation completed: the next step of an -EDEADLK
// back-off, or false when the program goes on with its next operation.
bool ww_backoff_next(const Ctx& ctx, const Sys& s, int t)
{
    auto task = s.task(t);
    const Program& prog = ctx.m.program(t);
    const std::vector<uint8_t>& order = prog.ctx_order_after[task.pc_op()];
    switch (task.backoff()) {
    case BO_EDEADLK:
        // test_abba without resolve goes on without the lock; test_cycle_work
        // backs off once and keeps an -EDEADLK of its relock (erra)
        if (prog.backoff == Backoff::none ||
            (prog.backoff == Backoff::once && task.backoff_lock() != prog.ops[task.pc_op()].lock)) {
            PXC_SAY(ctx, ctx.name(t) + " keeps -EDEADLK as its result and goes on without " +
                             ctx.lname(task.backoff_lock()));
            task.ww_flags() |= WW_GAVE_UP;
            task.set_backoff(BO_NONE);
            task.set_backoff_lock(-1);
            return false;
        }
        task.set_backoff(BO_UNLOCK);
        [[fallthrough]];
    case BO_UNLOCK:
        for (auto it = order.rbegin(); it != order.rend(); ++it)
            if (task.ww_acquired() & (1u << *it)) {
                task.set_backoff_lock(*it);
                return true;
            }
        task.set_backoff(BO_SLOW);   // ww_mutex_lock_slow(contending_lock)
        task.set_backoff_lock(task.contending_lock());
        return true;
    case BO_SLOW:
    case BO_RELOCK:
        for (uint8_t m : order)
            if (!(task.ww_acquired() & (1u << m))) {
                task.set_backoff(BO_RELOCK);
                task.set_backoff_lock(m);
                return true;
            }
        task.set_backoff(BO_NONE);
        task.set_backoff_lock(-1);
        return false;
    default:
        return false;
    }
}

}  // namespace pxc::kernel
