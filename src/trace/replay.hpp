// Replaying a recorded trace against a model, step by step, matching each
// recorded step by its label (kernel/step.hpp). Against the flags it was
// found with, the trace reproduces its violation; against other flags (the
// fixed code) it may still, or it stops at the first step that is no longer
// possible, and what the model can do there instead says why.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "props/library.hpp"
#include "trace/read.hpp"
#include "trace/trace.hpp"

namespace pxc::trace {

enum class ReplayOutcome {
    reproduced,   // the trace's property breaks (at the end, or earlier)
    blocked,      // a recorded step is not enabled
    completed,    // every step replayed, the property holds on the last state
};

struct Replay {
    ReplayOutcome outcome = ReplayOutcome::completed;
    Trace trace;                       // the steps replayed (with states), on this model
    std::optional<explorer::Violation> violation;
    size_t blocked_at = 0;             // 1-based recorded step that is not possible
    std::vector<TraceStep> instead;    // the enabled steps of that step's CPU there
    std::vector<TraceStep> elsewhere;  // the enabled steps of the other CPUs there
    std::vector<size_t> differs;       // replayed steps whose changes differ from the recorded ones
};

// Throws Error (naming the trace file) when the trace cannot be for this
// model: other CPUs, tasks or locks, a task name or step label it lacks, a
// step whose CPU, task or title ("B: mutex_unlock(M1)") is not its label's,
// a property the catalog does not have.
void check_trace_matches(const kernel::Model& m, const TraceFile& tf,
                         const props::Catalog& catalog = props::Catalog::standard());

// Replays tf on m, checking tf.property (Error if unknown). Call
// check_trace_matches first.
Replay replay(const kernel::Model& m, const TraceFile& tf,
              const props::Catalog& catalog = props::Catalog::standard());

// Why a blocked replay stopped, in kernel words, one line each: "step 9: the
// trace expected CPU1 ...", then what that CPU can do instead, indented.
std::vector<std::string> blocked_reason(const kernel::Model& m, const TraceFile& tf, const Replay& r);

}  // namespace pxc::trace
