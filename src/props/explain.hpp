// Why a property is false in a state, in words: the quantifier bindings that
// witness it ("t = B, c = CPU1") and the atoms that decide it, with the
// values they read. Runs only once a violation is found, so it simply
// compiles each subexpression it needs to look at.
#pragma once
#include <string>

#include "kernel/model.hpp"
#include "props/ast.hpp"

namespace pxc::props {

std::string explain(const Decl& d, const kernel::Model& m, const uint8_t* s);

}  // namespace pxc::props
