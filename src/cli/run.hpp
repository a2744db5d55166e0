// One exploration of a scenario under a feature set and a property set:
// what `check` prints and what `ci` compares.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/library.hpp"
#include "trace/json.hpp"
#include "trace/trace.hpp"

namespace pxc::cli {

// Whether a run reduced by symmetry over interchangeable tasks, and if not why.
struct SymmetryUse {
    bool on = false;
    std::string text;   // "2 classes, 5 tasks" when on, else why it is off
    std::string line() const { return "symmetry: " + (on ? text : "off (" + text + ")"); }
};

// {"on": true, "classes": "2 classes, 5 tasks"} or {"on": false, "reason": "..."}
nlohmann::json symmetry_json(const SymmetryUse& s);

struct RunOutcome {
    explorer::Result result;
    std::optional<trace::Trace> trace;   // set when a property is violated
    SymmetryUse symmetry;
    std::string por_off;                 // why partial-order reduction did not run ("" when it did)
};

// properties: names from the catalog (empty: all of them). order:
// cheapest_shortest (the default of check and ci) prints, among the shortest
// counterexamples, the one with the fewest preemptions, then context
// switches; shortest is plain BFS order (--shortest-only).
// options: threads and mode (explorer::Options; the library's default is
// one thread, exact). symmetry: reduce over interchangeable tasks where the
// model and the properties allow it (--no-symmetry: false). por:
// partial-order reduction (kernel/por.hpp), used when every selected
// property is one it preserves (props/visibility.hpp).
RunOutcome run_model(const kernel::Model& model, const props::Catalog& catalog,
                     const std::vector<std::string>& properties, const explorer::Limits& limits, bool progress,
                     explorer::Order order = explorer::Order::cheapest_shortest, explorer::Options options = {},
                     bool symmetry = true, bool por = false);

// "holds", "violated", "incomplete", "no violation found (compact, not exhaustive)".
std::string verdict_word(explorer::Verdict v, explorer::Mode mode = explorer::Mode::exact);
// 0 holds, 1 violated, 3 incomplete or a lossy search without a violation.
int exit_status(explorer::Verdict v);
std::string mode_name(explorer::Mode m);
// The statistics lines (and, for a lossy mode, the line with its omission bound).
std::string stats_text(const explorer::Stats& st);
// "por: on (ample sets in 41% of states, ...)" / "por: off (--no-por)".
std::string por_text(const explorer::Stats& st, const std::string& por_off);
nlohmann::json por_json(const explorer::Stats& st, const std::string& por_off);

}  // namespace pxc::cli
