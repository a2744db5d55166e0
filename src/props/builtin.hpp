// The properties the property language cannot express, in C++. Each check
// returns an empty string when the property holds on the state, else a
// message in kernel words. The library declares each one in its place
// (`invariant NAME: builtin` in properties/*.prop) and says why it is C++.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kernel/model.hpp"
#include "props/ast.hpp"

namespace pxc::props {

struct BuiltinProperty {
    std::string_view name;
    Kind kind;
    std::string_view reference;   // kernel-protocol.md property / kernel assertion
    std::string_view description;
    std::string (*check)(const kernel::Model& m, const uint8_t* s);
    // Whether the verdict (not the message) is the same on every renaming
    // of interchangeable tasks: symmetry reduction may check it on canonical
    // states (props/symmetry.hpp). Each row says why.
    bool symmetric;
};

std::span<const BuiltinProperty> builtin_properties();

}  // namespace pxc::props
