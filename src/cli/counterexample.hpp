// The committed counterexamples (counterexamples/<model>--<property>.json
// and .txt): comparing a fresh one with the committed file, and rewriting it
// (only on --update-counterexamples, never automatically).
#pragma once
#include <optional>
#include <string>

#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "trace/read.hpp"
#include "trace/trace.hpp"

namespace pxc::cli {

// "" when the committed trace has the same steps, else what differs.
std::string compare_counterexample(const kernel::Model& model, const trace::Trace& tr, const std::string& path);

// The flags under which the bug is gone, for the trace file's header: the
// feature set of the [[expect]] of the same scenario that says the property
// holds and differs from the trace's flags in the fewest flags (file order
// breaks ties), written as edits, with the step at which replay is blocked
// there. None when no such expectation blocks the trace (the AB-BA deadlock
// has no fixed flags).
std::optional<trace::FixedFlags> find_fixed_flags(const Scenario& sc, const kernel::Model& model,
                                                  const trace::Trace& tr);

// Writes path (JSON, with the "fixed" header) and its .txt twin.
void write_counterexample(const Scenario& sc, const kernel::Model& model, const trace::Trace& tr,
                          const std::string& path);

}  // namespace pxc::cli
