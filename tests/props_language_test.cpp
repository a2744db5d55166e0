// The property language before any state is seen: lexing, parsing (shape and
// precedence, read back through to_source), descriptions from comments, and
// the errors of the parser and the type checker, each at its line and column.
#include <doctest/doctest.h>

#include <string>

#include "kernel/error.hpp"
#include "props/library.hpp"
#include "props/parser.hpp"
#include "props/typecheck.hpp"

using namespace pxc;
using namespace pxc::props;

namespace {

// The body of the one declaration in `text`, as the parser reads it.
std::string parsed(const std::string& body)
{
    auto decls = parse_properties("invariant p: " + body, "t.prop");
    REQUIRE(decls.size() == 1);
    return to_source(*decls[0].body);
}

// "t.prop:LINE:COL: message" of loading `text`, or "(loaded)".
std::string load_error(const std::string& text)
{
    try {
        Catalog c;
        c.add_text(text, "t.prop");
    } catch (const Error& e) {
        return e.what();
    }
    return "(loaded)";
}

// The same for a one-line invariant whose body starts at column 14.
std::string body_error(const std::string& body) { return load_error("invariant p: " + body); }

}  // namespace

#define CHECK_STARTS(text, prefix)                       \
    do {                                                 \
        const std::string text_ = (text);                \
        INFO("text: ", text_);                           \
        CHECK(text_.rfind(prefix, 0) == 0);              \
    } while (0)

TEST_CASE("a .prop file holds invariant and deadlock declarations whose comment block above is the description")
{
    const auto decls = parse_properties(
        "# file header, not a description\n"
        "\n"
        "# A task runs only\n"
        "# inside its mask.\n"
        "invariant no_escape:\n"
        "    forall t in tasks: running(t) -> t.cpu in t.cpus_mask\n"
        "deadlock all_done: forall t in tasks: t.done   # trailing comment\n",
        "t.prop");
    REQUIRE(decls.size() == 2);
    CHECK(decls[0].kind == Kind::invariant);
    CHECK(decls[0].name == "no_escape");
    CHECK(decls[0].description == "A task runs only inside its mask.");
    CHECK(decls[0].line == 5);
    CHECK(decls[0].column == 11);
    CHECK(to_source(*decls[0].body) == "forall t in tasks: running(t) -> t.cpu in t.cpus_mask");
    CHECK(decls[1].kind == Kind::deadlock);
    CHECK(decls[1].name == "all_done");
    CHECK(decls[1].description.empty());
    CHECK(parse_properties("# only comments\n\n", "t.prop").empty());
}

TEST_CASE("precedence: -> is loosest and right-associative, then or, and, not, comparisons; a quantifier's body "
          "extends as far as it can")
{
    CHECK(parsed("a -> b -> c") == "a -> b -> c");
    CHECK(parsed("(a -> b) -> c") == "(a -> b) -> c");
    CHECK(parsed("a or b and c") == "a or b and c");
    CHECK(parsed("(a or b) and c") == "(a or b) and c");
    CHECK(parsed("not a and b") == "not a and b");
    CHECK(parsed("not (a and b)") == "not (a and b)");
    CHECK(parsed("not x == y") == "not x == y");
    CHECK(parsed("a and forall t in tasks: b or c") == "a and (forall t in tasks: b or c)");
    CHECK(parsed("(forall t in tasks: b) or c") == "(forall t in tasks: b) or c");
    CHECK(parsed("m.owner.cpu >= 1") == "m.owner.cpu >= 1");
    CHECK(parsed("c in {0, 2}") == "c in {0, 2}");
    CHECK(parsed("holds(t, m)") == "holds(t, m)");
}

TEST_CASE("forall t, u in D: is one quantifier per variable")
{
    CHECK(parsed("forall t, u in tasks: t == u") == "forall t in tasks: forall u in tasks: t == u");
    CHECK(parsed("exists t in m.wait_list: t.done") == "exists t in m.wait_list: t.done");
}

TEST_CASE("syntax errors name the file, line and column of the offending token")
{
    CHECK_STARTS(load_error("invariant p: forall t tasks: true"), "t.prop:1:23: expected 'in'");
    CHECK_STARTS(load_error("invariant p forall"), "t.prop:1:13: expected ':' after the property name");
    CHECK_STARTS(load_error("invariant p:\n  forall t in tasks: t.state = TASK_RUNNING"),
                 "t.prop:2:30: '=' is not an operator; use '=='");
    CHECK_STARTS(load_error("invariant p: true $"), "t.prop:1:19: unexpected character '$'");
    CHECK_STARTS(load_error("invariant and: true"), "t.prop:1:11: 'and' is a keyword, not a property name");
    CHECK_STARTS(load_error("property p: true"), "t.prop:1:1: expected 'invariant' or 'deadlock'");
    CHECK_STARTS(load_error("invariant p: (true"), "t.prop:1:19: expected ')'");
    CHECK_STARTS(load_error("invariant p: true true"), "t.prop:1:19: expected an operator or the next property");
    CHECK_STARTS(load_error("invariant p:\n\n   t.cpu ==\n"), "t.prop:4:1: expected an expression, found end of file");
    CHECK_STARTS(load_error("invariant p: c in {0, x}"), "t.prop:1:23: expected a CPU number in a set");
    CHECK_STARTS(load_error("invariant p: 3t"), "t.prop:1:15: a name cannot start with a digit");
}

TEST_CASE("the type checker resolves names and rejects unknown fields and predicates, at their position")
{
    CHECK_STARTS(body_error("forall t in tasks: t.colour == 1"),
                 "t.prop:1:35: unknown field 'colour' of a task (fields: cpu, wake_cpu, cpus_mask, blocked_on");
    CHECK_STARTS(body_error("forall m in locks: m.cpu == 0"), "t.prop:1:35: unknown field 'cpu' of a lock");
    CHECK_STARTS(body_error("forall t in tasks: sleeping(t)"), "t.prop:1:33: unknown predicate 'sleeping'");
    CHECK_STARTS(body_error("forall t in tasks: u.done"), "t.prop:1:33: unknown name 'u'");
    CHECK_STARTS(body_error("running"), "t.prop:1:14: 'running' is a predicate: write running(...)");
    CHECK_STARTS(body_error("holds(1)"), "t.prop:1:14: 'holds' takes 2 arguments, not 1");
    CHECK_STARTS(body_error("tasks"), "t.prop:1:14: 'tasks' is a quantifier domain");
    CHECK_STARTS(body_error("forall t in tasks: forall t in cpus: true"),
                 "t.prop:1:33: 't' is already bound by an enclosing quantifier");
    CHECK_STARTS(body_error("forall none in tasks: true"), "t.prop:1:14: 'none' is a predefined name");
    CHECK_STARTS(body_error("forall t in 3: true"), "t.prop:1:26: cannot quantify over '3', which is an int");
}

TEST_CASE("comparisons are type-checked: a task is never a CPU, a lock or none")
{
    CHECK_STARTS(body_error("forall t in tasks: forall c in cpus: t == c"),
                 "t.prop:1:53: cannot compare 't' (task) with 'c' (cpu)");
    CHECK_STARTS(body_error("forall t in tasks: t.cpu == t.blocked_on"), "t.prop:1:39: cannot compare 't.cpu' (cpu)");
    CHECK_STARTS(body_error("forall t in tasks: t == none"), "t.prop:1:35: 't' is a task, never none");
    CHECK_STARTS(body_error("forall c in cpus: c.curr == none"),
                 "t.prop:1:39: 'c.curr' is a task or idle, never none (rq->curr and rq->donor are idle");
    CHECK_STARTS(body_error("forall m in locks: m == PROXY_WAKING"), "t.prop:1:35: cannot compare 'm' (lock)");
    CHECK_STARTS(body_error("forall t in tasks: t.state == 1"), "t.prop:1:41: cannot compare 't.state' (task state) with '1' (int)");
    CHECK_STARTS(body_error("forall t in tasks: t.on_rq == TASK_RUNNING"), "t.prop:1:41: cannot compare");
    CHECK_STARTS(body_error("forall t, u in tasks: t < u"), "t.prop:1:38: 't < u': only numbers and CPUs are ordered");
    CHECK_STARTS(body_error("forall m in locks: m.wait_list == m.wait_list"), "t.prop:1:45: a wait_list cannot be compared");
    CHECK_STARTS(body_error("forall t in tasks: t in t.cpus_mask"), "t.prop:1:35: 't.cpus_mask' is a cpu set, but 't' is a task");
    CHECK_STARTS(body_error("forall c in cpus: c in c.curr"), "t.prop:1:34: 'in' needs a cpu set or a wait_list");
    CHECK_STARTS(body_error("forall t in tasks: holds(t, t)"), "t.prop:1:42: argument 2 of 'holds' must be a lock");
    CHECK_STARTS(body_error("forall m in locks: m.owner.cpu == 0"),
                 "t.prop:1:41: 'm.owner' is a task or none, which has no fields: bind a task first");
    CHECK_STARTS(body_error("forall t in tasks: t.cpu"), "t.prop:1:35: the body of a quantifier must be true or false, but 't.cpu' is a cpu");
    CHECK_STARTS(body_error("1"), "t.prop:1:14: a property must be true or false, but '1' is an int");
    CHECK_STARTS(body_error("forall t in tasks: not t.cpu"), "t.prop:1:39: the operand of 'not' must be true or false");
}

TEST_CASE("well-typed comparisons: literals stand for CPUs and on_rq values, none for an absent task or lock")
{
    for (const char* body : {
             "forall t in tasks: t.on_rq == 0 or t.on_rq == TASK_ON_RQ_QUEUED",
             "forall t in tasks: t.cpu == 1 and 0 in t.cpus_mask and t.cpus_mask == {0, 1} and t.cpu <= 3",
             "forall t in tasks: t.wake_cpu > t.cpu or t.wake_cpu >= 0",
             "forall m in locks: m.owner == none or exists t in tasks: m.owner == t",
             "forall t in tasks: t.blocked_on == PROXY_WAKING or t.blocked_on == none",
             "forall t in tasks: forall m in locks: t.blocked_on == m -> t.waiting_on == m",
             "forall t in tasks: t.blocked_donor == none and not t.is_blocked",
             "forall c in cpus: c.curr == c.idle or exists t in tasks: c.curr == t and running(t)",
             "forall c in cpus: c.donor != c.idle -> exists t in tasks: c.donor == t and is_donor(t)",
             "forall m in locks: forall t in m.wait_list: t in m.wait_list and not holds(t, m)",
             "forall t in tasks: forall c in t.cpus_mask: c < 8",
             "forall m in locks: m.handoff or m.pickup or m.waiters or not warned",
             "forall t in tasks: t.state == TASK_UNINTERRUPTIBLE -> not t.done",
             "true == false or TASK_DEAD != TASK_RUNNING",
         }) {
        CAPTURE(body);
        CHECK(body_error(body) == "(loaded)");
    }
}

TEST_CASE("a property name is taken once: in a file, against the library and against the built-in C++ ones")
{
    CHECK_STARTS(load_error("invariant p: true\ninvariant p: false"),
                 "t.prop:2:11: property name 'p' is already taken: t.prop:1");
    Catalog c = Catalog::standard();
    try {
        c.add_text("\n# mine\ninvariant mutual_exclusion: true", "mine.prop");
        FAIL("accepted a clash");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) ==
              "mine.prop:3:11: property name 'mutual_exclusion' is already taken: properties/mutual-exclusion.prop:11");
    }
    CHECK_THROWS_WITH_AS(c.add_text("invariant no_deadlock: true", "mine.prop"),
                         ("mine.prop:1:11: property name 'no_deadlock' is already taken: " +
                          c.find("no_deadlock")->origin()).c_str(),
                         Error);
    CHECK(c.find("no_deadlock")->origin().starts_with("properties/progress.prop:"));
    CHECK(c.find("no_deadlock")->origin().ends_with(" (built-in C++)"));
    CHECK_THROWS_WITH_AS(c.add_file("/nonexistent/x.prop"), "/nonexistent/x.prop: cannot read the property file", Error);
}

TEST_CASE("`builtin` declares a C++ property at its place in the library: it must exist, with that kind")
{
    const auto decls = parse_properties("# why C++\ninvariant find_proxy_task_terminates: builtin\n", "t.prop");
    REQUIRE(decls.size() == 1);
    CHECK(decls[0].builtin);
    CHECK(decls[0].body == nullptr);
    CHECK(load_error("invariant find_proxy_task_terminates: builtin") == "(loaded)");
    CHECK_STARTS(load_error("invariant nope: builtin"), "t.prop:1:11: no built-in C++ property 'nope' (there are: ");
    CHECK_STARTS(load_error("deadlock find_proxy_task_terminates: builtin"),
                 "t.prop:1:10: the built-in property 'find_proxy_task_terminates' is an invariant");
    CHECK_STARTS(load_error("invariant p: builtin and true"), "t.prop:1:22: expected an operator or the next property");
}

TEST_CASE("the library: every built-in property the language can express comes from properties/*.prop, the rest "
          "from C++, in checking order")
{
    const Catalog& lib = Catalog::standard();
    std::vector<std::string> names, origins;
    for (const Property& p : lib.all()) {
        names.push_back(p.name);
        origins.push_back(p.builtin ? "C++" : p.file);
        CHECK(!p.description.empty());
    }
    CHECK(names == std::vector<std::string>{"no_affinity_violating_run", "mutual_exclusion", "no_kernel_warning",
                                            "blocked_on_consistent", "donor_valid", "find_proxy_task_terminates",
                                            "no_lost_handoff", "blocked_donor_valid", "no_lost_wakeup", "no_deadlock",
                                            "all_tasks_done", "ww_transactions_succeed", "edeadlk_returned"});
    CHECK(origins == std::vector<std::string>{"properties/affinity.prop", "properties/mutual-exclusion.prop",
                                              "properties/kernel-warnings.prop", "properties/blocked-on.prop",
                                              "properties/donor.prop", "C++", "properties/handoff.prop", "C++",
                                              "C++", "C++", "properties/progress.prop", "C++", "C++"});
    // every C++ property is declared, with `builtin`, in the file of its concern
    for (const Property& p : lib.all())
        CHECK(p.file.starts_with("properties/"));
    CHECK(lib.find("no_lost_wakeup")->kind == Kind::deadlock);
    CHECK(lib.find("donor_valid")->origin() == "properties/donor.prop:10");
    CHECK(lib.find("nonexistent") == nullptr);
}
