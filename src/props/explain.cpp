#include "props/explain.hpp"

#include <vector>

#include "props/compile.hpp"
#include "props/fields.hpp"

namespace pxc::props {

namespace {

class Explainer {
public:
    Explainer(const kernel::Model& m, const uint8_t* s) : env_(&m, s) {}

    // Records why e evaluates to `actual` under the current bindings.
    void why(const Expr& e, bool actual)
    {
        switch (e.op) {
        case Op::not_: why(e.arg(0), !actual); return;
        case Op::and_:
        case Op::or_: {
            // and is false (or is true) because of its first operand that is; otherwise of both
            const bool decisive = e.op == Op::or_;
            if (actual == decisive) {
                why(value(e.arg(0)) == decisive ? e.arg(0) : e.arg(1), actual);
            } else {
                why(e.arg(0), actual);
                why(e.arg(1), actual);
            }
            return;
        }
        case Op::implies:
            if (!actual) {
                why(e.arg(0), true);
                why(e.arg(1), false);
            } else if (!value(e.arg(0))) {
                why(e.arg(0), false);
            } else {
                why(e.arg(1), true);
            }
            return;
        case Op::forall:
        case Op::exists: {
            // forall is false (exists is true) because of its first witness
            const bool witnessed = (e.op == Op::forall) != actual;
            if (!witnessed) {
                facts_.push_back(actual ? to_source(e) : "not (" + to_source(e) + ")");
                return;
            }
            for (int64_t v : domain_values(e, env_)) {
                env_.var[e.slot] = v;
                if (bool(value(e.arg(1))) == actual) {
                    bindings_.push_back(e.name + " = " + render(*env_.model, env_.s, element(e), v));
                    why(e.arg(1), actual);
                    return;
                }
            }
            return;
        }
        default: atom(e, actual); return;
        }
    }

    std::string message() const
    {
        std::string out;
        for (const std::string& b : bindings_)
            out += (out.empty() ? "" : ", ") + b;
        std::string facts;
        for (const std::string& f : facts_)
            facts += (facts.empty() ? "" : ", ") + f;
        return out.empty() ? facts : out + ": " + facts;
    }

private:
    int64_t value(const Expr& e) { return Compiled(e, *env_.model).eval(env_); }

    static Type element(const Expr& q)
    {
        const Expr& d = q.arg(0);
        if (d.op == Op::domain)
            return d.type;
        return d.type == Type::cpumask ? Type::cpu : Type::task;
    }

    // A comparison, field, predicate or constant, as the statement that holds.
    void atom(const Expr& e, bool actual)
    {
        if (e.op == Op::call && e.access->explain && actual) {   // `warned`: the warnings themselves
            facts_.push_back(e.access->explain(*env_.model, env_.s));
            return;
        }
        std::string text;
        if (actual || !is_comparison(e.op) || e.op == Op::in) {
            text = (actual ? "" : "not ") + to_source(e);
        } else {
            static const std::pair<Op, const char*> negated[] = {{Op::eq, " != "}, {Op::ne, " == "}, {Op::lt, " >= "},
                                                                 {Op::le, " > "},  {Op::gt, " <= "}, {Op::ge, " < "}};
            for (const auto& [op, text_op] : negated)
                if (op == e.op)
                    text = to_source(e.arg(0)) + text_op + to_source(e.arg(1));
        }
        // An equality that holds says the value already; otherwise show what was read.
        const bool says_value = (e.op == Op::eq && actual) || (e.op == Op::ne && !actual);
        std::vector<std::string> values;
        if (!says_value)
            reads(e, e, values);
        if (!values.empty()) {
            text += " (";
            for (size_t i = 0; i < values.size(); ++i)
                text += (i ? ", " : "") + values[i];
            text += ")";
        }
        facts_.push_back(text);
    }

    // "t.cpus_mask = {0}" for each field or predicate read inside the atom.
    void reads(const Expr& e, const Expr& atom, std::vector<std::string>& out)
    {
        for (const auto& a : e.args)
            reads(*a, atom, out);
        if (e.op != Op::field && e.op != Op::call)
            return;
        if (e.access->explain && value(e)) {
            out.push_back(e.access->explain(*env_.model, env_.s));
            return;
        }
        if (&e == &atom)   // a boolean atom's own value is in the text
            return;
        const std::string v = to_source(e) + " = " + render(*env_.model, env_.s, e.type, value(e));
        for (const std::string& seen : out)
            if (seen == v)
                return;
        out.push_back(v);
    }

    Env env_;
    std::vector<std::string> bindings_, facts_;
};

}  // namespace

std::string explain(const Decl& d, const kernel::Model& m, const uint8_t* s)
{
    Explainer x(m, s);
    x.why(*d.body, false);
    return x.message();
}

}  // namespace pxc::props
