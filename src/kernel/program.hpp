// A task's program compiled for the model: the operations and, per
// operation, which locks the program holds before it starts (for
// mutual_exclusion and the deadlock analysis).
#pragma once
#include <cstdint>
#include <vector>

#include "kernel/scenario.hpp"

namespace pxc::kernel {

struct Program {
    std::vector<Op> ops;
    std::vector<uint8_t> held_before;   // lock bit mask before ops[i]; one extra entry for "done"

    explicit Program(const TaskDecl& task);
    int size() const { return static_cast<int>(ops.size()); }
    // The operation after pc_op, following `repeat` back to the start.
    uint8_t next_op(uint8_t pc_op) const;
};

}  // namespace pxc::kernel
