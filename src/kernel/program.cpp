#include "kernel/program.hpp"

#include <algorithm>

namespace pxc::kernel {

Program::Program(const TaskDecl& task, const std::vector<LockDecl>& locks) : ops(task.program), backoff(task.backoff)
{
    uint8_t held = 0, ctx_held = 0;
    bool in_ctx = false;
    std::vector<uint8_t> order;
    for (const Op& op : ops) {
        held_before.push_back(held);
        ctx_held_before.push_back(ctx_held);
        const bool ww = op.lock >= 0 && locks[size_t(op.lock)].type == LockType::ww_mutex;
        const uint8_t bit = op.lock >= 0 ? uint8_t(1u << op.lock) : 0;
        uses_ctx.push_back(ww && in_ctx && (op.kind == OpKind::lock || op.kind == OpKind::unlock));
        if (op.kind == OpKind::lock) {
            held |= bit;
            if (uses_ctx.back() && !(ctx_held & bit)) {
                ctx_held |= bit;
                order.push_back(uint8_t(op.lock));
            }
        } else if (op.kind == OpKind::unlock) {
            held &= uint8_t(~bit);
            ctx_held &= uint8_t(~bit);
            std::erase(order, uint8_t(op.lock));
        } else if (op.kind == OpKind::ww_acquire_init) {
            in_ctx = true;
        } else if (op.kind == OpKind::ww_acquire_fini) {
            in_ctx = false;
        }
        ctx_order_after.push_back(order);
    }
    held_before.push_back(held);
    ctx_held_before.push_back(ctx_held);
}

uint8_t Program::next_op(uint8_t pc_op) const
{
    const int next = pc_op + 1;
    if (next < size() && ops[next].kind == OpKind::repeat)
        return 0;
    return static_cast<uint8_t>(next);
}

}  // namespace pxc::kernel
