// The text counterexample: a race diagram with one column per CPU, in the
// style of kernel commit messages. Under each step, what it did in kernel
// words and only the fields it changed (the diff view); --full prints the
// whole state instead. Then the blocked_on/owner graph of the last state and
// the property that broke. Every line fits in `width` columns for up to
// three CPUs.
#pragma once
#include <string>

#include "trace/trace.hpp"

namespace pxc::trace {

struct TextOptions {
    int width = 100;      // total line width
    bool full = false;    // the whole state after each step instead of what changed
};

// Header, initial state, race diagram, last state, verdict.
std::string render_text(const kernel::Model& m, const Trace& tr, const TextOptions& opt = {});
// Only the race diagram: the CPU header line and the steps.
std::string render_diagram(const kernel::Model& m, const Trace& tr, const TextOptions& opt = {});
// A state's description (describe_state), one indented block, wrapped to width.
std::string render_state(const kernel::Model& m, const uint8_t* s, const TextOptions& opt = {},
                         const std::string& indent = "  ");
// text wrapped to width, continuation lines indented by `cont` more spaces.
std::string wrap_lines(const std::string& text, size_t width, const std::string& indent = "",
                       size_t cont = 2);

}  // namespace pxc::trace
