// The cost of a path, for choosing among equally short counterexamples: two
// small counters compared lexicographically (the kernel model counts
// preemptions, then context switches). Packed into 16 bits so that the
// visited set pays two bytes per state, and only when the ordering is on.
#pragma once
#include <cstdint>

namespace pxc::explorer {

struct StepCost {
    uint8_t major = 0;   // compared first
    uint8_t minor = 0;
};

using PathCost = uint16_t;   // major << 8 | minor: plain < is the lexicographic order

// Saturating per counter: a path with 255 preemptions is as bad as it gets.
inline PathCost add_cost(PathCost path, StepCost step)
{
    const unsigned major = (path >> 8) + step.major, minor = (path & 0xFF) + step.minor;
    return PathCost((major > 0xFF ? 0xFF : major) << 8 | (minor > 0xFF ? 0xFF : minor));
}

inline StepCost unpack_cost(PathCost c) { return {uint8_t(c >> 8), uint8_t(c & 0xFF)}; }

}  // namespace pxc::explorer
