// The files a command writes (a trace, pictures, ci's reports), checked
// before it runs: none may be one of its inputs, and no two the same file.
#pragma once
#include <string>
#include <vector>

namespace pxc::cli {

// Throws Error naming the output; empty paths are outputs not asked for.
void refuse_inputs_as_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);

}  // namespace pxc::cli
