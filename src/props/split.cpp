#include "props/split.hpp"

namespace pxc::props {

std::unique_ptr<Expr> clone(const Expr& e)
{
    auto c = std::make_unique<Expr>(e.op, e.line, e.column);
    c->name = e.name;
    c->value = e.value;
    c->type = e.type;
    c->slot = e.slot;
    c->access = e.access;
    for (const auto& a : e.args)
        c->args.push_back(clone(*a));
    return c;
}

std::vector<std::unique_ptr<Expr>> conjunctive_parts(const Expr& e)
{
    std::vector<std::unique_ptr<Expr>> out;
    if (e.op == Op::and_) {
        for (size_t i = 0; i < 2; ++i)
            for (auto& p : conjunctive_parts(e.arg(i)))
                out.push_back(std::move(p));
    } else if (e.op == Op::forall) {
        auto body = conjunctive_parts(e.arg(1));
        if (body.size() == 1) {
            out.push_back(clone(e));
            return out;
        }
        for (auto& b : body) {
            auto q = std::make_unique<Expr>(e.op, e.line, e.column);
            q->name = e.name;
            q->type = e.type;
            q->slot = e.slot;
            q->args.push_back(clone(e.arg(0)));
            q->args.push_back(std::move(b));
            out.push_back(std::move(q));
        }
    } else {
        out.push_back(clone(e));
    }
    return out;
}

}  // namespace pxc::props
