// The subcommands. Each takes its options by const& and returns the exit status.
#pragma once
#include <string>
#include <vector>

namespace pxc::cli {

// Picture files of a counterexample (cli/pictures.cpp).
struct Pictures {
    std::string dot;            // --dot FILE: wait-for graph of the last state
    std::string sequence_dot;   // --sequence-dot FILE: one lane per CPU
    std::string svg;            // --svg FILE: the wait-for graph through `dot -Tsvg`
    bool any() const { return !dot.empty() || !sequence_dot.empty() || !svg.empty(); }
};

struct CheckOptions {
    std::string model;                       // scenario file
    std::string features;                    // --features LIST, applied after the file's own
    std::vector<std::string> properties;     // --property NAME (empty: all)
    std::vector<std::string> property_files; // --properties FILE: the user's own .prop files
    unsigned threads = 0;                    // --threads (0: every core)
    std::string memory;                      // --memory SIZE
    unsigned long long max_states = 0;       // --max-states
    double seconds = 0;                      // --time
    std::string mode = "exact";              // --mode exact|compact|bitstate
    std::string store = "tree";              // --store tree|flat (exact mode)
    std::string format = "text";             // --format text|json
    std::string trace_out;                   // --trace-out FILE (JSON)
    bool full = false;                       // --full: whole states in the trace, not only changes
    bool shortest_only = false;              // --shortest-only: plain BFS order, no fewest-preemptions choice
    bool no_symmetry = false;                // --no-symmetry: no reduction over interchangeable tasks
    bool no_por = false;                     // --no-por: expand every state fully
    Pictures pictures;                       // --dot, --sequence-dot, --svg
    bool quiet_progress = false;
};

struct ReplayOptions {
    std::string trace;                       // JSON trace file
    std::string model;                       // --model: overrides the path the trace records
    std::string features;                    // --features LIST, applied after the trace's own
    std::vector<std::string> property_files; // --properties FILE: for a trace of a property of the user's
    bool full = false;
    Pictures pictures;
};

struct CiOptions {
    std::vector<std::string> paths;          // models or folders (default models/)
    std::vector<std::string> property_files; // --properties FILE: properties the expectations may name
    std::string junit, json;                 // reports
    std::string memory;
    unsigned long long max_states = 0;
    double seconds = 0;
    unsigned threads = 0;                    // 0: every core
    bool no_por = false;                     // --no-por: expand every state fully
    std::string store = "tree";              // --store tree|flat
    bool update_counterexamples = false;     // rewrite the committed counterexample files
    bool no_symmetry = false;                // --no-symmetry
};

int cmd_check(const CheckOptions& opt);
int cmd_ci(const CiOptions& opt);
int cmd_list(const std::string& what, const std::vector<std::string>& property_files);
int cmd_replay(const ReplayOptions& opt);

}  // namespace pxc::cli
