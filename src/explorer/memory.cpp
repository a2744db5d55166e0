#include "explorer/memory.hpp"

#include <algorithm>
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

namespace {

// A number from a one-line file ("max" or unreadable: nullopt).
std::optional<uint64_t> read_number(const char* path)
{
    std::ifstream f(path);
    uint64_t v = 0;
    if (!(f >> v))
        return std::nullopt;
    return v;
}

}  // namespace

uint64_t available_memory_bytes()
{
    uint64_t avail = 0;
    std::ifstream info("/proc/meminfo");
    std::string key;
    while (info >> key) {
        if (key == "MemAvailable:") {
            uint64_t kib = 0;
            info >> kib;
            avail = kib * 1024;
            break;
        }
        info.ignore(1 << 12, '\n');
    }
    // cgroup v2, then v1: what the limit leaves.
    auto cap = read_number("/sys/fs/cgroup/memory.max");
    auto used = read_number("/sys/fs/cgroup/memory.current");
    if (!cap) {
        cap = read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        used = read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    }
    if (cap && *cap < (uint64_t(1) << 60)) {
        const uint64_t left = *cap > used.value_or(0) ? *cap - used.value_or(0) : 0;
        avail = avail ? std::min(avail, left) : left;
    }
    return avail;
}

uint64_t default_memory_budget() { return available_memory_bytes() / 10 * 8; }

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
    else if (suffix == "T" || suffix == "TiB" || suffix == "t")
        unit = 1ull << 40;
    else
        return std::nullopt;
    if (value > UINT64_MAX / unit)
        return std::nullopt;
    return value * unit;
}

}  // namespace pxc::explorer
