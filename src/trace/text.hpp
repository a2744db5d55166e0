// The text counterexample: a race diagram with one column per CPU, in the
// style of kernel commit messages, then the blocked_on/owner graph of the
// last state and the property that broke.
#pragma once
#include <string>

#include "trace/trace.hpp"

namespace pxc::trace {

struct TextOptions {
    int width = 100;     // total line width
    bool changes = true; // list the changed fields under each step
};

std::string render_text(const kernel::Model& m, const Trace& tr, const TextOptions& opt = {});

}  // namespace pxc::trace
