// The system state as a packed, canonical byte string, and typed views on it.
// The layout is computed once from the scenario (number of CPUs, tasks,
// locks); nothing outside this file knows a byte offset. Every byte has one
// meaning and unused slots are canonical (0xFF), so hashing and comparing
// the bytes is comparing states.
//
// Names follow the kernel (task_struct, struct mutex, struct rq). The model
// keeps a mutex's waiters as an ordered wait_list although v7.1 stores a
// first_waiter pointer into a circular list: same order, simpler bytes.
#pragma once
#include <cstdint>
#include <cstring>

namespace pxc::kernel {

inline constexpr uint8_t NO_TASK = 0xFF;   // owner == NULL, empty wait_list slot
inline constexpr uint8_t IDLE = 0xFE;      // rq->idle in rq->curr / rq->donor

// p->blocked_on: NULL, a mutex (index + 1) or the PROXY_WAKING sentinel.
inline constexpr uint8_t BLOCKED_ON_NULL = 0;
inline constexpr uint8_t PROXY_WAKING = 0xFF;
inline constexpr uint8_t blocked_on_mutex(int lock) { return static_cast<uint8_t>(lock + 1); }
inline constexpr bool is_mutex(uint8_t blocked_on) { return blocked_on != BLOCKED_ON_NULL && blocked_on != PROXY_WAKING; }
inline constexpr int mutex_of(uint8_t blocked_on) { return blocked_on - 1; }

// p->__state
enum TaskState : uint8_t { TASK_RUNNING = 0, TASK_UNINTERRUPTIBLE = 1, TASK_DEAD = 2 };
// p->on_rq
enum OnRq : uint8_t { NOT_ON_RQ = 0, TASK_ON_RQ_QUEUED = 1, TASK_ON_RQ_MIGRATING = 2 };
// lock->owner low bits
enum MutexFlag : uint8_t { MUTEX_FLAG_WAITERS = 0x01, MUTEX_FLAG_HANDOFF = 0x02, MUTEX_FLAG_PICKUP = 0x04 };

// Where a task is inside the kernel code of its current program operation.
// OP_START is "about to start operation pc_op" (preemptible); the others are
// the points between the atomic steps of mutex.cpp and wakeup.cpp.
enum TaskPc : uint8_t {
    OP_START = 0,
    LOCK_SCHEDULE,     // __mutex_lock_common: waiter queued, about to schedule_preempt_disabled()
    LOCK_WOKEN,        // __mutex_lock_common: back from schedule(), about to retake wait_lock
    LOCK_SPIN,         // __mutex_lock_common: first waiter dropped the locks around mutex_optimistic_spin()
    UNLOCK_WAIT_LOCK,  // __mutex_unlock_slowpath: owner released or HANDOFF seen, about to take wait_lock
    UNLOCK_CAS,        // __mutex_unlock_slowpath (blocked_donor): read blocked_donor NULL, about to cmpxchg
    WAKE_UP_Q,         // wake_up_q: next try_to_wake_up of the task's wake_q
    TTWU_ACTIVATE,     // try_to_wake_up: pi_lock held, task off the rq, waiting for !on_cpu
    TTWU_OUT,          // try_to_wake_up: at out:, about to clear blocked_on
    EXITED,            // do_exit done
    WW_SET_CONTEXT,    // ww_mutex_lock: fast path took the owner, about to ww_mutex_set_context_fastpath()
    WW_CHECK_WAITERS,  // ww_mutex_set_context_fastpath: saw WAITERS, about to take wait_lock
    WW_UNLOCK_MUTEX,   // ww_mutex_unlock: __ww_mutex_unlock() done, about to mutex_unlock()
};

// What a CPU is doing in __schedule() across steps (the rq lock is dropped in between).
enum SchedPc : uint8_t {
    SCHED_NONE = 0,           // not in __schedule (rq->curr runs)
    SCHED_MIGRATE_ATTACH,     // proxy_migrate_task: p MIGRATING, about to take the target rq lock
    SCHED_FORCE_RETURN,       // proxy_force_return: rq lock dropped, about to task_rq_lock(p)
    SCHED_FORCE_RETURN_ATTACH,// proxy_force_return: p MIGRATING, about to take the target rq lock
    SCHED_PICK_AGAIN,         // __schedule: about to retake the rq lock and pick again
    SCHED_STUCK,              // find_proxy_task walks a blocked_on cycle forever, rq lock held
};

// Kernel warnings (kernel-protocol.md section 4.1), one bit each in the state.
enum Warning : uint8_t {
    W_A2_SET_BLOCKED_ON = 0,   // __set_task_blocked_on: blocked_on already a different value
    W_A3_CLEAR_BLOCKED_ON,     // __clear_task_blocked_on: clearing a different mutex
    W_A4_SET_WAKING,           // __set_task_blocked_on_waking: blocked_on not m / PROXY_WAKING
    W_A6_UNLOCK_OWNER,         // __mutex_unlock_slowpath: owner != current or PICKUP set
    W_A7_TRYLOCK_FLAGS,        // __mutex_trylock_common: free owner word with HANDOFF/PICKUP
    W_A8_OWNER_NOT_ON_RQ,      // find_proxy_task: returned owner not on_rq
    W_A9_MIGRATE_CURR,         // proxy_migrate_task: p == rq->curr
    W_A10_FORCE_RETURN_CURR,   // proxy_force_return: p is current on its rq
    W_A5_ERR_BLOCKED_ON,       // __mutex_lock_common err_early_kill: blocked_on still set
    W_A15_WW_ACQUIRED,         // ww_mutex_lock_acquired: ww->ctx set, after ww_acquire_done, or wrong lock after -EDEADLK
    W_A15_WW_KILL,             // __ww_mutex_kill: contending_lock already set
    W_A15_WW_UNLOCK,           // __ww_mutex_unlock: lock->ctx->acquired == 0
    W_A15_WW_FINI,             // ww_acquire_fini: ctx->acquired != 0
    W_A16_DEACTIVATE_RUNNING,  // v7.2 proxy_deactivate: the task is TASK_RUNNING (PeterZ: must not happen)
    WARNING_COUNT
};
// Model events that are not kernel warnings share the field, above them.
enum ModelEvent : uint8_t {
    EV_BLOCKED_DONOR_INVALID = 15,   // the unlock slowpath handed off to a blocked_donor not waiting for the lock
};
static_assert(int(WARNING_COUNT) <= int(EV_BLOCKED_DONOR_INVALID), "warnings and events share a 16-bit field");

// struct ww_acquire_ctx flags, and where the caller's -EDEADLK back-off is.
enum WwFlag : uint8_t {
    WW_WOUNDED = 0x01,        // ctx->wounded
    WW_DONE_ACQUIRE = 0x02,   // ctx->done_acquire (ww_acquire_done)
    WW_GOT_EDEADLK = 0x04,    // some ww_mutex_lock of this task returned -EDEADLK (sticky, for properties)
    WW_GAVE_UP = 0x08,        // the caller kept an -EDEADLK as its result (backoff none / once; sticky)
};
// The caller's back-off after -EDEADLK (test-ww_mutex.c, stress_inorder_work):
// release every lock of the context, ww_mutex_lock_slow() the contended one,
// take the others again in program order.
enum WwBackoff : uint8_t {
    BO_NONE = 0,
    BO_EDEADLK,   // the lock operation in flight returns -EDEADLK when it completes
    BO_UNLOCK,    // releasing bo_lock, then the other locks of the context
    BO_SLOW,      // ww_mutex_lock_slow(contending_lock)
    BO_RELOCK,    // taking bo_lock again, then the rest
};

// ww: the scenario has ww_mutexes; only then do tasks carry an acquire
// context and locks a ww->ctx (plain-mutex states stay as small as before).
// g2: the v7.2 fields p->is_blocked and p->blocked_donor are present (one
// byte per task, only when the feature set uses them).
struct Layout {
    int ncpus = 0, ntasks = 0, nlocks = 0;
    bool ww = false, g2 = false;
    size_t task_off = 0, lock_off = 0, cpu_off = 0, global_off = 0, size = 0;
    // Derived from ww and g2 once: every view of every step reads them.
    size_t task_size = 10, lock_size = 2, g2_at = 10;
    int wait_list_at = 2;

    static constexpr size_t cpu_bytes = 5;
    size_t g2_off() const { return g2_at; }
    size_t task_bytes() const { return task_size; }
    size_t lock_bytes() const { return lock_size; }

    Layout() = default;
    Layout(int cpus, int tasks, int locks, bool ww = false, bool g2 = false);
};

// Typed views: B is uint8_t (writable) or const uint8_t.
template <class B>
struct TaskViewT {
    B* p;
    size_t g2 = 10;                             // offset of the v7.2 byte
    auto& pc_op() const { return p[0]; }        // index of the program operation
    auto& pc() const { return p[1]; }           // TaskPc inside it
    auto& state() const { return p[2]; }        // p->__state
    auto& on_rq() const { return p[3]; }        // p->on_rq
    auto& cpu() const { return p[4]; }          // task_cpu(p)
    auto& wake_cpu() const { return p[5]; }     // p->wake_cpu
    auto& cpus_mask() const { return p[6]; }    // p->cpus_mask, one bit per CPU
    auto& blocked_on() const { return p[7]; }   // p->blocked_on (blocked_lock)
    auto& wake_q() const { return p[8]; }       // tasks in this task's on-stack wake_q, one bit each
    auto& wake_target() const { return p[9]; }  // task this one is waking in try_to_wake_up
    // struct ww_acquire_ctx of the task (ww layouts only)
    auto& ww_stamp() const { return p[10]; }    // ctx->stamp as a rank among live contexts, 0: no context
    auto& ww_acquired() const { return p[11]; } // locks acquired in the context, one bit each (ctx->acquired = popcount)
    auto& ww_flags() const { return p[12]; }    // WwFlag bits | WwBackoff << 4
    auto& ww_locks() const { return p[13]; }    // contending_lock + 1 (low nibble), back-off lock + 1 (high nibble)

    uint8_t backoff() const { return uint8_t(p[12] >> 4); }
    void set_backoff(uint8_t b) const { p[12] = uint8_t((p[12] & 0x0F) | (b << 4)); }
    int contending_lock() const { return (p[13] & 0x0F) - 1; }
    void set_contending_lock(int m) const { p[13] = uint8_t((p[13] & 0xF0) | (m + 1)); }
    int backoff_lock() const { return (p[13] >> 4) - 1; }
    void set_backoff_lock(int m) const { p[13] = uint8_t((p[13] & 0x0F) | ((m + 1) << 4)); }

    // v7.2 (g2 layouts only): p->is_blocked, p->blocked_donor
    bool is_blocked() const { return p[g2] & 0x80; }
    void set_is_blocked(bool b) const { p[g2] = uint8_t((p[g2] & 0x7F) | (b ? 0x80 : 0)); }
    int blocked_donor() const { return (p[g2] & 0x0F) == 0 ? NO_TASK : (p[g2] & 0x0F) - 1; }
    void set_blocked_donor(int d) const { p[g2] = uint8_t((p[g2] & 0xF0) | (d == NO_TASK ? 0 : d + 1)); }
};

template <class B>
struct LockViewT {
    B* p;
    int ntasks;
    int wl_off;                                 // 2, or 3 with the ww->ctx byte
    auto& owner() const { return p[0]; }        // __owner_task(lock->owner), NO_TASK when free
    auto& flags() const { return p[1]; }        // MUTEX_FLAG_* bits of lock->owner
    auto& ww_ctx() const { return p[2]; }       // ww->ctx: the task whose context holds it, NO_TASK (ww layouts only)
    B* wait_list() const { return p + wl_off; } // waiters in order, NO_TASK padded (wait_lock)

    int waiters() const
    {
        int n = 0;
        while (n < ntasks && p[wl_off + n] != NO_TASK)
            ++n;
        return n;
    }
    uint8_t first_waiter() const { return p[wl_off]; }
    int waiter_index(int t) const
    {
        for (int i = 0; i < ntasks && p[wl_off + i] != NO_TASK; ++i)
            if (p[wl_off + i] == t)
                return i;
        return -1;
    }
    bool has_waiter(int t) const { return waiter_index(t) >= 0; }
};

template <class B>
struct CpuViewT {
    B* p;
    auto& curr() const { return p[0]; }         // rq->curr: execution context
    auto& donor() const { return p[1]; }        // rq->donor: scheduling context
    auto& sched() const { return p[2]; }        // SchedPc
    auto& arg_task() const { return p[3]; }     // task being migrated / returned
    auto& arg_cpu() const { return p[4]; }      // its target CPU
};

// A whole state over a byte buffer.
template <class B>
struct SysT {
    const Layout* l;
    B* bytes;

    TaskViewT<B> task(int t) const { return {bytes + l->task_off + size_t(t) * l->task_size, l->g2_at}; }
    LockViewT<B> lock(int m) const
    {
        return {bytes + l->lock_off + size_t(m) * l->lock_bytes(), l->ntasks, l->wait_list_at};
    }
    CpuViewT<B> cpu(int c) const { return {bytes + l->cpu_off + size_t(c) * Layout::cpu_bytes}; }
    // Warning bits, 16 of them, little-endian in two bytes
    uint16_t warnings() const { return uint16_t(bytes[l->global_off] | bytes[l->global_off + 1] << 8); }
    void warn(Warning w) const { bytes[l->global_off + (w >> 3)] |= uint8_t(1u << (w & 7)); }

    // task_on_cpu(): the task is some CPU's rq->curr.
    int running_on(int t) const
    {
        for (int c = 0; c < l->ncpus; ++c)
            if (cpu(c).curr() == t)
                return c;
        return -1;
    }
    // A task's pi_lock is held by a try_to_wake_up spinning on p->on_cpu.
    bool pi_locked(int t) const
    {
        for (int w = 0; w < l->ntasks; ++w)
            if (task(w).pc() == TTWU_ACTIVATE && task(w).wake_target() == t)
                return true;
        return false;
    }
    bool in_wake_q(int t) const
    {
        for (int w = 0; w < l->ntasks; ++w)
            if (task(w).wake_q() & (1u << t))
                return true;
        return false;
    }
};

using Sys = SysT<uint8_t>;
using ConstSys = SysT<const uint8_t>;
inline ConstSys as_const(const Sys& s) { return {s.l, s.bytes}; }

}  // namespace pxc::kernel
