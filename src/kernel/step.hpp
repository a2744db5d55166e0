// A step label: what one atomic step did, packed into the explorer's 64-bit
// label so that a trace can be replayed choice by choice.
#pragma once
#include <cstdint>
#include <string_view>

namespace pxc::kernel {

enum class StepKind : uint8_t {
    mutex_lock,             // mutex_lock(): fast path, else __mutex_lock_common() up to schedule
    schedule,               // schedule_preempt_disabled() in __mutex_lock_common()
    mutex_lock_woken,       // __mutex_lock_common(): back from schedule(), wait_lock retaken
    mutex_lock_spin,        // __mutex_lock_common(): after the (compiled out) optimistic spin
    mutex_unlock,           // mutex_unlock(): fast path / __mutex_unlock_slowpath() cmpxchg loop
    mutex_unlock_slowpath,  // __mutex_unlock_slowpath(): wait_lock section
    try_to_wake_up,         // wake_up_q() -> try_to_wake_up(): pi_lock, ttwu_runnable
    ttwu_activate,          // try_to_wake_up(): select_task_rq + ttwu_queue
    ttwu_out,               // try_to_wake_up(): out: clear_task_blocked_on()
    preempt,                // preemption: __schedule(SM_PREEMPT)
    idle_schedule,          // the idle task calls schedule()
    sched_yield,            // sched_yield()
    set_affinity,           // set_cpus_allowed_ptr(current)
    do_exit,                // do_exit(): __schedule with TASK_DEAD
    proxy_migrate_attach,   // proxy_migrate_task(): enqueue on the owner's CPU
    proxy_force_return,     // proxy_force_return(): task_rq_lock(p), dequeue, select_task_rq
    proxy_force_return_attach, // proxy_force_return(): enqueue on the chosen CPU
    pick_again,             // __schedule(): rq lock retaken, pick_again
    ww_mutex_set_context,   // ww_mutex_set_context_fastpath(): ww->ctx = ctx, read WAITERS
    ww_check_waiters,       // ww_mutex_set_context_fastpath(): __ww_mutex_check_waiters() under wait_lock
    ww_mutex_unlock,        // ww_mutex_unlock(): __ww_mutex_unlock()
    ww_acquire_init,        // ww_acquire_init()
    ww_acquire_done,        // ww_acquire_done()
    ww_acquire_fini,        // ww_acquire_fini()
    barrier,                // the test's completion: every task with a barrier has reached it
    count_
};

struct Step {
    StepKind kind = StepKind::mutex_lock;
    uint8_t cpu = 0;
    uint8_t task = 0xFF;    // the task executing (0xFF: the CPU's scheduler / idle)
    uint8_t arg = 0xFF;     // a chosen CPU (select_task_rq)
    uint32_t picks = 0;     // pick_next_task choices, 4 bits each: task + 1, idle = 15

    uint64_t pack() const
    {
        return uint64_t(kind) | uint64_t(cpu) << 8 | uint64_t(task) << 16 | uint64_t(arg) << 24 | uint64_t(picks) << 32;
    }
    static Step unpack(uint64_t l)
    {
        return Step{StepKind(l & 0xFF), uint8_t(l >> 8), uint8_t(l >> 16), uint8_t(l >> 24), uint32_t(l >> 32)};
    }
    void add_pick(int t)
    {
        int n = 0;
        while (n < 8 && ((picks >> (4 * n)) & 0xF))
            ++n;
        picks |= uint32_t(t == 0xFE ? 15 : t + 1) << (4 * n);
    }
};

std::string_view step_kind_name(StepKind k);

}  // namespace pxc::kernel
