#include "explorer/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace pxc::explorer {

Progress::Progress(bool wanted)
    : enabled_(wanted && isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()), last_(start_)
{
}

void Progress::update(uint64_t states, uint64_t queue, uint32_t depth, uint64_t bytes)
{
    if (!enabled_)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1))
        return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r%12llu states  %8.0f states/s  queue %llu  depth %u  %llu MiB   ",
                 (unsigned long long)states, secs > 0 ? double(states) / secs : 0.0,
                 (unsigned long long)queue, depth, (unsigned long long)(bytes >> 20));
    printed_ = true;
}

void Progress::finish()
{
    if (printed_)
        std::fprintf(stderr, "\r%100s\r", "");
}

}  // namespace pxc::explorer
