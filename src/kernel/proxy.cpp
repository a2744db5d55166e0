// kernel/sched/core.c: find_proxy_task() and its helpers, generation G1
// (kernel-protocol.md 3.7, 3.8).
//
//   donor --blocked_on--> M1 --owner--> A --blocked_on--> M2 --owner--> B
//
// Follow blocked_on -> owner from the picked donor until a task that is not
// blocked: run that owner on the donor's scheduling context. The exits:
// PROXY_WAKING, no owner, sleeping owner, remote owner, migrating owner.
// Lock order: rq->lock -> mutex->wait_lock -> p->blocked_lock.
//
// Three kernel versions, chosen by the flags:
//   proxy_exec only (v6.17): a remote or sleeping owner deactivates the donor;
//     no owner: clear blocked_on and run p.
//   + proxy_waking without proxy_migration (the PROXY_WAKING commit alone):
//     PROXY_WAKING -> proxy_resched_idle() so that ttwu can complete.
//   + proxy_migration (v7.1, v23-v26 text): curr_in_chain, proxy_migrate_task()
//     to a remote owner's CPU, proxy_force_return() for PROXY_WAKING / no owner.
// The kernel walk has no visited set; a chain that comes back to a task spins
// forever with rq->lock held. The model detects the revisit and leaves the
// CPU in SCHED_STUCK, which find_proxy_task_terminates reports.
#include "kernel/kernel.hpp"

namespace pxc::kernel {

// proxy_resched_idle(): rq->donor = rq->idle before the rq lock is dropped.
void proxy_resched_idle(const Ctx& ctx, const Sys& s, int cpu)
{
    s.cpu(cpu).donor() = IDLE;
    PXC_SAY(ctx, "proxy_resched_idle(CPU" + std::to_string(cpu) + ")");
}

namespace {

// __proxy_deactivate(): block the donor unless it was woken meanwhile.
bool proxy_deactivate(const Ctx& ctx, const Sys& s, int cpu, int donor)
{
    if (s.task(donor).state() == TASK_RUNNING) {
        PXC_SAY(ctx, "proxy_deactivate(" + ctx.name(donor) + ") fails: TASK_RUNNING");
        return false;
    }
    proxy_resched_idle(ctx, s, cpu);
    s.task(donor).on_rq() = NOT_ON_RQ;   // try_to_block_task(..., should_block = true)
    PXC_SAY(ctx, "proxy_deactivate(" + ctx.name(donor) + "): dequeued");
    return true;
}

}  // namespace

// proxy_migrate_task() first half [rq->lock]: p leaves this rq for the
// owner's CPU, ignoring its mask; proxy_set_task_cpu() keeps wake_cpu.
FptResult proxy_migrate_task(const Ctx& ctx, const Sys& s, int cpu, int p, int target)
{
    proxy_resched_idle(ctx, s, cpu);
    if (s.cpu(cpu).curr() == p)
        warn(ctx, s, W_A9_MIGRATE_CURR, "proxy_migrate_task(" + ctx.name(p) + "): p == rq->curr");
    auto task = s.task(p);
    task.on_rq() = TASK_ON_RQ_MIGRATING;   // deactivate_task()
    task.cpu() = uint8_t(target);          // proxy_set_task_cpu(): wake_cpu kept
    PXC_SAY(ctx, "proxy_migrate_task(" + ctx.name(p) + " -> CPU" + std::to_string(target) + ")");
    auto rq = s.cpu(cpu);
    rq.sched() = SCHED_MIGRATE_ATTACH;
    rq.arg_task() = uint8_t(p);
    rq.arg_cpu() = uint8_t(target);
    return {FptKind::deferred};
}

namespace {

// proxy_force_return() up to dropping the rq lock; the rest is a CPU step.
FptResult proxy_force_return(const Ctx& ctx, const Sys& s, int cpu, int p)
{
    PXC_SAY(ctx, "proxy_force_return(" + ctx.name(p) + ")");
    auto rq = s.cpu(cpu);
    rq.sched() = SCHED_FORCE_RETURN;
    rq.arg_task() = uint8_t(p);
    return {FptKind::deferred};
}

}  // namespace

std::string chain_text(const Ctx& ctx, const ConstSys& s, int donor, int until)
{
    std::string out = ctx.name(donor);
    for (int p = donor, hops = 0; hops <= s.l->ntasks; ++hops) {
        const uint8_t bo = s.task(p).blocked_on();
        if (!is_mutex(bo))
            break;
        const int owner = s.lock(mutex_of(bo)).owner();
        out += " -> " + ctx.lname(mutex_of(bo)) + " -> " + ctx.name(owner);
        if (owner == until || owner == NO_TASK)
            break;
        p = owner;
    }
    return out;
}

// The walk comes back to p: the kernel loops forever with the rq lock held;
// the model leaves the CPU stuck (find_proxy_task_terminates reports it).
bool revisits(const Ctx& ctx, const Sys& s, int cpu, int p, uint32_t& visited)
{
    if (!(visited & (1u << p))) {
        visited |= 1u << p;
        return false;
    }
    PXC_SAY(ctx, "find_proxy_task: blocked_on cycle " + chain_text(ctx, as_const(s), p, p) +
                     ", loops forever with CPU" + std::to_string(cpu) + "'s rq lock held");
    s.cpu(cpu).sched() = SCHED_STUCK;
    return true;
}

FptResult find_proxy_task(const Ctx& ctx, const Sys& s, int cpu, int donor)
{
    const bool migration = ctx.has(Feature::proxy_migration);
    enum { FOUND, DEACTIVATE_DONOR, NEEDS_RETURN, MIGRATE } action = FOUND;
    bool curr_in_chain = false;
    uint32_t visited = 0;
    int owner = NO_TASK;
    int owner_cpu = 0;
    int p = donor;
    const int curr = s.cpu(cpu).curr();

    for (; task_is_blocked(ctx, as_const(s), p); p = owner) {
        if (revisits(ctx, s, cpu, p, visited))
            return {FptKind::stuck};
        const uint8_t mutex = s.task(p).blocked_on();
        if (mutex == PROXY_WAKING) {
            if (!migration)   // the PROXY_WAKING commit: let ttwu complete
                return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
            if (p == curr) {
                clear_task_blocked_on(ctx, s, p, -1);
                PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " is PROXY_WAKING and rq->curr: run it");
                return {FptKind::run, p};
            }
            PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " is PROXY_WAKING");
            action = NEEDS_RETURN;
            break;
        }
        // [mutex->wait_lock, p->blocked_lock]
        const int m = mutex_of(mutex);
        if (p == curr)
            curr_in_chain = true;
        owner = s.lock(m).owner();
        if (owner == NO_TASK) {
            if (!migration || p == curr) {
                PXC_SAY(ctx, "find_proxy_task: " + ctx.lname(m) + " has no owner: run " + ctx.name(p));
                clear_task_blocked_on(ctx, s, p, migration ? -1 : m);
                return {FptKind::run, p};
            }
            PXC_SAY(ctx, "find_proxy_task: " + ctx.lname(m) + " has no owner");
            action = NEEDS_RETURN;
            break;
        }
        auto o = s.task(owner);
        if (o.on_rq() == NOT_ON_RQ) {
            PXC_SAY(ctx, "find_proxy_task: owner " + ctx.name(owner) + " of " + ctx.lname(m) + " is sleeping");
            if (!migration) {
                if (!proxy_deactivate(ctx, s, cpu, donor))
                    clear_task_blocked_on(ctx, s, donor, -1);   // "set donor as unblocked"
                return {FptKind::repick};
            }
            if (curr_in_chain)
                return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
            action = DEACTIVATE_DONOR;
            break;
        }
        owner_cpu = o.cpu();
        if (owner_cpu != cpu) {
            PXC_SAY(ctx, "find_proxy_task: owner " + ctx.name(owner) + " of " + ctx.lname(m) + " is on CPU" +
                    std::to_string(owner_cpu));
            if (!migration) {   // "XXX Don't handle migrations yet"
                if (!proxy_deactivate(ctx, s, cpu, donor))
                    clear_task_blocked_on(ctx, s, donor, -1);
                return {FptKind::repick};
            }
            if (curr_in_chain)
                return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
            action = MIGRATE;
            break;
        }
        if (o.on_rq() == TASK_ON_RQ_MIGRATING) {
            PXC_SAY(ctx, "find_proxy_task: owner " + ctx.name(owner) + " is migrating here");
            return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
        }
        if (owner == p) {   // unlock -> ttwu_runnable in flight on p
            PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " owns the mutex it waits for");
            return proxy_resched_idle(ctx, s, cpu), FptResult{FptKind::idle};
        }
        if (ctx.has(Feature::blocked_donor) && o.blocked_donor() != p) {   // v29 7/9
            o.set_blocked_donor(p);
            PXC_SAY(ctx, ctx.name(owner) + ".blocked_donor = " + ctx.name(p));
        }
        PXC_SAY(ctx, "find_proxy_task: " + ctx.name(p) + " -> " + ctx.lname(m) + " -> " + ctx.name(owner));
    }

    switch (action) {
    case DEACTIVATE_DONOR:
        if (proxy_deactivate(ctx, s, cpu, donor))
            return {FptKind::repick};
        return proxy_force_return(ctx, s, cpu, donor);
    case NEEDS_RETURN:
        return proxy_force_return(ctx, s, cpu, p);
    case MIGRATE:
        return proxy_migrate_task(ctx, s, cpu, p, owner_cpu);
    case FOUND:
        break;
    }
    if (owner != NO_TASK && s.task(owner).on_rq() == NOT_ON_RQ)
        warn(ctx, s, W_A8_OWNER_NOT_ON_RQ, "find_proxy_task: owner " + ctx.name(owner) + " not on_rq");
    return {FptKind::run, p};
}

}  // namespace pxc::kernel
