#include "props/ast.hpp"

namespace pxc::props {

std::string type_name(Type t)
{
    switch (t) {
    case Type::unknown: return "unknown";
    case Type::boolean: return "bool";
    case Type::integer: return "int";
    case Type::cpu: return "cpu";
    case Type::cpumask: return "cpu set";
    case Type::task: return "task";
    case Type::task_or_none: return "task or none";
    case Type::task_or_idle: return "task or idle";
    case Type::lock: return "lock";
    case Type::lock_or_none: return "lock or none";
    case Type::blocked_on: return "blocked_on value (none, a lock or PROXY_WAKING)";
    case Type::wait_list: return "wait_list (sequence of tasks)";
    case Type::task_state: return "task state";
    case Type::on_rq: return "on_rq value";
    case Type::none: return "none";
    case Type::proxy_waking: return "PROXY_WAKING";
    }
    return "?";
}

bool is_comparison(Op op)
{
    return op == Op::eq || op == Op::ne || op == Op::lt || op == Op::le || op == Op::gt || op == Op::ge ||
           op == Op::in;
}

namespace {

// Binding strength, loosest first; a quantifier's body extends as far as it can.
enum Prec { P_QUANT, P_IMPLIES, P_OR, P_AND, P_NOT, P_CMP, P_TERM };

const char* op_text(Op op)
{
    switch (op) {
    case Op::eq: return " == ";
    case Op::ne: return " != ";
    case Op::lt: return " < ";
    case Op::le: return " <= ";
    case Op::gt: return " > ";
    case Op::ge: return " >= ";
    case Op::in: return " in ";
    case Op::and_: return " and ";
    case Op::or_: return " or ";
    case Op::implies: return " -> ";
    default: return " ? ";
    }
}

std::string source(const Expr& e, int ctx);

std::string binary(const Expr& e, int prec, int left, int right, int ctx)
{
    std::string s = source(e.arg(0), left) + op_text(e.op) + source(e.arg(1), right);
    return prec < ctx ? "(" + s + ")" : s;
}

std::string source(const Expr& e, int ctx)
{
    switch (e.op) {
    case Op::boolean: return e.value ? "true" : "false";
    case Op::integer: return std::to_string(e.value);
    case Op::name:
    case Op::var:
    case Op::constant:
    case Op::domain: return e.name;
    case Op::cpuset: {   // the elements until the type checker folds them into the mask
        std::string s = "{";
        for (const auto& a : e.args)
            s += (s.size() > 1 ? ", " : "") + std::to_string(a->value);
        for (int c = 0; e.args.empty() && c < 64; ++c)
            if (e.value >> c & 1)
                s += (s.size() > 1 ? ", " : "") + std::to_string(c);
        return s + "}";
    }
    case Op::field: return source(e.arg(0), P_TERM) + "." + e.name;
    case Op::call: {
        if (e.args.empty())   // `warned`: a predicate without arguments
            return e.name;
        std::string s = e.name + "(";
        for (size_t i = 0; i < e.args.size(); ++i)
            s += (i ? ", " : "") + source(e.arg(i), P_QUANT);
        return s + ")";
    }
    case Op::not_: {
        std::string s = "not " + source(e.arg(0), P_NOT);
        return P_NOT < ctx ? "(" + s + ")" : s;
    }
    case Op::and_: return binary(e, P_AND, P_AND, P_NOT, ctx);
    case Op::or_: return binary(e, P_OR, P_OR, P_AND, ctx);
    case Op::implies: return binary(e, P_IMPLIES, P_OR, P_IMPLIES, ctx);
    case Op::forall:
    case Op::exists: {
        std::string s = std::string(e.op == Op::forall ? "forall " : "exists ") + e.name + " in " +
                        source(e.arg(0), P_TERM) + ": " + source(e.arg(1), P_QUANT);
        return ctx > P_QUANT ? "(" + s + ")" : s;
    }
    default: return binary(e, P_CMP, P_TERM, P_TERM, ctx);
    }
}

}  // namespace

std::string to_source(const Expr& e) { return source(e, P_QUANT); }

}  // namespace pxc::props
