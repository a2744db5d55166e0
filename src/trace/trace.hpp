// A counterexample as data: the steps from the initial state to the violating
// one, each with its kernel function, what it did in kernel words and the
// fields it changed. The text, JSON and DOT renderings all read this.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"

namespace pxc::trace {

struct Change {
    std::string field;   // "B.blocked_on", "M1.owner", "CPU1.curr"
    std::string from, to;
};

struct TraceStep {
    kernel::Label label = 0;
    int cpu = 0;
    std::string task;        // executing task, "" for the CPU's scheduler
    std::string function;    // kernel function of the step
    std::string title;       // "A: mutex_lock(M1)"
    std::vector<std::string> actions;   // narration, in kernel words
    std::vector<Change> changes;
    bool preemption = false;            // Model::step_cost: a preempt step
    bool context_switch = false;        // and one that changes some rq->curr
};

struct Trace {
    std::string model;       // scenario path
    std::string features;
    std::string property;
    std::string message;
    bool at_terminal = false;
    std::vector<TraceStep> steps;
    std::vector<std::vector<uint8_t>> states;   // the initial state, then the state after each step

    const uint8_t* last_state() const { return states.back().data(); }
    int preemptions() const;
    int context_switches() const;
};

Trace build_trace_from_states(const kernel::Model& m, const std::vector<std::vector<uint8_t>>& states,
                  const std::vector<kernel::Label>& labels, const explorer::Violation& v, bool at_terminal);

// Rebuilds the trace of explorer state `index` (after a violation), in any
// mode: the explorer hands the path (lossy modes rebuild it by replaying).
template <class E>
Trace build_trace(const kernel::Model& m, const E& explorer, uint32_t index, const explorer::Violation& v,
                  bool at_terminal)
{
    explorer::Path p = explorer.path(index);
    return build_trace_from_states(m, p.states, p.labels, v, at_terminal);
}

std::vector<Change> diff_states(const kernel::Model& m, const uint8_t* before, const uint8_t* after);
// Narration of one step from `before` (the model's successors with
// narration), split into actions; empty when the step is not enabled there.
std::vector<std::string> narrate_step(const kernel::Model& m, const uint8_t* before, kernel::Label label,
                                      const uint8_t* after);
// The step as a TraceStep: title, narration, changes, cost.
TraceStep describe_trace_step(const kernel::Model& m, const uint8_t* before, kernel::Label label, const uint8_t* after);
// The blocked_on / owner graph and runqueues of a state, one line each.
std::vector<std::string> describe_state(const kernel::Model& m, const uint8_t* s);

}  // namespace pxc::trace
