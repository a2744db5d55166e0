// Partial-order reduction: footprints, the other CPUs' influence, and the
// ample choice (por.hpp). Where in doubt an object counts as touched.
#include "kernel/por.hpp"

#include <cstring>

#include "kernel/program.hpp"
#include "kernel/step.hpp"

namespace pxc::kernel {

namespace {

bool queued_on(const ConstSys& s, int p, int c) { return s.task(p).on_rq() == TASK_ON_RQ_QUEUED && s.task(p).cpu() == c; }

bool unblocked(const ConstSys& s, int p)
{
    return s.task(p).blocked_on() == BLOCKED_ON_NULL && !(s.l->g2 && s.task(p).is_blocked());
}

bool in_some_wait_list(const ConstSys& s, int p)
{
    for (int m = 0; m < s.l->nlocks; ++m)
        if (s.lock(m).has_waiter(p))
            return true;
    return false;
}

bool is_wake_target(const ConstSys& s, int p)
{
    for (int w = 0; w < s.l->ntasks; ++w)
        if (s.task(w).wake_target() == p)
            return true;
    return s.in_wake_q(p);
}

// A task queued on c but not its curr, that cannot act while c stands
// still: it is not blocked (only a task blocks itself, and only a CPU's
// own find_proxy_task or a wakeup of a blocked or waking task moves a
// queued task), nobody is waking it and it waits for no lock.
bool frozen(const ConstSys& s, int p)
{
    return s.task(p).state() == TASK_RUNNING && unblocked(s, p) && !is_wake_target(s, p) &&
           !in_some_wait_list(s, p) && s.running_on(p) < 0;
}

uint64_t cpus_queued(uint8_t mask, int ncpus)
{
    uint64_t out = 0;
    for (int c = 0; c < ncpus; ++c)
        if (mask & (1u << c))
            out |= obj::queued(c);
    return out;
}

// What a task may do from here, read off its program: the locks of every
// operation up to its future end (the past ones too: a ww back-off takes
// them again, held ones are unlocked), cut at its barrier when a task that
// stands still has not reached its own (barrier_wait never returns then).
struct Future {
    uint8_t locks = 0;
    bool stamps = false, affinity = false, barrier = false;
};

Future future_of(const Model& m, const ConstSys& s, int u, bool barrier_blocked)
{
    Future f;
    const Program& prog = m.program(u);
    const int pc_op = s.task(u).pc_op();
    auto note = [&](const Op& op) {
        if (op.kind == OpKind::lock || op.kind == OpKind::unlock)
            f.locks |= uint8_t(1u << op.lock);
        f.stamps |= op.kind == OpKind::ww_acquire_init || op.kind == OpKind::ww_acquire_fini;
        f.affinity |= op.kind == OpKind::set_affinity;
    };
    for (int j = 0; j < pc_op && j < prog.size(); ++j)
        if (prog.ops[size_t(j)].kind == OpKind::lock || prog.ops[size_t(j)].kind == OpKind::unlock)
            f.locks |= uint8_t(1u << prog.ops[size_t(j)].lock);
    std::vector<bool> seen(size_t(prog.size()), false);
    for (int j = pc_op; j < prog.size() && !seen[size_t(j)]; j = prog.next_op(uint8_t(j))) {
        seen[size_t(j)] = true;
        const Op& op = prog.ops[size_t(j)];
        if (op.kind == OpKind::barrier) {
            if (barrier_blocked)
                break;
            f.barrier = true;
        }
        note(op);
    }
    return f;
}

bool has_barrier_ahead(const Model& m, const ConstSys& s, int x)
{
    const Program& prog = m.program(x);
    if (s.task(x).pc() == EXITED)
        return false;
    for (int i = s.task(x).pc_op() + 1; i < prog.size(); ++i)
        if (prog.ops[size_t(i)].kind == OpKind::barrier)
            return true;
    return false;
}

bool has_barrier(const Program& prog)
{
    for (const Op& op : prog.ops)
        if (op.kind == OpKind::barrier)
            return true;
    return false;
}

}  // namespace

Por::Por(const Model& model, std::vector<uint8_t> visible, bool invariants)
    : m_(model), visible_(std::move(visible)), invariants_(invariants)
{
    const Layout& l = m_.layout();
    usable_ = l.ntasks <= 8 && l.nlocks <= 8 && l.ncpus <= 8 && visible_.size() == l.size;
}

bool Por::footprint(const uint8_t* bytes, int c, uint64_t& out) const
{
    const ConstSys s = m_.view(bytes);
    auto rq = s.cpu(c);
    if (rq.sched() != SCHED_NONE)
        return false;
    const int t = rq.curr();
    // __schedule() on c (the preemption, or the idle task's schedule()):
    // pick_next_task reads which tasks are queued on c and each one's
    // blocked state, writes rq->donor, rq->curr (and a pick's v7.2
    // blocked_donor). With every queued task unblocked, find_proxy_task
    // never runs.
    uint64_t f = obj::rq(c) | obj::queued(c);
    bool members = false;
    for (int p = 0; p < s.l->ntasks; ++p) {
        if (!queued_on(s, p, c))
            continue;
        members = true;
        if (p != t && !frozen(s, p))
            return false;
        f |= obj::task_sched(p);
    }
    if (t == IDLE) {
        out = f;
        return members;
    }
    // The task on c: not blocked, not waiting, nothing to wake.
    if (t >= s.l->ntasks || !queued_on(s, t, c) || !unblocked(s, t) || s.task(t).wake_q() != 0 ||
        in_some_wait_list(s, t))
        return false;
    f |= obj::task(t);
    const CurrentOp op = m_.current_op(bytes, t);
    // A lock or unlock reads and writes the lock; when anyone else owns or
    // waits for it (or flags say so) the slow path also reads those tasks,
    // the ww stamps, and may wake_q_add them.
    auto lock_fp = [&](int m) {
        auto lk = s.lock(m);
        f |= obj::lock(m);
        const bool contended = lk.flags() != 0 || lk.waiters() > 0 || lk.owner() != NO_TASK;
        if (lk.owner() < s.l->ntasks)
            f |= obj::task(lk.owner());
        if (s.l->ww && lk.ww_ctx() < s.l->ntasks)
            f |= obj::task(lk.ww_ctx());
        for (int i = 0; i < lk.waiters(); ++i)
            f |= obj::task(lk.wait_list()[i]);
        if (contended)
            f |= obj::stamps | obj::wake_qs;
    };
    switch (s.task(t).pc()) {
    case OP_START:
        switch (op.kind) {
        case OpKind::lock:
        case OpKind::unlock: lock_fp(op.lock); break;
        case OpKind::ww_acquire_init:
        case OpKind::ww_acquire_fini: f |= obj::stamps; break;   // ranks: init reads all, fini renumbers
        case OpKind::ww_acquire_done: break;
        default: return false;
        }
        break;
    case WW_SET_CONTEXT:    // ww_mutex_lock_acquired(), the WAITERS test
    case WW_UNLOCK_MUTEX:   // the mutex_unlock() after __ww_mutex_unlock()
        lock_fp(op.lock);
        break;
    default: return false;
    }
    out = f;
    return true;
}

// Everything the other CPUs may read or write while c stands still. The
// task on c and the frozen tasks queued on c do not run meanwhile; every
// other task may, on any CPU it may reach. Left out on purpose, as no step
// of c changes what they read: pi_locked() (c's steps never enter or leave
// TTWU_ACTIVATE) and the running_on() of a wakeup (c switches only between
// its own tasks, which are then touched below if anyone may wake them).
uint64_t Por::influence(const uint8_t* bytes, int c) const
{
    const ConstSys s = m_.view(bytes);
    const int n = s.l->ntasks, ncpus = s.l->ncpus;
    const int t = s.cpu(c).curr();
    uint32_t still = 0;   // tasks that do not move while c stands still
    for (int p = 0; p < n; ++p)
        if (p == t || (queued_on(s, p, c) && frozen(s, p)))
            still |= 1u << p;
    // barrier_wait() returns only when every barrier task has reached its
    // barrier: one that stands still before it holds the others back.
    bool barrier_blocked = false;
    for (int x = 0; x < n; ++x)
        barrier_blocked |= (still & (1u << x)) && has_barrier_ahead(m_, s, x);

    uint64_t inf = 0;
    for (int d = 0; d < ncpus; ++d) {
        if (d == c)
            continue;
        inf |= obj::rq(d) | obj::queued(d);
        auto rq = s.cpu(d);
        if (rq.sched() != SCHED_NONE) {
            if (rq.arg_task() < n)
                inf |= obj::task(rq.arg_task());
            if (rq.arg_cpu() < ncpus)
                inf |= obj::queued(rq.arg_cpu());
        }
    }
    std::vector<Future> fut(static_cast<size_t>(n));
    uint8_t all_locks = 0;
    bool stamps = false, affinity = false, barrier = false, wakes = false;
    for (int u = 0; u < n; ++u) {
        if (still & (1u << u))
            continue;
        fut[size_t(u)] = future_of(m_, s, u, barrier_blocked);
        all_locks |= fut[size_t(u)].locks;
        stamps |= fut[size_t(u)].stamps;
        affinity |= fut[size_t(u)].affinity;
        barrier |= fut[size_t(u)].barrier;
        wakes |= s.task(u).wake_q() != 0 || s.task(u).wake_target() != NO_TASK;
    }
    // A lock someone else may take or hold: the task may have to sleep.
    auto contendable = [&](int m, int u) {
        auto lk = s.lock(m);
        if ((lk.owner() != NO_TASK && lk.owner() != u) || (s.l->ww && lk.ww_ctx() != NO_TASK && lk.ww_ctx() != u))
            return true;
        for (int i = 0; i < lk.waiters(); ++i)
            if (lk.wait_list()[i] != u)
                return true;
        for (int v = 0; v < n; ++v)
            if (v != u && ((!(still & (1u << v)) && (fut[size_t(v)].locks & (1u << m))) ||
                           ((still & (1u << v)) && m_.holds(bytes, v, m))))
                return true;
        return false;
    };
    // Where a task may be queued: where it is, and once it sleeps or is
    // sent back (select_task_rq, proxy_force_return), any CPU of its mask
    // or its wake_cpu; with an affinity change anywhere.
    auto landing = [&](int x, bool may_sleep) {
        auto task = s.task(x);
        uint64_t out = obj::task(x) | obj::queued(task.cpu() < ncpus ? task.cpu() : 0);
        if (may_sleep)
            out |= obj::rq(task.cpu() < ncpus ? task.cpu() : 0) | cpus_queued(task.cpus_mask(), ncpus) |
                   obj::queued(task.wake_cpu() < ncpus ? task.wake_cpu() : 0);
        return out;
    };
    uint32_t touched = 0;
    for (int u = 0; u < n; ++u) {
        if (still & (1u << u))
            continue;
        auto task = s.task(u);
        bool may_sleep = task.on_rq() != TASK_ON_RQ_QUEUED || task.state() != TASK_RUNNING || !unblocked(s, u) ||
                         task.pc() == LOCK_SCHEDULE || task.pc() == LOCK_WOKEN || task.pc() == LOCK_SPIN;
        for (int m = 0; m < s.l->nlocks && !may_sleep; ++m)
            may_sleep = (fut[size_t(u)].locks & (1u << m)) && contendable(m, u);
        inf |= landing(u, may_sleep);
        // its wake_q, the task it is waking, the donor it may hand a lock to
        touched |= task.wake_q();
        if (task.wake_target() < n)
            touched |= 1u << task.wake_target();
        if (s.l->g2 && task.blocked_donor() < n)
            touched |= 1u << task.blocked_donor();
    }
    // The locks they may take: everyone tied to them (owner, ctx holder,
    // waiters, tasks blocked on them or holding them) may be read, woken,
    // wounded, told to die, handed the lock, or proxied; a donor may be
    // migrated to the owner's CPU.
    for (int m = 0; m < s.l->nlocks; ++m) {
        if (!(all_locks & (1u << m)))
            continue;
        inf |= obj::lock(m);
        auto lk = s.lock(m);
        for (int x = 0; x < n; ++x)
            if (lk.owner() == x || (s.l->ww && lk.ww_ctx() == x) || lk.has_waiter(x) ||
                s.task(x).blocked_on() == blocked_on_mutex(m) || m_.holds(bytes, x, m))
                touched |= 1u << x;
        if (lk.owner() < n && s.task(lk.owner()).cpu() < ncpus)
            inf |= obj::queued(s.task(lk.owner()).cpu());
        if (s.l->ww && m_.scenario().locks[size_t(m)].type == LockType::ww_mutex)
            stamps = true;   // die / wound compare stamps
    }
    for (int x = 0; x < n; ++x)
        if (touched & (1u << x))
            inf |= landing(x, true);
    if (all_locks || wakes)
        inf |= obj::wake_qs;
    if (stamps)
        inf |= obj::stamps;
    if (affinity)
        for (int d = 0; d < ncpus; ++d)
            inf |= obj::queued(d);
    // A barrier they may pass reads every barrier task's progress.
    if (barrier)
        for (int x = 0; x < n; ++x)
            if (has_barrier(m_.program(x)))
                inf |= obj::task_private(x);
    return inf;
}

bool Por::independent(const uint8_t* s, int c) const
{
    uint64_t f = 0;
    return usable_ && footprint(s, c, f) && (f & influence(s, c)) == 0;
}

bool Por::ample(const uint8_t* s, size_t n, const explorer::Label* labels, const uint8_t* next, uint8_t* in) const
{
    if (!usable_)
        return false;
    const size_t size = m_.layout().size;
    int best = -1;
    size_t best_count = n;
    for (int c = 0; c < m_.layout().ncpus; ++c) {
        size_t count = 0;
        bool invisible = true, moves = false;
        for (size_t i = 0; i < n; ++i) {
            if (Step::unpack(labels[i]).cpu != c)
                continue;
            ++count;
            const uint8_t* succ = next + i * size;
            for (size_t b = 0; b < size && invisible; ++b)
                invisible = !visible_[b] || succ[b] == s[b];
            moves = moves || std::memcmp(succ, s, size) != 0;
        }
        // C0 (a proper subset, with a step that is not a self-loop: the
        // cycle proviso disregards self-loops, explorer.hpp), C2, then C1
        if (count == 0 || count >= best_count || !moves || !invisible || !independent(s, c))
            continue;
        best = c;
        best_count = count;
    }
    if (best < 0)
        return false;
    for (size_t i = 0; i < n; ++i)
        in[i] = Step::unpack(labels[i]).cpu == best;
    return true;
}

}  // namespace pxc::kernel
