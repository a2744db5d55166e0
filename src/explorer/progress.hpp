// The progress line on stderr, only when stderr is a terminal.
#pragma once
#include <chrono>
#include <cstdint>

namespace pxc::explorer {

class Progress {
public:
    explicit Progress(bool wanted);
    void update(uint64_t states, uint64_t queue, uint32_t depth, uint64_t bytes);
    void finish();

private:
    bool enabled_;
    bool printed_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace pxc::explorer
