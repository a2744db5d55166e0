// What the property language can read of a kernel state: the fields of
// tasks, locks and CPUs under their kernel names, the predicates, and the
// named constants. Every read goes through the accessors in fields.cpp, the
// one place that knows the kernel model's state views, so a new kernel field
// is one table row and one reader there.
//
// Encodings (all values are int64_t at run time):
//   task family   task index; none = kernel::NO_TASK, idle = kernel::IDLE
//   lock family   as p->blocked_on: none = 0, lock m = m + 1, PROXY_WAKING
//   cpu           CPU number; cpumask: one bit per CPU
//   wait_list     the lock it belongs to (lock encoding)
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kernel/model.hpp"
#include "props/ast.hpp"

namespace pxc::props {

using Read = int64_t (*)(const kernel::Model& m, const uint8_t* s, int64_t a, int64_t b);
using Explain = std::string (*)(const kernel::Model& m, const uint8_t* s);

// A field kept in one byte of the state: for object value v (in its
// encoding) the field is s[base + v * stride], masked with mask (a flag
// bit reads as 0/1; 0xFF is the whole byte), so compiled code reads it
// inline.
struct ByteLoc {
    int64_t base, stride;
    uint8_t mask;
};
using Locate = ByteLoc (*)(const kernel::Model& m);

// A field (one parameter: the object before the dot) or a predicate: a
// one-byte field is located, anything else is read by a function.
struct Access {
    std::string_view name;
    int arity;
    Type params[2];
    Type type;            // of the result
    Read read;            // computed fields and predicates, else null
    Locate locate;        // one-byte fields, else null
    std::string_view doc; // kernel meaning
    Explain explain = nullptr;   // extra words when it appears in a violation (warned)
};

std::span<const Access> fields();
std::span<const Access> predicates();
const Access* find_field(Type object, std::string_view name);
const Access* find_predicate(std::string_view name);

struct Constant {
    std::string_view name;
    Type type;
    int64_t value;
};
std::optional<Constant> find_constant(std::string_view name);
// The encoding of `none` for a value of type t (task or lock family).
int64_t none_value(Type t);

// The value of a field or predicate when the model fixes it whatever the
// state (rq->idle; the v7.2 fields of a state that has none), else nullopt.
std::optional<int64_t> fixed_value(const Access& a, const kernel::Model& m);

// lock->wait_list, for `in` and for quantifiers over it.
bool wait_list_contains(const kernel::Model& m, const uint8_t* s, int64_t lock, int64_t task);
int64_t wait_list_at(const kernel::Model& m, const uint8_t* s, int64_t lock, int i);   // NO_TASK past the end

// The range of a quantifier over tasks, cpus or locks: [first, first + count).
int64_t domain_first(Domain d);
int64_t domain_count(Domain d, const kernel::Model& m);

// A value in words: "A", "CPU1", "M1", "{0,1}", "TASK_RUNNING", "none", "[B, C]".
std::string render(const kernel::Model& m, const uint8_t* s, Type t, int64_t v);

}  // namespace pxc::props
