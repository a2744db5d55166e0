// The proxy-execution kernel model as an explorer Model: a scenario plus a
// feature set, its state layout, and the enabled atomic steps of a state.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "explorer/cost.hpp"
#include "explorer/state_store.hpp"
#include "kernel/features.hpp"
#include "kernel/program.hpp"
#include "kernel/scenario.hpp"
#include "kernel/state.hpp"
#include "kernel/step.hpp"

namespace pxc::kernel {

using explorer::Label;

// A successor sink: a plain function pointer + object, so that the step code
// in the .cpp files stays out of line while the explorer's lambda is called
// directly. narration is non-null only when a trace is being described.
struct Emit {
    void* obj;
    void (*fn)(void* obj, Label label, const uint8_t* next, const std::string* narration);
    void operator()(Label l, const uint8_t* next, const std::string* narration) const { fn(obj, l, next, narration); }
};

inline constexpr size_t max_state_bytes = 256;

// The operation a task is executing: its program's, or during a ww_mutex
// back-off the unlock / lock the back-off does (kernel-protocol.md 3.4).
struct CurrentOp {
    OpKind kind = OpKind::repeat;   // repeat: past the end of the program
    int lock = -1;
    bool ctx = false;               // a ww_mutex lock/unlock inside the task's acquire context
};

class Model {
public:
    // Throws Error when the scenario needs something the model cannot do yet.
    Model(const Scenario& scenario, FeatureSet features);

    size_t state_size() const { return layout_.size; }
    void initial_state(uint8_t* out) const;

    template <class F>
    void for_each_successor(const uint8_t* s, F&& f) const
    {
        successors(s, Emit{&f, [](void* o, Label l, const uint8_t* n, const std::string*) {
                               (*static_cast<std::remove_reference_t<F>*>(o))(l, n);
                           }},
                   false);
    }
    // As for_each_successor, with the kernel-words narration of each step.
    void successors(const uint8_t* s, Emit emit, bool narrate) const;

    // What makes a race harder to follow, the one definition: a preemption
    // (the preempt step, __schedule(SM_PREEMPT)) weighs more than a context
    // switch (a step that changes some rq->curr). Among the shortest
    // counterexamples, check prints the one with the fewest of each.
    explorer::StepCost step_cost(Label l, const uint8_t* before, const uint8_t* after) const;

    const Layout& layout() const { return layout_; }
    const Scenario& scenario() const { return scenario_; }
    FeatureSet features() const { return features_; }
    bool has(Feature f) const { return features_.has(f); }
    const Program& program(int t) const { return programs_[size_t(t)]; }

    std::string task_name(int t) const;     // "A", "idle", "(none)"
    std::string lock_name(int m) const;
    std::string blocked_on_name(uint8_t blocked_on) const;   // "NULL", "M1", "PROXY_WAKING"
    static std::string cpumask_name(uint8_t mask);            // "{0,2}"
    std::string describe_step(Label l) const;                // "CPU0 A: mutex_lock(M1)"
    // The kernel function of a step ("mutex_lock", "__schedule", ...).
    std::string step_function(Label l) const;
    std::string where(int t, const uint8_t* s) const;       // "lock M1 (LOCK_SCHEDULE)"

    // holds(t, m): t's program is between the end of `lock m` and the start
    // of `unlock m` (the owner word may lag behind during handoff). It reads
    // t's pc_op, pc and ww context only: props/visibility.cpp says so.
    bool holds(const uint8_t* s, int t, int m) const;
    CurrentOp current_op(const uint8_t* s, int t) const;
    // The lock a task sleeps for inside __mutex_lock_common(), or -1.
    int waits_for(const uint8_t* s, int t) const;

    ConstSys view(const uint8_t* s) const { return {&layout_, s}; }

    // Explored transitions of interest, counted during the search (not state):
    //  wasted_wakeup  a woken mutex waiter finds the lock taken and sleeps again
    //  donor_race_a   v29 7/9 race (A): the unlock forced a handoff for a
    //                 blocked_donor that was reset meanwhile (falls back to the first waiter)
    //  donor_race_b   race (B): the unlock released the lock, then wakes a
    //                 blocked_donor set meanwhile, with no handoff
    enum Event { wasted_wakeup, donor_race_a, donor_race_b, event_count_ };
    uint64_t events(Event e) const { return events_[e].v.load(std::memory_order_relaxed); }
    uint64_t wasted_wakeups() const { return events(wasted_wakeup); }
    // All the counts, and setting them back (explorer/types.hpp CountsEvents).
    std::vector<uint64_t> save_events() const
    {
        std::vector<uint64_t> v;
        for (const Counter& c : events_)
            v.push_back(c.v.load(std::memory_order_relaxed));
        return v;
    }
    void restore_events(const std::vector<uint64_t>& v) const
    {
        for (size_t e = 0; e < v.size() && e < event_count_; ++e)
            events_[e].v.store(v[e], std::memory_order_relaxed);
    }

private:
    // Copies of the model start from the same counts.
    struct Counter {
        std::atomic<uint64_t> v{0};
        Counter() = default;
        Counter(const Counter& o) : v(o.v.load()) {}
        Counter& operator=(const Counter& o) { return v = o.v.load(), *this; }
    };
    friend void count_event(const struct Ctx& ctx, Event e);
    // On a cache line of their own: the threads of a parallel search count
    // into them while they read the layout and features beside them.
    alignas(64) mutable Counter events_[event_count_];
    char events_end_[64 - sizeof(Counter) * event_count_ % 64];
    Scenario scenario_;
    FeatureSet features_;
    Layout layout_;
    std::vector<Program> programs_;
};

}  // namespace pxc::kernel
