#include "props/typecheck.hpp"

#include <vector>

#include "kernel/error.hpp"
#include "kernel/scenario.hpp"
#include "props/fields.hpp"

namespace pxc::props {

namespace {

bool task_family(Type t) { return t == Type::task || t == Type::task_or_none || t == Type::task_or_idle; }
bool lock_family(Type t) { return t == Type::lock || t == Type::lock_or_none || t == Type::blocked_on; }
bool is_domain_name(const std::string& n) { return n == "tasks" || n == "cpus" || n == "locks"; }

std::string an(Type t)
{
    const std::string n = type_name(t);
    return (n[0] == 'a' || n[0] == 'i' || n[0] == 'o' || n[0] == 'u' ? "an " : "a ") + n;
}

std::string field_list(Type object)
{
    std::string out;
    for (const Access& a : fields())
        if (a.params[0] == object)
            out += (out.empty() ? "" : ", ") + std::string(a.name);
    return out;
}

class TypeChecker {
public:
    explicit TypeChecker(const std::string& file) : file_(file) {}

    int slots() const { return max_depth_; }

    Type check(Expr& e)
    {
        e.type = resolve(e);
        return e.type;
    }

    void expect_bool(Expr& e, const char* where)
    {
        const Type t = check(e);
        if (t != Type::boolean)
            fail(e, std::string(where) + " must be true or false, but '" + to_source(e) + "' is " + an(t));
    }

private:
    struct Binding {
        std::string name;
        Type type;
        int slot;
    };

    [[noreturn]] void fail(const Expr& at, const std::string& message) const
    {
        throw Error(SourceLoc{file_, at.line, at.column}, message);
    }

    Type resolve(Expr& e)
    {
        switch (e.op) {
        case Op::boolean: return Type::boolean;
        case Op::integer: return Type::integer;
        case Op::cpuset: return cpuset(e);
        case Op::name: return name(e);
        case Op::field: return field(e);
        case Op::call: return call(e);
        case Op::not_:
            expect_bool(*e.args[0], "the operand of 'not'");
            return Type::boolean;
        case Op::and_:
        case Op::or_:
        case Op::implies:
            expect_bool(*e.args[0], "each side of 'and', 'or' and '->'");
            expect_bool(*e.args[1], "each side of 'and', 'or' and '->'");
            return Type::boolean;
        case Op::forall:
        case Op::exists: return quantifier(e);
        case Op::eq:
        case Op::ne: return equality(e);
        case Op::lt:
        case Op::le:
        case Op::gt:
        case Op::ge: return ordering(e);
        case Op::in: return membership(e);
        case Op::var:
        case Op::constant:
        case Op::domain: return e.type;   // already resolved
        }
        return Type::unknown;
    }

    Type cpuset(Expr& e)
    {
        e.value = 0;
        for (const auto& a : e.args) {
            if (a->value >= max_cpus)
                fail(*a, "CPU " + std::to_string(a->value) + " out of range (CPUs are 0 to " +
                             std::to_string(max_cpus - 1) + ")");
            e.value |= int64_t(1) << a->value;
        }
        e.args.clear();
        return Type::cpumask;
    }

    Type name(Expr& e)
    {
        for (auto b = scope_.rbegin(); b != scope_.rend(); ++b)
            if (b->name == e.name) {
                e.op = Op::var;
                e.slot = b->slot;
                return b->type;
            }
        if (auto c = find_constant(e.name)) {
            e.op = Op::constant;
            e.value = c->value;
            return c->type;
        }
        if (const Access* p = find_predicate(e.name)) {
            if (p->arity != 0)
                fail(e, "'" + e.name + "' is a predicate: write " + e.name + "(...)");
            e.op = Op::call;
            e.access = p;
            return p->type;
        }
        if (is_domain_name(e.name))
            fail(e, "'" + e.name + "' is a quantifier domain: write 'forall x in " + e.name + ": ...'");
        fail(e, "unknown name '" + e.name + "'");
    }

    Type field(Expr& e)
    {
        Expr& object = *e.args[0];
        const Type t = check(object);
        if (t == Type::task_or_none || t == Type::task_or_idle)
            fail(e, "'" + to_source(object) + "' is " + an(t) + ", which has no fields: bind a task first, as in "
                    "'forall t in tasks: " + to_source(object) + " == t -> ... t." + e.name + " ...'");
        if (t != Type::task && t != Type::lock && t != Type::cpu)
            fail(e, "'" + to_source(object) + "' is " + an(t) + ", which has no fields");
        e.access = find_field(t, e.name);
        if (!e.access)
            fail(e, "unknown field '" + e.name + "' of " + an(t) + " (fields: " + field_list(t) + ")");
        return e.access->type;
    }

    Type call(Expr& e)
    {
        e.access = find_predicate(e.name);
        if (!e.access) {
            std::string names;
            for (const Access& p : predicates())
                names += (names.empty() ? "" : ", ") + std::string(p.name);
            fail(e, "unknown predicate '" + e.name + "' (predicates: " + names + ")");
        }
        const Access& p = *e.access;
        if (int(e.args.size()) != p.arity)
            fail(e, "'" + e.name + "' takes " + std::to_string(p.arity) + " argument" + (p.arity == 1 ? "" : "s") +
                        ", not " + std::to_string(e.args.size()));
        for (size_t i = 0; i < e.args.size(); ++i) {
            const Type t = check(*e.args[i]);
            if (t != p.params[i])
                fail(*e.args[i], "argument " + std::to_string(i + 1) + " of '" + e.name + "' must be " +
                                     an(p.params[i]) + ", but '" + to_source(*e.args[i]) + "' is " + an(t));
        }
        return p.type;
    }

    Type quantifier(Expr& e)
    {
        Expr& domain = *e.args[0];
        Type element;
        if (domain.op == Op::name && is_domain_name(domain.name)) {
            domain.op = Op::domain;
            domain.value = domain.name == "tasks" ? DOMAIN_TASKS : domain.name == "cpus" ? DOMAIN_CPUS : DOMAIN_LOCKS;
            element = domain.value == DOMAIN_TASKS ? Type::task : domain.value == DOMAIN_CPUS ? Type::cpu : Type::lock;
            domain.type = element;
        } else {
            const Type t = check(domain);
            if (t == Type::cpumask)
                element = Type::cpu;
            else if (t == Type::wait_list)
                element = Type::task;
            else
                fail(domain, "cannot quantify over '" + to_source(domain) + "', which is " + an(t) +
                                 " (domains: tasks, cpus, locks, a cpu set, a lock's wait_list)");
        }
        if (find_constant(e.name) || find_predicate(e.name) || is_domain_name(e.name))
            fail(e, "'" + e.name + "' is a predefined name and cannot be a variable");
        for (const Binding& b : scope_)
            if (b.name == e.name)
                fail(e, "'" + e.name + "' is already bound by an enclosing quantifier");
        if (int(scope_.size()) == max_slots)
            fail(e, "more than " + std::to_string(max_slots) + " nested quantifiers");
        e.slot = int(scope_.size());
        scope_.push_back({e.name, element, e.slot});
        max_depth_ = std::max(max_depth_, int(scope_.size()));
        expect_bool(*e.args[1], "the body of a quantifier");
        scope_.pop_back();
        return Type::boolean;
    }

    // `none` and PROXY_WAKING take the type of what they are compared with;
    // an integer literal may stand for a CPU number or an on_rq value.
    static void adopt(Expr& literal, Type t)
    {
        literal.type = t;
        if (literal.op == Op::constant && literal.name == "none")
            literal.value = none_value(t);
    }

    Type equality(Expr& e)
    {
        Expr& a = *e.args[0];
        Expr& b = *e.args[1];
        const Type ta = check(a), tb = check(b);
        auto mismatch = [&]() -> Type {
            fail(e, "cannot compare '" + to_source(a) + "' (" + type_name(ta) + ") with '" + to_source(b) + "' (" +
                        type_name(tb) + ")");
        };
        if (ta == Type::none || tb == Type::none) {
            Expr& lit = ta == Type::none ? a : b;
            const Type other = ta == Type::none ? tb : ta;
            if (other == Type::task_or_none || other == Type::lock_or_none || other == Type::blocked_on) {
                adopt(lit, other);
                return Type::boolean;
            }
            if (other == Type::task || other == Type::task_or_idle || other == Type::lock)
                fail(e, "'" + to_source(ta == Type::none ? b : a) + "' is " + an(other) + ", never none" +
                            (other == Type::task_or_idle ? " (rq->curr and rq->donor are idle when no task runs: "
                                                           "compare with c.idle)"
                                                         : ""));
            return mismatch();
        }
        if (ta == Type::proxy_waking || tb == Type::proxy_waking) {
            if (ta == Type::blocked_on || tb == Type::blocked_on)
                return Type::boolean;
            return mismatch();
        }
        if (a.op == Op::integer && (tb == Type::cpu || tb == Type::on_rq))
            adopt(a, tb);
        else if (b.op == Op::integer && (ta == Type::cpu || ta == Type::on_rq))
            adopt(b, ta);
        else if (ta == Type::wait_list || tb == Type::wait_list)
            fail(e, "a wait_list cannot be compared; use 'in' or a quantifier over it");
        else if (!(ta == tb || (task_family(ta) && task_family(tb)) || (lock_family(ta) && lock_family(tb))))
            return mismatch();
        return Type::boolean;
    }

    Type ordering(Expr& e)
    {
        Expr& a = *e.args[0];
        Expr& b = *e.args[1];
        const Type ta = check(a), tb = check(b);
        if (a.op == Op::integer && tb == Type::cpu)
            adopt(a, tb);
        else if (b.op == Op::integer && ta == Type::cpu)
            adopt(b, ta);
        else if (!(ta == tb && (ta == Type::integer || ta == Type::cpu)))
            fail(e, "'" + to_source(e) + "': only numbers and CPUs are ordered, not " + type_name(ta) + " and " +
                        type_name(tb));
        return Type::boolean;
    }

    Type membership(Expr& e)
    {
        Expr& a = *e.args[0];
        Expr& b = *e.args[1];
        const Type ta = check(a), tb = check(b);
        if (tb == Type::cpumask) {
            if (a.op == Op::integer)
                adopt(a, Type::cpu);
            else if (ta != Type::cpu)
                fail(e, "'" + to_source(b) + "' is a cpu set, but '" + to_source(a) + "' is " + an(ta));
        } else if (tb == Type::wait_list) {
            if (!task_family(ta))
                fail(e, "'" + to_source(b) + "' holds tasks, but '" + to_source(a) + "' is " + an(ta));
        } else {
            fail(e, "'in' needs a cpu set or a wait_list on its right; '" + to_source(b) + "' is " + an(tb));
        }
        return Type::boolean;
    }

    std::string file_;
    std::vector<Binding> scope_;
    int max_depth_ = 0;
};

}  // namespace

void typecheck(Decl& d)
{
    if (d.builtin)
        return;
    TypeChecker tc(d.file);
    tc.expect_bool(*d.body, "a property");
    d.slots = tc.slots();
}

}  // namespace pxc::props
