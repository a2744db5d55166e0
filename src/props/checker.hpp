// The explorer's Checker for a chosen set of properties: .prop properties
// compiled against the model once, built-in C++ ones called directly.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "props/compile.hpp"
#include "props/library.hpp"
#include "props/memo.hpp"

namespace pxc::props {

class Checker {
public:
    // names empty: every property of the catalog. Throws Error on an unknown name.
    Checker(const kernel::Model& model, const Catalog& catalog, const std::vector<std::string>& names);
    Checker(const kernel::Model& model, const std::vector<std::string>& names)
        : Checker(model, Catalog::standard(), names)
    {
    }

    std::optional<explorer::Violation> check_state(const uint8_t* s) const { return run(invariants_, s); }
    // check_state(s) for a successor of `parent`, a state every invariant
    // holds in: a part of an invariant is evaluated again only when the
    // step changed a byte it reads (its visible bytes, visibility.hpp). A
    // part is a function of the bytes it reads, so the others still hold,
    // and the first violated invariant is the one check_state finds.
    std::optional<explorer::Violation> check_successor(const uint8_t* parent, const uint8_t* s) const;
    std::optional<explorer::Violation> check_deadlock(const uint8_t* s) const { return run(deadlocks_, s); }
    const std::vector<const Property*>& selected() const { return selected_; }

private:
    // One bit per byte of a state.
    using Bytes = std::array<uint64_t, (kernel::max_state_bytes + 63) / 64>;
    // A .prop invariant is compiled as its conjunctive parts (split.hpp),
    // each with the bytes it reads; a deadlock property as one part.
    // A part that reads at most Projection::max_bytes bytes has a memo:
    // its "holds" remembered by those bytes (memo.hpp), one table a thread.
    struct Part {
        std::unique_ptr<Compiled> code;
        Bytes reads{};
        Projection projection;
        int memo = -1;   // its table among the thread's; -1: none
    };
    struct Entry {
        const Property* property;
        std::vector<Part> parts;   // empty for a built-in C++ property
        Bytes reads{};             // invariants: the bytes it reads (all its parts)
    };
    // What check_successor() goes through: each part of each invariant, or
    // a built-in invariant whole, in the order of the invariants.
    struct Unit {
        Bytes reads;
        const Entry* entry;
        const Part* part;   // null: a built-in
    };
    template <size_t Words>
    std::optional<explorer::Violation> check_units(const Bytes& changed, const uint8_t* s) const;
    std::optional<explorer::Violation> run(const std::vector<Entry>& entries, const uint8_t* s) const;
    std::optional<explorer::Violation> check(const Entry& e, const uint8_t* s) const;
    explorer::Violation violation(const Entry& e, const uint8_t* s) const;

    const kernel::Model& model_;
    const uint64_t id_;   // which checker a thread's memo tables belong to
    int memos_ = 0;
    std::vector<const Property*> selected_;
    std::vector<Entry> invariants_, deadlocks_;
    std::vector<Unit> units_;
};

// One property on one state: "" when it holds, else why not (for tests and tools).
std::string evaluate(const kernel::Model& model, const Property& p, const uint8_t* s);

}  // namespace pxc::props
