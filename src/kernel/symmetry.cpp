// Task classes and canonical states (symmetry.hpp).
//
// Why the transition relation is symmetric under renaming tasks of a class.
// A step reads a task's own bytes and its program (the same for the whole
// class), follows task ids stored in the state (owner, ww->ctx, wait_list,
// rq->curr/donor, arg_task, wake_q, wake_target, blocked_donor: renamed
// together with the tasks) and compares ctx->stamp ranks (renamed with their
// task). Where the model loops over task ids it enumerates (pick_next_task:
// every queued task is a successor) or asks whether some task matches
// (rq_has_queued, pi_locked, in_wake_q, the barrier, the newest stamp): no
// choice depends on the order of ids. The one place that chooses by id is
// wake_up_q(): a wake_q is a bit mask, woken lowest id first (the kernel's
// is FIFO). That order can differ between a state and its renaming only
// when one wake_q holds a renamed task and another task. A wake_q is filled
// by one step and emptied before its task does anything else, and:
//   - __mutex_unlock_slowpath adds one task (the first waiter or the
//     blocked_donor);
//   - __ww_mutex_check_waiters adds one (it stops at the first waiter with
//     a context);
//   - __ww_mutex_add_waiter may add several: every younger waiter with a
//     context (die) and the owner of the ww_mutex (wound).
// So a wake_q of two tasks or more arises only when some task locks in an
// acquire context, and holds tasks that lock ww_mutexes. The reduction is
// refused when that can happen to a class of two tasks or more; otherwise
// every task in such a wake_q is alone in its class, renaming leaves it
// where it is, and the order is the same.
#include "kernel/symmetry.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace pxc::kernel {

namespace {

bool same_program(const TaskDecl& a, const TaskDecl& b)
{
    if (a.program.size() != b.program.size())
        return false;
    for (size_t i = 0; i < a.program.size(); ++i) {
        const Op &x = a.program[i], &y = b.program[i];
        if (x.kind != y.kind || x.lock != y.lock || x.cpus != y.cpus)
            return false;
    }
    return true;
}

// Everything the scenario gives a task except its name.
bool interchangeable(const TaskDecl& a, const TaskDecl& b)
{
    return a.affinity == b.affinity && a.cpu == b.cpu && a.backoff == b.backoff && same_program(a, b);
}

bool uses_acquire_context(const Program& p)
{
    return std::ranges::any_of(p.uses_ctx, [](uint8_t u) { return u != 0; });
}

bool locks_ww_mutex(const Program& p, const std::vector<LockDecl>& locks)
{
    return std::ranges::any_of(p.ops, [&](const Op& op) {
        return op.kind == OpKind::lock && locks[size_t(op.lock)].type == LockType::ww_mutex;
    });
}

}  // namespace

Symmetry::Symmetry(const Model& model) : model_(model), class_of_(size_t(model.layout().ntasks), -1)
{
    const auto& tasks = model.scenario().tasks;
    for (int t = 0; t < int(tasks.size()); ++t) {
        if (class_of_[size_t(t)] >= 0)
            continue;
        std::vector<int> cls{t};
        for (int u = t + 1; u < int(tasks.size()); ++u)
            if (class_of_[size_t(u)] < 0 && interchangeable(tasks[size_t(t)], tasks[size_t(u)]))
                cls.push_back(u);
        if (cls.size() < 2)
            continue;
        for (int u : cls)
            class_of_[size_t(u)] = int(classes_.size());
        classes_.push_back(std::move(cls));
    }
    bool contexts = false;   // some task locks in an acquire context: die and wound happen
    for (int t = 0; t < model.layout().ntasks; ++t)
        contexts |= uses_acquire_context(model.program(t));
    for (const auto& cls : classes_)
        if (contexts && locks_ww_mutex(model.program(cls[0]), model.scenario().locks)) {
            refusal_ = "tasks " + model.task_name(cls[0]) + " and " + model.task_name(cls[1]) +
                       " are alike but take ww_mutexes that die and wound apply to: one wake_q may hold "
                       "several tasks, and wake_up_q wakes them in task order";
            return;
        }
    if (classes_.empty())
        refusal_ = "no two tasks are alike";
}

std::string Symmetry::summary() const
{
    size_t n = 0;
    for (const auto& c : classes_)
        n += c.size();
    return std::to_string(classes_.size()) + (classes_.size() == 1 ? " class, " : " classes, ") + std::to_string(n) +
           " tasks";
}

void Symmetry::rename(const uint8_t* s, const int* perm, uint8_t* out) const
{
    const Layout& l = model_.layout();
    auto to = [&](uint8_t v) { return v < l.ntasks ? uint8_t(perm[v]) : v; };   // NO_TASK, IDLE stay
    std::memcpy(out, s, l.size);
    const ConstSys from{&l, s};
    const Sys o{&l, out};
    for (int t = 0; t < l.ntasks; ++t) {
        std::memcpy(o.task(perm[t]).p, from.task(t).p, l.task_bytes());
        auto task = o.task(perm[t]);
        uint8_t q = 0;
        for (int u = 0; u < l.ntasks; ++u)
            if (task.wake_q() & (1u << u))
                q |= uint8_t(1u << perm[u]);
        task.wake_q() = q;
        task.wake_target() = to(task.wake_target());
        if (l.g2)
            task.set_blocked_donor(to(uint8_t(task.blocked_donor())));
    }
    for (int m = 0; m < l.nlocks; ++m) {
        auto lock = o.lock(m);
        lock.owner() = to(lock.owner());
        if (l.ww)
            lock.ww_ctx() = to(lock.ww_ctx());
        for (int i = 0; i < l.ntasks; ++i)
            lock.wait_list()[i] = to(lock.wait_list()[i]);
    }
    for (int c = 0; c < l.ncpus; ++c) {
        auto rq = o.cpu(c);
        rq.curr() = to(rq.curr());
        rq.donor() = to(rq.donor());
        rq.arg_task() = to(rq.arg_task());
    }
}

namespace {

constexpr size_t key_bytes = 64;

// What is known of a task in a state without its id: the same for a task
// and its image under any renaming. A reference to a task alone in its
// class is its id (renaming fixes it), to a task of a class the class.
struct Signature {
    uint8_t key[max_tasks][key_bytes];   // the first key_len bytes of each
    bool linked[max_tasks] = {};         // some byte of the state names the task
};

}  // namespace

void Symmetry::canonicalise(uint8_t* s) const
{
    const Layout& l = model_.layout();
    const ConstSys cs{&l, s};
    const int n = l.ntasks;
    auto ref = [&](int v) -> uint8_t {   // a task reference, without the id of a renamed task
        if (v >= n)
            return uint8_t(v);
        return class_of_[size_t(v)] < 0 ? uint8_t(v) : uint8_t(0x80 | class_of_[size_t(v)]);
    };
    // What names each task, gathered in one pass over the tasks, locks and
    // CPUs (a later waker overwrites an earlier one, as task order goes).
    uint8_t in_q[max_tasks], target_of[max_tasks], donor_of[max_tasks];
    uint8_t lock_bits[max_tasks][max_locks] = {}, waiter_at[max_tasks][max_locks];
    uint8_t cpu_bits[max_tasks][max_cpus] = {};
    std::memset(in_q, NO_TASK, sizeof in_q);
    std::memset(target_of, NO_TASK, sizeof target_of);
    std::memset(donor_of, NO_TASK, sizeof donor_of);
    std::memset(waiter_at, 0xFF, sizeof waiter_at);
    for (int w = 0; w < n; ++w) {
        auto waker = cs.task(w);
        for (unsigned q = waker.wake_q(); q; q &= q - 1)
            in_q[std::countr_zero(q)] = ref(w);
        if (waker.wake_target() < n)
            target_of[waker.wake_target()] = ref(w);
        if (l.g2 && waker.blocked_donor() < n)
            donor_of[waker.blocked_donor()] = ref(w);
    }
    for (int m = 0; m < l.nlocks; ++m) {
        auto lock = cs.lock(m);
        if (lock.owner() < n)
            lock_bits[lock.owner()][m] |= 1;
        if (l.ww && lock.ww_ctx() < n)
            lock_bits[lock.ww_ctx()][m] |= 2;
        for (int i = 0; i < n && lock.wait_list()[i] != NO_TASK; ++i)   // as waiter_index()
            if (lock.wait_list()[i] < n && waiter_at[lock.wait_list()[i]][m] == 0xFF)
                waiter_at[lock.wait_list()[i]][m] = uint8_t(i);
    }
    for (int c = 0; c < l.ncpus; ++c) {
        auto rq = cs.cpu(c);
        if (rq.curr() < n)
            cpu_bits[rq.curr()][c] |= 1;
        if (rq.donor() < n)
            cpu_bits[rq.donor()][c] |= 2;
        if (rq.arg_task() < n)
            cpu_bits[rq.arg_task()][c] |= 4;
    }
    Signature sig;
    size_t key_len = 0;   // the same for every task
    for (int t = 0; t < n; ++t) {
        if (class_of_[size_t(t)] < 0)
            continue;
        uint8_t* k = sig.key[t];
        bool& linked = sig.linked[t];
        size_t at = l.task_bytes();
        std::memcpy(k, cs.task(t).p, at);
        auto own = TaskViewT<uint8_t>{k, l.g2_off()};
        uint8_t fixed = 0, members = 0;
        for (unsigned q = own.wake_q(); q; q &= q - 1) {
            const int u = std::countr_zero(q);
            if (class_of_[size_t(u)] < 0)
                fixed |= uint8_t(1u << u);
            else
                ++members;
        }
        linked |= own.wake_q() != 0 || own.wake_target() != NO_TASK;
        own.wake_q() = fixed;
        k[at++] = members;
        own.wake_target() = ref(own.wake_target());
        if (l.g2) {
            const int d = own.blocked_donor();
            linked |= d != NO_TASK;
            own.set_blocked_donor(NO_TASK);
            k[at++] = ref(d);
        }
        for (int m = 0; m < l.nlocks; ++m) {
            k[at++] = lock_bits[t][m];
            k[at++] = waiter_at[t][m];
            linked |= k[at - 2] != 0 || k[at - 1] != 0xFF;
        }
        for (int c = 0; c < l.ncpus; ++c) {
            k[at++] = cpu_bits[t][c];
            linked |= k[at - 1] != 0;
        }
        k[at++] = in_q[t];
        k[at++] = target_of[t];
        k[at++] = donor_of[t];
        linked |= in_q[t] != NO_TASK || target_of[t] != NO_TASK || donor_of[t] != NO_TASK;
        key_len = at;
    }
    auto less = [&](int a, int b) { return std::memcmp(sig.key[a], sig.key[b], key_len) < 0; };
    auto equal = [&](int a, int b) { return std::memcmp(sig.key[a], sig.key[b], key_len) == 0; };

    // Each class sorted by signature. Tasks with equal signatures that
    // nothing names are byte-identical and nameless: their order does not
    // matter. Among other ties every order is tried (rare and small).
    int order[max_tasks][max_tasks];
    struct Tie {
        int cls, begin, end;
    };
    Tie ties[max_tasks];
    int nties = 0;
    bool identity = true;
    for (size_t c = 0; c < classes_.size(); ++c) {
        const auto& cls = classes_[c];
        const int size = int(cls.size());
        std::copy(cls.begin(), cls.end(), order[c]);
        // Insertion sort: stable, and on a handful of tasks without the
        // buffer std::stable_sort allocates (once per successor).
        for (int i = 1; i < size; ++i)
            for (int j = i; j > 0 && less(order[c][j], order[c][j - 1]); --j)
                std::swap(order[c][j], order[c][j - 1]);
        for (int i = 0; i < size; ++i)
            identity &= order[c][i] == cls[size_t(i)];
        for (int i = 0; i < size;) {
            int j = i + 1;
            bool linked = sig.linked[order[c][i]];
            while (j < size && equal(order[c][i], order[c][j]))
                linked |= sig.linked[order[c][j++]];
            if (j - i > 1 && linked)
                ties[nties++] = {int(c), i, j};
            i = j;
        }
    }
    if (identity && nties == 0)
        return;
    int perm[max_tasks];
    auto make_perm = [&] {
        for (int t = 0; t < n; ++t)
            perm[t] = t;
        for (size_t c = 0; c < classes_.size(); ++c)
            for (size_t i = 0; i < classes_[c].size(); ++i)
                perm[order[c][i]] = classes_[c][i];
    };
    uint8_t best[max_state_bytes], image[max_state_bytes];
    make_perm();
    rename(s, perm, best);
    // Every order of the tied tasks: next_permutation on each tie, as an odometer.
    for (int i = 0; i < nties; ++i)
        std::sort(order[ties[i].cls] + ties[i].begin, order[ties[i].cls] + ties[i].end);
    for (;;) {
        int i = 0;
        while (i < nties && !std::next_permutation(order[ties[i].cls] + ties[i].begin, order[ties[i].cls] + ties[i].end))
            ++i;
        if (i == nties)
            break;
        make_perm();
        rename(s, perm, image);
        if (std::memcmp(image, best, l.size) < 0)
            std::memcpy(best, image, l.size);
    }
    std::memcpy(s, best, l.size);
}

}  // namespace pxc::kernel
