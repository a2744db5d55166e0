// The built-in properties, in one table so that they can move to .prop files
// when the property language lands. Each check returns an empty string when
// the property holds on the state, else a message in kernel words.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kernel/model.hpp"

namespace pxc::props {

enum class Kind { invariant, deadlock };   // deadlock: checked on states with no enabled step

struct Property {
    std::string_view name;
    Kind kind;
    std::string_view reference;   // kernel-protocol.md property / kernel assertion
    std::string_view description;
    std::string (*check)(const kernel::Model& m, const uint8_t* s);
};

std::span<const Property> builtin_properties();
const Property* find_property(std::string_view name);

}  // namespace pxc::props
