// kernel/sched/core.c: find_proxy_task() of generation G2 / v7.2
// (kernel-protocol.md 3.7 "G2 differences", 3.3.2).
//
// The chain is followed while p->is_blocked. A member whose blocked_on was
// cleared (unlock, die, wound) or whose mutex has no owner runs if it is
// rq->curr; otherwise it is deactivated so that try_to_wake_up places it
// again (no proxy_force_return). With blocked_donor each hop records
// owner->blocked_donor = p for the unlock slowpath.
//
// Unverified G2 details (the sources are summaries, [S] in the reference),
// with the reading chosen:
//  - a sleeping owner deactivates p, the chain member waiting for it, after
//    clearing p->blocked_on (the [NOTES-FPT] summary; G1 deactivated the donor);
//  - blocked_donor is written after the hop's checks, when the walk moves on
//    to the owner, as in the v23 text.
#include "kernel/kernel.hpp"

namespace pxc::kernel {

namespace {

// proxy_deactivate() [rq->lock]: by design never sees a woken task
// (PeterZ: "failure is not an option"); the model warns when it does.
FptResult proxy_deactivate_g2(const Ctx& ctx, const Sys& s, int cpu, int p)
{
    if (s.task(p).state() == TASK_RUNNING) {
        warn(ctx, s, W_A16_DEACTIVATE_RUNNING, "proxy_deactivate(" + ctx.name(p) + "): task is TASK_RUNNING");
        proxy_resched_idle(ctx, s, cpu);
        return {FptKind::idle};
    }
    if (s.cpu(cpu).donor() == p)
        proxy_resched_idle(ctx, s, cpu);
    s.task(p).on_rq() = NOT_ON_RQ;   // try_to_block_task(): try_to_wake_up() places it again
    PXC_SAY(ctx, "proxy_deactivate(" + ctx.name(p) + "): dequeued");
    return {FptKind::repick};
}

}  // namespace

FptResult find_proxy_task_is_blocked(const Ctx& ctx, const Sys& s, int cpu, int donor)
{
    bool curr_in_chain = false;
    uint32_t visited = 0;
    int owner = NO_TASK;
    int p = donor;
    const int curr = s.cpu(cpu).curr();

    for (; s.task(p).is_blocked(); p = owner) {
        if (revisits(ctx, s, cpu, p, visited))
            return {FptKind::stuck};
        const uint8_t mutex = s.task(p).blocked_on();
        if (!is_mutex(mutex)) {   // woken: unlock / die / wound cleared blocked_on
            if (p == curr) {
                s.task(p).set_is_blocked(false);
                PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " was woken and is rq->curr: is_blocked = 0, run it");
                return {FptKind::run, p};
            }
            PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " was woken (blocked_on NULL)");
            return proxy_deactivate_g2(ctx, s, cpu, p);
        }
        // [mutex->wait_lock, p->blocked_lock]
        const int m = mutex_of(mutex);
        if (p == curr)
            curr_in_chain = true;
        owner = s.lock(m).owner();
        if (owner == NO_TASK) {
            PXC_SAY(ctx, "find_proxy_task: " + ctx.lname(m) + " has no owner");
            if (p == curr) {
                clear_task_blocked_on(ctx, s, p, m);
                s.task(p).set_is_blocked(false);
                return {FptKind::run, p};
            }
            return proxy_deactivate_g2(ctx, s, cpu, p);
        }
        auto o = s.task(owner);
        if (o.on_rq() == NOT_ON_RQ) {
            PXC_SAY(ctx, "find_proxy_task: owner " + ctx.name(owner) + " of " + ctx.lname(m) + " is sleeping");
            if (curr_in_chain)
                return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
            clear_task_blocked_on(ctx, s, p, m);
            return proxy_deactivate_g2(ctx, s, cpu, p);
        }
        if (o.cpu() != cpu) {
            PXC_SAY(ctx, "find_proxy_task: owner " + ctx.name(owner) + " of " + ctx.lname(m) + " is on CPU" +
                    std::to_string(o.cpu()));
            if (curr_in_chain)
                return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
            return proxy_migrate_task(ctx, s, cpu, p, o.cpu());
        }
        if (o.on_rq() == TASK_ON_RQ_MIGRATING) {
            PXC_SAY(ctx, "find_proxy_task: owner " + ctx.name(owner) + " is migrating here");
            return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
        }
        if (owner == p) {
            PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " owns the mutex it waits for");
            return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
        }
        if (ctx.has(Feature::blocked_donor) && o.blocked_donor() != p) {
            o.set_blocked_donor(p);
            PXC_SAY(ctx, ctx.name(owner) + ".blocked_donor = " + ctx.name(p));
        }
        PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " -> " + ctx.lname(m) + " -> " + ctx.name(owner));
    }
    if (owner != NO_TASK && s.task(owner).on_rq() == NOT_ON_RQ)
        warn(ctx, s, W_A8_OWNER_NOT_ON_RQ, "find_proxy_task: owner " + ctx.name(owner) + " not on_rq");
    return {FptKind::run, p};
}

}  // namespace pxc::kernel
