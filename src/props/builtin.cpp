// The properties of kernel-protocol.md 4.2 that need more than the property
// language has: the owner chain followed to a cycle (a transitive closure),
// the model's own records (a find_proxy_task walk that never ends, a handoff
// to a stale blocked_donor, the ww acquire contexts' bookkeeping). The
// properties/*.prop files declare each of them where it belongs, with why.
#include "props/builtin.hpp"

#include <array>

#include "kernel/state.hpp"

namespace pxc::props {

using namespace pxc::kernel;

namespace {

// The lock a task sleeps for inside __mutex_lock_common(), or -1.
int waits_for(const Model& m, const uint8_t* s, int t) { return m.waits_for(s, t); }

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

std::string check_blocked_donor_valid(const Model& m, const uint8_t* s)
{
    if (m.view(s).warnings() & (1u << EV_BLOCKED_DONOR_INVALID))
        return "__mutex_unlock_slowpath handed the mutex to a blocked_donor that is not on its wait_list";
    return "";
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

// Symmetric, all six: each asks whether some task, CPU or lock is in a bad
// situation, following the task ids the state holds; which task is found
// first (the lowest id) changes only the message, which the trace recomputes
// on the concrete state.
constexpr std::array<BuiltinProperty, 6> table{{
    {"find_proxy_task_terminates", Kind::invariant, "P-CYCLE",
     "find_proxy_task never walks a blocked_on -> owner chain that comes back to a task", check_fpt_terminates,
     true},   // some CPU is SCHED_STUCK
    {"blocked_donor_valid", Kind::invariant, "P-DONOR-LINK",
     "when __mutex_unlock_slowpath hands off to current->blocked_donor, that task waits for this mutex",
     check_blocked_donor_valid, true},   // a global event bit
    {"no_lost_wakeup", Kind::deadlock, "P-WAKE, P-HANDOFF",
     "when no step is enabled, every unfinished task is caught in a genuine owner cycle: none sleeps on a free "
     "lock, none is handed a lock it never picks up, none is TASK_RUNNING but dequeued",
     check_no_lost_wakeup, true},   // some task, by its own bytes and the owner chain
    {"no_deadlock", Kind::deadlock, "P-PROGRESS",
     "when no step is enabled, no tasks wait for each other in an owner cycle", check_no_deadlock,
     true},   // some task's owner chain comes back
    {"ww_transactions_succeed", Kind::deadlock, "test_cycle: cycle->result == 0",
     "when no step is enabled, no task kept an -EDEADLK as its result (backoff none / once gave up)",
     check_transactions_succeed, true},   // some task's flag
    {"edeadlk_returned", Kind::deadlock, "test_abba without resolve",
     "when no step is enabled, some ww_mutex_lock has returned -EDEADLK (the ww algorithm broke the cycle)",
     check_edeadlk_returned, true},   // some task's flag
}};

}  // namespace

std::span<const BuiltinProperty> builtin_properties() { return table; }

}  // namespace pxc::props
