// The bytes a property reads (props/visibility.cpp) and its parts
// (props/split.cpp). The checker skips a part after a step that changed
// none of its bytes, and partial-order reduction treats the other bytes as
// invisible: a byte a field reads but visibility leaves out is a violation
// missed. So every computed field and predicate is checked here against
// what it really reads, on the reachable states of bundled models.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/checker.hpp"
#include "props/fields.hpp"
#include "props/split.hpp"
#include "props/visibility.hpp"
#include "sample_states.hpp"

using namespace pxc;
using namespace pxc::props;

namespace {

// The values an argument of type t ranges over (locks are 1-based).
std::vector<int64_t> values_of(Type t, const kernel::Model& m)
{
    const kernel::Layout& l = m.layout();
    std::vector<int64_t> out;
    if (t == Type::task)
        for (int64_t v = 0; v < l.ntasks; ++v)
            out.push_back(v);
    else if (t == Type::lock)
        for (int64_t v = 1; v <= l.nlocks; ++v)
            out.push_back(v);
    else if (t == Type::cpu)
        for (int64_t v = 0; v < l.ncpus; ++v)
            out.push_back(v);
    else
        out.push_back(0);
    return out;
}

// Every value the access (or, for wait_list, membership and order) gives on s.
std::vector<int64_t> readings(const Access& a, const kernel::Model& m, const uint8_t* s)
{
    std::vector<int64_t> out;
    if (a.name == "wait_list") {   // the value is the lock; what is read is who waits, in order
        for (int64_t l : values_of(Type::lock, m))
            for (int i = 0; i < m.layout().ntasks; ++i) {
                out.push_back(wait_list_at(m, s, l, i));
                out.push_back(wait_list_contains(m, s, l, i));
            }
        return out;
    }
    for (int64_t x : values_of(a.arity > 0 ? a.params[0] : Type::unknown, m))
        for (int64_t y : values_of(a.arity > 1 ? a.params[1] : Type::unknown, m))
            out.push_back(a.read(m, s, x, y));
    return out;
}

}  // namespace

TEST_CASE("every computed field and predicate reads only the bytes visibility marks for it, on reachable states")
{
    int checked = 0;
    for_each_sample([&](const kernel::Model& model, const auto& ex, uint32_t states) {
        for (const auto& table : {fields(), predicates()})
            for (const Access& a : table) {
                if (!a.read || fixed_value(a, model))
                    continue;
                INFO(a.name);
                const std::vector<uint8_t> vis = access_bytes(model, a);
                int changed = 0;
                for (uint32_t i = 0; i < states; ++i) {
                    const std::vector<uint8_t> s(ex.state(i), ex.state(i) + model.state_size());
                    const std::vector<int64_t> before = readings(a, model, s.data());
                    for (size_t b = 0; b < s.size(); ++b) {
                        if (vis[b])
                            continue;
                        for (uint8_t v : {uint8_t(0), uint8_t(1), uint8_t(2), uint8_t(s[b] ^ 1)}) {
                            std::vector<uint8_t> o = s;
                            o[b] = v;
                            changed += readings(a, model, o.data()) != before;
                        }
                    }
                    ++checked;
                }
                CHECK(changed == 0);
                // And it reads something: a field that marks nothing would never be evaluated again.
                CHECK(std::count(vis.begin(), vis.end(), 1) > 0);
            }
    });
    CHECK(checked > 20000);
}

TEST_CASE("an invariant's parts: its conjuncts, through forall, each with its own bytes")
{
    const Scenario sc = load_scenario(std::string(SOURCE_ROOT) + "/models/contention.toml");
    const kernel::Model model(sc, sc.feature_set({}));
    Catalog c;
    c.add_text(R"(
invariant p: forall t in tasks: (t.blocked_on != none -> t.waiting_on != none) and
    (forall c in cpus: c.curr == t -> c in t.cpus_mask and t.cpu == c) and not warned
invariant q: forall t in tasks: t.on_rq == TASK_ON_RQ_QUEUED -> t.cpu == t.cpu and running(t)
invariant r: exists t in tasks: running(t) and t.done
)",
               "t.prop");
    std::vector<std::string> parts;
    for (const auto& e : conjunctive_parts(*c.find("p")->decl->body))
        parts.push_back(to_source(*e));
    CHECK(parts == std::vector<std::string>{
                       "forall t in tasks: t.blocked_on != none -> t.waiting_on != none",
                       "forall t in tasks: forall c in cpus: c.curr == t -> c in t.cpus_mask and t.cpu == c",
                       "forall t in tasks: not warned",
                   });
    // An implication, and exists, are one part.
    CHECK(conjunctive_parts(*c.find("q")->decl->body).size() == 1);
    CHECK(conjunctive_parts(*c.find("r")->decl->body).size() == 1);
    // The parts read less than the whole: the first no rq->curr, the last only the warning bits.
    const auto whole = visible_bytes(model, *c.find("p")->decl->body);
    const auto first = visible_bytes(model, *conjunctive_parts(*c.find("p")->decl->body)[0]);
    const kernel::Layout& l = model.layout();
    CHECK(whole[l.cpu_off]);    // rq->curr of CPU0
    CHECK(!first[l.cpu_off]);
    CHECK(std::count(first.begin(), first.end(), 1) < std::count(whole.begin(), whole.end(), 1));
}

TEST_CASE("a violated part reports the whole invariant, with the whole invariant's explanation")
{
    const Scenario sc = load_scenario(std::string(SOURCE_ROOT) + "/models/contention.toml");
    const kernel::Model model(sc, sc.feature_set({}));
    Catalog c;
    c.add_text("invariant p: forall t in tasks: t.on_rq == TASK_ON_RQ_QUEUED and t.blocked_on == none", "t.prop");
    Checker checker(model, c, {"p"});
    std::vector<uint8_t> parent(model.state_size());
    model.initial_state(parent.data());
    REQUIRE_FALSE(checker.check_state(parent.data()));
    std::vector<uint8_t> s = parent;
    kernel::Sys{&model.layout(), s.data()}.task(1).blocked_on() = kernel::blocked_on_mutex(0);   // the second part breaks
    const auto fast = checker.check_successor(parent.data(), s.data());
    const auto full = checker.check_state(s.data());
    REQUIRE(fast);
    REQUIRE(full);
    CHECK(fast->property == "p");
    CHECK(fast->message == full->message);
    CHECK(fast->message == evaluate(model, *c.find("p"), s.data()));
}
