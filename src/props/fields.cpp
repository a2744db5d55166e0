// The property language's view of a kernel state: one table row per field
// and predicate, each reading the model through kernel::Model::view().
#include "props/fields.hpp"

#include <array>

#include "kernel/state.hpp"

namespace pxc::props {

using namespace pxc::kernel;

namespace {

constexpr Type T = Type::task, L = Type::lock, C = Type::cpu, U = Type::unknown;

using TaskV = TaskViewT<const uint8_t>;
using LockV = LockViewT<const uint8_t>;
using CpuV = CpuViewT<const uint8_t>;

TaskV task(const Model& m, const uint8_t* s, int64_t t) { return m.view(s).task(int(t)); }
LockV lock(const Model& m, const uint8_t* s, int64_t l) { return m.view(s).lock(int(l) - 1); }   // locks are m + 1
CpuV cpu(const Model& m, const uint8_t* s, int64_t c) { return m.view(s).cpu(int(c)); }
int64_t lock_value(int l) { return l < 0 ? BLOCKED_ON_NULL : blocked_on_mutex(l); }

// Where a one-byte field is (field: a view member function), found through
// the views on a zeroed buffer whose addresses are all that is used: no
// offset is written down here. Object 1 always lies inside the buffer (the
// CPUs come after tasks and locks), so the stride is measured, not assumed.
const uint8_t probe[max_state_bytes] = {};

template <auto field, uint8_t mask = 0xFF>
ByteLoc task_byte(const Model& m)
{
    auto at = [&](int t) { return int64_t(&(m.view(probe).task(t).*field)() - probe); };
    return {at(0), at(1) - at(0), mask};
}
template <auto field>
ByteLoc cpu_byte(const Model& m)
{
    auto at = [&](int c) { return int64_t(&(m.view(probe).cpu(c).*field)() - probe); };
    return {at(0), at(1) - at(0), 0xFF};
}
template <auto field, uint8_t mask = 0xFF>
ByteLoc lock_byte(const Model& m)   // lock m is value m + 1: the base is one stride before lock 0
{
    auto at = [&](int l) { return int64_t(&(m.view(probe).lock(l).*field)() - probe); };
    return {at(0) - (at(1) - at(0)), at(1) - at(0), mask};
}

const std::array<Access, 18> field_table{{
    {"cpu", 1, {T, U}, Type::cpu, nullptr, task_byte<&TaskV::cpu>,
     "task_cpu(p): the runqueue the task is on or last ran on"},
    {"wake_cpu", 1, {T, U}, Type::cpu, nullptr, task_byte<&TaskV::wake_cpu>,
     "p->wake_cpu: where a proxy-migrated donor returns"},
    {"cpus_mask", 1, {T, U}, Type::cpumask, nullptr, task_byte<&TaskV::cpus_mask>,
     "p->cpus_mask: the CPUs the task may run on"},
    {"blocked_on", 1, {T, U}, Type::blocked_on, nullptr, task_byte<&TaskV::blocked_on>,
     "p->blocked_on: none, the mutex it waits for, or PROXY_WAKING"},
    // v7.2: the state has these fields only when the feature set uses them; none and false without.
    {"blocked_donor", 1, {T, U}, Type::task_or_none,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t) -> int64_t {
         return m.layout().g2 ? task(m, s, t).blocked_donor() : NO_TASK;
     },
     nullptr, "p->blocked_donor (v7.2): the donor that ran this owner as its proxy"},
    {"is_blocked", 1, {T, U}, Type::boolean,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t) -> int64_t {
         return m.layout().g2 && task(m, s, t).is_blocked();
     },
     nullptr, "p->is_blocked (v7.2): the task should have blocked on a mutex"},
    {"state", 1, {T, U}, Type::task_state, nullptr, task_byte<&TaskV::state>,
     "p->__state: TASK_RUNNING, TASK_UNINTERRUPTIBLE or TASK_DEAD"},
    {"on_rq", 1, {T, U}, Type::on_rq, nullptr, task_byte<&TaskV::on_rq>,
     "p->on_rq: 0, TASK_ON_RQ_QUEUED or TASK_ON_RQ_MIGRATING"},
    {"done", 1, {T, U}, Type::boolean,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t) -> int64_t {
         auto v = task(m, s, t);
         return v.pc() == EXITED || v.pc_op() >= m.program(int(t)).size();
     },
     nullptr, "the task has finished its program (it is at or past do_exit())"},
    {"waiting_on", 1, {T, U}, Type::lock_or_none,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t) -> int64_t {
         return lock_value(m.waits_for(s, int(t)));
     },
     nullptr, "the mutex whose __mutex_lock_common() wait loop the task is in, or none"},
    {"owner", 1, {L, U}, Type::task_or_none, nullptr, lock_byte<&LockV::owner>,
     "__mutex_owner(lock): the task in lock->owner, or none"},
    {"wait_list", 1, {L, U}, Type::wait_list,
     [](const Model&, const uint8_t*, int64_t l, int64_t) -> int64_t { return l; },   // a wait_list is its lock
     nullptr, "lock->wait_list: the waiters in order"},
    {"handoff", 1, {L, U}, Type::boolean, nullptr,
     lock_byte<&LockV::flags, MUTEX_FLAG_HANDOFF>, "MUTEX_FLAG_HANDOFF in lock->owner"},
    {"pickup", 1, {L, U}, Type::boolean, nullptr,
     lock_byte<&LockV::flags, MUTEX_FLAG_PICKUP>,
     "MUTEX_FLAG_PICKUP in lock->owner: handed off to the owner, not picked up yet"},
    {"waiters", 1, {L, U}, Type::boolean, nullptr,
     lock_byte<&LockV::flags, MUTEX_FLAG_WAITERS>, "MUTEX_FLAG_WAITERS in lock->owner"},
    {"curr", 1, {C, U}, Type::task_or_idle, nullptr, cpu_byte<&CpuV::curr>,
     "rq->curr: the task executing (execution context)"},
    {"donor", 1, {C, U}, Type::task_or_idle, nullptr, cpu_byte<&CpuV::donor>,
     "rq->donor: the task whose scheduling context is used"},
    {"idle", 1, {C, U}, Type::task_or_idle,
     [](const Model&, const uint8_t*, int64_t, int64_t) -> int64_t { return IDLE; }, nullptr,
     "rq->idle: the CPU's idle task"},
}};

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

// The warning bits; the model's own events share the field above them.
constexpr uint16_t warning_bits = uint16_t((1u << WARNING_COUNT) - 1);

std::string warnings_fired(const Model& m, const uint8_t* s)
{
    const uint16_t w = m.view(s).warnings();
    std::string out;
    for (int i = 0; i < WARNING_COUNT; ++i)
        if (w & (1u << i))
            out += (out.empty() ? "WARN_ON_ONCE: " : "; ") + std::string(warning_text[size_t(i)]);
    return out;
}

const std::array<Access, 4> predicate_table{{
    {"running", 1, {T, U}, Type::boolean,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t) -> int64_t { return m.view(s).running_on(int(t)) >= 0; },
     nullptr,
     "task_on_cpu(p): the task is some CPU's rq->curr"},
    {"is_donor", 1, {T, U}, Type::boolean,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t) -> int64_t {
         for (int c = 0; c < m.layout().ncpus; ++c)
             if (cpu(m, s, c).donor() == t)
                 return 1;
         return 0;
     },
     nullptr,
     "task_current_donor(): the task is some CPU's rq->donor"},
    {"holds", 2, {T, L}, Type::boolean,
     [](const Model& m, const uint8_t* s, int64_t t, int64_t l) -> int64_t { return m.holds(s, int(t), int(l) - 1); },
     nullptr,
     "the task's program is between taking the mutex and releasing it"},
    {"warned", 0, {U, U}, Type::boolean,
     [](const Model& m, const uint8_t* s, int64_t, int64_t) -> int64_t {
         return (m.view(s).warnings() & warning_bits) != 0;
     },
     nullptr,
     "a WARN_ON / MUTEX_WARN_ON of the modelled kernel code fired (kernel-protocol.md 4.1)", warnings_fired},
}};

constexpr std::array<Constant, 9> constants{{
    {"true", Type::boolean, 1},
    {"false", Type::boolean, 0},
    {"none", Type::none, 0},   // encoded per family by none_value()
    {"PROXY_WAKING", Type::proxy_waking, PROXY_WAKING},
    {"TASK_RUNNING", Type::task_state, TASK_RUNNING},
    {"TASK_UNINTERRUPTIBLE", Type::task_state, TASK_UNINTERRUPTIBLE},
    {"TASK_DEAD", Type::task_state, TASK_DEAD},
    {"TASK_ON_RQ_QUEUED", Type::on_rq, TASK_ON_RQ_QUEUED},
    {"TASK_ON_RQ_MIGRATING", Type::on_rq, TASK_ON_RQ_MIGRATING},
}};

}  // namespace

std::span<const Access> fields() { return field_table; }
std::span<const Access> predicates() { return predicate_table; }

const Access* find_field(Type object, std::string_view name)
{
    for (const Access& a : field_table)
        if (a.params[0] == object && a.name == name)
            return &a;
    return nullptr;
}

const Access* find_predicate(std::string_view name)
{
    for (const Access& a : predicate_table)
        if (a.name == name)
            return &a;
    return nullptr;
}

std::optional<Constant> find_constant(std::string_view name)
{
    for (const Constant& c : constants)
        if (c.name == name)
            return c;
    return std::nullopt;
}

std::optional<int64_t> fixed_value(const Access& a, const Model& m)
{
    if (a.name == "idle")
        return IDLE;
    if (!m.layout().g2 && a.name == "is_blocked")
        return 0;
    if (!m.layout().g2 && a.name == "blocked_donor")
        return NO_TASK;
    return std::nullopt;
}

int64_t none_value(Type t) { return t == Type::task_or_none ? NO_TASK : BLOCKED_ON_NULL; }

bool wait_list_contains(const Model& m, const uint8_t* s, int64_t l, int64_t t)
{
    return t >= 0 && t < m.layout().ntasks && lock(m, s, l).has_waiter(int(t));
}

int64_t wait_list_at(const Model& m, const uint8_t* s, int64_t l, int i)
{
    return i < m.layout().ntasks ? lock(m, s, l).wait_list()[i] : NO_TASK;
}

int64_t domain_first(Domain d) { return d == DOMAIN_LOCKS ? 1 : 0; }

int64_t domain_count(Domain d, const Model& m)
{
    const Layout& l = m.layout();
    return d == DOMAIN_TASKS ? l.ntasks : d == DOMAIN_CPUS ? l.ncpus : l.nlocks;
}

std::string render(const Model& m, const uint8_t* s, Type t, int64_t v)
{
    switch (t) {
    case Type::boolean: return v ? "true" : "false";
    case Type::cpu: return "CPU" + std::to_string(v);
    case Type::cpumask: return Model::cpumask_name(uint8_t(v));
    case Type::task:
    case Type::task_or_none:
    case Type::task_or_idle: return v == NO_TASK ? "none" : m.task_name(int(v));
    case Type::lock:
    case Type::lock_or_none:
    case Type::blocked_on:
        return v == BLOCKED_ON_NULL ? "none" : v == PROXY_WAKING ? "PROXY_WAKING" : m.lock_name(mutex_of(uint8_t(v)));
    case Type::wait_list: {
        std::string out = "[";
        for (int i = 0; wait_list_at(m, s, v, i) != NO_TASK; ++i)
            out += (i ? ", " : "") + m.task_name(int(wait_list_at(m, s, v, i)));
        return out + "]";
    }
    case Type::task_state:
        return v == TASK_RUNNING ? "TASK_RUNNING" : v == TASK_UNINTERRUPTIBLE ? "TASK_UNINTERRUPTIBLE" : "TASK_DEAD";
    case Type::on_rq:
        return v == TASK_ON_RQ_QUEUED ? "TASK_ON_RQ_QUEUED" : v == TASK_ON_RQ_MIGRATING ? "TASK_ON_RQ_MIGRATING" : "0";
    default: return std::to_string(v);
    }
}

}  // namespace pxc::props
