// Writing the picture files a command was asked for (--dot, --sequence-dot, --svg).
#pragma once
#include <string>

#include "cli/commands.hpp"
#include "kernel/model.hpp"
#include "trace/trace.hpp"

namespace pxc::cli {

// The wait-for graph is of the trace's last state; `title` heads both pictures.
void write_pictures(const kernel::Model& m, const trace::Trace& tr, const Pictures& p, const std::string& title);

}  // namespace pxc::cli
