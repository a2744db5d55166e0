// Toy models shared by the explorer's tests.
#pragma once
#include <cstddef>
#include <cstdint>

#include "explorer/types.hpp"

namespace pxc::explorer::toy {

// Two bytes, each 0..3; label i increments byte i while it is below 3.
struct TwoCounters {
    size_t state_size() const { return 2; }
    void initial_state(uint8_t* out) const { out[0] = out[1] = 0; }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& cb) const
    {
        for (int i = 0; i < 2; ++i)
            if (s[i] < 3) {
                uint8_t next[2] = {s[0], s[1]};
                ++next[i];
                cb(Label(i), next);
            }
    }
};

}  // namespace pxc::explorer::toy
