// Pictures of a counterexample, as Graphviz DOT text:
//  - the wait-for graph of one state (tasks, locks, CPUs; blocked_on, owner,
//    curr and donor edges; a task sitting outside its cpus_mask in red),
//    built as a Boost.Graph and written with write_graphviz;
//  - a message-sequence picture of a trace, one lane per CPU. Lanes need
//    `rank=same` groups, which write_graphviz cannot emit, so this one is
//    written as plain DOT text.
#pragma once
#include <string>

#include "kernel/model.hpp"
#include "trace/trace.hpp"

namespace pxc::trace {

std::string wait_for_dot(const kernel::Model& m, const uint8_t* s, const std::string& title);
std::string sequence_dot(const kernel::Model& m, const Trace& tr, const std::string& title);

}  // namespace pxc::trace
