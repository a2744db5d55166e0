// The built-in properties (kernel-protocol.md 4.2) over a kernel model state.
#include "props/builtin.hpp"

#include <array>

#include "kernel/state.hpp"

namespace pxc::props {

using namespace pxc::kernel;

namespace {

// The lock a task sleeps for inside __mutex_lock_common(), or -1.
int waits_for(const Model& m, const uint8_t* s, int t) { return m.waits_for(s, t); }

std::string check_affinity(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int c = 0; c < sys.l->ncpus; ++c) {
        const int t = sys.cpu(c).curr();
        if (t != IDLE && !(sys.task(t).cpus_mask() & (1u << c)))
            return m.task_name(t) + " runs on CPU" + std::to_string(c) + " outside its cpus_mask " +
                   Model::cpumask_name(sys.task(t).cpus_mask());
    }
    return "";
}

std::string check_mutual_exclusion(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int l = 0; l < sys.l->nlocks; ++l) {
        int holder = -1;
        for (int t = 0; t < sys.l->ntasks; ++t) {
            if (!m.holds(s, t, l))
                continue;
            if (holder >= 0)
                return m.task_name(holder) + " and " + m.task_name(t) + " both hold " + m.lock_name(l);
            holder = t;
        }
        if (holder >= 0 && sys.lock(l).owner() != holder)
            return m.task_name(holder) + " holds " + m.lock_name(l) + " but its owner word names " +
                   m.task_name(sys.lock(l).owner());
    }
    return "";
}

constexpr std::array<std::string_view, WARNING_COUNT> warning_text{
    "A2 __set_task_blocked_on: blocked_on already set to another value",
    "A3 __clear_task_blocked_on: clearing a different mutex",
    "A4 __set_task_blocked_on_waking: blocked_on is neither m nor PROXY_WAKING",
    "A6 __mutex_unlock_slowpath: owner is not current, or PICKUP set",
    "A7 __mutex_trylock_common: free owner word with HANDOFF or PICKUP",
    "A8 find_proxy_task: returned owner is not on_rq",
    "A9 proxy_migrate_task: p == rq->curr",
    "A10 proxy_force_return: p is current on its rq",
    "A5 __mutex_lock_common err_early_kill: blocked_on still set",
    "A15 ww_mutex_lock_acquired: ww->ctx already set, lock after ww_acquire_done, or wrong lock after -EDEADLK",
    "A15 __ww_mutex_kill: contending_lock already set",
    "A15 __ww_mutex_unlock: lock->ctx->acquired == 0",
    "A15 ww_acquire_fini: ctx->acquired != 0",
    "A16 proxy_deactivate (v7.2): the task is TASK_RUNNING (a woken task treated as a blocked donor)",
};

std::string check_no_warning(const Model& m, const uint8_t* s)
{
    const uint16_t w = m.view(s).warnings();
    std::string out;
    for (int i = 0; i < WARNING_COUNT; ++i)
        if (w & (1u << i))
            out += (out.empty() ? "WARN_ON_ONCE: " : "; ") + std::string(warning_text[size_t(i)]);
    return out;
}

std::string check_blocked_on(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int t = 0; t < sys.l->ntasks; ++t) {
        const uint8_t bo = sys.task(t).blocked_on();
        if (sys.l->g2 && sys.task(t).is_blocked() && sys.task(t).on_rq() == TASK_ON_RQ_QUEUED &&
            sys.running_on(t) >= 0 && waits_for(m, s, t) < 0)
            return m.task_name(t) + " runs with is_blocked set outside the mutex slowpath (" + m.where(t, s) + ")";
        if (bo == BLOCKED_ON_NULL)
            continue;
        if (is_mutex(bo) && !sys.lock(mutex_of(bo)).has_waiter(t))
            return m.task_name(t) + ".blocked_on = " + m.lock_name(mutex_of(bo)) + " but " + m.task_name(t) +
                   " is not on its wait_list";
        if (waits_for(m, s, t) < 0)
            return m.task_name(t) + ".blocked_on = " + m.blocked_on_name(bo) + " outside the mutex slowpath (" +
                   m.where(t, s) + ")";
    }
    return "";
}

std::string check_donor(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int c = 0; c < sys.l->ncpus; ++c) {
        const int d = sys.cpu(c).donor();
        if (d == IDLE)
            continue;
        auto task = sys.task(d);
        if (task.cpu() != c || task.on_rq() != TASK_ON_RQ_QUEUED)
            return "CPU" + std::to_string(c) + ".donor = " + m.task_name(d) + " but " + m.task_name(d) +
                   (task.on_rq() == NOT_ON_RQ ? " is dequeued"
                    : task.on_rq() == TASK_ON_RQ_MIGRATING ? " is migrating"
                                                           : " is queued on CPU" + std::to_string(task.cpu()));
    }
    return "";
}

std::string chain_from(const Model& m, const uint8_t* s, int donor)
{
    auto sys = m.view(s);
    std::string out = m.task_name(donor);
    uint32_t seen = 0;
    for (int p = donor; p != NO_TASK && !(seen & (1u << p));) {
        seen |= 1u << p;
        const uint8_t bo = sys.task(p).blocked_on();
        if (!is_mutex(bo))
            break;
        p = sys.lock(mutex_of(bo)).owner();
        out += " -> " + m.lock_name(mutex_of(bo)) + " -> " + m.task_name(p);
    }
    return out;
}

std::string check_fpt_terminates(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int c = 0; c < sys.l->ncpus; ++c)
        if (sys.cpu(c).sched() == SCHED_STUCK)
            return "find_proxy_task on CPU" + std::to_string(c) + " walks the blocked_on cycle " +
                   chain_from(m, s, sys.cpu(c).donor()) + " forever with the rq lock held";
    return "";
}

// The owner cycle reached from t's wait, as text, or "" when there is none.
std::string owner_cycle_from(const Model& m, const uint8_t* s, int t)
{
    auto sys = m.view(s);
    uint32_t seen = 0;
    int p = t;
    while (p != NO_TASK && !(seen & (1u << p))) {
        seen |= 1u << p;
        const int l = waits_for(m, s, p);
        if (l < 0)
            return "";
        const int owner = sys.lock(l).owner();
        if (owner == p)   // handed off to p (PICKUP): a lost handoff, not a cycle
            return "";
        p = owner;
    }
    if (p == NO_TASK)
        return "";
    std::string out;   // p is on the cycle
    int q = p;
    do {
        const int l = waits_for(m, s, q);
        const int o = sys.lock(l).owner();
        out += (out.empty() ? "" : ", ") + m.task_name(q) + " waits for " + m.lock_name(l) + " held by " +
               m.task_name(o);
        q = o;
    } while (q != p);
    return out;
}

std::string check_no_deadlock(const Model& m, const uint8_t* s)
{
    for (int t = 0; t < m.layout().ntasks; ++t) {
        std::string cycle = owner_cycle_from(m, s, t);
        if (!cycle.empty())
            return "deadlock: " + cycle;
    }
    return "";
}

bool on_stuck_cpu(const Model& m, const uint8_t* s, int t)
{
    auto sys = m.view(s);
    auto task = sys.task(t);
    return task.on_rq() != NOT_ON_RQ && sys.cpu(task.cpu()).sched() == SCHED_STUCK;
}

std::string check_no_lost_wakeup(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int t = 0; t < sys.l->ntasks; ++t) {
        auto task = sys.task(t);
        if (task.pc() == EXITED || !owner_cycle_from(m, s, t).empty() || on_stuck_cpu(m, s, t))
            continue;
        const std::string who = m.task_name(t);
        const int l = waits_for(m, s, t);
        if (l >= 0) {
            auto lock = sys.lock(l);
            if (lock.owner() == NO_TASK)
                return who + " waits for " + m.lock_name(l) + ", which is free, and nobody wakes it (" +
                       (task.on_rq() ? "queued" : "dequeued") + ", blocked_on " + m.blocked_on_name(task.blocked_on()) + ")";
            if (lock.owner() == t && (lock.flags() & MUTEX_FLAG_PICKUP))
                return m.lock_name(l) + " was handed off to " + who + " (PICKUP), which never runs again";
            continue;   // waits behind an owner reported on its own
        }
        if (task.state() == TASK_RUNNING && task.on_rq() == NOT_ON_RQ)
            return who + " is TASK_RUNNING but dequeued, at " + m.where(t, s);
        if (sys.l->g2 && task.is_blocked())
            return who + " is left with is_blocked set, at " + m.where(t, s);
        return who + " never runs again, at " + m.where(t, s);
    }
    return "";
}

// P-HANDOFF: a handoff names a task that still waits for the lock.
std::string check_no_lost_handoff(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    for (int l = 0; l < sys.l->nlocks; ++l) {
        auto lock = sys.lock(l);
        if ((lock.flags() & MUTEX_FLAG_PICKUP) && !lock.has_waiter(lock.owner()))
            return m.lock_name(l) + " is handed off (PICKUP) to " + m.task_name(lock.owner()) +
                   ", which no longer waits for it (" + m.where(lock.owner(), s) + ")";
    }
    return "";
}

std::string check_blocked_donor_valid(const Model& m, const uint8_t* s)
{
    if (m.view(s).warnings() & (1u << EV_BLOCKED_DONOR_INVALID))
        return "__mutex_unlock_slowpath handed the mutex to a blocked_donor that is not on its wait_list";
    return "";
}

std::string check_all_done(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    std::string out;
    for (int t = 0; t < sys.l->ntasks; ++t)
        if (sys.task(t).pc() != EXITED)
            out += (out.empty() ? "" : "; ") + m.task_name(t) + " is stuck at " + m.where(t, s);
    return out;
}

std::string check_edeadlk_returned(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    if (!sys.l->ww)
        return "";
    for (int t = 0; t < sys.l->ntasks; ++t)
        if (sys.task(t).ww_flags() & WW_GOT_EDEADLK)
            return "";
    return "every task finished and no ww_mutex_lock returned -EDEADLK";
}

std::string check_transactions_succeed(const Model& m, const uint8_t* s)
{
    auto sys = m.view(s);
    if (!sys.l->ww)
        return "";
    for (int t = 0; t < sys.l->ntasks; ++t)
        if (sys.task(t).ww_flags() & WW_GAVE_UP)
            return m.task_name(t) + " finished with -EDEADLK as its result";
    return "";
}

constexpr std::array<Property, 13> table{{
    {"no_affinity_violating_run", Kind::invariant, "P-AFF",
     "a task executes (is rq->curr) only on a CPU of its cpus_mask; a donor may be parked elsewhere",
     check_affinity},
    {"mutual_exclusion", Kind::invariant, "P-MUTEX",
     "at most one task holds a mutex, and the owner word names it", check_mutual_exclusion},
    {"no_kernel_warning", Kind::invariant, "kernel-protocol.md 4.1 A1-A10",
     "no WARN_ON / MUTEX_WARN_ON of the modelled kernel code fires", check_no_warning},
    {"blocked_on_consistent", Kind::invariant, "P-BLOCKED-CONSISTENT",
     "blocked_on = M only for a task on M's wait_list; non-NULL only inside the mutex slowpath", check_blocked_on},
    {"donor_valid", Kind::invariant, "P-DONOR-VALID",
     "rq->donor is rq->idle or a task queued on that runqueue", check_donor},
    {"find_proxy_task_terminates", Kind::invariant, "P-CYCLE",
     "find_proxy_task never walks a blocked_on -> owner chain that comes back to a task", check_fpt_terminates},
    {"no_lost_wakeup", Kind::deadlock, "P-WAKE, P-HANDOFF",
     "when no step is enabled, every unfinished task is caught in a genuine owner cycle: none sleeps on a free "
     "lock, none is handed a lock it never picks up, none is TASK_RUNNING but dequeued",
     check_no_lost_wakeup},
    {"no_deadlock", Kind::deadlock, "P-PROGRESS",
     "when no step is enabled, no tasks wait for each other in an owner cycle", check_no_deadlock},
    {"no_lost_handoff", Kind::invariant, "P-HANDOFF",
     "a mutex handed off (PICKUP) names a task still on its wait_list (pending handoffs at the end: no_lost_wakeup)",
     check_no_lost_handoff},
    {"blocked_donor_valid", Kind::invariant, "P-DONOR-LINK",
     "when __mutex_unlock_slowpath hands off to current->blocked_donor, that task waits for this mutex",
     check_blocked_donor_valid},
    {"all_tasks_done", Kind::deadlock, "P-PROGRESS (test_cycle: every transaction completes)",
     "when no step is enabled, every task has run its program to the end", check_all_done},
    {"ww_transactions_succeed", Kind::deadlock, "test_cycle: cycle->result == 0",
     "when no step is enabled, no task kept an -EDEADLK as its result (backoff none / once gave up)",
     check_transactions_succeed},
    {"edeadlk_returned", Kind::deadlock, "test_abba without resolve",
     "when no step is enabled, some ww_mutex_lock has returned -EDEADLK (the ww algorithm broke the cycle)",
     check_edeadlk_returned},
}};

}  // namespace

std::span<const Property> builtin_properties() { return table; }

const Property* find_property(std::string_view name)
{
    for (const Property& p : table)
        if (p.name == name)
            return &p;
    return nullptr;
}

}  // namespace pxc::props
