// Reading a JSON trace file ("proxycheck-trace-1", written by json.cpp) back
// for replay. A file that is not such a trace (missing, a folder, truncated,
// corrupt, a key twice in one object, a field of the wrong type or out of
// range) is an Error naming the file: exit status 2.
//
// Each recorded step holds its label (what replay matches) and fields the
// writer derives from the label or from the step's place: "index" (its
// position, from 1), "cpu", "task", "function" and the title "step". Every
// one of them is cross-checked, none is taken on trust: a mismatch means the
// file was edited or is corrupt. index, cpu and function are checked here
// (they need no model), task and the title by check_trace_matches (they need
// the model's task and lock names; the lock a title names is checked to be
// one of the model's, since which one a step takes depends on the state).
// "action" and "changes" come from the states, not the label: their types
// are checked here, and replay compares the recorded changes with the
// replayed step's. The header's descriptive "preemptions",
// "context_switches" and "final_state" are not used: only their types are
// checked (and that a count is not more than the steps).
//
// A trace may have no steps: check --trace-out writes one for a property
// that the initial state already breaks (and replay reproduces it there).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kernel/step.hpp"
#include "trace/trace.hpp"

namespace pxc::trace {

struct RecordedStep {
    size_t index = 0;                  // 1-based
    uint64_t label = 0;
    int cpu = 0;
    std::string task;                  // "" for a CPU's scheduler
    std::string function;              // "mutex_unlock": the label's step kind
    std::string title;                 // "B: mutex_unlock(M1)"
    std::vector<std::string> actions;
    std::vector<Change> changes;
    bool has_changes = false;          // the file lists them (older files may not)
};

// The flags under which the bug is gone, and the step replay stops at there.
struct FixedFlags {
    std::string features;              // edits, as for --features: "+proxy_waking"
    size_t blocked_at = 0;
};

struct TraceFile {
    std::string path;
    std::string model;                 // scenario path as recorded
    std::string features;              // the feature set it was found with: "proxy_exec,proxy_migration"
    std::string property, message;
    bool at_terminal = false;
    int cpus = 0;                      // 0: not recorded (older files); else 1 to max_cpus
    std::vector<std::string> tasks, locks;
    bool has_tasks = false, has_locks = false;   // recorded (older files may not; a model may have no locks)
    std::vector<RecordedStep> steps;
    std::optional<FixedFlags> fixed;
};

TraceFile read_trace_file(const std::string& path);
TraceFile parse_trace_text(const std::string& text, const std::string& path);
TraceFile parse_trace_json(const nlohmann::json& j, const std::string& path);

// The recorded feature set ("proxy_exec,proxy_migration", "(none)") as
// +flag edits from nothing; throws Error naming the file on an unknown flag.
FeatureSet recorded_features(const TraceFile& tf);

}  // namespace pxc::trace
