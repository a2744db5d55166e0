// Turning command-line limits and feature lists into the library's types.
#pragma once
#include <string>

#include "explorer/explorer.hpp"
#include "kernel/scenario.hpp"

namespace pxc::cli {

explorer::Limits make_limits(const std::string& memory, unsigned long long max_states, double seconds);
// The scenario's features plus extra edits; validated (throws Error).
FeatureSet resolve_features(const Scenario& sc, const std::vector<std::string>& extra, const SourceLoc& extra_loc);

}  // namespace pxc::cli
