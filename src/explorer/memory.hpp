// Memory readings for the statistics and for parsing --memory.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace pxc::explorer {

uint64_t peak_rss_bytes();      // VmHWM of this process, 0 when unknown
// Memory this process may still take without swapping or being killed: the
// smaller of MemAvailable and what the cgroup's memory.max leaves; 0 when unknown.
uint64_t available_memory_bytes();
// The budget of a search given no --memory: 80 % of available_memory_bytes()
// (0, no limit, when unknown).
uint64_t default_memory_budget();
// "512M", "2G", "1T", "1024" (MiB when no suffix), "100K"; nullopt when malformed.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace pxc::explorer
