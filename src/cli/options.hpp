// Turning command-line limits and feature lists into the library's types.
#pragma once
#include <string>

#include "explorer/explorer.hpp"
#include "kernel/scenario.hpp"

namespace pxc::cli {

// memory empty: the default budget (explorer::default_memory_budget()).
explorer::Limits make_limits(const std::string& memory, unsigned long long max_states, double seconds);
// --threads N (0: every core), --mode and --store; bitstate's bit array is
// half of an explicit --memory.
explorer::Options make_options(unsigned threads, const std::string& mode, const explorer::Limits& limits,
                               const std::string& store = "tree");
// The scenario's features plus extra edits; validated (throws Error).
FeatureSet resolve_features(const Scenario& sc, const std::vector<std::string>& extra, const SourceLoc& extra_loc);

}  // namespace pxc::cli
