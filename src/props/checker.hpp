// The explorer's Checker for a chosen set of properties.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "props/builtin.hpp"

namespace pxc::props {

class Checker {
public:
    // names empty: every built-in property. Throws Error on an unknown name.
    Checker(const kernel::Model& model, const std::vector<std::string>& names);

    std::optional<explorer::Violation> check_state(const uint8_t* s) const;
    std::optional<explorer::Violation> check_deadlock(const uint8_t* s) const;
    const std::vector<const Property*>& selected() const { return selected_; }

private:
    std::optional<explorer::Violation> run(Kind kind, const uint8_t* s) const;
    const kernel::Model& model_;
    std::vector<const Property*> selected_;
};

}  // namespace pxc::props
