// Reading a JSON trace file ("proxycheck-trace-1", written by json.cpp) back
// for replay. A file that is not such a trace (missing, truncated, corrupt,
// a field of the wrong type) is an Error naming the file: exit status 2.
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
    int cpus = 0;                      // 0: not recorded (older files)
    std::vector<std::string> tasks, locks;
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
