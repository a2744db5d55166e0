// Steps and task positions in kernel words, for traces and messages.
#include "kernel/kernel.hpp"

namespace pxc::kernel {

std::string_view step_kind_name(StepKind k)
{
    switch (k) {
    case StepKind::mutex_lock: return "mutex_lock";
    case StepKind::schedule: return "schedule_preempt_disabled";
    case StepKind::mutex_lock_woken: return "__mutex_lock_common";
    case StepKind::mutex_lock_spin: return "__mutex_lock_common";
    case StepKind::mutex_unlock: return "mutex_unlock";
    case StepKind::mutex_unlock_slowpath: return "__mutex_unlock_slowpath";
    case StepKind::try_to_wake_up: return "try_to_wake_up";
    case StepKind::ttwu_activate: return "try_to_wake_up";
    case StepKind::ttwu_out: return "try_to_wake_up";
    case StepKind::preempt: return "preempt_schedule";
    case StepKind::idle_schedule: return "schedule_idle";
    case StepKind::sched_yield: return "sched_yield";
    case StepKind::set_affinity: return "set_cpus_allowed_ptr";
    case StepKind::do_exit: return "do_exit";
    case StepKind::proxy_migrate_attach: return "proxy_migrate_task";
    case StepKind::proxy_force_return: return "proxy_force_return";
    case StepKind::proxy_force_return_attach: return "proxy_force_return";
    case StepKind::pick_again: return "__schedule";
    case StepKind::ww_mutex_set_context: return "ww_mutex_set_context_fastpath";
    case StepKind::ww_check_waiters: return "__ww_mutex_check_waiters";
    case StepKind::ww_mutex_unlock: return "ww_mutex_unlock";
    case StepKind::ww_acquire_init: return "ww_acquire_init";
    case StepKind::ww_acquire_done: return "ww_acquire_done";
    case StepKind::ww_acquire_fini: return "ww_acquire_fini";
    case StepKind::barrier: return "wait_for_completion";
    case StepKind::count_: break;
    }
    return "?";
}

namespace {

const char* task_pc_name(uint8_t pc)
{
    switch (pc) {
    case OP_START: return "start";
    case LOCK_SCHEDULE: return "before schedule";
    case LOCK_WOKEN: return "after schedule";
    case LOCK_SPIN: return "optimistic spin";
    case UNLOCK_WAIT_LOCK: return "before wait_lock";
    case UNLOCK_CAS: return "blocked_donor read, before the release cmpxchg";
    case WAKE_UP_Q: return "wake_up_q";
    case TTWU_ACTIVATE: return "try_to_wake_up, pi_lock held";
    case TTWU_OUT: return "try_to_wake_up out:";
    case EXITED: return "exited";
    case WW_SET_CONTEXT: return "fast path taken, before ww_mutex_set_context_fastpath";
    case WW_CHECK_WAITERS: return "ww_mutex_set_context_fastpath, before wait_lock";
    case WW_UNLOCK_MUTEX: return "after __ww_mutex_unlock";
    default: return "?";
    }
}

}  // namespace

std::string Model::step_function(Label l) const
{
    return std::string(step_kind_name(Step::unpack(l).kind));
}

std::string Model::describe_step(Label l) const
{
    const Step st = Step::unpack(l);
    std::string who = st.task == NO_TASK ? "" : task_name(st.task) + ": ";
    std::string what(step_kind_name(st.kind));
    switch (st.kind) {
    case StepKind::mutex_lock:
    case StepKind::mutex_unlock:
        break;
    case StepKind::try_to_wake_up:
    case StepKind::ttwu_out:
        what += "(" + task_name(st.arg) + ")";
        break;
    case StepKind::ttwu_activate:
        what += " -> CPU" + std::to_string(st.arg);
        break;
    default:
        break;
    }
    return "CPU" + std::to_string(st.cpu) + " " + who + what;
}

std::string Model::where(int t, const uint8_t* s) const
{
    auto task = view(s).task(t);
    const Program& prog = program(t);
    if (task.pc() == EXITED)
        return "exited";
    if (task.pc_op() >= prog.size())
        return "end of program";
    std::string backoff;
    if (layout_.ww && task.backoff() != BO_NONE) {
        const CurrentOp op = current_op(s, t);
        backoff = ", -EDEADLK back-off: " + std::string(op.kind == OpKind::unlock ? "unlock " : "lock ") +
                  lock_name(op.lock);
    }
    return prog.ops[task.pc_op()].text + " (" + task_pc_name(task.pc()) + backoff + ")";
}

}  // namespace pxc::kernel
