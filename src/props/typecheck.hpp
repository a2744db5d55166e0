// Name resolution and type checking of a parsed declaration, in place: after
// it, every name is a variable slot, a constant, a field or a predicate, and
// every comparison is between values of compatible types (comparing a task
// with a CPU is an error, not a false).
#pragma once
#include "props/ast.hpp"

namespace pxc::props {

inline constexpr int max_slots = 16;   // nested quantifiers in one property

// Throws Error at file:line:column of the offending name or operator.
void typecheck(Decl& d);

}  // namespace pxc::props
