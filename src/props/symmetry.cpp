// The property language names no task: a task value comes from a quantifier
// over all tasks (or over a lock's wait_list) or from a reference the state
// holds (owner, curr, donor, blocked_donor), and renaming the tasks maps
// each of those onto its image; tasks are only compared for equality and
// membership. So a .prop property is symmetric unless it holds what the
// language cannot write today and a later extension might add: a task
// constant, an ordering of tasks, or a number read from a task that could be
// its id. The walk below refuses exactly those, so an extension that adds
// them turns the reduction off instead of making it wrong. The C++
// properties say for themselves (BuiltinProperty::symmetric).
#include "props/symmetry.hpp"

#include "props/fields.hpp"

namespace pxc::props {

namespace {

bool task_family(Type t) { return t == Type::task || t == Type::task_or_none || t == Type::task_or_idle; }

std::string breaker(const Expr& e)
{
    switch (e.op) {
    case Op::constant:
        if (task_family(e.type))
            return "names a task (" + to_source(e) + ")";
        break;
    case Op::name: return "has an unresolved name '" + e.name + "'";
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge:
        if (task_family(e.arg(0).type) || task_family(e.arg(1).type))
            return "orders tasks (" + to_source(e) + ")";
        break;
    case Op::field:
    case Op::call:
        if (e.type == Type::integer)
            for (const auto& a : e.args)
                if (task_family(a->type))
                    return "reads a number from a task (" + to_source(e) + ")";
        break;
    default: break;
    }
    for (const auto& a : e.args)
        if (std::string why = breaker(*a); !why.empty())
            return why;
    return "";
}

}  // namespace

std::string symmetry_breaker(const Property& p)
{
    std::string why;
    if (p.builtin)
        why = p.builtin->symmetric ? "" : "depends on task ids (built-in C++)";
    else if (p.decl && p.decl->body)
        why = breaker(*p.decl->body);
    return why.empty() ? "" : "property " + p.name + " " + why;
}

std::string symmetry_breaker(const std::vector<const Property*>& ps)
{
    for (const Property* p : ps)
        if (std::string why = symmetry_breaker(*p); !why.empty())
            return why;
    return "";
}

}  // namespace pxc::props
