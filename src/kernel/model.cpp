// The model's entry points: layout and initial state from the scenario, and
// the enabled steps of a state, CPU by CPU.
#include "kernel/model.hpp"

#include <algorithm>

#include "kernel/kernel.hpp"

namespace pxc::kernel {

Model::Model(const Scenario& scenario, FeatureSet features)
    : scenario_(scenario), features_(features),
      layout_(scenario.cpus, int(scenario.tasks.size()), int(scenario.locks.size()),
              std::ranges::any_of(scenario.locks, [](const LockDecl& l) { return l.type == LockType::ww_mutex; }),
              features.has(Feature::is_blocked) || features.has(Feature::blocked_donor))
{
    validate_features(features_, scenario_.at(scenario_.features_line));
    for (const TaskDecl& task : scenario_.tasks)
        programs_.emplace_back(task, scenario_.locks);
    if (layout_.size > max_state_bytes)
        throw Error(scenario_.at(0), "scenario too large for the state layout");
}

void Model::initial_state(uint8_t* out) const
{
    std::memset(out, 0, layout_.size);
    Sys s{&layout_, out};
    for (int t = 0; t < layout_.ntasks; ++t) {
        const TaskDecl& decl = scenario_.tasks[size_t(t)];
        auto task = s.task(t);
        task.pc_op() = 0;
        task.pc() = OP_START;
        task.state() = TASK_RUNNING;
        task.on_rq() = TASK_ON_RQ_QUEUED;   // woken at start, queued on its CPU
        task.cpu() = uint8_t(decl.cpu);
        task.wake_cpu() = uint8_t(decl.cpu);
        task.cpus_mask() = uint8_t(decl.affinity);
        task.blocked_on() = BLOCKED_ON_NULL;
        task.wake_q() = 0;
        task.wake_target() = NO_TASK;
    }
    for (int m = 0; m < layout_.nlocks; ++m) {
        auto lock = s.lock(m);
        lock.owner() = NO_TASK;
        lock.flags() = 0;
        if (layout_.ww)
            lock.ww_ctx() = NO_TASK;
        std::memset(lock.wait_list(), NO_TASK, size_t(layout_.ntasks));
    }
    for (int c = 0; c < layout_.ncpus; ++c) {
        auto rq = s.cpu(c);
        rq.curr() = IDLE;
        rq.donor() = IDLE;
        rq.sched() = SCHED_NONE;
        rq.arg_task() = NO_TASK;
        rq.arg_cpu() = NO_TASK;
    }
}

namespace {

using StepFn = void (*)(Ctx&, Sys, int, int);

// The step the task running on a CPU takes next, by where it is.
void task_step(Ctx& ctx, const Sys& s, int cpu, int t)
{
    const Model& m = ctx.m;
    auto task = s.task(t);
    StepKind kind = StepKind::do_exit;
    StepFn fn = nullptr;
    bool preemptible = false;
    switch (task.pc()) {
    case OP_START: {
        preemptible = true;
        const CurrentOp op = m.current_op(s.bytes, t);
        switch (op.kind) {
        case OpKind::lock: kind = StepKind::mutex_lock, fn = mutex_lock; break;
        case OpKind::unlock:
            // ww_mutex_unlock(): __ww_mutex_unlock() first when ww->ctx is set
            if (s.l->ww && s.lock(op.lock).ww_ctx() != NO_TASK)
                kind = StepKind::ww_mutex_unlock, fn = ww_mutex_unlock;
            else
                kind = StepKind::mutex_unlock, fn = mutex_unlock;
            break;
        case OpKind::yield: kind = StepKind::sched_yield, fn = sched_yield; break;
        case OpKind::set_affinity: kind = StepKind::set_affinity, fn = set_affinity; break;
        case OpKind::ww_acquire_init: kind = StepKind::ww_acquire_init, fn = ww_acquire_init; break;
        case OpKind::ww_acquire_done: kind = StepKind::ww_acquire_done, fn = ww_acquire_done; break;
        case OpKind::ww_acquire_fini: kind = StepKind::ww_acquire_fini, fn = ww_acquire_fini; break;
        case OpKind::barrier: kind = StepKind::barrier, fn = barrier_wait; break;
        case OpKind::repeat: kind = StepKind::do_exit, fn = do_exit; break;   // past the end
        }
        break;
    }
    case WW_SET_CONTEXT:
        preemptible = true;
        kind = StepKind::ww_mutex_set_context, fn = ww_mutex_set_context;
        break;
    case WW_CHECK_WAITERS:
        preemptible = true;
        kind = StepKind::ww_check_waiters, fn = ww_check_waiters;
        break;
    case WW_UNLOCK_MUTEX:
        preemptible = true;
        kind = StepKind::mutex_unlock, fn = mutex_unlock;
        break;
    case LOCK_SCHEDULE:
        kind = StepKind::schedule;
        fn = [](Ctx& c, Sys st, int cpu_, int t_) {
            st.task(t_).pc() = LOCK_WOKEN;
            schedule(c, st, cpu_, false);
        };
        break;
    case LOCK_WOKEN: kind = StepKind::mutex_lock_woken, fn = mutex_lock_woken; break;
    case LOCK_SPIN: kind = StepKind::mutex_lock_spin, fn = mutex_lock_spin; break;
    case UNLOCK_CAS:
        preemptible = !m.has(Feature::unlock_preempt_guard);
        kind = StepKind::mutex_unlock, fn = mutex_unlock;
        break;
    case UNLOCK_WAIT_LOCK:
        preemptible = !m.has(Feature::unlock_preempt_guard);
        kind = StepKind::mutex_unlock_slowpath, fn = mutex_unlock_slowpath;
        break;
    case WAKE_UP_Q: kind = StepKind::try_to_wake_up, fn = wake_up_q; break;
    case TTWU_ACTIVATE: kind = StepKind::ttwu_activate, fn = ttwu_activate; break;
    case TTWU_OUT: kind = StepKind::ttwu_out, fn = ttwu_out; break;
    default: return;
    }
    {
        LogMark mark(ctx);
        Scratch next(*s.l, s.bytes);
        ctx.step = Step{kind, uint8_t(cpu), uint8_t(t)};
        fn(ctx, next.sys, cpu, t);
    }
    if (preemptible) {
        LogMark mark(ctx);
        Scratch next(*s.l, s.bytes);
        ctx.step = Step{StepKind::preempt, uint8_t(cpu), uint8_t(t)};
        schedule(ctx, next.sys, cpu, true);
    }
}

StepKind sched_step_kind(uint8_t sched)
{
    switch (sched) {
    case SCHED_MIGRATE_ATTACH: return StepKind::proxy_migrate_attach;
    case SCHED_FORCE_RETURN: return StepKind::proxy_force_return;
    case SCHED_FORCE_RETURN_ATTACH: return StepKind::proxy_force_return_attach;
    default: return StepKind::pick_again;
    }
}

}  // namespace

void count_event(const Ctx& ctx, Model::Event e)
{
    if (!ctx.narrating())
        ctx.m.events_[e].v.fetch_add(1, std::memory_order_relaxed);
}

void Model::successors(const uint8_t* bytes, Emit emit, bool narrate) const
{
    std::string log;
    Ctx ctx{*this, emit, narrate ? &log : nullptr, Step{}};
    ConstSys cs{&layout_, bytes};
    Sys s{&layout_, const_cast<uint8_t*>(bytes)};   // steps copy before writing (Scratch)
    for (int c = 0; c < layout_.ncpus; ++c) {
        auto rq = cs.cpu(c);
        if (rq.sched() != SCHED_NONE) {
            if (rq.sched() == SCHED_STUCK)
                continue;
            Scratch next(layout_, bytes);
            ctx.step = Step{sched_step_kind(rq.sched()), uint8_t(c)};
            sched_continue(ctx, next.sys, c);
        } else if (rq.curr() == IDLE) {
            if (!rq_has_queued(cs, c))
                continue;
            Scratch next(layout_, bytes);
            ctx.step = Step{StepKind::idle_schedule, uint8_t(c)};
            schedule(ctx, next.sys, c, true);
        } else {
            task_step(ctx, s, c, rq.curr());
        }
        log.clear();
    }
}

explorer::StepCost Model::step_cost(Label l, const uint8_t* before, const uint8_t* after) const
{
    explorer::StepCost cost;
    cost.major = Step::unpack(l).kind == StepKind::preempt;
    const ConstSys a = view(before), b = view(after);
    for (int c = 0; c < layout_.ncpus && !cost.minor; ++c)
        cost.minor = a.cpu(c).curr() != b.cpu(c).curr();
    return cost;
}

std::string Model::task_name(int t) const
{
    if (t == IDLE)
        return "idle";
    if (t == NO_TASK || t < 0 || t >= layout_.ntasks)
        return "NULL";
    return scenario_.tasks[size_t(t)].name;
}

std::string Model::lock_name(int m) const
{
    if (m < 0 || m >= layout_.nlocks)
        return "NULL";
    return scenario_.locks[size_t(m)].name;
}

std::string Model::blocked_on_name(uint8_t blocked_on) const
{
    if (blocked_on == BLOCKED_ON_NULL)
        return "NULL";
    if (blocked_on == PROXY_WAKING)
        return "PROXY_WAKING";
    return lock_name(mutex_of(blocked_on));
}

std::string Model::cpumask_name(uint8_t mask)
{
    std::string out = "{";
    for (int c = 0; c < 8; ++c)
        if (mask & (1u << c))
            out += (out.size() > 1 ? "," : "") + std::to_string(c);
    return out + "}";
}

CurrentOp Model::current_op(const uint8_t* bytes, int t) const
{
    auto task = view(bytes).task(t);
    if (layout_.ww && task.backoff() != BO_NONE)
        return {task.backoff() == BO_UNLOCK ? OpKind::unlock : OpKind::lock, task.backoff_lock(), true};
    const Program& prog = program(t);
    if (task.pc_op() >= prog.size())
        return {};
    const Op& op = prog.ops[task.pc_op()];
    return {op.kind, op.lock, prog.uses_ctx[task.pc_op()] != 0};
}

int Model::waits_for(const uint8_t* bytes, int t) const
{
    const uint8_t pc = view(bytes).task(t).pc();
    const CurrentOp op = current_op(bytes, t);
    if (op.kind != OpKind::lock)
        return -1;
    if (pc == LOCK_SCHEDULE || pc == LOCK_WOKEN || pc == LOCK_SPIN)
        return op.lock;
    // a queued waiter running the die/wound wake_q before it sleeps
    const bool waking_others = pc == WAKE_UP_Q || pc == TTWU_ACTIVATE || pc == TTWU_OUT;
    return waking_others && view(bytes).lock(op.lock).has_waiter(t) ? op.lock : -1;
}

// A ww_mutex the program takes in its acquire context (before or by the
// current operation) is held while ctx->acquired counts it
// (ww_mutex_lock_acquired() .. __ww_mutex_unlock()); that also covers the
// back-off and a lock given up after -EDEADLK.
bool Model::holds(const uint8_t* bytes, int t, int m) const
{
    auto task = view(bytes).task(t);
    const Program& prog = program(t);
    const int pc_op = task.pc_op();
    if (layout_.ww && pc_op < prog.size() &&
        ((prog.ctx_held_before[size_t(pc_op)] | prog.ctx_held_before[size_t(pc_op) + 1]) & (1u << m)))
        return task.ww_acquired() & (1u << m);
    if (!(prog.held_before[task.pc_op()] & (1u << m)))
        return false;
    // an unlock past its release cmpxchg no longer holds the lock
    if (task.pc_op() < prog.size() && prog.ops[task.pc_op()].kind == OpKind::unlock &&
        prog.ops[task.pc_op()].lock == m && task.pc() != OP_START)
        return false;
    return true;
}

}  // namespace pxc::kernel
