// The explorer's Checker for a chosen set of properties: .prop properties
// compiled against the model once, built-in C++ ones called directly.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "props/compile.hpp"
#include "props/library.hpp"

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
    std::optional<explorer::Violation> check_deadlock(const uint8_t* s) const { return run(deadlocks_, s); }
    const std::vector<const Property*>& selected() const { return selected_; }

private:
    struct Entry {
        const Property* property;
        std::unique_ptr<Compiled> code;   // null for a built-in C++ property
    };
    std::optional<explorer::Violation> run(const std::vector<Entry>& entries, const uint8_t* s) const;

    const kernel::Model& model_;
    std::vector<const Property*> selected_;
    std::vector<Entry> invariants_, deadlocks_;
};

// One property on one state: "" when it holds, else why not (for tests and tools).
std::string evaluate(const kernel::Model& model, const Property& p, const uint8_t* s);

}  // namespace pxc::props
