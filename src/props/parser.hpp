// The .prop grammar (README "Properties" has it in full):
//
//   file     := decl*
//   decl     := ("invariant" | "deadlock") NAME ":" (expr | "builtin")
//   expr     := disj ["->" expr]                          right-associative, loosest
//   disj     := conj {"or" conj}
//   conj     := unary {"and" unary}
//   unary    := "not" unary | quant | cmp
//   quant    := ("forall" | "exists") NAME {"," NAME} "in" term ":" expr
//   cmp      := term [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") term]
//   term     := primary {"." NAME}
//   primary  := NUMBER | NAME ["(" [expr {"," expr}] ")"] | "(" expr ")" | "{" [NUMBER {"," NUMBER}] "}"
//
// The `#` comment lines directly above a declaration become its description.
// `builtin` as the whole body declares a property written in C++
// (src/props/builtin.cpp) at that place in the library.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "props/ast.hpp"

namespace pxc::props {

// Syntax only; names are resolved by typecheck(). Throws Error at file:line:column,
// also for an expression nested more than max_nesting levels deep (ast.hpp).
std::vector<Decl> parse_properties(std::string_view text, const std::string& file);

bool is_keyword(std::string_view word);

}  // namespace pxc::props
