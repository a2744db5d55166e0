// Internal to src/kernel: the context a step runs in, and the kernel
// functions the step files model. Names drop the kernel's leading "__"
// (C++ reserves them): __mutex_handoff is mutex_handoff here.
#pragma once
#include <string>

#include "kernel/model.hpp"

namespace pxc::kernel {

// One atomic step being built: the state copy it writes, the label, and the
// narration (only when describing a trace).
struct Ctx {
    const Model& m;
    Emit emit;
    std::string* log;      // null during the search
    Step step;

    bool has(Feature f) const { return m.has(f); }
    bool narrating() const { return log != nullptr; }
    void say(const std::string& text) const
    {
        if (log) {
            if (!log->empty())
                *log += "; ";
            *log += text;
        }
    }
    std::string name(int t) const { return m.task_name(t); }
    std::string lname(int l) const { return m.lock_name(l); }
    void done(const uint8_t* next) const { emit(step.pack(), next, log); }
};

// Narration: the text is only built when a trace is being described, never
// during the search (string building was ~8% of the search's time).
#define PXC_SAY(ctx, ...) ((ctx).narrating() ? (ctx).say(__VA_ARGS__) : void())

// A writable copy of a state for one branch.
struct Scratch {
    uint8_t buf[max_state_bytes];
    Sys sys;
    Scratch(const Layout& l, const uint8_t* from) : sys{&l, buf} { std::memcpy(buf, from, l.size); }
};

// Restores the narration after a branch, so siblings do not inherit it.
struct LogMark {
    std::string* log;
    size_t len;
    explicit LogMark(const Ctx& c) : log(c.log), len(c.log ? c.log->size() : 0) {}
    ~LogMark()
    {
        if (log)
            log->resize(len);
    }
};

void warn(const Ctx& ctx, const Sys& s, Warning w, const std::string& what);

// include/linux/sched.h: blocked_on helpers [p->blocked_lock held]
void set_task_blocked_on(const Ctx& ctx, const Sys& s, int p, int m);
void clear_task_blocked_on(const Ctx& ctx, const Sys& s, int p, int m /* -1: NULL */);
void set_task_blocked_on_waking(const Ctx& ctx, const Sys& s, int p, int m /* -1: NULL */);
bool task_is_blocked(const Ctx& ctx, const ConstSys& s, int p);
// A waker marks p waking: PROXY_WAKING with proxy_waking, else blocked_on = NULL.
void mark_waking(const Ctx& ctx, const Sys& s, int p, int m /* -1: NULL */);
// A woken donor that must be placed before it runs: G1 blocked_on ==
// PROXY_WAKING, v7.2 is_blocked with blocked_on cleared.
bool task_is_waking(const Ctx& ctx, const ConstSys& s, int p);

// kernel/locking/mutex.c
void mutex_lock(Ctx& ctx, Sys s, int cpu, int t);
void mutex_lock_woken(Ctx& ctx, Sys s, int cpu, int t);
void mutex_lock_spin(Ctx& ctx, Sys s, int cpu, int t);
void mutex_unlock(Ctx& ctx, Sys s, int cpu, int t);
void mutex_unlock_slowpath(Ctx& ctx, Sys s, int cpu, int t);
void advance(const Ctx& ctx, const Sys& s, int t);   // the task's operation is complete
void wake_up_q_done(const Ctx& ctx, const Sys& s, int t);   // the wake_q is empty: back to the caller

// kernel/locking/ww_mutex.h
bool ww_mutex_add_waiter(const Ctx& ctx, const Sys& s, int m, int t, bool with_ctx);   // true: -EDEADLK
bool ww_mutex_check_kill(const Ctx& ctx, const Sys& s, int m, int t);                  // true: -EDEADLK
void ww_mutex_check_waiters(const Ctx& ctx, const Sys& s, int m, int curr);
void ww_mutex_lock_acquired(const Ctx& ctx, const Sys& s, int m, int t);
bool ww_mutex_lock_ealready(const Ctx& ctx, const Sys& s, int m, int t);
void ww_mutex_lock_edeadlk(const Ctx& ctx, const Sys& s, int m, int t);
bool ww_backoff_next(const Ctx& ctx, const Sys& s, int t);
void ww_mutex_set_context(Ctx& ctx, Sys s, int cpu, int t);
void ww_check_waiters(Ctx& ctx, Sys s, int cpu, int t);
void ww_mutex_unlock(Ctx& ctx, Sys s, int cpu, int t);
void ww_acquire_init(Ctx& ctx, Sys s, int cpu, int t);
void ww_acquire_done(Ctx& ctx, Sys s, int cpu, int t);
void ww_acquire_fini(Ctx& ctx, Sys s, int cpu, int t);
void barrier_wait(Ctx& ctx, Sys s, int cpu, int t);

// kernel/sched/core.c: wakeups
void wake_q_add(const Ctx& ctx, const Sys& s, int head, int p);
void wake_up_q(Ctx& ctx, Sys s, int cpu, int t);
void ttwu_activate(Ctx& ctx, Sys s, int cpu, int t);
void ttwu_out(Ctx& ctx, Sys s, int cpu, int t);

// kernel/sched/core.c: __schedule and the CPU-side steps
void schedule(Ctx& ctx, const Sys& s, int cpu, bool preempt);   // emits every outcome
void pick_again(Ctx& ctx, const Sys& s, int cpu);
void sched_continue(Ctx& ctx, Sys s, int cpu);                  // a CPU inside multi-step __schedule
void sched_yield(Ctx& ctx, Sys s, int cpu, int t);
void set_affinity(Ctx& ctx, Sys s, int cpu, int t);
void do_exit(Ctx& ctx, Sys s, int cpu, int t);
bool rq_has_queued(const ConstSys& s, int cpu);

// kernel/sched/core.c: find_proxy_task and its helpers
enum class FptKind { run, idle, repick, deferred, stuck };
struct FptResult {
    FptKind kind;
    int task = NO_TASK;
};
FptResult find_proxy_task(const Ctx& ctx, const Sys& s, int cpu, int donor);
FptResult find_proxy_task_is_blocked(const Ctx& ctx, const Sys& s, int cpu, int donor);   // v7.2
void proxy_resched_idle(const Ctx& ctx, const Sys& s, int cpu);
FptResult proxy_migrate_task(const Ctx& ctx, const Sys& s, int cpu, int p, int target);
std::string chain_text(const Ctx& ctx, const ConstSys& s, int donor, int until);
bool revisits(const Ctx& ctx, const Sys& s, int cpu, int p, uint32_t& visited);

// The model's own counters (not part of the state): steps of interest seen
// during the search, for the statistics.
void count_event(const Ctx& ctx, Model::Event e);

}  // namespace pxc::kernel
