// The properties of kernel-protocol.md 4.2 that need more than the property
// language has: the owner chain followed to a cycle (a transitive closure),
// and the model's own marker of a find_proxy_task walk that never ends.
#include "props/builtin.hpp"

#include <array>

#include "kernel/state.hpp"
#include "props/fields.hpp"

namespace pxc::props {

using namespace pxc::kernel;

namespace {

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
        const int l = waiting_on(m, s, p);
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
        const int l = waiting_on(m, s, q);
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
        const int l = waiting_on(m, s, t);
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
        return who + " never runs again, at " + m.where(t, s);
    }
    return "";
}

constexpr std::array<BuiltinProperty, 3> table{{
    {"find_proxy_task_terminates", Kind::invariant, "P-CYCLE",
     "find_proxy_task never walks a blocked_on -> owner chain that comes back to a task", check_fpt_terminates},
    {"no_lost_wakeup", Kind::deadlock, "P-WAKE, P-HANDOFF",
     "when no step is enabled, every unfinished task is caught in a genuine owner cycle: none sleeps on a free "
     "lock, none is handed a lock it never picks up, none is TASK_RUNNING but dequeued",
     check_no_lost_wakeup},
    {"no_deadlock", Kind::deadlock, "P-PROGRESS",
     "when no step is enabled, no tasks wait for each other in an owner cycle", check_no_deadlock},
}};

}  // namespace

std::span<const BuiltinProperty> builtin_properties() { return table; }

}  // namespace pxc::props
