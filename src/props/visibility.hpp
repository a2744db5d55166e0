// Which state bytes the selected properties read: the visible bytes of
// partial-order reduction (condition C2, kernel/por.hpp), and whether the
// reduction preserves each property at all.
#pragma once
#include <cstdint>
#include <vector>

#include "kernel/model.hpp"
#include "props/fields.hpp"
#include "props/library.hpp"

namespace pxc::props {

// One entry per state byte, nonzero where an invariant among `selected`
// reads it. Deadlock properties read nothing here: they are checked on
// states without an enabled step, which the reduction keeps (C0, C1).
// A field or built-in whose bytes are not written down here counts as
// reading the whole state.
std::vector<uint8_t> visible_bytes(const kernel::Model& model, const std::vector<const Property*>& selected);

// The bytes one expression reads (an invariant's part, checker.hpp).
std::vector<uint8_t> visible_bytes(const kernel::Model& model, const Expr& e);
// The bytes one field or predicate reads, in every object (for tests).
std::vector<uint8_t> access_bytes(const kernel::Model& model, const Access& a);

// The reduction preserves the property: an invariant (C2 and the cycle
// proviso keep its violations) or a deadlock condition (terminal states
// are kept). Both kinds today; a later kind (progress) must say so here.
bool por_preserves(const Property& p);

}  // namespace pxc::props
