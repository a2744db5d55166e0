// An invariant as the conjunction of its parts: `A and B` is A, B, and
// `forall x in D: A and B` is `forall x in D: A`, `forall x in D: B`
// (forall distributes over and, whatever D), recursively. The checker
// evaluates each part only after a step that changed a byte the part
// reads, so a clause that reads what scheduler steps change no longer
// drags the clauses that do not along with it.
#pragma once
#include <memory>
#include <vector>

#include "props/ast.hpp"

namespace pxc::props {

// The parts of a type-checked expression, each a new tree (a copy), in
// source order; the expression holds exactly when every part does.
std::vector<std::unique_ptr<Expr>> conjunctive_parts(const Expr& e);

// A deep copy of a type-checked expression.
std::unique_ptr<Expr> clone(const Expr& e);

}  // namespace pxc::props
