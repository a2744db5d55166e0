#include "props/compile.hpp"

#include <optional>
#include <type_traits>

#include "kernel/state.hpp"

namespace pxc::props {

namespace {

using kernel::NO_TASK;

using K = Operand::Kind;

// Node functions, one instantiation per kind of operand (pick() below):
// Op::apply gets its operands as callables, so that and/or/-> short-circuit.
template <class Op, K X, K Y>
int64_t n_binary(const Node& n, Env& e)
{
    return Op::apply(n, e, [&] { return get<X>(n.x, e); }, [&] { return get<Y>(n.y, e); });
}

struct Read0 { static int64_t apply(const Node& n, Env& e, auto, auto) { return n.read(*e.model, e.s, 0, 0); } };
struct Read1 { static int64_t apply(const Node& n, Env& e, auto x, auto) { return n.read(*e.model, e.s, x(), 0); } };
struct Read2 { static int64_t apply(const Node& n, Env& e, auto x, auto y) { return n.read(*e.model, e.s, x(), y()); } };
struct Not { static int64_t apply(const Node&, Env&, auto x, auto) { return !x(); } };
struct And { static int64_t apply(const Node&, Env&, auto x, auto y) { return x() && y(); } };
struct Or { static int64_t apply(const Node&, Env&, auto x, auto y) { return x() || y(); } };
struct Implies { static int64_t apply(const Node&, Env&, auto x, auto y) { return !x() || y(); } };
struct Eq { static int64_t apply(const Node&, Env&, auto x, auto y) { return x() == y(); } };
struct Ne { static int64_t apply(const Node&, Env&, auto x, auto y) { return x() != y(); } };
struct Lt { static int64_t apply(const Node&, Env&, auto x, auto y) { return x() < y(); } };
struct Le { static int64_t apply(const Node&, Env&, auto x, auto y) { return x() <= y(); } };
struct InMask {
    static int64_t apply(const Node&, Env&, auto x, auto y)
    {
        const int64_t c = x();
        return c >= 0 && c < 64 && (y() >> c & 1);
    }
};
// A one-byte field of an object that is not a bound variable: n.lo is the
// base, n.hi the stride, n.slot the mask.
struct ByteOf {
    static int64_t apply(const Node& n, Env& e, auto object, auto)
    {
        const uint8_t b = e.s[n.lo + object() * n.hi];
        return n.slot == 0xFF ? b : (b & n.slot) != 0;
    }
};
struct InWaitList {
    static int64_t apply(const Node&, Env& e, auto x, auto y) { return wait_list_contains(*e.model, e.s, y(), x()); }
};

// Quantifiers bind n.slot and evaluate the body x over [lo, hi), over the
// bits of y (a cpu set) or over y's wait_list.
template <bool all>
struct Range {
    static int64_t apply(const Node& n, Env& e, auto body, auto)
    {
        for (int64_t v = n.lo; v < n.hi; ++v) {
            e.var[n.slot] = v;
            if (bool(body()) != all)
                return !all;
        }
        return all;
    }
};
// `forall v in [lo, hi): guard -> claim`, the common shape, without a node for the implication.
struct RangeImplies {
    static int64_t apply(const Node& n, Env& e, auto guard, auto claim)
    {
        for (int64_t v = n.lo; v < n.hi; ++v) {
            e.var[n.slot] = v;
            if (guard() && !claim())
                return 0;
        }
        return 1;
    }
};
template <bool all>
struct Mask {
    static int64_t apply(const Node& n, Env& e, auto body, auto domain)
    {
        const int64_t mask = domain();
        for (int64_t c = 0; c < 64; ++c) {
            if (!(mask >> c & 1))
                continue;
            e.var[n.slot] = c;
            if (bool(body()) != all)
                return !all;
        }
        return all;
    }
};
template <bool all>
struct WaitList {
    static int64_t apply(const Node& n, Env& e, auto body, auto domain)
    {
        const int64_t lock = domain();
        for (int i = 0;; ++i) {
            const int64_t t = wait_list_at(*e.model, e.s, lock, i);
            if (t == NO_TASK)
                return all;
            e.var[n.slot] = t;
            if (bool(body()) != all)
                return !all;
        }
    }
};
// The one-point rule: `forall v in D: v == key -> body` is `key in D -> body[v := key]`,
// and `exists v in D: v == key and body` is `key in D and body[v := key]`.
template <bool all>
struct Point {
    static int64_t apply(const Node& n, Env& e, auto body, auto key)
    {
        const int64_t v = key();
        if (v < n.lo || v >= n.hi)
            return all;
        e.var[n.slot] = v;
        return body();
    }
};

template <class Op, K X>
EvalFn pick_y(K y)
{
    switch (y) {
    case K::node: return n_binary<Op, X, K::node>;
    case K::constant: return n_binary<Op, X, K::constant>;
    case K::var: return n_binary<Op, X, K::var>;
    case K::byte: return n_binary<Op, X, K::byte>;
    case K::flag: return n_binary<Op, X, K::flag>;
    }
    return nullptr;
}

// The instantiation of Op for the kinds of n's operands.
template <class Op>
Node pick(Node n)
{
    switch (n.x.kind) {
    case K::node: n.fn = pick_y<Op, K::node>(n.y.kind); break;
    case K::constant: n.fn = pick_y<Op, K::constant>(n.y.kind); break;
    case K::var: n.fn = pick_y<Op, K::var>(n.y.kind); break;
    case K::byte: n.fn = pick_y<Op, K::byte>(n.y.kind); break;
    case K::flag: n.fn = pick_y<Op, K::flag>(n.y.kind); break;
    }
    return n;
}

int64_t get_any(const Operand& o, Env& e)
{
    switch (o.kind) {
    case K::node: return get<K::node>(o, e);
    case K::constant: return get<K::constant>(o, e);
    case K::var: return get<K::var>(o, e);
    case K::byte: return get<K::byte>(o, e);
    case K::flag: return get<K::flag>(o, e);
    }
    return 0;
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
        for (size_t side = 0; side < 2; ++side) {
            const Expr& v = c.arg(side);
            const Expr& key = c.arg(1 - side);
            if (v.op == Op::var && v.slot == slot && !mentions(key, slot)) {
                conjuncts.erase(it);
                return &key;
            }
        }
    }
    return nullptr;
}

Operand constant(int64_t k)
{
    Operand o;
    o.kind = K::constant;
    o.k = k;
    return o;
}

// Folding: an operation on values the model fixes (rq->idle, the v7.2
// fields of a state without them) is done once here, and and / or / ->
// with one fixed side keep only what the result still depends on, so a
// property pays nothing for a clause that cannot matter on this model.
// Boolean operands are 0 or 1, and reading the state has no side effect,
// so dropping an operand changes no value.
template <class Op>
std::optional<Operand> fold(const Operand& x, const Operand* y)
{
    const bool cx = x.kind == K::constant, cy = y && y->kind == K::constant;
    if constexpr (std::is_same_v<Op, Not>) {
        if (cx)
            return constant(!x.k);
    } else if constexpr (std::is_same_v<Op, And>) {
        if (cx)
            return x.k ? *y : constant(0);
        if (cy)
            return y->k ? x : constant(0);
    } else if constexpr (std::is_same_v<Op, Or>) {
        if (cx)
            return x.k ? constant(1) : *y;
        if (cy)
            return y->k ? constant(1) : x;
    } else if constexpr (std::is_same_v<Op, Implies> || std::is_same_v<Op, RangeImplies>) {
        if ((cx && !x.k) || (cy && y->k))
            return constant(1);
        if (cx && std::is_same_v<Op, Implies>)
            return *y;
    } else if constexpr (std::is_same_v<Op, Eq> || std::is_same_v<Op, Ne> || std::is_same_v<Op, Lt> ||
                         std::is_same_v<Op, Le> || std::is_same_v<Op, InMask>) {
        if (cx && cy) {
            Env none(nullptr, nullptr);
            return constant(Op::apply(Node{nullptr}, none, [&] { return x.k; }, [&] { return y->k; }));
        }
    }
    return std::nullopt;
}

// A quantifier whose body the model fixes: forall over true, exists over
// false, whatever the domain.
std::optional<Operand> fold_quantifier(bool all, const Operand& body)
{
    if (body.kind == K::constant && bool(body.k) == all)
        return constant(all);
    return std::nullopt;
}

}  // namespace

Compiled::Compiled(const Expr& e, const kernel::Model& m) : model_(m), root_(operand(e)) {}

int64_t Compiled::eval(Env& e) const { return get_any(root_, e); }

std::optional<int64_t> Compiled::fixed() const
{
    return root_.kind == K::constant ? std::optional<int64_t>(root_.k) : std::nullopt;
}

size_t Compiled::nodes() const
{
    auto count = [](auto& self, const Operand& o) -> size_t {
        return o.kind == K::node ? 1 + self(self, o.n->x) + self(self, o.n->y) : 0;
    };
    return count(count, root_);
}

Operand Compiled::node(Node n)
{
    nodes_.push_back(n);
    Operand o;
    o.kind = K::node;
    o.n = &nodes_.back();
    return o;
}

template <class Op>
Operand Compiled::binary(const Expr& a, const Expr* b)
{
    Node n{nullptr};
    n.x = operand(a);
    if (b)
        n.y = operand(*b);
    if (auto f = fold<Op>(n.x, b ? &n.y : nullptr))
        return *f;
    return node(pick<Op>(n));
}

Operand Compiled::operand(const Expr& e)
{
    switch (e.op) {
    case Op::boolean:
    case Op::integer:
    case Op::constant:
    case Op::cpuset: return constant(e.value);
    case Op::var: {
        Operand o;
        o.kind = K::var;
        o.k = e.slot;
        return o;
    }
    case Op::field:
    case Op::call: return access(e);
    case Op::not_: return binary<Not>(e.arg(0), nullptr);
    case Op::and_: return binary<And>(e.arg(0), &e.arg(1));
    case Op::or_: return binary<Or>(e.arg(0), &e.arg(1));
    case Op::implies: return binary<Implies>(e.arg(0), &e.arg(1));
    case Op::forall:
    case Op::exists: return quantifier(e);
    case Op::eq: return binary<Eq>(e.arg(0), &e.arg(1));
    case Op::ne: return binary<Ne>(e.arg(0), &e.arg(1));
    case Op::lt: return binary<Lt>(e.arg(0), &e.arg(1));
    case Op::le: return binary<Le>(e.arg(0), &e.arg(1));
    case Op::gt: return binary<Lt>(e.arg(1), &e.arg(0));
    case Op::ge: return binary<Le>(e.arg(1), &e.arg(0));
    case Op::in:
        return e.arg(1).type == Type::cpumask ? binary<InMask>(e.arg(0), &e.arg(1))
                                              : binary<InWaitList>(e.arg(0), &e.arg(1));
    case Op::name:
    case Op::domain: break;   // resolved by the type checker / part of a quantifier
    }
    return constant(0);   // unreachable after typecheck()
}

Operand Compiled::access(const Expr& e)
{
    if (e.type == Type::wait_list)   // a wait_list value is its lock
        return operand(e.arg(0));
    if (const auto v = fixed_value(*e.access, model_))
        return constant(*v);
    if (e.access->locate) {
        const ByteLoc loc = e.access->locate(model_);
        if (e.arg(0).op != Op::var) {   // no such expression yet: objects are bound variables
            Node n{nullptr};
            n.x = operand(e.arg(0));
            n.lo = loc.base;
            n.hi = loc.stride;
            n.slot = loc.mask;
            return node(pick<ByteOf>(n));
        }
        Operand o;
        o.kind = loc.mask == 0xFF ? K::byte : K::flag;
        o.k = e.arg(0).slot;
        o.base = loc.base;
        o.stride = loc.stride;
        o.mask = loc.mask;
        return o;
    }
    Node n{nullptr};
    if (!e.args.empty())
        n.x = operand(e.arg(0));
    if (e.args.size() > 1)
        n.y = operand(e.arg(1));
    n.read = e.access->read;
    return node(e.args.empty() ? pick<Read0>(n) : e.args.size() == 1 ? pick<Read1>(n) : pick<Read2>(n));
}

Operand Compiled::conjunction(const std::vector<const Expr*>& conjuncts, const Operand* then)
{
    if (conjuncts.empty())
        return then ? *then : constant(1);
    Operand chain = operand(*conjuncts[0]);
    for (size_t i = 1; i < conjuncts.size(); ++i) {
        Node n{nullptr};
        n.x = chain;
        n.y = operand(*conjuncts[i]);
        const auto f = fold<And>(n.x, &n.y);
        chain = f ? *f : node(pick<And>(n));
    }
    if (!then)
        return chain;
    Node n{nullptr};
    n.x = chain;
    n.y = *then;
    if (auto f = fold<Implies>(n.x, &n.y))
        return *f;
    return node(pick<Implies>(n));
}

Operand Compiled::quantifier(const Expr& e)
{
    const bool all = e.op == Op::forall;
    const Expr& domain = e.arg(0);
    const Expr& body = e.arg(1);
    Node n{nullptr};
    n.slot = e.slot;
    if (domain.op == Op::domain) {
        n.lo = domain_first(Domain(domain.value));
        n.hi = n.lo + domain_count(Domain(domain.value), model_);
        std::vector<const Expr*> conjuncts;
        const Expr* consequent = nullptr;
        if (all && body.op == Op::implies) {
            flatten_and(body.arg(0), conjuncts);
            consequent = &body.arg(1);
        } else if (!all) {
            flatten_and(body, conjuncts);
        }
        if (const Expr* key = take_point(conjuncts, e.slot)) {
            n.y = operand(*key);
            if (consequent) {
                const Operand then = operand(*consequent);
                n.x = conjunction(conjuncts, &then);
            } else {
                n.x = conjunction(conjuncts, nullptr);
            }
            if (auto f = fold_quantifier(all, n.x))
                return *f;
            return node(all ? pick<Point<true>>(n) : pick<Point<false>>(n));
        }
        if (consequent) {
            n.x = operand(body.arg(0));
            n.y = operand(body.arg(1));
            if (auto f = fold<RangeImplies>(n.x, &n.y))
                return *f;
            return node(pick<RangeImplies>(n));
        }
        n.x = operand(body);
        if (auto f = fold_quantifier(all, n.x))
            return *f;
        return node(all ? pick<Range<true>>(n) : pick<Range<false>>(n));
    }
    n.x = operand(body);
    if (auto f = fold_quantifier(all, n.x))
        return *f;
    n.y = operand(domain);
    if (domain.type == Type::cpumask)
        return node(all ? pick<Mask<true>>(n) : pick<Mask<false>>(n));
    return node(all ? pick<WaitList<true>>(n) : pick<WaitList<false>>(n));
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
