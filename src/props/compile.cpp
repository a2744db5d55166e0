#include "props/compile.hpp"

#include "kernel/state.hpp"

namespace pxc::props {

namespace {

using kernel::NO_TASK;

int64_t n_const(const Node& n, Env&) { return n.k; }
int64_t n_var(const Node& n, Env& e) { return e.var[n.k]; }
int64_t n_read0(const Node& n, Env& e) { return n.read(*e.model, e.s, 0, 0); }
int64_t n_read1(const Node& n, Env& e) { return n.read(*e.model, e.s, eval(*n.a, e), 0); }
int64_t n_read_var(const Node& n, Env& e) { return n.read(*e.model, e.s, e.var[n.k], 0); }
int64_t n_read2(const Node& n, Env& e) { return n.read(*e.model, e.s, eval(*n.a, e), eval(*n.b, e)); }

int64_t n_not(const Node& n, Env& e) { return !eval(*n.a, e); }
int64_t n_and(const Node& n, Env& e) { return eval(*n.a, e) && eval(*n.b, e); }
int64_t n_or(const Node& n, Env& e) { return eval(*n.a, e) || eval(*n.b, e); }
int64_t n_implies(const Node& n, Env& e) { return !eval(*n.a, e) || eval(*n.b, e); }

int64_t n_eq(const Node& n, Env& e) { return eval(*n.a, e) == eval(*n.b, e); }
int64_t n_ne(const Node& n, Env& e) { return eval(*n.a, e) != eval(*n.b, e); }
int64_t n_lt(const Node& n, Env& e) { return eval(*n.a, e) < eval(*n.b, e); }
int64_t n_le(const Node& n, Env& e) { return eval(*n.a, e) <= eval(*n.b, e); }
int64_t n_in_mask(const Node& n, Env& e)
{
    const int64_t c = eval(*n.a, e);
    return c >= 0 && c < 64 && (eval(*n.b, e) >> c & 1);
}
int64_t n_in_wait_list(const Node& n, Env& e) { return wait_list_contains(*e.model, e.s, eval(*n.b, e), eval(*n.a, e)); }

// Quantifiers: a = body, k = slot; over [lo, hi), the bits of b, or b's wait_list.
template <bool all>
int64_t n_range(const Node& n, Env& e)
{
    for (int64_t v = n.lo; v < n.hi; ++v) {
        e.var[n.k] = v;
        if (bool(eval(*n.a, e)) != all)
            return !all;
    }
    return all;
}
template <bool all>
int64_t n_mask(const Node& n, Env& e)
{
    const int64_t mask = eval(*n.b, e);
    for (int64_t c = 0; c < 64; ++c) {
        if (!(mask >> c & 1))
            continue;
        e.var[n.k] = c;
        if (bool(eval(*n.a, e)) != all)
            return !all;
    }
    return all;
}
template <bool all>
int64_t n_wait_list(const Node& n, Env& e)
{
    const int64_t lock = eval(*n.b, e);
    for (int i = 0;; ++i) {
        const int64_t t = wait_list_at(*e.model, e.s, lock, i);
        if (t == NO_TASK)
            return all;
        e.var[n.k] = t;
        if (bool(eval(*n.a, e)) != all)
            return !all;
    }
}
// The one-point rule: `forall v in D: v == key -> body` is `key in D -> body[v := key]`,
// and `exists v in D: v == key and body` is `key in D and body[v := key]`.
template <bool all>
int64_t n_point(const Node& n, Env& e)
{
    const int64_t v = eval(*n.b, e);
    if (v < n.lo || v >= n.hi)
        return all;
    e.var[n.k] = v;
    return eval(*n.a, e);
}

bool mentions(const Expr& e, int slot)
{
    if (e.op == Op::var && e.slot == slot)
        return true;
    for (const auto& a : e.args)
        if (mentions(*a, slot))
            return true;
    return false;
}

void flatten_and(const Expr& e, std::vector<const Expr*>& out)
{
    if (e.op == Op::and_) {
        flatten_and(e.arg(0), out);
        flatten_and(e.arg(1), out);
    } else {
        out.push_back(&e);
    }
}

// In `conjuncts`, an equality `v == key` (or `key == v`) whose key does not
// mention v: removed from the list, key returned.
const Expr* take_point(std::vector<const Expr*>& conjuncts, int slot)
{
    for (auto it = conjuncts.begin(); it != conjuncts.end(); ++it) {
        const Expr& c = **it;
        if (c.op != Op::eq)
            continue;
        for (int side = 0; side < 2; ++side) {
            const Expr& v = c.arg(size_t(side));
            const Expr& key = c.arg(size_t(1 - side));
            if (v.op == Op::var && v.slot == slot && !mentions(key, slot)) {
                conjuncts.erase(it);
                return &key;
            }
        }
    }
    return nullptr;
}

}  // namespace

Compiled::Compiled(const Expr& e, const kernel::Model& m) : model_(m), root_(compile(e)) {}

Node* Compiled::add(EvalFn fn)
{
    nodes_.push_back(Node{fn});
    return &nodes_.back();
}

const Node* Compiled::compile(const Expr& e)
{
    auto binary = [&](EvalFn fn, const Expr& a, const Expr& b) {
        Node* n = add(fn);
        n->a = compile(a);
        n->b = compile(b);
        return n;
    };
    switch (e.op) {
    case Op::boolean:
    case Op::integer:
    case Op::constant:
    case Op::cpuset: {
        Node* n = add(n_const);
        n->k = e.value;
        return n;
    }
    case Op::var: {
        Node* n = add(n_var);
        n->k = e.slot;
        return n;
    }
    case Op::field:
    case Op::call: {
        Node* n;
        if (e.args.empty()) {
            n = add(n_read0);
        } else if (e.args.size() == 1 && e.arg(0).op == Op::var) {
            n = add(n_read_var);
            n->k = e.arg(0).slot;
        } else if (e.args.size() == 1) {
            n = add(n_read1);
            n->a = compile(e.arg(0));
        } else {
            n = add(n_read2);
            n->a = compile(e.arg(0));
            n->b = compile(e.arg(1));
        }
        n->read = e.access->read;
        return n;
    }
    case Op::not_: {
        Node* n = add(n_not);
        n->a = compile(e.arg(0));
        return n;
    }
    case Op::and_: return binary(n_and, e.arg(0), e.arg(1));
    case Op::or_: return binary(n_or, e.arg(0), e.arg(1));
    case Op::implies: return binary(n_implies, e.arg(0), e.arg(1));
    case Op::forall:
    case Op::exists: return quantifier(e);
    case Op::eq: return binary(n_eq, e.arg(0), e.arg(1));
    case Op::ne: return binary(n_ne, e.arg(0), e.arg(1));
    case Op::lt: return binary(n_lt, e.arg(0), e.arg(1));
    case Op::le: return binary(n_le, e.arg(0), e.arg(1));
    case Op::gt: return binary(n_lt, e.arg(1), e.arg(0));
    case Op::ge: return binary(n_le, e.arg(1), e.arg(0));
    case Op::in:
        return binary(e.arg(1).type == Type::cpumask ? n_in_mask : n_in_wait_list, e.arg(0), e.arg(1));
    case Op::name:
    case Op::domain: break;   // resolved by the type checker / part of a quantifier
    }
    Node* n = add(n_const);   // unreachable after typecheck()
    return n;
}

const Node* Compiled::conjunction(std::vector<const Expr*> conjuncts, const Node* then)
{
    const Node* chain = nullptr;
    for (const Expr* c : conjuncts) {
        if (!chain) {
            chain = compile(*c);
            continue;
        }
        Node* n = add(n_and);
        n->a = chain;
        n->b = compile(*c);
        chain = n;
    }
    if (!then)
        return chain ? chain : [&] { Node* t = add(n_const); t->k = 1; return t; }();
    if (!chain)
        return then;
    Node* n = add(n_implies);
    n->a = chain;
    n->b = then;
    return n;
}

const Node* Compiled::quantifier(const Expr& e)
{
    const bool all = e.op == Op::forall;
    const Expr& domain = e.arg(0);
    const Expr& body = e.arg(1);
    if (domain.op == Op::domain) {
        const int64_t lo = domain_first(Domain(domain.value));
        const int64_t hi = lo + domain_count(Domain(domain.value), model_);
        std::vector<const Expr*> conjuncts;
        const Expr* rest = nullptr;   // forall: the consequent
        if (all && body.op == Op::implies) {
            flatten_and(body.arg(0), conjuncts);
            rest = &body.arg(1);
        } else if (!all) {
            flatten_and(body, conjuncts);
        }
        if (const Expr* key = take_point(conjuncts, e.slot)) {
            Node* n = add(all ? n_point<true> : n_point<false>);
            n->k = e.slot;
            n->lo = lo;
            n->hi = hi;
            n->b = compile(*key);
            n->a = conjunction(conjuncts, rest ? compile(*rest) : nullptr);
            return n;
        }
        Node* n = add(all ? n_range<true> : n_range<false>);
        n->k = e.slot;
        n->lo = lo;
        n->hi = hi;
        n->a = compile(body);
        return n;
    }
    const bool mask = domain.type == Type::cpumask;
    Node* n = add(mask ? (all ? n_mask<true> : n_mask<false>) : (all ? n_wait_list<true> : n_wait_list<false>));
    n->k = e.slot;
    n->b = compile(domain);
    n->a = compile(body);
    return n;
}

std::vector<int64_t> domain_values(const Expr& q, Env& env)
{
    const Expr& domain = q.arg(0);
    std::vector<int64_t> out;
    if (domain.op == Op::domain) {
        const int64_t lo = domain_first(Domain(domain.value));
        for (int64_t v = lo; v < lo + domain_count(Domain(domain.value), *env.model); ++v)
            out.push_back(v);
        return out;
    }
    const int64_t value = Compiled(domain, *env.model).eval(env);
    if (domain.type == Type::cpumask) {
        for (int64_t c = 0; c < 64; ++c)
            if (value >> c & 1)
                out.push_back(c);
    } else {
        for (int i = 0; wait_list_at(*env.model, env.s, value, i) != NO_TASK; ++i)
            out.push_back(wait_list_at(*env.model, env.s, value, i));
    }
    return out;
}

}  // namespace pxc::props
