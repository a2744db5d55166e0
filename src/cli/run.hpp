// One exploration of a scenario under a feature set and a property set:
// what `check` prints and what `ci` compares.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/library.hpp"
#include "trace/trace.hpp"

namespace pxc::cli {

struct RunOutcome {
    explorer::Result result;
    std::optional<trace::Trace> trace;   // set when a property is violated
};

// properties: names from the catalog (empty: all of them). order:
// cheapest_shortest (the default of check and ci) prints, among the shortest
// counterexamples, the one with the fewest preemptions, then context
// switches; shortest is plain BFS order (--shortest-only).
RunOutcome run_model(const kernel::Model& model, const props::Catalog& catalog,
                     const std::vector<std::string>& properties, const explorer::Limits& limits, bool progress,
                     explorer::Order order = explorer::Order::cheapest_shortest);

std::string verdict_word(explorer::Verdict v);
int exit_status(explorer::Verdict v);   // 0 holds, 1 violated, 3 incomplete
std::string stats_text(const explorer::Stats& st);

}  // namespace pxc::cli
