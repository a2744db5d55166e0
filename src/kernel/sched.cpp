// kernel/sched/core.c: __schedule() (kernel-protocol.md 3.6) and the steps of
// a CPU that is inside __schedule() with its rq lock dropped.
//
// One __schedule() step runs under rq->lock: try_to_block_task() for prev,
// pick_next_task() (every queued task is a possible pick: the class policy is
// over-approximated), find_proxy_task() for a blocked pick, and the context
// switch. find_proxy_task() takes each mutex's wait_lock and the waiter's
// blocked_lock in turn under rq->lock; the walk is one step because only
// tasks queued on this rq and not running are visited, and nothing the walk
// reads can change without a step that commutes with it.
// Left out: sched_delayed (EEVDF delayed dequeue), balance callbacks, the
// load balancer, signals.
#include "kernel/kernel.hpp"

namespace pxc::kernel {

bool rq_has_queued(const ConstSys& s, int cpu)
{
    for (int t = 0; t < s.l->ntasks; ++t)
        if (s.task(t).on_rq() == TASK_ON_RQ_QUEUED && s.task(t).cpu() == cpu)
            return true;
    return false;
}

namespace {

// context_switch(): rq->curr = next.
void switch_to(const Ctx& ctx, const Sys& s, int cpu, int next)
{
    auto rq = s.cpu(cpu);
    if (rq.curr() != next)
        PXC_SAY(ctx, "CPU" + std::to_string(cpu) + " switches to " + ctx.name(next) +
                (next != IDLE && rq.donor() != next ? " (proxy for " + ctx.name(rq.donor()) + ")" : ""));
    rq.curr() = uint8_t(next);
}

}  // namespace

// __schedule() after pick_again: [rq->lock] every possible pick is one successor.
void pick_again(Ctx& ctx, const Sys& s, int cpu)
{
    bool any = false;
    for (int t = 0; t < s.l->ntasks; ++t) {
        auto cand = s.task(t);
        if (cand.on_rq() != TASK_ON_RQ_QUEUED || cand.cpu() != cpu)
            continue;
        any = true;
        LogMark mark(ctx);
        const Step saved = ctx.step;
        Scratch next(*s.l, s.bytes);
        Sys n = next.sys;
        ctx.step.add_pick(t);
        n.cpu(cpu).donor() = uint8_t(t);   // rq_set_donor(rq, next)
        PXC_SAY(ctx, "pick_next_task = " + ctx.name(t));
        if (!task_is_blocked(ctx, as_const(n), t)) {
            // v29 7/9: picked to run as itself, nobody boosts it any more
            if (ctx.has(Feature::blocked_donor) && n.task(t).blocked_donor() != NO_TASK) {
                n.task(t).set_blocked_donor(NO_TASK);
                PXC_SAY(ctx, ctx.name(t) + ".blocked_donor = NULL");
            }
            switch_to(ctx, n, cpu, t);
            ctx.done(next.buf);
        } else {
            const FptResult r = ctx.has(Feature::is_blocked) ? find_proxy_task_is_blocked(ctx, n, cpu, t)
                                                             : find_proxy_task(ctx, n, cpu, t);
            switch (r.kind) {
            case FptKind::run:
                switch_to(ctx, n, cpu, r.task);
                ctx.done(next.buf);
                break;
            case FptKind::idle:   // proxy_resched_idle(): goto keep_resched
                switch_to(ctx, n, cpu, IDLE);
                ctx.done(next.buf);
                break;
            case FptKind::repick:
                pick_again(ctx, n, cpu);
                break;
            case FptKind::deferred:
            case FptKind::stuck:
                ctx.done(next.buf);
                break;
            }
        }
        ctx.step = saved;
    }
    if (!any) {
        const Step saved = ctx.step;
        Scratch next(*s.l, s.bytes);
        ctx.step.add_pick(IDLE);
        next.sys.cpu(cpu).donor() = IDLE;
        switch_to(ctx, next.sys, cpu, IDLE);
        ctx.done(next.buf);
        ctx.step = saved;
    }
}

// __schedule(preempt ? SM_PREEMPT : SM_NONE) [rq->lock]: a task that is not
// TASK_RUNNING blocks (try_to_block_task), unless it is mutex-blocked with
// proxy execution on: then it stays queued as a possible donor.
void schedule(Ctx& ctx, const Sys& s, int cpu, bool preempt)
{
    const int prev = s.cpu(cpu).curr();
    if (prev != IDLE && !preempt && s.task(prev).state() != TASK_RUNNING) {
        auto task = s.task(prev);
        if (ctx.has(Feature::is_blocked) && is_mutex(task.blocked_on())) {
            // v7.2: is_blocked records "should have blocked" (set here, under the rq lock)
            task.set_is_blocked(true);
            PXC_SAY(ctx, ctx.name(prev) + " stays queued as a donor: is_blocked = 1 (blocked_on " +
                    ctx.m.blocked_on_name(task.blocked_on()) + ")");
        } else if (!ctx.has(Feature::is_blocked) && task_is_blocked(ctx, as_const(s), prev)) {
            PXC_SAY(ctx, ctx.name(prev) + " stays queued as a donor (blocked_on " +
                    ctx.m.blocked_on_name(task.blocked_on()) + ")");
        } else if (task.on_rq() == TASK_ON_RQ_QUEUED && task.cpu() == cpu) {
            task.on_rq() = NOT_ON_RQ;   // block_task(): DEQUEUE_SLEEP
            PXC_SAY(ctx, "try_to_block_task(" + ctx.name(prev) + "): dequeued");
        }
    }
    pick_again(ctx, s, cpu);
}

// A CPU inside __schedule() between the steps of proxy_migrate_task() /
// proxy_force_return(), its own rq lock dropped.
void sched_continue(Ctx& ctx, Sys s, int cpu)
{
    auto rq = s.cpu(cpu);
    const int p = rq.arg_task();
    switch (rq.sched()) {
    case SCHED_MIGRATE_ATTACH:
    case SCHED_FORCE_RETURN_ATTACH: {
        // attach_one_task() [target rq->lock]: activate_task, wakeup_preempt
        const int target = rq.arg_cpu();
        s.task(p).on_rq() = TASK_ON_RQ_QUEUED;
        PXC_SAY(ctx, "activate_task(" + ctx.name(p) + ") on CPU" + std::to_string(target));
        rq.sched() = SCHED_PICK_AGAIN;
        rq.arg_task() = NO_TASK;
        rq.arg_cpu() = NO_TASK;
        ctx.done(s.bytes);
        return;
    }
    case SCHED_PICK_AGAIN:
        // raw_spin_rq_lock(rq); return NULL -> goto pick_again
        rq.sched() = SCHED_NONE;
        pick_again(ctx, s, cpu);
        return;
    case SCHED_FORCE_RETURN: {
        // proxy_force_return(): task_rq_lock(p) [p->pi_lock, rq lock of task_cpu(p)]
        auto task = s.task(p);
        if (s.pi_locked(p) || task.on_rq() == TASK_ON_RQ_MIGRATING)
            return;
        if (task.cpu() != cpu || task.on_rq() != TASK_ON_RQ_QUEUED) {
            PXC_SAY(ctx, ctx.name(p) + " moved or was dequeued meanwhile: someone else handles it");
        } else if (s.running_on(p) >= 0) {
            warn(ctx, s, W_A10_FORCE_RETURN_CURR, "proxy_force_return(" + ctx.name(p) + "): task is current on CPU" +
                                                      std::to_string(s.running_on(p)));
        } else {
            rq.donor() = IDLE;   // proxy_resched_idle()
            task.on_rq() = TASK_ON_RQ_MIGRATING;   // deactivate_task()
            const uint8_t mask = task.cpus_mask();
            for (int c = 0; c < s.l->ncpus; ++c) {
                if (!(mask & (1u << c)))
                    continue;
                LogMark mark(ctx);
                Scratch next(*s.l, s.bytes);
                Sys n = next.sys;
                ctx.step.arg = uint8_t(c);
                PXC_SAY(ctx, "select_task_rq(" + ctx.name(p) + ") = CPU" + std::to_string(c));
                n.task(p).cpu() = uint8_t(c);   // set_task_cpu()
                n.task(p).wake_cpu() = uint8_t(c);
                clear_task_blocked_on(ctx, n, p, -1);
                n.cpu(cpu).sched() = SCHED_FORCE_RETURN_ATTACH;
                n.cpu(cpu).arg_cpu() = uint8_t(c);
                ctx.done(next.buf);
            }
            return;
        }
        rq.sched() = SCHED_PICK_AGAIN;
        rq.arg_task() = NO_TASK;
        ctx.done(s.bytes);
        return;
    }
    default:
        return;   // SCHED_STUCK: find_proxy_task never returns
    }
}

// sched_yield(): schedule() with prev still TASK_RUNNING.
void sched_yield(Ctx& ctx, Sys s, int cpu, int t)
{
    advance(ctx, s, t);
    schedule(ctx, s, cpu, false);
}

// set_cpus_allowed_ptr(current, mask) [p->pi_lock, rq->lock]: a task left
// outside its new mask is pushed by the stopper to an allowed CPU.
void set_affinity(Ctx& ctx, Sys s, int cpu, int t)
{
    if (s.pi_locked(t))
        return;
    auto task = s.task(t);
    const uint8_t mask = uint8_t(ctx.m.program(t).ops[task.pc_op()].cpus);
    task.cpus_mask() = mask;
    advance(ctx, s, t);
    if (mask & (1u << cpu))
        return ctx.done(s.bytes);
    for (int c = 0; c < s.l->ncpus; ++c) {
        if (!(mask & (1u << c)))
            continue;
        LogMark mark(ctx);
        Scratch next(*s.l, s.bytes);
        ctx.step.arg = uint8_t(c);
        next.sys.task(t).cpu() = uint8_t(c);   // move_queued_task()
        next.sys.task(t).wake_cpu() = uint8_t(c);
        PXC_SAY(ctx, "migration stopper moves " + ctx.name(t) + " to CPU" + std::to_string(c));
        schedule(ctx, next.sys, cpu, true);
    }
}

// The scenario's barrier stands for the completions of test-ww_mutex.c
// (complete() / wait_for_completion()): a task waits, preemptible, until
// every task whose program has a barrier has reached it.
void barrier_wait(Ctx& ctx, Sys s, int cpu, int t)
{
    (void)cpu;
    for (int u = 0; u < s.l->ntasks; ++u) {
        const Program& prog = ctx.m.program(u);
        for (int i = 0; i < prog.size(); ++i)
            if (prog.ops[size_t(i)].kind == OpKind::barrier && s.task(u).pc_op() < i && s.task(u).pc() != EXITED)
                return;   // not yet: keeps waiting
    }
    PXC_SAY(ctx, "every task reached the barrier");
    advance(ctx, s, t);
    ctx.done(s.bytes);
}

// do_exit(): TASK_DEAD, then __schedule() dequeues it for good.
void do_exit(Ctx& ctx, Sys s, int cpu, int t)
{
    s.task(t).state() = TASK_DEAD;
    s.task(t).pc() = EXITED;
    schedule(ctx, s, cpu, false);
}

}  // namespace pxc::kernel
