#include "explorer/memory.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <string>

namespace pxc::explorer {

uint64_t peak_rss_bytes()
{
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmHWM:") {
            uint64_t kib = 0;
            status >> kib;
            return kib * 1024;
        }
        status.ignore(1 << 12, '\n');
    }
    return 0;
}

std::optional<uint64_t> parse_size(std::string_view text)
{
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data())
        return std::nullopt;
    std::string_view suffix(end, text.data() + text.size() - end);
    uint64_t unit = 1ull << 20;
    if (suffix == "" || suffix == "M" || suffix == "MiB" || suffix == "m")
        unit = 1ull << 20;
    else if (suffix == "G" || suffix == "GiB" || suffix == "g")
        unit = 1ull << 30;
    else if (suffix == "K" || suffix == "KiB" || suffix == "k")
        unit = 1ull << 10;
    else
        return std::nullopt;
    if (value > UINT64_MAX / unit)
        return std::nullopt;
    return value * unit;
}

}  // namespace pxc::explorer
