// kernel/sched/core.c: wake_q and try_to_wake_up() (kernel-protocol.md 3.5.1).
//
// Atomic steps of one wakeup done by task `t` (the waker) for task p:
//   try_to_wake_up   wake_up_q() takes p off t's wake_q; [p->pi_lock, rq lock of
//                    task_cpu(p)]: ttwu_state_match, ttwu_runnable for a queued p
//   ttwu_activate    [p->pi_lock, target rq lock] once !p->on_cpu:
//                    select_task_rq (every allowed CPU), set_task_cpu, ttwu_queue
//   ttwu_out         out: clear_task_blocked_on(p, NULL) [p->blocked_lock]
//                    (the PROXY_WAKING commit alone: proxy_waking without
//                    proxy_migration; v7.1 removed it again)
// A waker spinning in __task_rq_lock() on a MIGRATING p is modelled as the
// step not being enabled yet; so is one spinning on p->pi_lock.
#include "kernel/kernel.hpp"

namespace pxc::kernel {

// wake_q_add(): the cmpxchg on p->wake_q fails when p is already queued on
// some wake_q; that waker will wake it.
void wake_q_add(const Ctx& ctx, const Sys& s, int head, int p)
{
    if (s.in_wake_q(p))
        return;
    s.task(head).wake_q() |= uint8_t(1u << p);
    PXC_SAY(ctx, "wake_q_add(" + ctx.name(p) + ")");
}

namespace {

// proxy_needs_return() in ttwu_runnable() [rq lock, p->blocked_lock] (v23
// 7/9; v7.2): a woken donor that is not running and not on its wake_cpu is
// dequeued for the full wakeup with select_task_rq(); otherwise its waking
// state is dropped and it runs where it is. The wake_cpu test is v23's text
// (hupu's RFC calls it unreliable); the v7.2 form is not in the sources.
bool proxy_needs_return(const Ctx& ctx, const Sys& s, int p)
{
    if (!ctx.has(Feature::ttwu_return_migration))
        return false;
    // v23 tests blocked_on == PROXY_WAKING, i.e. is_blocked && !blocked_on in
    // v7.2; ttwu_any_is_blocked reads it as is_blocked alone (stale wakeups)
    const bool any = ctx.has(Feature::ttwu_any_is_blocked) && s.task(p).is_blocked();
    if (!any && !task_is_waking(ctx, as_const(s), p))
        return false;
    auto task = s.task(p);
    const int cpu = task.cpu();
    if (s.cpu(cpu).curr() != p && task.wake_cpu() != cpu) {
        if (s.cpu(cpu).donor() == p)
            proxy_resched_idle(ctx, s, cpu);
        task.on_rq() = NOT_ON_RQ;   // deactivate_task()
        return true;
    }
    if (ctx.has(Feature::is_blocked)) {
        task.set_is_blocked(false);
        PXC_SAY(ctx, ctx.name(p) + ".is_blocked = 0");
    } else {
        clear_task_blocked_on(ctx, s, p, -1);
    }
    return false;
}

// Leaves try_to_wake_up() for the current target and moves to the next one.
void ttwu_done(const Ctx& ctx, const Sys& s, int t)
{
    auto waker = s.task(t);
    waker.wake_target() = NO_TASK;
    if (waker.wake_q())
        waker.pc() = WAKE_UP_Q;
    else
        wake_up_q_done(ctx, s, t);
}

// The PROXY_WAKING commit added the out: clear "for now"; the proxy
// migration patch (b049b81bdff6, "Handle blocked-waiter migration (and
// return migration)") removed it again, so that PROXY_WAKING survives until
// find_proxy_task() sends the task home with proxy_force_return().
void goto_out(const Ctx& ctx, const Sys& s, int t)
{
    if (ctx.has(Feature::proxy_waking) && !ctx.has(Feature::proxy_migration))
        s.task(t).pc() = TTWU_OUT;
    else
        ttwu_done(ctx, s, t);
}

}  // namespace

// wake_up_q() -> try_to_wake_up(p, TASK_NORMAL) up to the full wakeup
// [p->pi_lock, task_rq_lock for ttwu_runnable].
void wake_up_q(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    auto waker = s.task(t);
    const int p = __builtin_ctz(waker.wake_q());
    auto task = s.task(p);
    if (s.pi_locked(p) || task.on_rq() == TASK_ON_RQ_MIGRATING)
        return;   // spinning on p->pi_lock / in __task_rq_lock()
    waker.wake_q() &= uint8_t(~(1u << p));
    waker.wake_target() = uint8_t(p);
    ctx.step.arg = uint8_t(p);
    // v23 7/9 (W2): a waking donor that is already TASK_RUNNING still gets
    // the return-migration check instead of the state-match early out
    const bool waking_running = ctx.has(Feature::ttwu_return_migration) && task.state() == TASK_RUNNING &&
                                task.on_rq() == TASK_ON_RQ_QUEUED && task_is_waking(ctx, as_const(s), p);
    if (task.state() != TASK_UNINTERRUPTIBLE && !waking_running) {
        PXC_SAY(ctx, "ttwu_state_match(" + ctx.name(p) + ") fails: already running");
        goto_out(ctx, s, t);
    } else if (task.on_rq() == TASK_ON_RQ_QUEUED && proxy_needs_return(ctx, s, p)) {
        waker.pc() = TTWU_ACTIVATE;
        PXC_SAY(ctx, ctx.name(p) + " was parked on CPU" + std::to_string(task.cpu()) + " by proxy migration: full wakeup");
    } else if (task.on_rq() == TASK_ON_RQ_QUEUED) {
        task.state() = TASK_RUNNING;
        PXC_SAY(ctx, "ttwu_runnable(" + ctx.name(p) + "): still queued on CPU" + std::to_string(task.cpu()) +
                ", state = RUNNING");
        goto_out(ctx, s, t);
    } else {
        waker.pc() = TTWU_ACTIVATE;
        PXC_SAY(ctx, ctx.name(p) + " is off the runqueue: full wakeup");
    }
    ctx.done(s.bytes);
}

// try_to_wake_up() W4-W8 [p->pi_lock, rq lock of the chosen CPU]: wait for
// !p->on_cpu, select_task_rq() among p->cpus_mask, set_task_cpu(), ttwu_queue().
void ttwu_activate(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int p = s.task(t).wake_target();
    if (s.running_on(p) >= 0)
        return;   // smp_cond_load_acquire(&p->on_cpu, !VAL)
    const uint8_t mask = s.task(p).cpus_mask();
    for (int c = 0; c < s.l->ncpus; ++c) {
        if (!(mask & (1u << c)))
            continue;
        LogMark mark(ctx);
        Scratch next(*s.l, s.bytes);
        auto task = next.sys.task(p);
        task.cpu() = uint8_t(c);
        task.wake_cpu() = uint8_t(c);
        task.on_rq() = TASK_ON_RQ_QUEUED;
        task.state() = TASK_RUNNING;
        if (next.sys.l->g2 && task.is_blocked()) {   // v7.2: placed by select_task_rq, no longer a donor
            task.set_is_blocked(false);
            PXC_SAY(ctx, ctx.name(p) + ".is_blocked = 0");
        }
        ctx.step.arg = uint8_t(c);
        PXC_SAY(ctx, "select_task_rq(" + ctx.name(p) + ") = CPU" + std::to_string(c) + ", ttwu_queue: activate_task, state = RUNNING");
        goto_out(ctx, next.sys, t);
        ctx.done(next.buf);
    }
}

// try_to_wake_up() out: clear_task_blocked_on(p, NULL) [p->blocked_lock]:
// "for now ... clear the task->blocked_on ... so the task can run".
void ttwu_out(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    const int p = s.task(t).wake_target();
    ctx.step.arg = uint8_t(p);
    clear_task_blocked_on(ctx, s, p, -1);
    ttwu_done(ctx, s, t);
    ctx.done(s.bytes);
}

}  // namespace pxc::kernel
