#include "props/checker.hpp"

#include "kernel/error.hpp"
#include "props/explain.hpp"

namespace pxc::props {

Checker::Checker(const kernel::Model& model, const Catalog& catalog, const std::vector<std::string>& names)
    : model_(model)
{
    if (names.empty()) {
        for (const Property& p : catalog.all())
            selected_.push_back(&p);
    }
    for (const std::string& name : names) {
        const Property* p = catalog.find(name);
        if (!p)
            throw Error("unknown property '" + name + "' (see: proxycheck list properties)");
        selected_.push_back(p);
    }
    for (const Property* p : selected_) {
        Entry e{p, p->decl ? std::make_unique<Compiled>(*p->decl->body, model) : nullptr};
        (p->kind == Kind::invariant ? invariants_ : deadlocks_).push_back(std::move(e));
    }
}

std::optional<explorer::Violation> Checker::run(const std::vector<Entry>& entries, const uint8_t* s) const
{
    for (const Entry& e : entries) {
        if (e.code) {
            Env env(&model_, s);
            if (e.code->eval(env))
                continue;
            return explorer::Violation{e.property->name, explain(*e.property->decl, model_, s)};
        }
        std::string msg = e.property->builtin->check(model_, s);
        if (!msg.empty())
            return explorer::Violation{e.property->name, std::move(msg)};
    }
    return std::nullopt;
}

std::string evaluate(const kernel::Model& model, const Property& p, const uint8_t* s)
{
    if (p.builtin)
        return p.builtin->check(model, s);
    Env env(&model, s);
    return Compiled(*p.decl->body, model).eval(env) ? "" : explain(*p.decl, model, s);
}

}  // namespace pxc::props
