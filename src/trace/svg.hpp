// Rendering DOT text to SVG with graphviz's `dot -Tsvg`, when it is installed.
#pragma once
#include <string>

namespace pxc::trace {

// Throws Error naming svg_path unless `dot` is an executable on PATH
// (checked before a long search, not after it).
void require_dot(const std::string& svg_path);

// Throws Error naming svg_path when dot is not installed or fails.
void render_svg(const std::string& dot_text, const std::string& svg_path);

}  // namespace pxc::trace
