// A type-checked expression compiled against one model into a tree of small
// closures: each node is a function pointer plus its operands, with the
// model's sizes and field locations bound in. The common operands (a
// constant, a bound variable, a one-byte field of one) are read inline, so
// `c.curr == t` is one call and a few loads; no name, type or string is
// looked at while states are checked.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "kernel/model.hpp"
#include "props/ast.hpp"
#include "props/fields.hpp"
#include "props/typecheck.hpp"

namespace pxc::props {

struct Env {
    const kernel::Model* model;
    const uint8_t* s;
    int64_t var[max_slots];   // quantified variables by slot; written before read

    Env(const kernel::Model* m, const uint8_t* state) : model(m), s(state) {}
};

struct Node;
using EvalFn = int64_t (*)(const Node& n, Env& e);

// An operand of a node. The common kinds are read inline; node functions
// are instantiated per operand kind (compile.cpp), so reading one costs no
// dispatch.
struct Operand {
    enum Kind : uint8_t {
        node,       // n's value
        constant,   // k
        var,        // the variable in slot k
        byte,       // s[base + var[k] * stride]: a one-byte field of a variable
        flag,       // (s[base + var[k] * stride] & mask) != 0: a flag bit of one
    } kind = constant;
    uint8_t mask = 0xFF;
    int64_t k = 0;
    int64_t base = 0, stride = 0;
    const Node* n = nullptr;
};

struct Node {
    explicit Node(EvalFn f) : fn(f) {}
    EvalFn fn;
    Operand x, y;
    int64_t slot = 0;         // a quantifier's variable
    int64_t lo = 0, hi = 0;   // a quantifier's range
    Read read = nullptr;      // field or predicate
};

template <Operand::Kind K>
inline int64_t get(const Operand& o, Env& e)
{
    if constexpr (K == Operand::node)
        return o.n->fn(*o.n, e);
    else if constexpr (K == Operand::constant)
        return o.k;
    else if constexpr (K == Operand::var)
        return e.var[o.k];
    else if constexpr (K == Operand::byte)
        return e.s[o.base + e.var[o.k] * o.stride];
    else
        return (e.s[o.base + e.var[o.k] * o.stride] & o.mask) != 0;
}

class Compiled {
public:
    Compiled(const Expr& e, const kernel::Model& m);
    Compiled(const Compiled&) = delete;
    Compiled& operator=(const Compiled&) = delete;

    int64_t eval(Env& e) const;
    // The value, when the model fixes it (folded to a constant).
    std::optional<int64_t> fixed() const;
    // The nodes reachable from the root, the most evaluated per state (0:
    // folded to a constant, or one inline read).
    size_t nodes() const;

private:
    Operand operand(const Expr& e);
    Operand access(const Expr& e);
    template <class Op>
    Operand binary(const Expr& a, const Expr* b);
    Operand node(Node n);
    Operand quantifier(const Expr& e);
    Operand conjunction(const std::vector<const Expr*>& conjuncts, const Operand* then);

    const kernel::Model& model_;
    std::deque<Node> nodes_;   // stable addresses
    Operand root_;
};

// The values a quantifier ranges over in a state, in order (for explain()).
std::vector<int64_t> domain_values(const Expr& quantifier, Env& env);

}  // namespace pxc::props
