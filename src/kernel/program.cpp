#include "kernel/program.hpp"

namespace pxc::kernel {

Program::Program(const TaskDecl& task) : ops(task.program)
{
    uint8_t held = 0;
    for (const Op& op : ops) {
        held_before.push_back(held);
        if (op.kind == OpKind::lock)
            held |= uint8_t(1u << op.lock);
        else if (op.kind == OpKind::unlock)
            held &= uint8_t(~(1u << op.lock));
    }
    held_before.push_back(held);
}

uint8_t Program::next_op(uint8_t pc_op) const
{
    const int next = pc_op + 1;
    if (next < size() && ops[next].kind == OpKind::repeat)
        return 0;
    return static_cast<uint8_t>(next);
}

}  // namespace pxc::kernel
