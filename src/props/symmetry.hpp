// Whether the selected properties allow symmetry reduction over
// interchangeable tasks (kernel/symmetry.hpp): a property may be checked on
// the canonical state of a class only when its verdict is the same on every
// renaming of the state's tasks.
#pragma once
#include <string>
#include <vector>

#include "props/library.hpp"

namespace pxc::props {

// "" when the property's verdict does not depend on task ids, else why
// ("property X names task A").
std::string symmetry_breaker(const Property& p);
// The first of the properties that breaks it, as above.
std::string symmetry_breaker(const std::vector<const Property*>& ps);

}  // namespace pxc::props
