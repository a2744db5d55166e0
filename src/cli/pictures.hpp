// Writing the picture files a command was asked for (--dot, --sequence-dot, --svg).
#pragma once
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "kernel/model.hpp"
#include "trace/trace.hpp"

namespace pxc::cli {

// The wait-for graph is of the trace's last state; `title` heads both pictures.
// An output file (trace, picture) that is one of the run's inputs would be
// overwritten by its result: refused (Error) before anything runs.
void refuse_inputs_as_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);

void write_pictures(const kernel::Model& m, const trace::Trace& tr, const Pictures& p, const std::string& title);

}  // namespace pxc::cli
