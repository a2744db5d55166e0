// Reading an input file (a scenario, a property file, a trace) whole, or
// refusing it with its name: a folder, a missing file, or one too large to
// be a proxycheck input (a device such as /dev/zero never ends).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pxc {

// Larger inputs are refused: the largest trace is a few hundred KiB.
inline constexpr size_t max_input_bytes = size_t(64) << 20;

// The file's bytes; throws Error naming `path` ("cannot read the <what>: ...").
std::string read_input_file(const std::string& path, std::string_view what);

}  // namespace pxc
