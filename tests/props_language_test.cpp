// The property language before any state is seen: lexing, parsing (shape and
// precedence, read back through to_source), descriptions from comments, and
// the errors of the parser and the type checker, each at its line and column.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kernel/error.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/checker.hpp"
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

std::string repeat(const std::string& s, int n)
{
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

// `true and true and ...`: n terms, a tree n levels deep.
std::string and_chain(int n) { return "true" + repeat(" and true", n - 1); }

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
    CHECK_THROWS_WITH_AS(c.add_file("/nonexistent/x.prop"),
                         "/nonexistent/x.prop: cannot read the property file: No such file or directory", Error);
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

TEST_CASE("an expression nests at most max_nesting levels: deeper is refused at its place, before anything recurses "
          "over it")
{
    REQUIRE(max_nesting == 256);
    const std::string too_deep = ": expression nested too deeply (more than 256 levels)";
    // Nesting: refused where the 257th level starts (the body is on line 2).
    CHECK(load_error("invariant p:\n" + repeat("(", 20000) + "true" + repeat(")", 20000)) ==
          "t.prop:2:257" + too_deep);
    CHECK(load_error("invariant p:\n" + repeat("not ", 30000) + "true") == "t.prop:2:1025" + too_deep);
    CHECK(load_error("invariant p:\n" + repeat("true -> ", 50000) + "true") == "t.prop:2:2049" + too_deep);
    // `not (`: two levels each, refused at the 129th `not`
    CHECK(load_error("invariant p:\n" + repeat("not (", 200) + "true" + repeat(")", 200)) == "t.prop:2:641" + too_deep);
    // A flat chain is a tree as deep as it is long: refused at the operator that makes it 257 deep.
    CHECK(load_error("invariant p:\n" + and_chain(10000)) == "t.prop:2:2301" + too_deep);
    CHECK(load_error("invariant p:\n" + and_chain(100000)) == "t.prop:2:2301" + too_deep);
    CHECK(load_error("invariant p:\n" + repeat("false or ", 300) + "true") == "t.prop:2:2302" + too_deep);
    CHECK(load_error("invariant p:\nforall m in locks: m" + repeat(".owner", 300) + " == none") ==
          "t.prop:2:1552" + too_deep);
    CHECK(load_error("invariant p: true\ninvariant q:\n" + and_chain(257)) == "t.prop:3:2301" + too_deep);
    // One level less is an expression like any other.
    CHECK(load_error("invariant p:\n" + repeat("(", 255) + "true" + repeat(")", 255)) == "(loaded)");
    CHECK(load_error("invariant p:\n" + repeat("not ", 255) + "true") == "(loaded)");
    CHECK(load_error("invariant p:\n" + repeat("true -> ", 255) + "true") == "(loaded)");
    CHECK(load_error("invariant p:\n" + and_chain(256)) == "(loaded)");
    CHECK(load_error("invariant p:\n" + and_chain(257)) == "t.prop:2:2301" + too_deep);
    // the library's own properties nest far less
    for (const Property& p : Catalog::standard().all())
        if (p.decl)
            CHECK(p.decl->body->height < 16);
}

TEST_CASE("an expression max_nesting levels deep is type-checked, compiled, evaluated and explained")
{
    const Scenario sc = parse_scenario("cpus = 2\n[[lock]]\nname = \"M1\"\n"
                                       "[[task]]\nname = \"A\"\ncpu = 0\nprogram = [\"lock M1\", \"unlock M1\"]\n"
                                       "[[task]]\nname = \"B\"\ncpu = 1\nprogram = [\"lock M1\", \"unlock M1\"]\n",
                                       "t.toml");
    const kernel::Model m(sc, sc.feature_set());
    std::vector<uint8_t> s(m.state_size());
    m.initial_state(s.data());
    auto eval = [&](const std::string& body) {
        Catalog c;
        c.add_text("invariant p: " + body, "t.prop");
        CHECK(c.find("p")->decl->body->height == max_nesting);
        return evaluate(m, *c.find("p"), s.data());
    };
    CHECK(eval(repeat("(", 255) + "true" + repeat(")", 255)) == "");
    CHECK(eval(repeat("not ", 255) + "false") == "");
    CHECK(eval(repeat("not ", 255) + "true") == "true");   // an odd number of nots above a true
    CHECK(eval(repeat("true -> ", 255) + "true") == "");
    CHECK(eval(and_chain(256)) == "");
    // forall (1 level) over a chain of 253 comparisons (3 levels each, the first one deepest), violated by
    // its first term: the explanation goes down the whole chain.
    CHECK(eval("forall t in tasks: t.cpu == 0" + repeat(" and not t.done", 252)) == "t = B: t.cpu != 0 (t.cpu = CPU1)");
}

TEST_CASE("a UTF-8 byte-order mark at the start is skipped; a character the language does not use is named whole")
{
    const std::string bom = "\xEF\xBB\xBF";
    const auto decls = parse_properties(bom + "invariant p: true", "t.prop");
    REQUIRE(decls.size() == 1);
    CHECK(decls[0].column == 11);   // the mark is no column
    CHECK(load_error(bom + "# mine\ninvariant p: true") == "(loaded)");
    CHECK(load_error(bom + "invariant p: $") == "t.prop:1:14: unexpected character '$'");
    CHECK(load_error("invariant p: true\n" + bom + "invariant q: true") ==
          "t.prop:2:1: unexpected character '" + bom + "' (U+FEFF)");
    // UTF-8: the whole character and its code point, so that the message is UTF-8 too
    CHECK(load_error("invariant \xCE\xA9: true") == "t.prop:1:11: unexpected character '\xCE\xA9' (U+03A9)");
    CHECK(load_error("invariant p: 1 \xE2\x89\xA4 2") == "t.prop:1:16: unexpected character '\xE2\x89\xA4' (U+2264)");
    CHECK(load_error("invariant p: \xF0\x9F\x98\x80") == "t.prop:1:14: unexpected character '\xF0\x9F\x98\x80' (U+1F600)");
    // anything else byte by byte: not UTF-8 (a stray, truncated, overlong or surrogate sequence), a control character
    CHECK(load_error("invariant p: forall t in tasks: t.done \xFF\xFE") == "t.prop:1:40: unexpected byte '\\xFF' (not UTF-8)");
    CHECK(load_error("invariant p: \xCE") == "t.prop:1:14: unexpected byte '\\xCE' (not UTF-8)");
    CHECK(load_error("invariant p: \xCE" "a") == "t.prop:1:14: unexpected byte '\\xCE' (not UTF-8)");
    CHECK(load_error("invariant p: \xC0\xAF") == "t.prop:1:14: unexpected byte '\\xC0' (not UTF-8)");
    CHECK(load_error("invariant p: \xE0\x80\xAF") == "t.prop:1:14: unexpected byte '\\xE0' (not UTF-8)");
    CHECK(load_error("invariant p: \xED\xA0\x80") == "t.prop:1:14: unexpected byte '\\xED' (not UTF-8)");
    CHECK(load_error("invariant p: \xF4\x90\x80\x80") == "t.prop:1:14: unexpected byte '\\xF4' (not UTF-8)");
    CHECK(load_error("invariant p: \x80") == "t.prop:1:14: unexpected byte '\\x80' (not UTF-8)");
    CHECK(load_error(std::string("invariant p: true\x01")) == "t.prop:1:18: unexpected character '\\x01'");
    CHECK(load_error(std::string("invariant p: true", 17) + '\0') == "t.prop:1:18: unexpected character '\\x00'");
    // a comment is anyone's text
    CHECK(load_error("# \xCE\xA9 \xFF\ninvariant p: true") == "(loaded)");
}
