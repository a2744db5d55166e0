// The JSON rendering of results and counterexamples (design.md, "Counterexamples").
#pragma once
#include <nlohmann/json.hpp>

#include "explorer/explorer.hpp"
#include "trace/trace.hpp"

namespace pxc::trace {

nlohmann::json stats_json(const explorer::Stats& st);
nlohmann::json trace_json(const kernel::Model& m, const Trace& tr);

}  // namespace pxc::trace
