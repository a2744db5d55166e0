// Test helpers shared by the kernel model's unit tests (kernel_test.cpp,
// ww_mutex_test.cpp): tiny scenarios written as the TOML a model file would
// hold, a World (a model and one state of it), its successors with their
// step labels, and hand-editing of a state.
//
// Pattern: a tiny scenario, its initial state hand-edited to sit exactly
// before the rule, every successor collected with its step label, the one of
// interest selected by step kind / CPU / task, and the fields the rule
// changes checked. States are hand-built: they need not be reachable.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/error.hpp"
#include "kernel/features.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "kernel/state.hpp"
#include "kernel/step.hpp"
#include "props/checker.hpp"

namespace pxc::test {

using namespace pxc::kernel;

// Tasks and locks by declaration order in the scenario.
inline constexpr int A = 0, B = 1, C = 2;
inline constexpr int M1 = 0, M2 = 1;
inline constexpr int ANY = -1;

// ---------------------------------------------------------------------------
// Scenarios and feature sets

struct TaskSpec {
    std::string name;
    int cpu = 0;
    std::vector<std::string> program;
    std::vector<int> affinity = {};   // empty: every CPU
    bool backoff = true;              // ww: back off after -EDEADLK (false: test_abba without resolve)
};

// A lock: a plain mutex ("M1"), or a ww_mutex of a class ({"M1", "wait_die"}).
struct LockSpec {
    std::string name;
    std::string ww_class;   // empty: a plain mutex; "wait_die" / "wound_wait": a ww_mutex
    LockSpec(const char* n) : name(n) {}
    LockSpec(std::string n, std::string cls = {}) : name(std::move(n)), ww_class(std::move(cls)) {}
};

inline std::string quoted_list(const std::vector<std::string>& items)
{
    std::string out = "[";
    for (const auto& item : items)
        out += (out.size() > 1 ? ", \"" : "\"") + item + "\"";
    return out + "]";
}

// A scenario, written as the TOML a model file would hold.
inline Scenario make_scenario(int cpus, const std::vector<LockSpec>& locks, const std::vector<TaskSpec>& tasks)
{
    std::string text = "cpus = " + std::to_string(cpus) + "\n";
    for (const auto& lock : locks) {
        text += "[[lock]]\nname = \"" + lock.name + "\"\n";
        if (!lock.ww_class.empty())
            text += "type = \"ww_mutex\"\nww_class = \"" + lock.ww_class + "\"\n";
    }
    for (const auto& task : tasks) {
        text += "[[task]]\nname = \"" + task.name + "\"\ncpu = " + std::to_string(task.cpu) + "\n";
        if (!task.affinity.empty()) {
            std::string list;
            for (int c : task.affinity)
                list += (list.empty() ? "" : ", ") + std::to_string(c);
            text += "affinity = [" + list + "]\n";
        }
        if (!task.backoff)
            text += "backoff = false\n";
        text += "program = " + quoted_list(task.program) + "\n";
    }
    return parse_scenario(text, "kernel_test.toml");
}

inline FeatureSet features(std::string_view baseline, const std::vector<std::string>& edits = {})
{
    FeatureSet set = baseline_features(baseline, {});
    apply_feature_edits(set, edits, {});
    return set;
}

// ---------------------------------------------------------------------------
// A model, one state of it, and its successors

struct Succ {
    Step step;
    std::vector<uint8_t> next;
    std::string narration;
};

// A state that owns its bytes, read through the typed views.
struct Snapshot {
    const Layout* layout;
    std::vector<uint8_t> bytes;

    ConstSys sys() const { return {layout, bytes.data()}; }
    TaskViewT<const uint8_t> task(int t) const { return sys().task(t); }
    LockViewT<const uint8_t> lock(int m) const { return sys().lock(m); }
    CpuViewT<const uint8_t> cpu(int c) const { return sys().cpu(c); }
    uint16_t warnings() const { return sys().warnings(); }
};

struct World {
    Model m;
    std::vector<uint8_t> bytes;

    World(const Scenario& scenario, FeatureSet f) : m(scenario, f), bytes(m.state_size())
    {
        m.initial_state(bytes.data());
    }

    Sys sys() { return {&m.layout(), bytes.data()}; }
    Snapshot now() const { return {&m.layout(), bytes}; }
    Snapshot after(const Succ& s) const { return {&m.layout(), s.next}; }
    void go(const Succ& s) { bytes = s.next; }

    // Every successor, with its label unpacked and its narration.
    std::vector<Succ> steps() const
    {
        struct Sink {
            size_t size;
            std::vector<Succ> out;
        } sink{m.state_size(), {}};
        m.successors(bytes.data(),
                     Emit{&sink,
                          [](void* o, Label l, const uint8_t* next, const std::string* text) {
                              auto& k = *static_cast<Sink*>(o);
                              k.out.push_back({Step::unpack(l), std::vector<uint8_t>(next, next + k.size),
                                               text ? *text : std::string()});
                          }},
                     true);
        return sink.out;
    }
};

inline std::vector<const Succ*> select(const std::vector<Succ>& all, StepKind kind, int cpu, int task = ANY)
{
    std::vector<const Succ*> out;
    for (const Succ& s : all)
        if (s.step.kind == kind && s.step.cpu == cpu && (task == ANY || s.step.task == task))
            out.push_back(&s);
    return out;
}

inline bool offered(const std::vector<Succ>& all, StepKind kind, int cpu, int task = ANY)
{
    return !select(all, kind, cpu, task).empty();
}

// The one successor of that kind on that CPU (by that task), copied out.
inline Succ only(const std::vector<Succ>& all, StepKind kind, int cpu, int task = ANY)
{
    const auto found = select(all, kind, cpu, task);
    INFO("step ", step_kind_name(kind), " on CPU", cpu);
    REQUIRE(found.size() == 1);
    return *found[0];
}

// pick_next_task choices of a step, in order: task index or IDLE.
inline std::vector<int> picks(const Step& s)
{
    std::vector<int> out;
    for (uint32_t p = s.picks; p & 0xF; p >>= 4)
        out.push_back((p & 0xF) == 15 ? IDLE : int(p & 0xF) - 1);
    return out;
}

// The one successor among `of` whose first pick is t.
inline const Succ& picking(const std::vector<const Succ*>& of, int t)
{
    const Succ* found = nullptr;
    int n = 0;
    for (const Succ* s : of) {
        if (!picks(s->step).empty() && picks(s->step)[0] == t) {
            found = s;
            ++n;
        }
    }
    INFO("successors whose first pick is ", t);
    REQUIRE(n == 1);
    return *found;
}

// ---------------------------------------------------------------------------
// Hand-editing a state

// t is rq->curr and rq->donor of cpu, queued there.
inline void run_on(const Sys& s, int cpu, int t)
{
    s.task(t).cpu() = uint8_t(cpu);
    s.task(t).on_rq() = TASK_ON_RQ_QUEUED;
    s.cpu(cpu).curr() = uint8_t(t);
    s.cpu(cpu).donor() = uint8_t(t);
}

// t is at program operation op, point pc inside it.
inline void at(const Sys& s, int t, int op, TaskPc pc)
{
    s.task(t).pc_op() = uint8_t(op);
    s.task(t).pc() = pc;
}

// t waits for m inside __mutex_lock_common() at pc: queued at the tail of the
// wait_list with WAITERS set, blocked_on = m, TASK_UNINTERRUPTIBLE.
inline void waits(const Sys& s, int m, int t, TaskPc pc)
{
    auto lock = s.lock(m);
    lock.wait_list()[lock.waiters()] = uint8_t(t);
    lock.flags() |= MUTEX_FLAG_WAITERS;
    s.task(t).blocked_on() = blocked_on_mutex(m);
    s.task(t).state() = TASK_UNINTERRUPTIBLE;
    s.task(t).pc() = pc;
}

// Both tasks on CPU0 with `lock M1; unlock M1`: B holds M1, A is queued as
// its waiter and runs, about to call schedule_preempt_disabled().
inline void a_about_to_sleep_on_b(World& w)
{
    Sys s = w.sys();
    s.lock(M1).owner() = B;
    at(s, B, 1, OP_START);
    waits(s, M1, A, LOCK_SCHEDULE);
    run_on(s, 0, A);
}

// t has run do_exit().
inline void exited(const Sys& s, const Model& m, int t)
{
    at(s, t, m.program(t).size(), EXITED);
    s.task(t).state() = TASK_DEAD;
    s.task(t).on_rq() = NOT_ON_RQ;
}

inline std::string verdict(const World& w, std::string_view property, const uint8_t* s)
{
    const props::Property* p = props::Catalog::standard().find(property);
    REQUIRE(p != nullptr);
    return props::evaluate(w.m, *p, s);
}
inline std::string verdict(const World& w, std::string_view property) { return verdict(w, property, w.bytes.data()); }
inline std::string verdict(const World& w, std::string_view property, const Succ& s)
{
    return verdict(w, property, s.next.data());
}

}  // namespace pxc::test

// CHECK that `text` (a verdict or a narration) contains `what`, showing it if not.
#define CHECK_CONTAINS(text, what)                    \
    do {                                              \
        const std::string text_ = (text);             \
        INFO("text: ", text_);                        \
        CHECK(text_.find(what) != std::string::npos); \
    } while (0)
