#include "props/checker.hpp"

#include "kernel/error.hpp"

namespace pxc::props {

Checker::Checker(const kernel::Model& model, const std::vector<std::string>& names) : model_(model)
{
    if (names.empty()) {
        for (const Property& p : builtin_properties())
            selected_.push_back(&p);
        return;
    }
    for (const std::string& name : names) {
        const Property* p = find_property(name);
        if (!p)
            throw Error("unknown property '" + name + "' (see: proxycheck list properties)");
        selected_.push_back(p);
    }
}

std::optional<explorer::Violation> Checker::run(Kind kind, const uint8_t* s) const
{
    for (const Property* p : selected_) {
        if (p->kind != kind)
            continue;
        std::string msg = p->check(model_, s);
        if (!msg.empty())
            return explorer::Violation{std::string(p->name), std::move(msg)};
    }
    return std::nullopt;
}

std::optional<explorer::Violation> Checker::check_state(const uint8_t* s) const { return run(Kind::invariant, s); }
std::optional<explorer::Violation> Checker::check_deadlock(const uint8_t* s) const { return run(Kind::deadlock, s); }

}  // namespace pxc::props
