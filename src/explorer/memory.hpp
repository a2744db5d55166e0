// Memory readings for the statistics and for parsing --memory.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace pxc::explorer {

uint64_t peak_rss_bytes();      // VmHWM of this process, 0 when unknown
// "512M", "2G", "1024" (MiB when no suffix), "100K"; nullopt when malformed.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace pxc::explorer
