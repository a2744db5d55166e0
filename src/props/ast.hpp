// The property language's syntax tree (properties/*.prop). The parser builds
// it untyped; the type checker resolves every name in place (variables to
// slots, fields and predicates to their accessors, constants to values) and
// gives every node a Type, so that compiling it later cannot fail.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pxc::props {

struct Access;   // fields.hpp

enum class Kind { invariant, deadlock };   // deadlock: checked on states with no enabled step

// Values are small integers at run time; the type says how to read them.
enum class Type : uint8_t {
    unknown,
    boolean,
    integer,
    cpu,
    cpumask,        // set of CPUs: p->cpus_mask, {0, 1}
    task,
    task_or_none,   // lock->owner, p->blocked_donor
    task_or_idle,   // rq->curr, rq->donor, rq->idle
    lock,
    lock_or_none,   // waiting_on
    blocked_on,     // p->blocked_on: none, a lock or PROXY_WAKING
    wait_list,      // lock->wait_list: a sequence of tasks
    task_state,     // p->__state
    on_rq,          // p->on_rq
    none,           // the literal `none`, until it meets what it is compared with
    proxy_waking,   // the literal PROXY_WAKING
};

std::string type_name(Type t);

enum class Op : uint8_t {
    // leaves
    boolean,       // value 0/1
    integer,       // value
    name,          // an identifier, before the type checker resolves it
    var,           // a bound variable: slot
    constant,      // TASK_RUNNING, none, PROXY_WAKING...: value (encoded for its type)
    cpuset,        // {0, 1}: value is the mask
    domain,        // tasks / cpus / locks after `in` of a quantifier
    field,         // args[0].name; access
    call,          // name(args...); access
    // logic
    not_, and_, or_, implies,
    forall, exists,   // name: the variable; args: [domain, body]; slot
    // comparisons
    eq, ne, lt, le, gt, ge, in,
};

// How deep an expression may nest: levels of the tree from the root to a
// leaf, a pair of parentheses counting as one; a flat chain `a and b and
// ...` is a tree as deep as it is long. The parser refuses a deeper one, so
// that the stages after it, each recursing over the tree (type checking,
// compiling, evaluating on the search threads, explaining a violation,
// to_source), need a bounded stack: compiling, the hungriest, takes about
// 1 KiB a level (release build), a quarter of a MiB at the limit, where a
// thread has 8 MiB by default. The library's properties nest 9 levels at most.
inline constexpr int max_nesting = 256;

struct Expr {
    Op op;
    int line = 0, column = 0;
    int height = 1;            // levels from here to the deepest leaf, parentheses included (set by the parser)
    std::string name;          // identifier, field, predicate or bound variable
    int64_t value = 0;         // literal, constant, cpuset mask, domain (see Domain)
    std::vector<std::unique_ptr<Expr>> args;

    // Set by the type checker.
    Type type = Type::unknown;
    int slot = -1;                  // var, forall, exists
    const Access* access = nullptr; // field, call

    Expr(Op o, int l, int c) : op(o), line(l), column(c) {}
    const Expr& arg(size_t i) const { return *args[i]; }
};

enum Domain : int64_t { DOMAIN_TASKS, DOMAIN_CPUS, DOMAIN_LOCKS };

struct Decl {
    Kind kind = Kind::invariant;
    std::string name;
    std::string description;   // the `#` comment lines just above, joined
    std::string file;
    int line = 0, column = 0;  // of the name
    std::unique_ptr<Expr> body;   // null for `builtin`
    bool builtin = false;      // `invariant NAME: builtin`: the C++ property of that name, in this place
    int slots = 0;             // variable slots the body needs (set by the type checker)
};

// The expression as source text (canonical spacing), for messages.
std::string to_source(const Expr& e);
bool is_comparison(Op op);

}  // namespace pxc::props
