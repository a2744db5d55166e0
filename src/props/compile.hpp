// A type-checked expression compiled against one model into a tree of small
// closures: each node is a function pointer plus its operands, with the
// model's sizes and the field readers bound in, so evaluating a state is a
// walk over plain calls with no name, type or string in sight.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "kernel/model.hpp"
#include "props/ast.hpp"
#include "props/fields.hpp"
#include "props/typecheck.hpp"

namespace pxc::props {

struct Env {
    const kernel::Model* model;
    const uint8_t* s;
    int64_t var[max_slots];   // quantified variables by slot
};

struct Node;
using EvalFn = int64_t (*)(const Node& n, Env& e);

struct Node {
    EvalFn fn;
    const Node* a = nullptr;
    const Node* b = nullptr;
    int64_t k = 0;        // constant, or the slot a quantifier binds / a variable reads
    int64_t lo = 0, hi = 0;   // a quantifier's range
    Read read = nullptr;  // field or predicate
};

inline int64_t eval(const Node& n, Env& e) { return n.fn(n, e); }

class Compiled {
public:
    Compiled(const Expr& e, const kernel::Model& m);
    Compiled(const Compiled&) = delete;
    Compiled& operator=(const Compiled&) = delete;

    int64_t eval(Env& e) const { return root_->fn(*root_, e); }

private:
    const Node* compile(const Expr& e);
    const Node* quantifier(const Expr& e);
    const Node* conjunction(std::vector<const Expr*> conjuncts, const Node* then);
    Node* add(EvalFn fn);

    const kernel::Model& model_;
    std::deque<Node> nodes_;   // stable addresses
    const Node* root_;
};

// The values a quantifier ranges over in a state, in order (for explain()).
std::vector<int64_t> domain_values(const Expr& quantifier, Env& env);

}  // namespace pxc::props
