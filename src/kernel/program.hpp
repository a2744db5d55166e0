// A task's program compiled for the model: the operations and, per
// operation, which locks the program holds before it starts (for
// mutual_exclusion and the deadlock analysis) and which ww_mutexes it holds
// through its acquire context (for -EALREADY and the -EDEADLK back-off).
#pragma once
#include <cstdint>
#include <vector>

#include "kernel/scenario.hpp"

namespace pxc::kernel {

struct Program {
    std::vector<Op> ops;
    std::vector<uint8_t> held_before;       // lock bit mask before ops[i]; one extra entry for "done"
    std::vector<uint8_t> ctx_held_before;   // the ww_mutexes among them taken in the acquire context
    std::vector<uint8_t> uses_ctx;          // ops[i] is a lock/unlock of a ww_mutex inside an acquire context
    // After the lock operation ops[i], the context's ww_mutexes in the order
    // the program took them: what a back-off at ops[i] takes again.
    std::vector<std::vector<uint8_t>> ctx_order_after;
    Backoff backoff = Backoff::retry;

    Program(const TaskDecl& task, const std::vector<LockDecl>& locks);
    int size() const { return static_cast<int>(ops.size()); }
    // The operation after pc_op, following `repeat` back to the start.
    uint8_t next_op(uint8_t pc_op) const;
};

}  // namespace pxc::kernel
